/**
 * Every reference server answers every request of the seed and tugas9 matrices, in both
 * modes: 0 failed requests and 0 non-2xx. tugas9 reaches 1000 concurrent connections, which
 * a server with a small listen backlog cannot take without dropped SYNs and failures.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { loadAllServers } from '../../lib/manifest.ts';
import { launch, type RunningServer } from '../../lib/launcher.ts';
import { matrixCells, SEED_MATRIX, TUGAS9_MATRIX } from '../../lib/matrix.ts';
import { runCell } from '../../lib/load/index.ts';
import type { LoadMode } from '../../lib/types.ts';

const servers = await loadAllServers();
const modes: LoadMode[] = ['close', 'keepalive'];
const cells = [...matrixCells(SEED_MATRIX), ...matrixCells(TUGAS9_MATRIX)];

describe.each(servers.map((s) => [s.name, s] as const))('%s', (_name, spec) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await launch(spec);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(modes)('completes the seed and tugas9 matrices in %s mode with 0 failed requests', async (mode) => {
    const problems: string[] = [];
    for (const cell of cells) {
      const r = await runCell({ host: server.host, port: server.port, path: '/', mode }, cell);
      if (r.completeRequests !== cell.requests || r.failedRequests > 0 || r.non2xx > 0) {
        problems.push(
          `${cell.requests} x ${cell.concurrency}: ${r.completeRequests} complete, ${r.failedRequests} failed ` +
            `${JSON.stringify(r.failed)}, ${r.non2xx} non-2xx`,
        );
      }
    }
    expect(server.exitInfo(), `${spec.name} exited during the run:\n${server.stderr()}`).toBeNull();
    expect(problems, problems.join('\n')).toEqual([]);
  });
});
