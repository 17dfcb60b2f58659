/**
 * Locust's figures of a cell, turned into Gauntlet's CellResult. Pure: the input is the JSON the
 * generated locustfile's master writes when Locust quits (locustfile.ts, `--gauntlet-summary`),
 * read from Locust's own aggregated statistics (`environment.stats.total`, the "Aggregated" row
 * of `--csv`) and the status codes the workers counted.
 *
 * Where the figures differ from ab's definitions (docs/accounting.md, "Locust cells"):
 * - a request is complete when it got a response of any status; failed, when it got none (a
 *   refused connect, a reset, a timeout): Locust itself counts 4xx and 5xx as failures, which ab
 *   and Gauntlet count as Non-2xx;
 * - the time taken is Locust's, from its first user's start to its last request;
 * - the percentiles are Locust's, bucketed: response times rounded to the millisecond below
 *   100 ms, to 10 ms below 1 s and to 100 ms above; the mean, min and max are exact milliseconds;
 * - bytes are the bodies' (Content-Length): Locust counts no header bytes.
 */
import type { CellResult, FailureCounts, LoadMode } from '../types.ts';
import type { LatencyPercentiles } from '../cell-figures.ts';

/** The JSON the locustfile's master writes. */
export interface LocustSummary {
  requests: number;
  failures: number;
  start_time: number;
  last_request_timestamp: number | null;
  rps: number;
  min_ms: number;
  max_ms: number;
  avg_ms: number;
  median_ms: number;
  content_bytes: number;
  /** Response time at each fraction ("0.5" ... "1.0"), ms, bucketed by Locust. */
  percentiles_ms: Record<string, number>;
  /** Status code -> count; "none" for a request that got no response. */
  statuses: Record<string, number>;
  /** Locust's error text -> occurrences. */
  errors: Record<string, number>;
  /** Workers connected when the test started. */
  workers: number;
}

/** The sentences every Locust cell carries, and the one a paced (rate) cell adds. */
export const LOCUST_NOTES = {
  bucketed:
    "percentiles are Locust's, bucketed: response times rounded to 1 ms below 100 ms, to 10 ms below 1 s, to 100 ms above",
  bytes: 'bytes are the bodies (Content-Length) only: Locust counts no header bytes',
  paced: "rate paced by Locust's constant_throughput, a closed loop: not corrected for coordinated omission",
} as const;

/** What the cell was, beside Locust's figures. */
export interface LocustCellContext {
  mode: LoadMode;
  path: string;
  concurrency: number;
  durationS: number;
  rate?: number;
}

/** Parses and checks the summary's text; a clear error names what is missing. */
export function parseLocustSummary(text: string): LocustSummary {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`Locust's summary is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null) throw new Error("Locust's summary is not an object");
  const v = value as Record<string, unknown>;
  for (const key of ['requests', 'failures', 'start_time', 'rps', 'avg_ms', 'max_ms', 'content_bytes', 'workers']) {
    if (typeof v[key] !== 'number') throw new Error(`Locust's summary has no number "${key}"`);
  }
  for (const key of ['percentiles_ms', 'statuses', 'errors']) {
    if (typeof v[key] !== 'object' || v[key] === null) throw new Error(`Locust's summary has no object "${key}"`);
  }
  return value as LocustSummary;
}

/** Milliseconds to whole microseconds. */
const us = (ms: number): number => Math.round(ms * 1000);

/**
 * The percentile at `fraction`, microseconds (0 when Locust gave none), at most the maximum: a
 * bucket's rounded value can pass the exact maximum (115 ms is in the bucket of 120).
 */
function pct(s: LocustSummary, fraction: string): number {
  return Math.min(us(s.percentiles_ms[fraction] ?? 0), us(s.max_ms));
}

/** Locust's bucketed percentiles, as Gauntlet's percentile record. */
export function locustPercentiles(s: LocustSummary): LatencyPercentiles {
  return {
    p50: pct(s, '0.5'),
    p75: pct(s, '0.75'),
    p90: pct(s, '0.9'),
    p99: pct(s, '0.99'),
    p99_9: pct(s, '0.999'),
    p99_99: pct(s, '0.9999'),
    p99_999: pct(s, '0.99999'),
    max: us(s.max_ms),
  };
}

/**
 * Failed requests by ab's kinds, from Locust's error texts: a refused or unreachable connect is
 * Connect, a reset or broken pipe Receive, anything else without a response (a timeout, a bad
 * response) Exceptions. Errors about a status (Locust's "HTTPError" of a 4xx or 5xx) are not
 * failures here: those requests got a response, and count as Non-2xx.
 */
export function locustFailureKinds(errors: Record<string, number>): FailureCounts {
  const counts: FailureCounts = { connect: 0, receive: 0, length: 0, exceptions: 0 };
  for (const [text, n] of Object.entries(errors)) {
    if (/HTTPError|status code|BadStatusCode/i.test(text) && !/Connection/i.test(text)) continue;
    if (/refused|unreachable|ConnectTimeout|getaddrinfo/i.test(text)) counts.connect += n;
    else if (/reset|broken pipe|aborted/i.test(text)) counts.receive += n;
    else counts.exceptions += n;
  }
  return counts;
}

/** Locust's figures as a CellResult, with `engine: 'locust'` and the workers connected. */
export function locustCellResult(s: LocustSummary, ctx: LocustCellContext): CellResult {
  const failed = s.statuses['none'] ?? 0;
  const answered = Object.entries(s.statuses).filter(([code]) => code !== 'none');
  const complete = answered.reduce((sum, [, n]) => sum + n, 0);
  const non2xx = answered.filter(([code]) => !code.startsWith('2')).reduce((sum, [, n]) => sum + n, 0);
  const span = s.last_request_timestamp === null ? 0 : Math.max(0, s.last_request_timestamp - s.start_time);
  const timeTakenS = span > 0 ? span : ctx.durationS;
  const statusCounts = Object.fromEntries(answered);
  const perSecond = (n: number): number => (timeTakenS > 0 ? n / timeTakenS : 0);
  return {
    mode: ctx.mode,
    path: ctx.path,
    serverSoftware: null,
    documentLength: null,
    concurrencyLevel: ctx.concurrency,
    requested: complete + failed,
    timeTakenS,
    completeRequests: complete,
    failedRequests: failed,
    abFailedRequests: failed,
    failed: failed > 0 ? withAtLeast(locustFailureKinds(s.errors), failed) : locustFailureKinds({}),
    non2xx,
    totalTransferred: s.content_bytes,
    htmlTransferred: s.content_bytes,
    requestsPerSecond: perSecond(complete),
    timePerRequestMs: complete > 0 ? (ctx.concurrency * timeTakenS * 1000) / complete : 0,
    timePerRequestAcrossMs: complete > 0 ? (timeTakenS * 1000) / complete : 0,
    transferRateKBps: perSecond(s.content_bytes) / 1024,
    latencyUs: {
      min: us(s.min_ms),
      mean: us(s.avg_ms),
      p50: pct(s, '0.5'),
      p90: pct(s, '0.9'),
      p99: pct(s, '0.99'),
      max: us(s.max_ms),
    },
    ...(s.requests > 0 && { percentilesUs: locustPercentiles(s) }),
    durationS: ctx.durationS,
    statusCounts,
    engine: 'locust',
    workers: s.workers,
    engineNotes: [LOCUST_NOTES.bucketed, LOCUST_NOTES.bytes, ...(ctx.rate === undefined ? [] : [LOCUST_NOTES.paced])],
  };
}

/** The failure kinds, with the requests no error text explained counted as Exceptions. */
function withAtLeast(kinds: FailureCounts, failed: number): FailureCounts {
  const named = kinds.connect + kinds.receive + kinds.exceptions;
  return named >= failed ? kinds : { ...kinds, exceptions: kinds.exceptions + failed - named };
}
