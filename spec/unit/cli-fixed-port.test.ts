/**
 * A course's server run unmodified (fixtures/fixed-port/server_thread_http.py: no arguments,
 * 127.0.0.1:10002 written in, files served from the folder it starts in) through bench and check,
 * in this process: its port discovered (server.json has no {port} and no "port"), stated by its
 * other manifest, and stated on the command line (`NAME@10002=...`, started from its folder).
 * Every test of this file uses port 10002, so they run one after the other, and after each run
 * nothing may listen there.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { listeningSocketsOn } from '../../lib/process/listen-sockets.ts';
import type { RunResults } from '../../lib/types.ts';
import type { JsonCheckRun } from '../../lib/report/json/check-json.ts';
import { runInProcess } from './helpers/cli-in-process.ts';

const FIXTURE = join(PROJECT_ROOT, 'fixtures', 'fixed-port');
const PORT = 10002;

/** Whether a connection to 127.0.0.1:port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

afterEach(async () => {
  expect(listeningSocketsOn(PORT)).toEqual([]);
  expect(await refused(PORT)).toBe(true);
});

async function bench(server: string): Promise<RunResults> {
  const out = await mkdtemp(join(tmpdir(), 'gauntlet-fixed-port-'));
  const args = ['--matrix', '20:1,2', '--rounds', '1', '--no-check', '--path', '/page.html', '--out', out];
  const run = await runInProcess(['bench', '--server', server, ...args]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
}

function expectAllAnswered(results: RunResults, name: string): void {
  const cells = results.cells.filter((c) => c.server === name);
  expect(cells.map((c) => c.concurrency)).toEqual([1, 2]);
  for (const cell of cells) {
    expect(cell.result.completeRequests).toBe(20);
    expect(cell.result.failedRequests).toBe(0);
    expect(cell.result.statusCounts).toEqual({ '200': 20 });
  }
}

describe('a fixed-port server, unmodified', () => {
  it('bench: its port discovered from what it listens on', async () => {
    const results = await bench(FIXTURE);
    expect(results.servers.map((s) => s.name)).toEqual(['fixed-port']);
    expectAllAnswered(results, 'fixed-port');
  });

  it('bench: its port stated on the command line, started from its own folder', async () => {
    const before = process.cwd();
    process.chdir(FIXTURE);
    try {
      const results = await bench(`course@${PORT}=python3 server_thread_http.py`);
      expectAllAnswered(results, 'course');
    } finally {
      process.chdir(before);
    }
  });

  it('check: the host group against its stated-port manifest', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gauntlet-fixed-port-'));
    const server = join(FIXTURE, 'stated-port.json');
    const run = await runInProcess([
      'check',
      '--server',
      server,
      '--properties',
      'none',
      '--group',
      'host',
      '--out',
      out,
    ]);
    // A course's server checks that there is one Host, not what it holds: MUST misses, exit 1.
    expect(run.code, run.stderr).toBe(1);
    const json = JSON.parse(await readFile(join(out, 'check.json'), 'utf8')) as JsonCheckRun;
    const verdicts = Object.fromEntries(json.results.map((r) => [r.caseId, r.verdict]));
    expect(verdicts).toMatchObject({ 'host-missing': 'pass', 'host-duplicate-different': 'pass' });
    expect(Object.values(verdicts).filter((v) => !['pass', 'fail', 'warn', 'info'].includes(v))).toEqual([]);
  });

  it('check: a stated port already taken is an error naming its holder, and nothing is started', async () => {
    const { createServer } = await import('node:net');
    const holder = createServer().listen(PORT, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    try {
      const out = await mkdtemp(join(tmpdir(), 'gauntlet-fixed-port-'));
      const server = join(FIXTURE, 'stated-port.json');
      const run = await runInProcess([
        'check',
        '--server',
        server,
        '--properties',
        'none',
        '--group',
        'host',
        '--out',
        out,
      ]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(
        `server "fixed-port-stated" did not start: port ${PORT} is taken: pid ${process.pid} (`,
      );
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  });
});
