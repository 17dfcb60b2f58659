import { describe, expect, it } from 'vitest';
import {
  checkBound,
  comparePaired,
  compareToRuns,
  compareUnpaired,
  relativeWidth,
  roundCorrected,
} from '../../lib/perf/decide.ts';
import { decideRelative, familyFailures } from '../../lib/perf/evaluate.ts';
import { seededRandom } from '../../lib/perf/significance.ts';

/** Rounds of a simulated machine: a drift shared by both sides of a round, and noise of each run. */
function simulate(
  seed: number,
  rounds: number,
  ratio: number,
  opts: { drift?: number; noise?: number } = {},
): { a: number[]; b: number[] } {
  const rand = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const drift = opts.drift ?? 0.3;
  const noise = opts.noise ?? 0.08;
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const machine = Math.exp(drift * normal());
    b.push(5000 * machine * Math.exp(noise * normal()));
    a.push(5000 * ratio * machine * Math.exp(noise * normal()));
  }
  return { a, b };
}

describe('comparePaired (the two-part rule on interleaved rounds)', () => {
  it('calls a clear slowdown slower, with the ratio and an interval below the tolerance band', () => {
    const { a, b } = simulate(1, 30, 0.7);
    const v = comparePaired(a, b);
    expect(v.outcome).toBe('slower');
    expect(v.ratio).toBeGreaterThan(0.6);
    expect(v.ratio).toBeLessThan(0.8);
    expect(v.interval.hi).toBeLessThan(0.9);
    expect(v.p).toBeLessThan(0.05);
    expect(v.test).toBe('wilcoxon-signed-rank');
  });

  it('calls a clear speed-up faster', () => {
    const { a, b } = simulate(2, 30, 1.5);
    expect(comparePaired(a, b).outcome).toBe('faster');
  });

  it('calls equal servers within the tolerance, never faster or slower', () => {
    for (let seed = 10; seed < 60; seed++) {
      const { a, b } = simulate(seed, 40, 1);
      expect(['within', 'undecided']).toContain(comparePaired(a, b).outcome);
    }
  });

  it('never calls a significant 5% difference slower with a 10% tolerance', () => {
    for (let seed = 100; seed < 130; seed++) {
      const { a, b } = simulate(seed, 60, 0.95, { noise: 0.02 });
      const v = comparePaired(a, b);
      expect(v.outcome).not.toBe('slower');
    }
  });

  it('sees through a machine whose speed drifts threefold: the round correction removes it', () => {
    const { a, b } = simulate(3, 30, 0.8, { drift: 0.6, noise: 0.05 });
    const v = comparePaired(a, b);
    expect(v.outcome).toBe('slower');
    expect(relativeWidth(v.interval, v.ratio)).toBeLessThan(0.1);
  });

  it('scales the other side by a factor: a = 0.92 b holds "a >= 0.9 * b"', () => {
    const { a, b } = simulate(4, 40, 0.92, { noise: 0.03 });
    const v = comparePaired(a, b, { factor: 0.9 });
    expect(v.factor).toBe(0.9);
    expect(v.ratio).toBeGreaterThan(0.98);
    expect(v.outcome).not.toBe('slower');
  });

  it('rarely calls equal servers slower even from six rounds of very noisy data', () => {
    let slower = 0;
    for (let seed = 0; seed < 400; seed++) {
      const { a, b } = simulate(seed, 6, 1, { drift: 0.5, noise: 0.3 });
      if (comparePaired(a, b).outcome === 'slower') slower += 1;
    }
    // A gate measures such a comparison once more before it fails: the rate squared.
    expect(slower / 400).toBeLessThan(0.02);
  });

  it('keeps a side that completed nothing as very slow', () => {
    const v = comparePaired([0, 0, 0, 0, 0, 0, 0], [100, 110, 90, 105, 95, 100, 102]);
    expect(v.outcome).toBe('slower');
  });
});

describe('roundCorrected', () => {
  it('divides each round by its geometric mean', () => {
    const { a, b } = roundCorrected([200, 50], [50, 200]);
    expect(a[0]).toBeCloseTo(2);
    expect(b[0]).toBeCloseTo(0.5);
    expect(a[1]).toBeCloseTo(0.5);
  });
});

describe('compareToRuns (a current sample against a baseline of several runs)', () => {
  it('alerts on a regression and not on noise', () => {
    const rand = seededRandom(9);
    const run = (centre: number) => Array.from({ length: 12 }, () => centre * (1 + (rand() - 0.5) * 0.1));
    const runs = [run(1), run(1.02), run(0.98)];
    expect(compareToRuns(run(0.7), runs).outcome).toBe('slower');
    expect(['within', 'undecided']).toContain(compareToRuns(run(1), runs).outcome);
    expect(compareToRuns(run(1), runs).test).toBe('runs-t-prediction');
  });

  it('compares run medians, not pooled samples: a run like the baseline runs is not significant', () => {
    // Three baseline runs whose medians differ by +-8% (measured on different days), each of 40
    // tight samples; the current run sits 9% below their centre, as far as one of them does.
    const rand = seededRandom(21);
    const run = (centre: number) => Array.from({ length: 40 }, () => centre * (1 + (rand() - 0.5) * 0.02));
    const runs = [run(1), run(1.08), run(0.92)];
    const v = compareToRuns(run(0.91), runs, { tolerance: 0.05 });
    expect(v.p).toBeGreaterThan(0.05);
    expect(v.outcome).not.toBe('slower');
    // Pooling the samples, as the baseline test once did, calls it highly significant.
    expect(compareUnpaired(run(0.91), runs.flat()).p).toBeLessThan(0.001);
  });

  it('keeps the error rate of the run-level test at alpha when the current run is one more baseline run', () => {
    const rand = seededRandom(33);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const trials = 4000;
    let significant = 0;
    for (let t = 0; t < trials; t++) {
      // Each run's own level differs (sd 5% between runs), its samples are tight (1%).
      const run = () => {
        const level = Math.exp(0.05 * normal());
        return Array.from({ length: 12 }, () => level * Math.exp(0.01 * normal()));
      };
      const v = compareToRuns(run(), [run(), run(), run(), run(), run()]);
      if (v.p < 0.05) significant += 1;
    }
    expect(significant / trials).toBeGreaterThan(0.03);
    expect(significant / trials).toBeLessThan(0.07);
  });

  it('cannot call a regression from a single baseline run', () => {
    const v = compareToRuns([0.5, 0.5, 0.5], [[1, 1, 1.01]]);
    expect(v.p).toBeNaN();
    expect(v.outcome).toBe('undecided');
  });
});

describe('compareUnpaired', () => {
  it('decides on independent samples', () => {
    const rand = seededRandom(11);
    const a = Array.from({ length: 15 }, () => 100 + rand() * 5);
    const b = Array.from({ length: 15 }, () => 150 + rand() * 5);
    expect(compareUnpaired(a, b).outcome).toBe('slower');
  });
});

describe('checkBound (absolute thresholds on a noisy figure)', () => {
  it('passes when the median meets the bound', () => {
    expect(checkBound([10, 12, 11, 13, 9], '<', 20).outcome).toBe('pass');
  });
  it('fails only when the whole interval of the median misses it', () => {
    expect(checkBound([30, 32, 31, 33, 29, 30, 31], '<', 20).outcome).toBe('fail');
    expect(checkBound([18, 25, 19, 26, 22, 21, 23], '<', 20).outcome).toBe('borderline');
  });
  it('does not soften equality bounds', () => {
    expect(checkBound([1, 0, 0], '==', 0).outcome).toBe('pass');
    expect(checkBound([1, 1, 0], '==', 0).outcome).toBe('fail');
  });
});

describe('decideRelative and familyFailures (a cell from its measurements, a claim from its cells)', () => {
  const v = (outcome: 'faster' | 'slower' | 'within' | 'undecided', p = 0.01) => ({
    outcome,
    ratio: 1,
    interval: { lo: 0.9, hi: 1.1, confidence: 0.95 },
    p,
    test: 'wilcoxon-signed-rank' as const,
    medianA: 1,
    medianB: 1,
    factor: 1,
    tolerance: 0.1,
    alpha: 0.05,
    n: 20,
  });
  it('passes a ">" claim only on a full "faster" verdict: an undecided second look does not', () => {
    expect(decideRelative('>', [v('undecided', 0.2), v('undecided', 0.001)]).pass).toBe(false);
    expect(decideRelative('>', [v('within'), v('faster')]).pass).toBe(true);
    expect(decideRelative('>', [v('faster')]).pass).toBe(true);
  });
  it('fails a ">=" claim only when every measurement says slower, with the larger p for the correction', () => {
    expect(decideRelative('>=', [v('slower', 0.001), v('undecided', 0.2)])).toEqual({ pass: true, familyP: 1 });
    expect(decideRelative('>=', [v('slower', 0.001), v('slower', 0.004)])).toEqual({ pass: false, familyP: 0.004 });
  });
  it("keeps a cell's failure only when it survives Holm's correction over the claim's cells", () => {
    // Eleven cells, one failing at p = 0.01: 0.01 x 11 > 0.05, not a failure; at 0.001 it is.
    const ps = (p: number) => [p, ...Array.from({ length: 10 }, () => 1)];
    expect(familyFailures(ps(0.01), 0.05).fails[0]).toBe(false);
    expect(familyFailures(ps(0.001), 0.05).fails[0]).toBe(true);
    expect(familyFailures(ps(0.001), 0.05).adjusted[0]).toBeCloseTo(0.011, 10);
  });
});
