/**
 * `--engine locust` end to end, on loopback against node-async: a 3 s cell through a master and
 * two local workers, and the same cell with only the master here (`--locust-master`) and the
 * workers of a separately started `gauntlet worker`. Both must finish with no failure and say
 * locust and 2 workers in results.json. Skips, saying so, where Debian's python3-locust is not
 * installed (.ci/run installs it). In the acceptance project: each run takes about 15 s.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { locustProblem } from '../../lib/locust/processes.ts';
import { freeLoopbackPort } from '../../lib/locust/run-cell.ts';
import type { RunResults } from '../../lib/types.ts';
import { BIN, runCli } from '../unit/helpers/cli-child.ts';

const problem = locustProblem();
if (problem) process.stderr.write(`spec/locust: skipped: ${problem} (apt-get install python3-locust)\n`);

const CELL = [
  '--server',
  'node-async',
  '--concurrency',
  '4',
  '--duration',
  '3s',
  '--rounds',
  '1',
  '--no-check',
  '--json',
];

/** The one cell's result of a bench run printed with --json. */
function onlyCell(stdout: string): RunResults['cells'][number]['result'] {
  const run = JSON.parse(stdout) as RunResults;
  expect(run.cells).toHaveLength(1);
  return run.cells[0]!.result;
}

const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});

describe.skipIf(problem !== null)('--engine locust', () => {
  it('runs a cell through a master and 2 local workers, with no failure', async () => {
    const run = await runCli(['bench', '--engine', 'locust', '--workers', '2', ...CELL]);
    expect(run.code, run.stderr).toBe(0);
    const r = onlyCell(run.stdout);
    expect([r.engine, r.workers, r.failedRequests]).toEqual(['locust', 2, 0]);
    expect(r.completeRequests).toBeGreaterThan(0);
    expect(r.requestsPerSecond).toBeGreaterThan(0);
    expect(r.statusCounts['200']).toBe(r.completeRequests);
    expect(run.stderr).toContain("locust (2 workers): percentiles are Locust's, bucketed");
  }, 60_000);

  it('runs the same cell with --locust-master and the workers of gauntlet worker', async () => {
    const port = await freeLoopbackPort();
    const master = `127.0.0.1:${port}`;
    const worker = spawn(process.execPath, [BIN, 'worker', '--master', master, '--processes', '2'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    started.push(worker);
    let workerErr = '';
    worker.stderr.on('data', (d: Buffer) => (workerErr += d.toString()));
    const run = await runCli(['bench', '--engine', 'locust', '--workers', '2', '--locust-master', master, ...CELL]);
    worker.kill('SIGINT');
    const [code] = (await once(worker, 'close')) as [number | null];
    expect(run.code, run.stderr).toBe(0);
    const r = onlyCell(run.stdout);
    expect([r.engine, r.workers, r.failedRequests]).toEqual(['locust', 2, 0]);
    expect(r.completeRequests).toBeGreaterThan(0);
    expect(run.stderr).toContain(`engine locust (2 workers connecting to ${master})`);
    // Ctrl-C ends gauntlet worker and its workers, exit 130.
    expect(code, workerErr).toBe(130);
  }, 60_000);
});
