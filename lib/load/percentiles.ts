/**
 * A cell's latency percentiles from an HDR histogram (hdr-histogram-js): p50 to p99.999 and the
 * maximum, each within 0.1% of the value recorded (three significant digits), whatever the
 * number of requests. The histogram is built from the latencies at the end of the cell, so the
 * hot path only keeps one number per request, as before.
 */
import { createRequire } from 'node:module';
import type { LatencyPercentiles } from '../types.ts';

// The histogram class alone: the package's index also decodes a WebAssembly build, which costs
// about 200 ms at load and which this use does not need.
const require = createRequire(import.meta.url);
type HistogramClass = new (
  lowest: number,
  highest: number,
  digits: number,
) => {
  autoResize: boolean;
  recordValue(value: number): void;
  getValueAtPercentile(percentile: number): number;
  readonly maxValue: number;
  readonly totalCount: number;
};
const Int32Histogram = (require('hdr-histogram-js/dist/Int32Histogram.js') as { default: HistogramClass }).default;

/** The percentiles a cell reports, and the key each is stored under. */
export const PERCENTILES: ReadonlyArray<readonly [keyof LatencyPercentiles, number]> = [
  ['p50', 50],
  ['p75', 75],
  ['p90', 90],
  ['p99', 99],
  ['p99_9', 99.9],
  ['p99_99', 99.99],
  ['p99_999', 99.999],
];

/** One hour in microseconds: the histogram's range before it resizes itself. */
const HIGHEST_US = 3_600_000_000;

/** An empty histogram of latencies in whole microseconds, three significant digits, growing past an hour. */
export function latencyHistogram(): InstanceType<HistogramClass> {
  const h = new Int32Histogram(1, HIGHEST_US, 3);
  h.autoResize = true;
  return h;
}

/**
 * The percentiles of `latenciesUs` (microseconds; fractions are rounded to whole microseconds,
 * the histogram's unit). All zeros when there is none, so that the record stays JSON.
 */
export function latencyPercentiles(latenciesUs: ArrayLike<number>): LatencyPercentiles {
  const out: LatencyPercentiles = { p50: 0, p75: 0, p90: 0, p99: 0, p99_9: 0, p99_99: 0, p99_999: 0, max: 0 };
  if (latenciesUs.length === 0) return out;
  const h = latencyHistogram();
  for (let i = 0; i < latenciesUs.length; i++) h.recordValue(Math.max(0, Math.round(latenciesUs[i]!)));
  out.max = h.maxValue;
  // A percentile is its bucket's highest value, which can pass the largest value recorded.
  for (const [key, p] of PERCENTILES) out[key] = Math.min(h.getValueAtPercentile(p), out.max);
  return out;
}
