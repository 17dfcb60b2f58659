import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  bootstrapMedian,
  bootstrapRatioOfMedians,
  bootstrapRatioToMedianOfMedians,
  holmAdjust,
  mannWhitneyU,
  medianInterval,
  normalCdf,
  rankWithTies,
  seededRandom,
  studentQuantile,
  studentTwoSidedP,
  wilcoxonSignedRank,
} from '../../lib/perf/significance.ts';

describe('normalCdf', () => {
  it('matches the standard normal table', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1.644854)).toBeCloseTo(0.05, 6);
    expect(normalCdf(3)).toBeCloseTo(0.99865, 5);
    expect(normalCdf(Infinity)).toBe(1);
    expect(normalCdf(-Infinity)).toBe(0);
  });
});

describe('rankWithTies', () => {
  it('gives tied values the mean of their ranks and counts the tie term', () => {
    const { ranks, tieTerm } = rankWithTies([10, 20, 20, 30, 20]);
    expect([...ranks]).toEqual([1, 3, 3, 5, 3]);
    expect(tieTerm).toBe(3 * 3 * 3 - 3);
  });
});

describe('mannWhitneyU', () => {
  it('gives the exact two-sided p-value for small samples without ties', () => {
    // Completely separated samples: U = 0, p = 2 / C(n + m, n).
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6])).toMatchObject({ statistic: 0, exact: true });
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6]).p).toBeCloseTo(2 / 20, 12);
    expect(mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p).toBeCloseTo(2 / 252, 12);
    expect(mannWhitneyU([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])).toMatchObject({ statistic: 25 });
  });

  it('matches a published example (scipy.stats.mannwhitneyu, exact)', () => {
    // scipy: mannwhitneyu([19, 22, 16, 29, 24], [20, 11, 17, 12], method='exact') -> U = 17, p = 0.1111...
    const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(r.statistic).toBe(17);
    expect(r.p).toBeCloseTo(0.111111, 5);
  });

  it('falls back to the normal approximation with ties', () => {
    const r = mannWhitneyU([1, 2, 2, 3, 4], [2, 3, 5, 6, 7]);
    expect(r.exact).toBe(false);
    expect(r.p).toBeGreaterThan(0.05);
    expect(r.p).toBeLessThanOrEqual(1);
  });

  it('is symmetric in its samples and gives p in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 25 }),
        fc.array(fc.double({ min: 1, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 25 }),
        (a, b) => {
          const ab = mannWhitneyU(a, b);
          const ba = mannWhitneyU(b, a);
          expect(ab.p).toBeGreaterThanOrEqual(0);
          expect(ab.p).toBeLessThanOrEqual(1);
          expect(ab.p).toBeCloseTo(ba.p, 9);
          expect(ab.statistic + ba.statistic).toBeCloseTo(a.length * b.length, 9);
        },
      ),
    );
  });

  it('agrees with the normal approximation for moderate samples', () => {
    const rand = seededRandom(7);
    const a = Array.from({ length: 20 }, () => rand());
    const b = Array.from({ length: 20 }, () => rand() + 0.2);
    const exact = mannWhitneyU(a, b);
    expect(exact.exact).toBe(true);
    const sd = Math.sqrt((20 * 20 * 41) / 12);
    const z = (Math.abs(exact.statistic - 200) - 0.5) / sd;
    expect(exact.p).toBeCloseTo(2 * (1 - normalCdf(z)), 2);
  });
});

describe('wilcoxonSignedRank', () => {
  it('gives the exact two-sided p-value: 2 / 2^n when every difference has the same sign', () => {
    expect(wilcoxonSignedRank([1, 2, 3, 4, 5, 6]).p).toBeCloseTo(2 / 64, 12);
    // Five pairs can never reach p < 0.05: why gates take at least six rounds.
    expect(wilcoxonSignedRank([1, 2, 3, 4, 5]).p).toBeCloseTo(2 / 32, 12);
  });

  it("matches Wilcoxon's own example (scipy.stats.wilcoxon docs)", () => {
    const d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];
    const r = wilcoxonSignedRank(d);
    expect(r.statistic).toBe(96);
    expect(r.exact).toBe(true);
    expect(r.p).toBeCloseTo(0.041259765625, 10);
  });

  it('drops zero differences and handles ties with the normal approximation', () => {
    expect(wilcoxonSignedRank([0, 0, 0]).p).toBe(1);
    const r = wilcoxonSignedRank([1, 1, 2, 2, -1, 3, 3, 4, 0]);
    expect(r.n).toBe(8);
    expect(r.exact).toBe(false);
  });

  it('is symmetric: negating every difference leaves p unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 30 }), (d) => {
        expect(wilcoxonSignedRank(d).p).toBeCloseTo(wilcoxonSignedRank(d.map((x) => -x)).p, 9);
      }),
    );
  });
});

describe('bootstrap intervals', () => {
  it('are a function of the data alone (seeded)', () => {
    const a = [10, 12, 11, 13, 9, 10, 12];
    const b = [20, 21, 19, 22, 18, 20, 23];
    expect(bootstrapRatioOfMedians(a, b)).toEqual(bootstrapRatioOfMedians(a, b));
    expect(bootstrapMedian(a)).toEqual(bootstrapMedian(a));
  });

  it('contain the ratio of medians', () => {
    const rand = seededRandom(3);
    const a = Array.from({ length: 15 }, () => 100 + rand() * 20);
    const b = Array.from({ length: 15 }, () => 80 + rand() * 20);
    const ci = bootstrapRatioOfMedians(a, b);
    const med = (x: number[]) => [...x].sort((p, q) => p - q)[7]!;
    expect(ci.lo).toBeLessThanOrEqual(med(a) / med(b));
    expect(ci.hi).toBeGreaterThanOrEqual(med(a) / med(b));
  });

  it('resample rounds whole when paired: a drift shared by both sides stays out of the interval', () => {
    // Both sides move together from round to round by up to 3x; a is always 0.8 of b.
    const drift = [1, 3, 1.5, 2.5, 0.8, 2, 1.2, 2.8, 1.1, 2.2];
    const b = drift.map((d) => 1000 * d);
    const a = b.map((x) => 0.8 * x);
    const paired = bootstrapRatioOfMedians(a, b, { paired: true });
    const unpaired = bootstrapRatioOfMedians(a, b);
    expect(paired.hi - paired.lo).toBeLessThan(unpaired.hi - unpaired.lo);
  });

  it('compare with the median of several runs', () => {
    const runs = [
      [100, 102, 98, 101],
      [110, 108, 112, 109],
      [95, 97, 96, 94],
    ];
    const ci = bootstrapRatioToMedianOfMedians([100, 101, 99, 100, 102], runs);
    expect(ci.lo).toBeLessThan(1.01);
    expect(ci.hi).toBeGreaterThan(0.95);
    expect(bootstrapRatioToMedianOfMedians([], runs).lo).toBeNaN();
  });
});

describe('medianInterval (the sign test interval of a median)', () => {
  it('takes the order statistics the binomial distribution gives', () => {
    const ten = [5, 1, 9, 3, 7, 2, 8, 4, 10, 6];
    // n = 10: P(Bin(10, 1/2) <= 1) = 11/1024 <= 0.025 < P(<= 2) = 56/1024: the 2nd smallest and largest.
    expect(medianInterval(ten)).toEqual({ lo: 2, hi: 9, confidence: 0.95 });
    expect(medianInterval([1, 2, 3, 4, 5])).toEqual({ lo: -Infinity, hi: Infinity, confidence: 0.95 });
    expect(medianInterval([1, 2, 3, 4, 5, 6]).lo).toBe(1);
  });

  it('covers the true median at least 95% of the time, even with 10 values', () => {
    const rand = seededRandom(5);
    let covered = 0;
    for (let t = 0; t < 4000; t++) {
      const v = Array.from({ length: 10 }, () => Math.log(rand() / (1 - rand() + 1e-12) + 1e-12));
      const ci = medianInterval(v);
      // The median of log(u / (1 - u')) for independent uniforms is 0.
      if (ci.lo <= 0 && ci.hi >= 0) covered += 1;
    }
    expect(covered / 4000).toBeGreaterThanOrEqual(0.95);
  });
});

describe('holmAdjust', () => {
  it("matches Holm's step-down adjustment (R: p.adjust(p, 'holm'))", () => {
    // p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.030 0.060 0.060 0.020
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    expect(adjusted.map((p) => Number(p.toFixed(3)))).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(holmAdjust([0.5, NaN])).toEqual([0.5, NaN]);
  });
});

describe('Student t', () => {
  it('gives the two-sided p-values and quantiles of the tables', () => {
    expect(studentTwoSidedP(12.706, 1)).toBeCloseTo(0.05, 4);
    expect(studentTwoSidedP(4.303, 2)).toBeCloseTo(0.05, 4);
    expect(studentTwoSidedP(2.776, 4)).toBeCloseTo(0.05, 4);
    expect(studentTwoSidedP(2.571, 5)).toBeCloseTo(0.05, 4);
    expect(studentTwoSidedP(0, 3)).toBe(1);
    expect(studentQuantile(0.95, 2)).toBeCloseTo(4.303, 3);
    expect(studentQuantile(0.95, 4)).toBeCloseTo(2.776, 3);
    expect(() => studentTwoSidedP(1, 0)).toThrow(/whole number >= 1, got 0/);
  });
});
