/**
 * Significance tests and confidence intervals for repeated measurements: the statistics behind
 * perf gates. Pure functions, no dependencies.
 *
 * - Mann-Whitney U (two independent samples) and the Wilcoxon signed-rank test (paired samples),
 *   exact when the samples are small and have no ties, otherwise the normal approximation with
 *   tie and continuity corrections. Both are rank tests: one outlier run cannot carry them, which
 *   matters on a machine where a run now and then takes twice as long.
 * - Percentile bootstrap intervals, with a seeded generator so that the same data always give
 *   the same interval (a gate must not change its mind when re-run on the same results.json).
 */
import { sortAscending } from '../stats.ts';

/** Result of a two-sided rank test. */
export interface TestResult {
  /** The statistic: U of the first sample, or W+ (sum of the ranks of the positive differences). */
  statistic: number;
  /** Two-sided p-value. */
  p: number;
  /** Whether p was computed from the exact null distribution (else the normal approximation). */
  exact: boolean;
  /** Pairs or observations used (for the signed-rank test, non-zero differences). */
  n: number;
}

/** Above this many possible outcomes' worth of work the exact distributions give way to the normal approximation. */
const EXACT_LIMIT = 60;

/** The standard normal cumulative distribution function (Abramowitz-Stegun 7.1.26 via erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  if (!Number.isFinite(z)) return z > 0 ? 1 : 0;
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * Ranks of the values (1-based), ties given the mean of their ranks, and the tie correction
 * term sum(t^3 - t) over groups of t tied values.
 */
export function rankWithTies(values: ArrayLike<number>): { ranks: Float64Array; tieTerm: number } {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => values[i]! - values[j]!);
  const ranks = new Float64Array(n);
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && values[order[j]!]! === values[order[i]!]!) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) ranks[order[k]!] = rank;
    const t = j - i;
    if (t > 1) tieTerm += t * t * t - t;
    i = j;
  }
  return { ranks, tieTerm };
}

/** Null distribution of U for sample sizes n and m without ties: counts of each U in 0..n*m, as probabilities. */
function mannWhitneyDistribution(n: number, m: number): Float64Array {
  // f[j][u]: number of arrangements of i x's and j y's with U = u, built up over i.
  // Recurrence: f(i, j, u) = f(i - 1, j, u - j) + f(i, j - 1, u).
  let prev: Float64Array[] = Array.from({ length: m + 1 }, () => {
    const row = new Float64Array(n * m + 1);
    row[0] = 1;
    return row;
  });
  for (let i = 1; i <= n; i++) {
    const cur: Float64Array[] = [];
    for (let j = 0; j <= m; j++) {
      const row = new Float64Array(n * m + 1);
      const fromX = prev[j]!;
      const fromY = j > 0 ? cur[j - 1]! : null;
      for (let u = 0; u <= i * j; u++) {
        row[u] = (u >= j ? fromX[u - j]! : 0) + (fromY ? fromY[u]! : 0);
      }
      cur.push(row);
    }
    prev = cur;
  }
  const counts = prev[m]!;
  let total = 0;
  for (const c of counts) total += c;
  return counts.map((c) => c / total);
}

function twoSidedFromDistribution(dist: Float64Array, statistic: number): number {
  let lower = 0;
  let upper = 0;
  for (let u = 0; u < dist.length; u++) {
    if (u <= statistic + 1e-9) lower += dist[u]!;
    if (u >= statistic - 1e-9) upper += dist[u]!;
  }
  return Math.min(1, 2 * Math.min(lower, upper));
}

/**
 * Mann-Whitney U test (Wilcoxon rank-sum), two-sided: do the two samples come from the same
 * distribution, against one of them tending to larger values? `statistic` is U of `a`
 * (the number of pairs (x in a, y in b) with x > y, ties counting half).
 */
export function mannWhitneyU(a: ArrayLike<number>, b: ArrayLike<number>): TestResult {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { statistic: NaN, p: NaN, exact: false, n: n + m };
  const all = new Float64Array(n + m);
  for (let i = 0; i < n; i++) all[i] = a[i]!;
  for (let j = 0; j < m; j++) all[n + j] = b[j]!;
  const { ranks, tieTerm } = rankWithTies(all);
  let rankSumA = 0;
  for (let i = 0; i < n; i++) rankSumA += ranks[i]!;
  const u = rankSumA - (n * (n + 1)) / 2;
  if (tieTerm === 0 && n + m <= EXACT_LIMIT) {
    return { statistic: u, p: twoSidedFromDistribution(mannWhitneyDistribution(n, m), u), exact: true, n: n + m };
  }
  const mean = (n * m) / 2;
  const N = n + m;
  const variance = ((n * m) / 12) * (N + 1 - tieTerm / (N * (N - 1)));
  if (variance <= 0) return { statistic: u, p: 1, exact: false, n: N };
  const z = (Math.abs(u - mean) - 0.5) / Math.sqrt(variance);
  return { statistic: u, p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z)))), exact: false, n: N };
}

/** Exact null distributions already computed, by size: a gate asks for the same few sizes again and again. */
const signedRankCache = new Map<number, Float64Array>();

/** Null distribution of W+ for n untied non-zero differences: subset sums of 1..n, as probabilities. */
function signedRankDistribution(n: number): Float64Array {
  let dist = signedRankCache.get(n);
  if (!dist) {
    dist = computeSignedRankDistribution(n);
    signedRankCache.set(n, dist);
  }
  return dist;
}

function computeSignedRankDistribution(n: number): Float64Array {
  const max = (n * (n + 1)) / 2;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) {
    for (let s = max; s >= k; s--) counts[s]! += counts[s - k]!;
  }
  const total = 2 ** n;
  return counts.map((c) => c / total);
}

/**
 * Wilcoxon signed-rank test, two-sided, on paired differences: is their distribution symmetric
 * about zero? Zero differences are dropped (Wilcoxon's original treatment). `statistic` is W+.
 * With fewer than 6 non-zero differences no two-sided p-value can be below 0.05.
 */
export function wilcoxonSignedRank(differences: ArrayLike<number>): TestResult {
  const d: number[] = [];
  for (let i = 0; i < differences.length; i++) {
    const v = differences[i]!;
    if (Number.isFinite(v) && v !== 0) d.push(v);
  }
  const n = d.length;
  if (n === 0) return { statistic: 0, p: 1, exact: true, n: 0 };
  const { ranks, tieTerm } = rankWithTies(d.map(Math.abs));
  let wPlus = 0;
  for (let i = 0; i < n; i++) if (d[i]! > 0) wPlus += ranks[i]!;
  if (tieTerm === 0 && n <= EXACT_LIMIT) {
    return { statistic: wPlus, p: twoSidedFromDistribution(signedRankDistribution(n), wPlus), exact: true, n };
  }
  const mean = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  if (variance <= 0) return { statistic: wPlus, p: 1, exact: false, n };
  const z = (Math.abs(wPlus - mean) - 0.5) / Math.sqrt(variance);
  return { statistic: wPlus, p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z)))), exact: false, n };
}

/**
 * A small, fast, seedable generator (mulberry32): uniform numbers in [0, 1). Bootstrap intervals
 * use it so that they are a function of the data alone.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The default seed of the bootstrap: any fixed number will do. */
export const BOOTSTRAP_SEED = 0x9e3779b9;
/** Resamples per interval: enough for a stable 95% interval, cheap for the sample sizes used here. */
export const BOOTSTRAP_RESAMPLES = 2000;

export interface Interval {
  lo: number;
  hi: number;
  /** Confidence level, for example 0.95. */
  confidence: number;
}

export interface BootstrapOptions {
  confidence?: number;
  resamples?: number;
  seed?: number;
}

/**
 * The k-th smallest (from 0) of the first `n` entries of a scratch array, which it reorders
 * (Hoare's quickselect: linear on average, no allocation; a bootstrap calls it thousands of times).
 */
function selectInPlace(v: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = v[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (v[i]! < pivot) i++;
      while (v[j]! > pivot) j--;
      if (i <= j) {
        const t = v[i]!;
        v[i] = v[j]!;
        v[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return v[k]!;
  }
  return v[k]!;
}

/** Median of the first `n` entries of a scratch array (reordered in place). */
function medianInPlace(values: Float64Array, n: number): number {
  const mid = n >> 1;
  const upper = selectInPlace(values, n, mid);
  if (n % 2 === 1) return upper;
  // After selection every entry below `mid` is <= the upper middle: the lower middle is their largest.
  let lower = -Infinity;
  for (let i = 0; i < mid; i++) if (values[i]! > lower) lower = values[i]!;
  return (lower + upper) / 2;
}

/** The lower and upper percentiles of bootstrap statistics for a two-sided interval. */
function percentileInterval(stats: Float64Array, confidence: number): Interval {
  const sorted = sortAscending(stats);
  const alpha = (1 - confidence) / 2;
  const at = (q: number): number => {
    const pos = q * (sorted.length - 1);
    const lo = Math.floor(pos);
    const frac = pos - lo;
    return frac === 0 ? sorted[lo]! : sorted[lo]! + (sorted[lo + 1]! - sorted[lo]!) * frac;
  };
  return { lo: at(alpha), hi: at(1 - alpha), confidence };
}

/**
 * Percentile bootstrap interval of median(a) / median(b).
 * - `paired`: a[i] and b[i] were measured together (one round of an interleaved comparison);
 *   rounds are resampled whole, which keeps what the two sides shared (a slow minute of the
 *   machine slows both) out of the interval.
 * - otherwise each sample is resampled on its own.
 */
export function bootstrapRatioOfMedians(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: BootstrapOptions & { paired?: boolean } = {},
): Interval {
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const rand = seededRandom(options.seed ?? BOOTSTRAP_SEED);
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { lo: NaN, hi: NaN, confidence };
  if (options.paired && n !== m) throw new Error(`paired samples differ in size (${n} and ${m})`);
  const sa = new Float64Array(n);
  const sb = new Float64Array(m);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    if (options.paired) {
      for (let i = 0; i < n; i++) {
        const k = Math.floor(rand() * n);
        sa[i] = a[k]!;
        sb[i] = b[k]!;
      }
    } else {
      for (let i = 0; i < n; i++) sa[i] = a[Math.floor(rand() * n)]!;
      for (let j = 0; j < m; j++) sb[j] = b[Math.floor(rand() * m)]!;
    }
    stats[r] = medianInPlace(sa, n) / medianInPlace(sb, m);
  }
  return percentileInterval(stats, confidence);
}

/**
 * Percentile bootstrap interval of median(a) / median over groups of median(group): a current
 * sample against a reference made of several earlier runs, so that the reference is "the median
 * of the last runs". Two levels: the runs are resampled, then the figures within each run, so
 * that the interval carries how much runs differ from one another (a run measured on a busier
 * day) and not only the noise within each. With a single run the first level has nothing to draw.
 */
export function bootstrapRatioToMedianOfMedians(
  a: ArrayLike<number>,
  groups: ReadonlyArray<ArrayLike<number>>,
  options: BootstrapOptions = {},
): Interval {
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const rand = seededRandom(options.seed ?? BOOTSTRAP_SEED);
  const usable = groups.filter((g) => g.length > 0);
  if (a.length === 0 || usable.length === 0) return { lo: NaN, hi: NaN, confidence };
  const sa = new Float64Array(a.length);
  const scratch = new Float64Array(Math.max(...usable.map((g) => g.length)));
  const medians = new Float64Array(usable.length);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < a.length; i++) sa[i] = a[Math.floor(rand() * a.length)]!;
    for (let k = 0; k < usable.length; k++) {
      const g = usable[Math.floor(rand() * usable.length)]!;
      for (let i = 0; i < g.length; i++) scratch[i] = g[Math.floor(rand() * g.length)]!;
      medians[k] = medianInPlace(scratch, g.length);
    }
    stats[r] = medianInPlace(sa, a.length) / medianInPlace(medians, usable.length);
  }
  return percentileInterval(stats, confidence);
}

/** Percentile bootstrap interval of the median of one sample. */
export function bootstrapMedian(values: ArrayLike<number>, options: BootstrapOptions = {}): Interval {
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const rand = seededRandom(options.seed ?? BOOTSTRAP_SEED);
  const n = values.length;
  if (n === 0) return { lo: NaN, hi: NaN, confidence };
  const scratch = new Float64Array(n);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) scratch[i] = values[Math.floor(rand() * n)]!;
    stats[r] = medianInPlace(scratch, n);
  }
  return percentileInterval(stats, confidence);
}

/**
 * P(|T| <= t) for Student's t with `df` degrees of freedom, a whole number (Abramowitz-Stegun
 * 26.7.3 and 26.7.4: finite sums in theta = atan(t / sqrt(df)), exact up to rounding). The
 * baseline test has a handful of runs, so df is small and these sums are short.
 */
function studentCentralMass(t: number, df: number): number {
  if (!Number.isFinite(t)) return 1;
  const theta = Math.atan(Math.abs(t) / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2;
  const s = Math.sin(theta);
  if (df % 2 === 1) {
    let term = 1;
    let sum = df > 1 ? 1 : 0;
    for (let k = 3; k <= df - 2; k += 2) {
      term *= ((k - 1) / k) * c2;
      sum += term;
    }
    return (2 / Math.PI) * (theta + (df > 1 ? s * Math.cos(theta) * sum : 0));
  }
  let term = 1;
  let sum = 1;
  for (let k = 2; k <= df - 2; k += 2) {
    term *= ((k - 1) / k) * c2;
    sum += term;
  }
  return s * sum;
}

/** Two-sided p-value of a t statistic with `df` (a whole number >= 1) degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  if (!(df >= 1) || !Number.isInteger(df)) throw new Error(`degrees of freedom must be a whole number >= 1, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  return Math.min(1, Math.max(0, 1 - studentCentralMass(t, df)));
}

/** The t with two-sided p-value 1 - confidence (the quantile at (1 + confidence) / 2), by bisection. */
export function studentQuantile(confidence: number, df: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new Error(`confidence must be between 0 and 1, got ${confidence}`);
  let lo = 0;
  let hi = 1;
  while (studentCentralMass(hi, df) < confidence) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (studentCentralMass(mid, df) < confidence) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Holm's step-down adjustment of p-values: the family-wise error (the chance that any of the
 * hypotheses is rejected wrongly) stays under alpha when each adjusted p-value is compared with
 * alpha, whatever the dependence between the tests. Sorted ascending, the i-th smallest (from 0)
 * is multiplied by (m - i), and the results are made non-decreasing. NaN stays NaN and is not
 * counted as a hypothesis.
 */
export function holmAdjust(ps: readonly number[]): number[] {
  const idx = ps
    .map((p, i) => [p, i] as const)
    .filter(([p]) => !Number.isNaN(p))
    .sort((x, y) => x[0] - y[0]);
  const m = idx.length;
  const out = ps.map(() => NaN);
  let running = 0;
  idx.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, p * (m - rank)));
    out[i] = running;
  });
  return out;
}

/**
 * The distribution-free interval of a median (the sign test's): the k-th smallest and the k-th
 * largest value, with k the largest rank such that P(Binomial(n, 1/2) < k) <= (1 - confidence) / 2.
 * Its coverage is at least `confidence` for independent draws of any continuous distribution,
 * whatever n; a percentile bootstrap of the median comes out too narrow with few values (with 10
 * rounds a false `>` claim at 1.08x passed 5.8% of the time by simulation against 5% wanted).
 * With too few values for any such k (n < 6 at 95%) the interval is (-Infinity, Infinity).
 */
export function medianInterval(values: ArrayLike<number>, confidence = 0.95): Interval {
  const n = values.length;
  const sorted = sortAscending(Float64Array.from(values));
  const tail = (1 - confidence) / 2;
  // Binomial(n, 1/2) probabilities in log space: no underflow for any number of rounds.
  let logPmf = -n * Math.LN2;
  let below = 0;
  let k = 0;
  for (let j = 0; j < n; j++) {
    // below = P(X <= j - 1) here; rank j + 1 is usable when P(X <= j) <= tail.
    const pj = Math.exp(logPmf);
    if (below + pj > tail) break;
    below += pj;
    k = j + 1;
    logPmf += Math.log((n - j) / (j + 1));
  }
  if (k === 0) return { lo: -Infinity, hi: Infinity, confidence };
  return { lo: sorted[k - 1]!, hi: sorted[n - k]!, confidence };
}
