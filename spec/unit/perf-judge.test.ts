/**
 * The gate's judges on made-up measurements, case by case: each kind of claim and the baseline
 * comparison, from the first measurement alone and with a second look, with no server running.
 */
import { describe, expect, it } from 'vitest';
import { parseClaim, type AbsoluteClaim, type RelativeClaim } from '../../lib/perf/claims.ts';
import { judgeRelative } from '../../lib/perf/claim-kinds/relative.ts';
import { judgeAbsolute } from '../../lib/perf/claim-kinds/absolute.ts';
import { judgeRegression, type RegressionSubject } from '../../lib/perf/regression.ts';
import type { CellContext, CellLooks } from '../../lib/perf/claim-kinds/kind.ts';
import { baselineMachine, type BaselineRun } from '../../lib/perf/baseline.ts';
import { mergeMeasurements, type SideSamples } from '../../lib/perf/sampler.ts';
import { YARDSTICK, type GateMeasurement } from '../../lib/perf/types.ts';
import { around, gateMeasurement, MACHINE, sideOf } from './helpers/perf-fixtures.ts';

const CONTEXT: CellContext = {
  place: { mode: 'close', group: 0, requests: 100, concurrency: 10 },
  at: 'c=10',
  settings: { tolerance: 0.1, alpha: 0.05, confidence: 0.95 },
};

/** The looks of a cell: the first measurement, and a second one when given (both merged as the gate does). */
function looksOf(first: SideSamples[], second?: SideSamples[], noTime = false): CellLooks {
  const m0 = gateMeasurement(first);
  const m1 = second ? gateMeasurement(second, undefined, 1) : null;
  const both: GateMeasurement | null = m1
    ? { ...mergeMeasurements(m0, m1), mode: 'close', group: 0, attempt: 1 }
    : null;
  return { first: m0, second: m1, both, noTime };
}

const relative = (text: string) => parseClaim(text) as RelativeClaim;
const absolute = (text: string) => parseClaim(text) as AbsoluteClaim;

describe('judgeRelative', () => {
  const cases: Array<{
    name: string;
    claim: string;
    looks: CellLooks;
    status: string;
    outcome: string;
    verdicts: number;
    failed?: boolean;
    note?: RegExp;
    reason?: RegExp;
  }> = [
    {
      name: 'a clearly faster holds',
      claim: 'a >= b',
      looks: looksOf([sideOf('a', around(2000)), sideOf('b', around(1000, 12, 2))]),
      status: 'pass',
      outcome: 'faster',
      verdicts: 1,
    },
    {
      name: 'equal figures are within the tolerance',
      claim: 'a >= b',
      looks: looksOf([sideOf('a', around(1000)), sideOf('b', around(1000))]),
      status: 'pass',
      outcome: 'within',
      verdicts: 1,
    },
    {
      name: 'a clearly slower fails',
      claim: 'a >= b',
      looks: looksOf([sideOf('a', around(500)), sideOf('b', around(1000, 12, 2))]),
      status: 'fail',
      outcome: 'slower',
      verdicts: 1,
      failed: true,
    },
    {
      name: 'a slower first look that all the rounds contradict passes',
      claim: 'a >= b',
      looks: looksOf(
        [sideOf('a', around(800)), sideOf('b', around(1000, 12, 2))],
        [sideOf('a', around(1300, 30, 3)), sideOf('b', around(1000, 30, 4))],
      ),
      status: 'pass',
      outcome: 'faster',
      verdicts: 2,
      note: /measured once more/,
    },
    {
      name: 'no time for a second look says so',
      claim: 'a >= b',
      looks: looksOf([sideOf('a', around(500)), sideOf('b', around(1000, 12, 2))], undefined, true),
      status: 'fail',
      outcome: 'slower',
      verdicts: 1,
      failed: true,
      note: /left no time/,
    },
    {
      name: '"faster" needs more than the tolerance',
      claim: 'a > b',
      looks: looksOf([sideOf('a', around(1000)), sideOf('b', around(1000))]),
      status: 'fail',
      outcome: 'within',
      verdicts: 1,
    },
    {
      name: 'failed requests fail a claim between servers',
      claim: 'a >= b',
      looks: looksOf([sideOf('a', around(2000), { failed: 3 }), sideOf('b', around(1000))]),
      status: 'fail',
      outcome: 'undecided',
      verdicts: 0,
      reason: /a failed .* requests at c=10/,
    },
    {
      name: '"allowing failures" compares anyway',
      claim: 'a >= b allowing failures',
      looks: looksOf([sideOf('a', around(2000), { failed: 3 }), sideOf('b', around(1000, 12, 2))]),
      status: 'pass',
      outcome: 'faster',
      verdicts: 1,
    },
    {
      name: 'a measurement with no round is not compared',
      claim: 'a >= b',
      looks: looksOf([sideOf('a', []), sideOf('b', [])]),
      status: 'error',
      outcome: 'undecided',
      verdicts: 0,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { cell, familyP } = judgeRelative(relative(c.claim), c.looks, CONTEXT);
      expect(cell.status).toBe(c.status);
      expect(cell.outcome).toBe(c.outcome);
      expect(cell.verdicts?.length ?? 0).toBe(c.verdicts);
      expect(cell).toMatchObject(CONTEXT.place);
      if (c.verdicts > 0)
        expect(familyP === undefined ? 'none' : familyP < 1 ? 'weighed' : 'passed').toBe(
          c.failed ? 'weighed' : 'passed',
        );
      if (c.note) expect(cell.notes.join(' ')).toMatch(c.note);
      if (c.reason) expect(cell.reason).toMatch(c.reason);
    });
  }
});

describe('judgeAbsolute', () => {
  const cases: Array<{
    name: string;
    claim: string;
    looks: CellLooks;
    status: string;
    outcome: string;
    count?: number;
    bounds?: number;
    reason?: RegExp;
  }> = [
    {
      name: 'no failed request holds',
      claim: 'failed == 0',
      looks: looksOf([sideOf('a', around(1000))]),
      status: 'pass',
      outcome: 'pass',
      count: 0,
    },
    {
      name: 'counts add both measurements',
      claim: 'failed <= 30',
      looks: looksOf([sideOf('a', around(1000, 2), { failed: 10 })], [sideOf('a', around(1000, 2), { failed: 6 })]),
      status: 'fail',
      outcome: 'fail',
      count: 32,
    },
    {
      name: 'a latency well under its bound holds',
      claim: 'p(99) < 20ms',
      looks: looksOf([sideOf('a', around(1000))]),
      status: 'pass',
      outcome: 'pass',
      bounds: 1,
    },
    {
      name: "a p(99.9) over its bound fails, read from the samples' p99.9",
      claim: 'p(99.9) < 1.5ms',
      looks: looksOf([sideOf('a', around(1000))]),
      status: 'fail',
      outcome: 'fail',
      bounds: 1,
    },
    {
      name: 'a p(99.9) under its bound holds',
      claim: 'p(99.9) < 1.7ms',
      looks: looksOf([sideOf('a', around(1000))]),
      status: 'pass',
      outcome: 'pass',
      bounds: 1,
    },
    {
      name: 'a rate well under its bound fails',
      claim: 'rps > 5000',
      looks: looksOf([sideOf('a', around(1000))]),
      status: 'fail',
      outcome: 'fail',
      bounds: 1,
    },
    {
      name: 'a second look that meets the bound passes',
      claim: 'rps > 1500',
      looks: looksOf([sideOf('a', around(1000))], [sideOf('a', around(3000, 12, 5))]),
      status: 'pass',
      outcome: 'pass',
      bounds: 2,
    },
    {
      name: 'a noisy metric with no sample fails, saying why',
      claim: 'rps > 10',
      looks: looksOf([sideOf('a', [])]),
      status: 'fail',
      outcome: 'fail',
      reason: /a was not measured at c=10/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { cell } = judgeAbsolute(absolute(c.claim), 'a', c.looks, CONTEXT);
      expect(cell).toMatchObject({ ...CONTEXT.place, server: 'a', status: c.status, outcome: c.outcome });
      expect(cell.count).toBe(c.count);
      expect(cell.bounds?.length).toBe(c.bounds);
      if (c.reason) expect(cell.reason).toMatch(c.reason);
    });
  }
});

describe('judgeRegression', () => {
  const here = baselineMachine(MACHINE);
  const run = (normalised: number, machine = here): BaselineRun => ({
    savedAt: '2026-01-01T00:00:00.000Z',
    machine,
    normalised: around(normalised, 12, 7),
    rps: around(normalised * 1000, 12, 7),
    yardstickRps: around(1000, 12, 7),
    batch: 1,
  });
  const subject = (runs: BaselineRun[]): RegressionSubject => ({
    server: 'a',
    runs,
    machine: here,
    settings: { alert: 0.1, fail: 0.25, alpha: 0.05, confidence: 0.95 },
  });
  const yard = (n = 12) => sideOf(YARDSTICK, around(1000, n, 9));
  const elsewhere = { ...here, cpuModel: 'Other CPU' };
  const cases: Array<{
    name: string;
    runs: BaselineRun[];
    looks: CellLooks;
    level: string | null;
    verdicts?: number;
    note?: RegExp;
  }> = [
    {
      name: 'the same speed is within',
      runs: [run(1), run(1), run(1)],
      looks: looksOf([sideOf('a', around(1000, 12, 3)), yard()]),
      level: 'within',
      verdicts: 1,
    },
    {
      name: 'half the speed fails with enough runs',
      runs: [run(1), run(1), run(1)],
      looks: looksOf([sideOf('a', around(500, 12, 3)), yard()]),
      level: 'fail',
      verdicts: 1,
    },
    {
      name: 'a failure needs enough runs',
      runs: [run(1), run(1)],
      looks: looksOf([sideOf('a', around(500, 12, 3)), yard()]),
      level: 'alert',
      verdicts: 1,
      note: /2 of the 3 runs/,
    },
    {
      name: 'other hardware raises an alert at most',
      runs: [run(1, elsewhere), run(1, elsewhere), run(1, elsewhere)],
      looks: looksOf([sideOf('a', around(500, 12, 3)), yard()]),
      level: 'alert',
      verdicts: 1,
      note: /other hardware/,
    },
    {
      name: 'a failure all the rounds contradict is lowered',
      runs: [run(1), run(1), run(1)],
      looks: looksOf([sideOf('a', around(500, 12, 3)), yard()], [sideOf('a', around(1100, 40, 4)), yard(40)]),
      level: 'within',
      verdicts: 2,
    },
    {
      name: 'no yardstick sample: nothing to compare',
      runs: [run(1)],
      looks: looksOf([sideOf('a', around(1000)), sideOf(YARDSTICK, [])]),
      level: null,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = judgeRegression(subject(c.runs), c.looks, CONTEXT.place);
      if (c.level === null) {
        expect(result).toBeNull();
        return;
      }
      expect(result).toMatchObject({ server: 'a', ...CONTEXT.place, level: c.level, baselineRuns: c.runs.length });
      expect(result!.verdicts).toHaveLength(c.verdicts!);
      if (c.note) expect(result!.notes.join(' ')).toMatch(c.note);
    });
  }
});
