/**
 * Cells of a duration in the gate (`--matrix 10s:1,10`) and the gate's load engine, on made-up
 * measurements: the plan, what the sampler runs, the judgement and its words, the baseline's keys,
 * and what a Locust gate refuses. No server runs here.
 */
import { describe, expect, it } from 'vitest';
import { parseClaim } from '../../lib/perf/claims.ts';
import { matrixCells, parseMatrix } from '../../lib/matrix.ts';
import { resolveConfig } from '../../lib/perf/config.ts';
import { planGroups } from '../../lib/perf/gate-plan.ts';
import { cellPlace, specOf } from '../../lib/perf/gate-cell.ts';
import { judgeCell, lookFirst } from '../../lib/perf/gate-judge.ts';
import { kindOf, type Claim } from '../../lib/perf/claim-kinds/registry.ts';
import type { CellContext, ClaimCheck } from '../../lib/perf/claim-kinds/kind.ts';
import { where, engineSentence } from '../../lib/perf/report-words.ts';
import { buildAlerts } from '../../lib/perf/alerts.ts';
import {
  appendGate,
  baselineCell,
  baselineMachine,
  baselineRuns,
  cellKey,
  emptyBaseline,
  type BaselineRun,
} from '../../lib/perf/baseline.ts';
import { engineRecord, gateEngineProblem } from '../../lib/perf/gate-engine.ts';
import { measureCell, warmUpRuns, type CellRunner } from '../../lib/perf/sampler.ts';
import { cell as cellRef, perfMatchers } from '../../lib/perf/matchers.ts';
import { settingsLine } from '../../lib/report/gate-words.ts';
import type { LoadEngine } from '../../lib/locust/engine.ts';
import type { CellResult, CellSpec } from '../../lib/types.ts';
import { YARDSTICK, type GateResults } from '../../lib/perf/types.ts';
import type { GateCell } from '../../lib/perf/gate-context.ts';
import { around, emptyGate, gateMeasurement, MACHINE, sideOf } from './helpers/perf-fixtures.ts';

const LOCUST: LoadEngine = { name: 'locust', placement: { workers: 2 } };
const SETTINGS = { tolerance: 0.1, alpha: 0.05, confidence: 0.95 };

/** The first cell of a matrix's text form, as the gate plans it. */
function cellOf(matrix: string, index = 0): GateCell {
  return matrixCells(parseMatrix(matrix))[index]!;
}

describe('a duration matrix in the gate', () => {
  it('is taken by the configuration as by --matrix', () => {
    const config = resolveConfig({ claims: ['failed == 0'], matrix: '2s:1,4;100:10' }, null);
    expect(matrixCells(config.matrix).map(specOf)).toEqual([
      { requests: 0, concurrency: 1, durationS: 2 },
      { requests: 0, concurrency: 4, durationS: 2 },
      { requests: 100, concurrency: 10 },
    ]);
    const object = resolveConfig(
      {
        claims: ['failed == 0'],
        matrix: { name: 'mine', groups: [{ requests: 0, concurrencies: [3], durationS: 5 }] },
      },
      null,
    );
    expect(matrixCells(object.matrix).map(specOf)).toEqual([{ requests: 0, concurrency: 3, durationS: 5 }]);
  });

  const places: Array<{ matrix: string; spec: CellSpec; label: string }> = [
    { matrix: '1s:2', spec: { requests: 0, concurrency: 2, durationS: 1 }, label: '1s c=2' },
    { matrix: '500ms:3', spec: { requests: 0, concurrency: 3, durationS: 0.5 }, label: '0.5s c=3' },
    { matrix: '100:10', spec: { requests: 100, concurrency: 10 }, label: 'n=100 c=10' },
  ];
  it.each(places)('$matrix: each run sends $label, and its verdicts are placed there', ({ matrix, spec, label }) => {
    const cell = cellOf(matrix);
    expect(specOf(cell)).toEqual(spec);
    const place = cellPlace('close', cell);
    expect(place).toEqual({ mode: 'close', group: 0, ...spec });
    expect(where(place, 1)).toBe(label);
    expect(where(place, 2)).toBe(`${label} (close)`);
  });

  const plans: Array<{ claim: string; servers: string[][]; checks: number }> = [
    { claim: 'a >= b at every c', servers: [['a', 'b']], checks: 1 },
    { claim: 'a >= b at c=2', servers: [['a', 'b']], checks: 1 },
    // A claim about a number of requests does not apply to a cell of a duration.
    { claim: 'a >= b at n=100', servers: [], checks: 0 },
    { claim: 'a: rps > 100', servers: [['a']], checks: 1 },
    { claim: 'failed == 0', servers: [['a'], ['b']], checks: 2 },
  ];
  it.each(plans)('plans "$claim" on a duration cell', ({ claim, servers, checks }) => {
    const groups = planGroups([parseClaim(claim)], ['a', 'b'], cellOf('1s:2'), new Set(), () => false);
    expect(groups.map((g) => g.servers)).toEqual(servers);
    expect(groups.reduce((n, g) => n + g.checks.length, 0)).toBe(checks);
  });
});

describe('judging a duration cell', () => {
  const cell = cellOf('1s:2');
  const context: CellContext = { place: cellPlace('close', cell), at: '1s c=2', settings: SETTINGS };
  // A duration cell's samples: thousands of requests in about a second, whatever `requests` says.
  const duration = { timeTakenS: 1, requested: 2000, complete: 2000 };
  const measured = gateMeasurement(
    [sideOf('a', around(2000, 12, 1), duration), sideOf('b', around(1000, 12, 2), duration)],
    specOf(cell),
  );
  const judge = (claim: string) => {
    const c = parseClaim(claim);
    const checks = kindOf(c).checks(c, ['a', 'b']) as Array<ClaimCheck<Claim>>;
    const first = lookFirst(checks, [], measured, context);
    return judgeCell(first, { first: measured, second: null, both: null, noTime: false }, context).checks;
  };

  const cases: Array<{ claim: string; status: string[]; outcome: string[] }> = [
    { claim: 'a >= b', status: ['pass'], outcome: ['faster'] },
    { claim: 'b >= a', status: ['fail'], outcome: ['slower'] },
    { claim: 'a: rps > 1500', status: ['pass'], outcome: ['pass'] },
    { claim: 'b: rps > 1500', status: ['fail'], outcome: ['fail'] },
    { claim: 'failed == 0', status: ['pass', 'pass'], outcome: ['pass', 'pass'] },
  ];
  it.each(cases)('"$claim" is judged on requests per second', ({ claim, status, outcome }) => {
    const judged = judge(claim);
    expect(judged.map((j) => j.verdict.cell.status)).toEqual(status);
    expect(judged.map((j) => j.verdict.cell.outcome)).toEqual(outcome);
    for (const { verdict } of judged) {
      expect(verdict.cell.requests).toBe(0);
      expect(verdict.cell.durationS).toBe(1);
      expect(where(verdict.cell, 1)).toBe('1s c=2');
    }
  });

  it('words a regression of a duration cell by its duration, never "n=0"', () => {
    const results: GateResults = emptyGate();
    const v = { ratio: 0.5, interval: { lo: 0.45, hi: 0.55 }, p: 0.001, n: 12, factor: 1, outcome: 'slower' };
    results.regressions.push({
      server: 'a',
      ...cellPlace('close', cell),
      level: 'fail',
      verdicts: [v as never],
      baselineRuns: 3,
      rpsNow: 1000,
      rpsBaseline: 2000,
      measured: { rounds: 12, batch: 1, runMs: 1000, stoppedBy: 'precise', seconds: 24 },
      notes: [],
    });
    const [alert] = buildAlerts(results);
    expect(alert!.title).toBe('regression: a 1s c=2 (close)');
    expect(alert!.message).toMatch(/^a at 1s c=2 \(close\) is /);
  });
});

describe("the baseline's cells", () => {
  const keys: Array<{ cell: Parameters<typeof cellKey>[0]; key: string }> = [
    { cell: { requests: 100, concurrency: 10 }, key: '100x10' },
    { cell: { requests: 0, concurrency: 10, durationS: 10 }, key: '10sx10' },
    { cell: { requests: 0, concurrency: 2, durationS: 0.5 }, key: '0.5sx2' },
    { cell: { requests: 0, concurrency: 2, durationS: 1, engine: 'locust' }, key: 'locust:1sx2' },
    { cell: { requests: 100, concurrency: 10, engine: 'gauntlet' }, key: '100x10' },
  ];
  it.each(keys)('$key', ({ cell, key }) => expect(cellKey(cell)).toBe(key));

  it('keeps runs of a duration cell, and of each engine, apart', () => {
    const spec = specOf(cellOf('1s:2'));
    const gate = (engine?: 'locust'): GateResults => {
      const results = emptyGate();
      results.settings.engine = engineRecord(engine === 'locust' ? LOCUST : undefined);
      results.measurements.push(
        gateMeasurement([sideOf('a', around(2000)), sideOf(YARDSTICK, around(1000, 12, 3))], spec),
      );
      return results;
    };
    const baseline = emptyBaseline(5);
    appendGate(baseline, gate());
    appendGate(baseline, gate('locust'));
    expect(Object.keys(baseline.entries['a']!.close!).sort()).toEqual(['1sx2', 'locust:1sx2']);
    const runs = (cell: Parameters<typeof baselineRuns>[3]): BaselineRun[] =>
      baselineRuns(baseline, 'a', 'close', cell);
    expect(runs(baselineCell(spec))).toHaveLength(1);
    expect(runs(baselineCell(spec, 'locust'))).toHaveLength(1);
    expect(runs({ requests: 0, concurrency: 2 })).toHaveLength(0);
    expect(runs(baselineCell(spec))[0]!.machine).toEqual(baselineMachine(MACHINE));
  });
});

describe('the sampler on a duration cell', () => {
  /** A runner that records the cells it was asked to run and answers `rps` for a second. */
  function recorder(rps: number): { runner: CellRunner; cells: CellSpec[] } {
    const cells: CellSpec[] = [];
    const runner: CellRunner = (_target, cell) => {
      cells.push(cell);
      const result = {
        requested: rps,
        completeRequests: rps,
        failedRequests: 0,
        non2xx: 0,
        timeTakenS: 1,
        statusCounts: { '200': rps },
        serverSoftware: null,
        documentLength: null,
        latencyUs: { min: 100, mean: 500, p50: 400, p90: 800, p99: 1200, max: 2000 },
      } as unknown as CellResult;
      return Promise.resolve(result);
    };
    return { runner, cells };
  }
  const target = { host: '127.0.0.1', port: 1, path: '/', mode: 'close' as const };

  const runs: Array<{ cell: CellSpec; warmups: number }> = [
    { cell: { requests: 0, concurrency: 2, durationS: 1 }, warmups: 1 },
    { cell: { requests: 100, concurrency: 2 }, warmups: 2 },
  ];
  it.each(runs)('runs every run of $cell through the engine ($warmups warm-up run(s) a side)', async (row) => {
    expect(warmUpRuns(row.cell)).toBe(row.warmups);
    const { runner, cells } = recorder(3000);
    // A run "takes" no time here: minSampleMs 0 keeps the warm-up at its fewest runs.
    const m = await measureCell(
      [
        { name: 'a', target },
        { name: 'b', target },
      ],
      row.cell,
      { run: runner, minRounds: 3, maxRounds: 3, minSampleMs: 0 },
    );
    expect(cells).toHaveLength(2 * row.warmups + 2 * 3);
    expect(cells.every((c) => c === row.cell)).toBe(true);
    expect(m.rounds).toBe(3);
    expect(m.sides.map((s) => s.warmup.runs)).toEqual([row.warmups, row.warmups]);
    expect(m.sides[0]!.samples.map((s) => s.rps)).toEqual([3000, 3000, 3000]);
  });
});

describe('the load engine of a gate', () => {
  const run = (matrix: string, extra: { tls?: boolean; chunked?: boolean } = {}) => ({
    matrix: parseMatrix(matrix),
    tls: extra.tls ?? false,
    chunked: extra.chunked ?? false,
  });
  const problems: Array<{ name: string; engine: LoadEngine; run: ReturnType<typeof run>; problem: RegExp | null }> = [
    { name: 'the built-in engine takes any matrix', engine: { name: 'gauntlet' }, run: run('seed'), problem: null },
    { name: 'Locust takes whole seconds', engine: LOCUST, run: run('2s:1,10'), problem: null },
    {
      name: 'Locust names the cells of a number of requests',
      engine: LOCUST,
      run: run('2s:1;50:1,5'),
      problem: /has cells of a number of requests: n=50 c=1, n=50 c=5 \(give durations/,
    },
    {
      name: 'Locust refuses a fraction of a second',
      engine: LOCUST,
      run: run('1500ms:1'),
      problem: /whole seconds.*: 1\.5s c=1$/,
    },
    { name: 'Locust refuses TLS', engine: LOCUST, run: run('1s:1', { tls: true }), problem: /not run over TLS/ },
    { name: 'Locust refuses chunked bodies', engine: LOCUST, run: run('1s:1', { chunked: true }), problem: /chunked/ },
  ];
  it.each(problems)('$name', ({ engine, run: r, problem }) => {
    const found = gateEngineProblem(engine, r);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toMatch(problem);
  });

  const records: Array<{ engine: LoadEngine | undefined; record: object; sentence: RegExp | null }> = [
    { engine: undefined, record: { name: 'gauntlet' }, sentence: null },
    { engine: { name: 'gauntlet' }, record: { name: 'gauntlet' }, sentence: null },
    { engine: LOCUST, record: { name: 'locust', workers: 2 }, sentence: /^Load sent by Locust \(2 workers on this/ },
    {
      engine: { name: 'locust', placement: { workers: 1, master: { host: '10.0.0.1', port: 5557 } } },
      record: { name: 'locust', workers: 1, master: '10.0.0.1:5557' },
      sentence: /its master at 10\.0\.0\.1:5557, 1 worker elsewhere/,
    },
  ];
  it.each(records)('records $record, and the report says so', ({ engine, record, sentence }) => {
    const r = engineRecord(engine);
    expect(r).toEqual(record);
    const results = emptyGate();
    results.settings.engine = r;
    if (sentence === null) {
      expect(engineSentence(r)).toBeNull();
      expect(settingsLine(results)).not.toMatch(/Locust/);
    } else {
      expect(engineSentence(r)).toMatch(sentence);
      expect(settingsLine(results)).toMatch(/percentiles are Locust's, bucketed/);
    }
  });
});

describe('the vitest matchers on a duration cell', () => {
  const server = { name: 'a', host: '127.0.0.1', port: 1 };
  it('keep the duration of the cell they name', () => {
    expect(cellRef(server, { requests: 0, concurrency: 2, durationS: 1 }).cell).toEqual({
      requests: 0,
      concurrency: 2,
      durationS: 1,
    });
    expect(cellRef(server, { requests: 100, concurrency: 2 }).cell).toEqual({ requests: 100, concurrency: 2 });
  });

  it('refuse to compare cells of different durations, before measuring', async () => {
    const matcher = perfMatchers.toBeAtLeastAsFastAs.bind({ isNot: false } as never);
    await expect(
      matcher(
        cellRef(server, { requests: 0, concurrency: 2, durationS: 1 }),
        cellRef({ ...server, name: 'b' }, { requests: 0, concurrency: 2, durationS: 2 }),
      ),
    ).rejects.toThrow(/both sides must be the same cell, got 1s c=2 and 2s c=2/);
  });
});
