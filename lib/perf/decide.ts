/**
 * The decision rule of perf gates: a difference counts only when a significance test says so
 * AND it lies beyond a stated tolerance (the two-part rule criterion.rs uses: a p-value under
 * the significance level, and a confidence interval of the change entirely outside the noise
 * band). Everything else is either "within tolerance" (the interval lies inside the band) or
 * "undecided" (the interval crosses an edge of the band: more runs would be needed).
 */
import { median } from '../stats.ts';
import {
  bootstrapMedian,
  bootstrapRatioOfMedians,
  mannWhitneyU,
  medianInterval,
  studentQuantile,
  studentTwoSidedP,
  wilcoxonSignedRank,
  type Interval,
} from './significance.ts';

/** Default tolerance: differences under 10% are noise on this kind of machine. */
export const DEFAULT_TOLERANCE = 0.1;
/** Default significance level of the rank tests (two-sided). */
export const DEFAULT_ALPHA = 0.05;
/** Default confidence of the intervals. */
export const DEFAULT_CONFIDENCE = 0.95;

/**
 * - faster / slower: significant, and the whole interval of the ratio beyond the tolerance;
 * - within: the whole interval inside the tolerance band;
 * - undecided: neither (too few runs for this much noise, or a difference near the tolerance).
 */
export type Outcome = 'faster' | 'slower' | 'within' | 'undecided';

export interface DecisionOptions {
  tolerance?: number;
  alpha?: number;
  confidence?: number;
}

export interface RatioVerdict {
  outcome: Outcome;
  /**
   * a over factor * b: above 1, a is faster (for a higher-is-better figure). For paired samples
   * the ratio of the medians of the round-corrected figures; otherwise of the raw medians.
   */
  ratio: number;
  interval: Interval;
  /** Two-sided p-value of the rank test named in `test`. */
  p: number;
  /**
   * wilcoxon-signed-rank: paired rounds; mann-whitney-u: independent samples; runs-t-prediction:
   * one run against the medians of earlier runs (a baseline).
   */
  test: 'wilcoxon-signed-rank' | 'mann-whitney-u' | 'runs-t-prediction';
  /** Rounds (paired), the two sample sizes, or the baseline runs (runs-t-prediction). */
  medianA: number;
  medianB: number;
  /** The factor b was scaled by (claims such as `a >= 0.9 * b`); 1 for a plain comparison. */
  factor: number;
  tolerance: number;
  alpha: number;
  n: number;
}

function classify(ratio: number, interval: Interval, p: number, tolerance: number, alpha: number): Outcome {
  const significant = p < alpha;
  // The small epsilon keeps an interval edge at exactly 1 - tolerance (after rounding) inside the band.
  if (significant && interval.hi < 1 - tolerance - 1e-12) return 'slower';
  if (significant && interval.lo > 1 + tolerance + 1e-12) return 'faster';
  if (Number.isFinite(ratio) && interval.lo >= 1 - tolerance - 1e-12 && interval.hi <= 1 + tolerance + 1e-12)
    return 'within';
  return 'undecided';
}

/** Logarithms, with a side that completed nothing (0 requests/s) kept as very slow rather than dropped. */
function logs(values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => Math.log(Math.max(v, 1e-9)));
}

/**
 * Each round's figures divided by the round's geometric mean: what is left once the round's own
 * speed (the machine's load at that moment, shared by every side of the round) is taken out.
 * For two sides, a[i] / g[i] = sqrt(a[i] / b[i]) and b[i] / g[i] = sqrt(b[i] / a[i]).
 */
export function roundCorrected(a: ArrayLike<number>, b: ArrayLike<number>): { a: number[]; b: number[] } {
  const ca: number[] = [];
  const cb: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = Math.max(a[i]!, 1e-9);
    const y = Math.max(b[i]!, 1e-9);
    const g = Math.sqrt(x * y);
    ca.push(x / g);
    cb.push(y / g);
  }
  return { a: ca, b: cb };
}

/**
 * Compares two samples of a higher-is-better figure (requests per second) measured in rounds:
 * a[i] and b[i] were taken next to each other.
 * - The ratio is the ratio of the medians of the round-corrected figures (see roundCorrected):
 *   on a shared machine whose speed drifts from one second to the next, the medians of the raw
 *   figures can come from rounds measured at different speeds, which widens their ratio's
 *   interval two- to threefold; the correction removes what both sides of a round shared.
 *   (For an odd number of rounds it equals the median of the per-round ratios a[i] / b[i].)
 * - The interval is the distribution-free interval of the median of the per-round log ratios
 *   (the sign test's, medianInterval): at least 95% coverage whatever the number of rounds.
 * - The test is the Wilcoxon signed-rank test on log(a[i] / (factor * b[i])).
 * medianA and medianB are the raw medians, for the report.
 */
export function comparePaired(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: DecisionOptions & { factor?: number } = {},
): RatioVerdict {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const factor = options.factor ?? 1;
  if (a.length !== b.length) throw new Error(`paired samples differ in size (${a.length} and ${b.length})`);
  const la = logs(a);
  const lb = logs(b);
  const shift = Math.log(factor);
  const d = la.map((x, i) => x - lb[i]!);
  const test = wilcoxonSignedRank(d.map((x) => x - shift));
  // The ratio of the medians of the round-corrected figures is exp(median of the log ratios):
  // a round's corrected figures are exp(d / 2) and exp(-d / 2), both monotone in d, so their
  // medians come from the same middle rounds (for an even count too: (e^x + e^y) / (e^-x + e^-y)
  // is e^(x + y)). Its interval is the distribution-free one of a median (medianInterval), over
  // whole rounds.
  const logInterval = medianInterval(d, confidence);
  const interval = { lo: Math.exp(logInterval.lo) / factor, hi: Math.exp(logInterval.hi) / factor, confidence };
  const ratio = Math.exp(median(d)) / factor;
  return {
    outcome: classify(ratio, interval, test.p, tolerance, alpha),
    ratio,
    interval,
    p: test.p,
    test: 'wilcoxon-signed-rank',
    medianA: median(a),
    medianB: median(b),
    factor,
    tolerance,
    alpha,
    n: a.length,
  };
}

/**
 * Compares a current run with a reference made of earlier runs (a baseline), run against run:
 * the unit is the run, not the sample. Samples of one run were measured minutes apart from
 * those of another, on a machine whose other work had changed, so samples pooled across runs are
 * not independent draws of one distribution, and a test that treats them so (Mann-Whitney U on
 * the pooled samples, as gates did before) gives p-values far too small.
 *
 * - Each run is reduced to its median; the reference is the geometric mean of the baseline runs'
 *   medians, and the ratio is median(current) / that.
 * - The test asks whether the current run's median could be one more run of the baseline: a
 *   Student t prediction test on the log medians, t = (log x - mean) / (s sqrt(1 + 1/k)) with
 *   k - 1 degrees of freedom (k baseline runs, s their standard deviation). It needs k >= 2; with
 *   one run there is no spread between runs to compare with, and p is NaN (never significant).
 * - The interval is the matching prediction interval of the ratio.
 * Few runs give a wide interval (k = 3: t = 4.30 at 95%), which is what few runs can show.
 */
export function compareToRuns(
  current: ArrayLike<number>,
  runs: ReadonlyArray<ArrayLike<number>>,
  options: DecisionOptions = {},
): RatioVerdict {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const medians = runs.filter((r) => r.length > 0).map((r) => median(r));
  const logs = medians.map((m) => Math.log(Math.max(m, 1e-12)));
  const k = logs.length;
  const medianA = current.length > 0 ? median(current) : NaN;
  const meanLog = k > 0 ? logs.reduce((s, v) => s + v, 0) / k : NaN;
  const ratio = medianA / Math.exp(meanLog);
  let p = NaN;
  let interval: Interval = { lo: NaN, hi: NaN, confidence };
  if (k >= 2 && ratio > 0) {
    const sd = Math.sqrt(logs.reduce((s, v) => s + (v - meanLog) ** 2, 0) / (k - 1));
    const scale = sd * Math.sqrt(1 + 1 / k);
    const d = Math.log(ratio);
    p = scale > 0 ? studentTwoSidedP(d / scale, k - 1) : d === 0 ? 1 : 0;
    const half = studentQuantile(confidence, k - 1) * scale;
    interval = { lo: Math.exp(d - half), hi: Math.exp(d + half), confidence };
  } else if (k === 1 && ratio > 0) {
    // One run: no spread between runs to compare with. The interval is infinite, the verdict
    // "undecided"; the report says one run cannot show how much runs differ.
    interval = { lo: 0, hi: Infinity, confidence };
  }
  return {
    outcome: classify(ratio, interval, Number.isNaN(p) ? 1 : p, tolerance, alpha),
    ratio,
    interval,
    p,
    test: 'runs-t-prediction',
    medianA,
    medianB: k > 0 ? Math.exp(meanLog) : NaN,
    factor: 1,
    tolerance,
    alpha,
    n: k,
  };
}

/** Compares two independent samples (no rounds): Mann-Whitney U and an unpaired bootstrap. */
export function compareUnpaired(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: DecisionOptions & { factor?: number } = {},
): RatioVerdict {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const factor = options.factor ?? 1;
  const scaled = Array.from(b, (v) => v * factor);
  const test = mannWhitneyU(a, scaled);
  const raw = bootstrapRatioOfMedians(a, b, { confidence });
  const interval = { lo: raw.lo / factor, hi: raw.hi / factor, confidence };
  const medianA = median(a);
  const medianB = median(b);
  return {
    outcome: classify(medianA / (factor * medianB), interval, test.p, tolerance, alpha),
    ratio: medianA / (factor * medianB),
    interval,
    p: test.p,
    test: 'mann-whitney-u',
    medianA,
    medianB,
    factor,
    tolerance,
    alpha,
    n: a.length + b.length,
  };
}

/** Relative width of an interval around a ratio: (hi - lo) / ratio. */
export function relativeWidth(interval: Interval, centre: number): number {
  if (!(centre > 0)) return Infinity;
  const w = (interval.hi - interval.lo) / centre;
  return Number.isFinite(w) ? w : Infinity;
}

export type BoundOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface BoundVerdict {
  /** pass: the median meets the bound, or misses it without significance; fail: the whole interval misses it. */
  outcome: 'pass' | 'fail' | 'borderline';
  median: number;
  interval: Interval;
}

export function holds(value: number, op: BoundOp, bound: number): boolean {
  switch (op) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
    case '==':
      return value === bound;
    case '!=':
      return value !== bound;
  }
}

/**
 * An absolute bound on a noisy figure (`rps > 500`, `p(99) < 20ms`), checked on the median of
 * the samples: it fails only when the whole confidence interval of the median misses the bound;
 * a median that misses it while the interval still reaches it is "borderline" (reported, passes).
 */
export function checkBound(
  values: ArrayLike<number>,
  op: BoundOp,
  bound: number,
  confidence = DEFAULT_CONFIDENCE,
): BoundVerdict {
  const m = median(values);
  const interval = bootstrapMedian(values, { confidence });
  if (holds(m, op, bound)) return { outcome: 'pass', median: m, interval };
  // Equality bounds on a continuous figure cannot be softened by an interval.
  if (op === '==' || op === '!=') return { outcome: 'fail', median: m, interval };
  const wholeMisses = !holds(interval.lo, op, bound) && !holds(interval.hi, op, bound);
  return { outcome: wholeMisses ? 'fail' : 'borderline', median: m, interval };
}
