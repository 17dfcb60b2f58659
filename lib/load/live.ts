/**
 * What a long cell shows while it runs: the requests per second of the last second and the p99
 * latency of the complete requests so far. The tally reads the client's own records (the ones
 * ab-figures.ts turns into the cell's figures at the end), each record once: every second it
 * feeds the requests that ended since the last look into an HDR histogram, so a look costs one
 * histogram insert per new request, never a sort of the whole cell, and it happens between
 * requests, on the progress path the clients already throttle to every 100 ms.
 */
import type { RequestRecord } from './ab-figures.ts';
import { latencyHistogram } from './percentiles.ts';

/** One look at a cell under way. */
export interface LiveFigures {
  /** Seconds since the cell started. */
  elapsedS: number;
  /** Requests received whole so far. */
  complete: number;
  /** Requests that ended without a whole response so far. */
  failed: number;
  /** Complete requests per second since the previous look (since the start, at the first). */
  requestsPerSecond: number;
  /** p99 of the complete requests' latencies so far, microseconds; null before the first. */
  p99Us: number | null;
}

/** How often a look is taken, ns: once a second. */
export const LIVE_INTERVAL_NS = 1_000_000_000n;

export class LiveTally {
  private readonly histogram = latencyHistogram();
  /** Records already fed to the histogram. */
  private seen = 0;
  private complete = 0;
  private failed = 0;
  private lastNs: bigint;
  private lastComplete = 0;

  constructor(
    private readonly records: readonly RequestRecord[],
    private readonly startNs: bigint,
  ) {
    this.lastNs = startNs;
  }

  /** The figures at `nowNs` (process.hrtime.bigint()), counting the records that ended since the last look. */
  look(nowNs: bigint): LiveFigures {
    for (; this.seen < this.records.length; this.seen++) {
      const r = this.records[this.seen]!;
      if (r.failure !== null) {
        this.failed++;
        continue;
      }
      this.complete++;
      this.histogram.recordValue(Math.max(0, Math.round((r.endNs - r.startNs) / 1000)));
    }
    const intervalS = Number(nowNs - this.lastNs) / 1e9;
    const requestsPerSecond = intervalS > 0 ? (this.complete - this.lastComplete) / intervalS : 0;
    this.lastNs = nowNs;
    this.lastComplete = this.complete;
    return {
      elapsedS: Number(nowNs - this.startNs) / 1e9,
      complete: this.complete,
      failed: this.failed,
      requestsPerSecond,
      // A percentile is its bucket's highest value, which can pass the largest one recorded.
      p99Us: this.complete === 0 ? null : Math.min(this.histogram.getValueAtPercentile(99), this.histogram.maxValue),
    };
  }
}
