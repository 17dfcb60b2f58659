/**
 * The diagnostics' thresholds against the servers that must pass them: every reference server,
 * over the seed and tugas9 matrices (up to 1000 concurrent connections), in both load modes,
 * measured by the real bench, gets no finding. A finding here is a false alarm: the run's
 * findings are printed in full so that the threshold at fault can be seen.
 */
import { describe, it, expect } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import { loadAllServers } from '../../lib/manifest.ts';
import { SEED_MATRIX, TUGAS9_MATRIX } from '../../lib/matrix.ts';
import { runBench } from '../../lib/bench.ts';
import { ResultsStore } from '../../lib/results-store.ts';
import type { LoadMode, Matrix } from '../../lib/types.ts';

const servers = await loadAllServers();
const MATRIX: Matrix = { name: 'seed+tugas9', groups: [...SEED_MATRIX.groups, ...TUGAS9_MATRIX.groups] };

describe('no finding against the reference servers over the seed and tugas9 matrices', () => {
  it('lists the four reference servers', () => {
    expect(servers.map((s) => s.name)).toEqual(['node-async', 'node-threaded', 'python-async', 'python-threaded']);
  });

  it.each(['close', 'keepalive'] as LoadMode[])('%s mode', async (mode) => {
    const store = await ResultsStore.create(await mkdtemp(join(tmpdir(), `gauntlet-diag-ref-${mode}-`)));
    const run = await runBench({ servers, matrix: MATRIX, mode, path: '/', root: DEFAULT_DOC_ROOT, warmup: 0, store });
    expect(run.status).toBe('complete');
    expect(run.servers.filter((s) => s.error).map((s) => `${s.name}: ${s.error}`)).toEqual([]);
    expect(run.cells).toHaveLength(servers.length * (11 + 7));
    const shown = (run.findings ?? [])
      .map((f) => `${f.server} ${f.id}: ${f.title}\n  ${f.evidence.join('\n  ')}`)
      .join('\n');
    expect(run.findings, `${shown}\n(results: ${store.resultsFile})`).toEqual([]);
  });
});
