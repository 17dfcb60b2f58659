/**
 * bench and gate against a server already running, given by `--url`: a reference server this
 * file starts itself (lib/launcher.ts), which Gauntlet must measure, observe through the process
 * that owns its socket, send the URL's path, and leave running; and a URL nobody listens on,
 * which fails as a server that does not start does.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DOC_ROOT, SERVERS_DIR } from '../../lib/paths.ts';
import { readManifest } from '../../lib/manifest.ts';
import { launch, type RunningServer } from '../../lib/launcher.ts';
import { probeHttp } from '../../lib/running-server.ts';
import type { RunResults } from '../../lib/types.ts';
import type { GateResults } from '../../lib/perf/types.ts';
import { runCli } from './helpers/cli-child.ts';

/** The process group of a pid, from /proc. */
function pgidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** A port nobody listens on: one the kernel gave and took back. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

describe('--url: a server already running', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await launch(await readManifest(join(SERVERS_DIR, 'node-async', 'server.json')));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('bench: measures it with the URL path, finds the owner of its socket, records resources, leaves it running', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gauntlet-url-bench-'));
    const url = `http://127.0.0.1:${server.port}/hello.txt`;
    const run = await runCli([
      'bench',
      '--url',
      `web:async:typescript=${url}`,
      '--matrix',
      '20:1,2',
      '--rounds',
      '1',
      '--no-check',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('web is already running (not started by Gauntlet); its process, pid ');
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    const record = results.servers[0]!;
    expect(record).toMatchObject({ name: 'web', url, observed: true, path: '/hello.txt', command: '' });
    // The owner is the node process the launcher's shell started: a member of its process group.
    expect(pgidOf(record.ownerPid!)).toBe(server.pid);
    expect(results.cells).toHaveLength(2);
    for (const cell of results.cells) {
      expect(cell.result.completeRequests).toBe(20);
      expect(cell.resources?.processes).toBeGreaterThan(0);
    }
    // The requests were for the URL's path: its body is hello.txt, not the index page of /.
    expect(results.cells[0]!.result.documentLength).toBe(statSync(join(DEFAULT_DOC_ROOT, 'hello.txt')).size);
    expect(server.exitInfo()).toBeNull();
    expect(await probeHttp('127.0.0.1', server.port, '/', 2000)).toBe(true);
  });

  it('gate: holds a claim about it with a tiny matrix', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gauntlet-url-gate-'));
    const run = await runCli([
      'gate',
      '--claim',
      'failed == 0',
      '--url',
      `web=http://127.0.0.1:${server.port}/`,
      '--matrix',
      '10:1',
      '--max-time',
      '0.3',
      '--warmup',
      '0.1',
      '--no-baseline',
      '--no-pin',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toContain('PASSED: 1 of 1 claim held.');
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as GateResults;
    expect(results.servers[0]).toMatchObject({ name: 'web', observed: true });
    expect(server.exitInfo()).toBeNull();
  });

  it('bench: a URL nobody listens on is a server that did not start (exit 1), named with the connect error', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gauntlet-url-none-'));
    const port = await freePort();
    const run = await runCli([
      'bench',
      '--url',
      `http://127.0.0.1:${port}/`,
      '--matrix',
      '20:1',
      '--rounds',
      '1',
      '--no-check',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(
      `server "127.0.0.1:${port}" does not answer at http://127.0.0.1:${port}/: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.servers[0]!.error).toContain('ECONNREFUSED');
  });
});
