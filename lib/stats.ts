/**
 * Small descriptive statistics, pure and allocation-light. The load engine summarises latencies
 * with them, and later statistics (repeated cells, perf checks) reuse them.
 *
 * Conventions:
 * - Inputs are read-only `ArrayLike<number>` (arrays or typed arrays); nothing is mutated.
 * - Functions that need order take an already sorted input (`sorted` in the name of the parameter);
 *   `sortAscending` makes one.
 * - An empty input gives NaN (there is no honest number for it), except `summarise`, which
 *   returns zeros so that its result stays JSON-serialisable.
 */
import type { LatencySummary } from './types.ts';

/** A numerically sorted copy (ascending), as a Float64Array (its sort is numeric and fast). */
export function sortAscending(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  out.sort();
  return out;
}

export function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}

/** Arithmetic mean; NaN when empty. */
export function mean(values: ArrayLike<number>): number {
  return values.length === 0 ? NaN : sum(values) / values.length;
}

/** Smallest value; NaN when empty. */
export function min(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let m = values[0]!;
  for (let i = 1; i < values.length; i++) if (values[i]! < m) m = values[i]!;
  return m;
}

/** Largest value; NaN when empty. */
export function max(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let m = values[0]!;
  for (let i = 1; i < values.length; i++) if (values[i]! > m) m = values[i]!;
  return m;
}

/**
 * Sample variance (divides by n - 1, as ab's "+/-sd" does); 0 for a single value, NaN when empty.
 */
export function variance(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  if (n === 1) return 0;
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - m;
    ss += d * d;
  }
  return ss / (n - 1);
}

/** Sample standard deviation (n - 1). */
export function stddev(values: ArrayLike<number>): number {
  return Math.sqrt(variance(values));
}

/**
 * The textbook median: the middle value, or the mean of the two middle values when the count
 * is even. (ab's own "median" column differs: for an odd count it averages the middle value with
 * the one after it, and for an even count it takes the upper middle value. Use `percentile(sorted, 50)`
 * for the figure of ab's percentage table.)
 */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  const s = sortAscending(values);
  const mid = n >> 1;
  return n % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Percentile `p` (0..100) of a sorted array, by ab's definition (the "Percentage of the requests
 * served within a certain time" table of ab.c): the element at index floor(n * p / 100);
 * p >= 100 gives the largest value, p <= 0 the smallest. No interpolation: the result is always
 * one of the observed values. For n = 100 and p = 50 it is sorted[50] (the 51st value); for n = 10
 * and p = 99 it is sorted[9], the maximum.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (p <= 0) return sorted[0]!;
  if (p >= 100) return sorted[n - 1]!;
  const idx = Math.min(n - 1, Math.floor((n * p) / 100));
  return sorted[idx]!;
}

/**
 * Percentile `p` (0..100) of a sorted array with linear interpolation between closest ranks
 * (Hyndman & Fan type 7, the default of R, NumPy and spreadsheets): position (n - 1) * p / 100.
 * Smoother than `percentile` for small samples; prefer it for statistics that compare runs.
 */
export function percentileInterpolated(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (p <= 0) return sorted[0]!;
  if (p >= 100) return sorted[n - 1]!;
  const pos = ((n - 1) * p) / 100;
  const lo = Math.floor(pos);
  const frac = pos - lo;
  const a = sorted[lo]!;
  return frac === 0 ? a : a + (sorted[lo + 1]! - a) * frac;
}

/**
 * min / mean / p50 / p90 / p99 / max of a sample (in whatever unit it is given; the load engine
 * gives microseconds). Percentiles use ab's definition (`percentile`). All zeros when empty.
 */
export function summarise(values: ArrayLike<number>): LatencySummary {
  if (values.length === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const s = sortAscending(values);
  return {
    min: s[0]!,
    mean: mean(s),
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1]!,
  };
}
