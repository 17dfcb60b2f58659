/**
 * `gauntlet gate` over a matrix of a duration (`--matrix 1s:2`), end to end against node-async and
 * python-async, with the fewest rounds the configuration allows (one warm-up run and one round a
 * side): once on the built-in engine (about 10 s), once with `--engine locust --workers 1` (about
 * 25 s: every run starts Locust). Each cell must run as a cell of a duration, be judged on its
 * requests per second, be named "1s c=2" and never "n=0", and the results must follow the schema
 * and say which engine sent the load. The Locust run skips, saying so, without Debian's
 * python3-locust.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locustProblem } from '../../lib/locust/processes.ts';
import type { GateResults } from '../../lib/perf/types.ts';
import { schemaProblems } from '../golden/follows-schema.ts';
import { runCli } from '../unit/helpers/cli-child.ts';

const problem = locustProblem();
if (problem) process.stderr.write(`spec/acceptance/gate-engines: Locust run skipped: ${problem}\n`);

const SERVERS = ['node-async', 'python-async'];
const CLAIMS = ['node-async >= python-async at every c', 'failed == 0', 'node-async: rps > 1'];

let dir = '';
let config = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gauntlet-gate-engines-'));
  config = join(dir, 'gauntlet.config.json');
  // The fewest rounds the gate allows, no second look, no baseline: what is checked is where
  // the figures go, not the figures.
  const file = {
    claims: CLAIMS,
    sampling: { minRounds: 1, maxRounds: 1, warmupS: 0 },
    remeasure: false,
    baseline: false,
  };
  await writeFile(config, JSON.stringify(file));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the gate with `extra` flags; its results.json and what it printed. */
async function gate(name: string, extra: string[]): Promise<{ results: GateResults; stdout: string }> {
  const out = join(dir, name);
  const servers = SERVERS.flatMap((s) => ['--server', s]);
  const started = performance.now();
  const run = await runCli(['gate', '--config', config, ...servers, '--matrix', '1s:2', '--out', out, ...extra]);
  process.stderr.write(`gate ${name}: exit ${run.code} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  // A claim between servers may fail on a busy machine (exit 1): the figures' place is the point.
  expect([0, 1], run.stderr).toContain(run.code);
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as GateResults;
  return { results, stdout: run.stdout };
}

async function expectSchema(results: GateResults): Promise<void> {
  expect(await schemaProblems('gate', results)).toEqual({ errors: [], undescribed: [] });
}

/** What every duration gate must show, whatever its engine. */
function expectDurationCells(results: GateResults, stdout: string): void {
  expect(results.status).toBe('complete');
  expect(results.measurements.length).toBeGreaterThan(0);
  for (const m of results.measurements) {
    expect(m.cell).toEqual({ requests: 0, concurrency: 2, durationS: 1 });
    for (const side of m.sides) {
      // One warm-up run of a second, then one round: each run sent for its duration.
      expect(side.warmup.runs, side.name).toBe(1);
      expect(side.samples.map((s) => s.runs)).toEqual([1]);
      expect(side.samples[0]!.rps, side.name).toBeGreaterThan(0);
      expect(side.samples[0]!.timeTakenS, side.name).toBeGreaterThan(0.5);
    }
  }
  for (const claim of results.claims) {
    expect(claim.cells.length, claim.claim).toBeGreaterThan(0);
    for (const cell of claim.cells) expect([cell.requests, cell.durationS, cell.concurrency]).toEqual([0, 1, 2]);
  }
  expect(results.claims.find((c) => c.claim === 'node-async: rps > 1')?.status).toBe('pass');
  expect(stdout).toContain('1s c=2');
  expect(stdout).not.toContain('n=0');
}

describe('gauntlet gate over a matrix of a duration', () => {
  it('runs, judges and names each cell as a cell of a duration, on the built-in engine', async () => {
    const { results, stdout } = await gate('gauntlet', []);
    expectDurationCells(results, stdout);
    expect(results.settings.engine).toEqual({ name: 'gauntlet' });
    expect(stdout).not.toContain('Locust');
    await expectSchema(results);
  }, 60_000);

  it.skipIf(problem !== null)(
    'runs every run through Locust with --engine locust --workers 1',
    async () => {
      const { results, stdout } = await gate('locust', ['--engine', 'locust', '--workers', '1']);
      expectDurationCells(results, stdout);
      expect(results.settings.engine).toEqual({ name: 'locust', workers: 1 });
      expect(stdout).toContain('Load sent by Locust (1 worker on this machine)');
      expect(stdout).toContain("percentiles are Locust's, bucketed");
      await expectSchema(results);
    },
    90_000,
  );
});
