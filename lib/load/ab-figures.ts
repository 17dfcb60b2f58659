/**
 * ab's figures from per-request records: pure, no I/O. docs/accounting.md sets each figure beside
 * ab.c's rule and lists, case by case, where the two differ.
 *
 * Definitions follow httpd support/ab.c as shipped in httpd 2.4 (apache2-utils 2.4.x, the
 * single-threaded ab that prints "Version 2.3"): output_results(), read_connection(),
 * close_connection(), start_connect() and the poll loop of test(), with one change that makes
 * every figure honest: a request is complete only when its response was received whole.
 *
 * - Complete requests: requests whose response was received whole: a complete head, then a body
 *   framed by Content-Length, by chunked encoding, or by EOF where EOF frames it (see
 *   response-scan.ts). ab counts every request that reached EOF, and with -r every receive error
 *   too, so it calls a truncated or reset response complete; here those are failed.
 * - Failed requests: the requests that ended without a whole response, each counted once
 *   (see FailureKind). Complete + failed = the requests that ended. Requests a stopped cell never
 *   started, and those in flight when it stopped, are neither.
 * - The kinds (Connect, Receive, Length, Exceptions) keep ab's names; a request can count under
 *   more than one (a reset counts under Receive and Exceptions, as ab -r counts it), and Length also
 *   counts complete responses whose body length differs from the document length (ab's rule: a
 *   404 page of another length is a Length failure). Their sum is ab's "Failed requests" line,
 *   kept as abFailedRequests.
 * - Length (close_connection()): the body length of the first complete response is the document
 *   length; a later complete response of another length counts under Length, whatever its
 *   status. A truncated or overrun response counts under Length in every case.
 * - Non-2xx responses (`err_response`): counted when a header is parsed and the first digit of
 *   the status is not 2, complete or not. Not a failure in itself.
 * - Total transferred (`totalread`): every byte read, headers included, whatever the outcome.
 * - HTML transferred (`totalbread`): bytes after the end of the header (CRLFCRLF, or LFLF for old
 *   servers), only for responses whose header was found.
 * - Time taken for tests = lasttime - start: from just before the first connect to the end of the
 *   last request that ended (the stop, for a stopped cell).
 * - Requests per second = complete / time taken; Time per request = concurrency * time taken *
 *   1000 / complete (ms); across all concurrent requests = time taken * 1000 / complete (ms);
 *   Transfer rate = bytes of the complete requests / 1024 / time taken (KB/s). ab prints them
 *   only when both the time taken and the complete count are non-zero; here they are 0 otherwise.
 * - Per-request time (ab's `ttotal`, the "Total" row) and the latency summary: from just before
 *   connect to the end of the response, complete requests only.
 */
import type { CellOpenModel, CellResult, CellStop, CellTls, FailureCounts, FailureTally, LoadMode } from '../types.ts';
import { summarise } from '../stats.ts';
import { omissionSuspect } from './omission.ts';
import { latencyPercentiles } from './percentiles.ts';

/**
 * How a request failed: it ended without its response received whole. Each failed request has
 * exactly one kind here; the ab kinds it counts under are given after the arrow.
 *
 * - 'connect': the TCP connection could not be made (refused, unreachable, no ports left) ->
 *   Connect. Not retried. ab 2.4 on Linux reports a refused loopback connect through recv()
 *   ("apr_socket_recv: Connection refused (111)") and stops unless -r; the cell stops too unless
 *   keepGoing (RunOptions).
 * - 'timeout': no end within the per-request timeout, while connecting or after -> Exceptions.
 *   ab's -s is an inactivity timeout of its whole poll loop and ends the run when it expires; the
 *   cell stops at its first timeout unless keepGoing.
 * - 'reset': a socket error after the connection was made (ECONNRESET, EPIPE), at any point of
 *   the head or body -> Receive and Exceptions (ab -r counts Receive in read_connection(), then
 *   Exceptions when its poll loop sees POLLERR on the same descriptor).
 * - 'truncated': EOF before the response was whole: before any byte, inside the head, short of
 *   its Content-Length, or before the last chunk -> Length. (ab counts it good, and under Length
 *   only when its length differs from the document length.) In keep-alive mode, also a request
 *   written into a connection the server was closing (it is counted, not sent again).
 * - 'overrun': bytes after the framed end of the body (more than Content-Length, after the last
 *   chunk, or a body on a 204/304) -> Length. The request ends at the first extra byte.
 * - 'oversized': no end of head within 8191 bytes (ab's CBUFFSIZE - 1: "header is invalid or
 *   too big", where ab counts a failure of no kind and a non-2xx) -> Exceptions. The request ends
 *   there, so an endless head costs 8 KB.
 * - 'malformed': a framing that cannot be followed: a bad or conflicting Content-Length, a bad
 *   chunk-size line, or (keep-alive) a head the HTTP parser rejects -> Exceptions.
 */
export type FailureKind = 'connect' | 'reset' | 'timeout' | 'truncated' | 'overrun' | 'oversized' | 'malformed';

/** Every failure kind, in the order reports list them. */
export const FAILURE_KINDS: readonly FailureKind[] = [
  'connect',
  'timeout',
  'reset',
  'truncated',
  'overrun',
  'oversized',
  'malformed',
];

/** One request as a client saw it. Times are nanoseconds on the cell's clock. */
export interface RequestRecord {
  /** Just before connect (ab's c->start). */
  startNs: number;
  /** When the request was closed: EOF, error or timeout (ab's c->done). */
  endNs: number;
  /**
   * Status code read from the status line once the header was complete; null when no complete
   * header was received. An unreadable code is 0 (ab reads three characters after "HTTP/1.x "
   * and falls back to "500" when there is no "HTTP"; both count as non-2xx).
   */
  status: number | null;
  /** Bytes up to and including the end of the header; all bytes read when no header was found. */
  headerBytes: number;
  /** Bytes after the header (0 when no header was found). */
  bodyBytes: number;
  /** null: received whole (complete); otherwise how it failed. */
  failure: FailureKind | null;
}

export interface CellInput {
  mode: LoadMode;
  path: string;
  /** ab -c */
  concurrency: number;
  /** ab -n */
  requested: number;
  /** Just before the first connect, ns. */
  startNs: number;
  /** End of the last request that ended (or the stop), ns. */
  endNs: number;
  /** Every request that ended, in the order they ended (the Length rule depends on it). */
  records: readonly RequestRecord[];
  /** ab's "Server Software": the first token of the Server header of the first response read. */
  serverSoftware: string | null;
  /** Set when the cell stopped before N requests ended (see CellResult.stopped). */
  stopped?: CellStop;
  /** The handshakes of a cell over TLS (see CellResult.tls). */
  tls?: CellTls;
  /** The duration asked for, for a cell that sent for a time (timed-client.ts). */
  durationS?: number;
  /** What an open-model cell sent against its schedule; the rates are derived from it. */
  open?: Omit<CellOpenModel, 'achievedRate' | 'completedRate'>;
}

/** The figures ab derives from time taken, complete, concurrency and bytes (output_results()). */
export interface AbDerived {
  requestsPerSecond: number;
  timePerRequestMs: number;
  timePerRequestAcrossMs: number;
  transferRateKBps: number;
}

/** ab's derived figures; zeros when ab would not print them (no time or nothing complete). */
export function abDerived(
  timeTakenS: number,
  complete: number,
  concurrency: number,
  totalTransferred: number,
): AbDerived {
  if (!(timeTakenS > 0) || complete <= 0) {
    return { requestsPerSecond: 0, timePerRequestMs: 0, timePerRequestAcrossMs: 0, transferRateKBps: 0 };
  }
  return {
    requestsPerSecond: complete / timeTakenS,
    timePerRequestMs: (concurrency * timeTakenS * 1000) / complete,
    timePerRequestAcrossMs: (timeTakenS * 1000) / complete,
    transferRateKBps: totalTransferred / 1024 / timeTakenS,
  };
}

/** Whether ab counts a status as non-2xx: the first digit is not 2 (ab tests respcode[0] != '2'). */
export function isNon2xx(status: number): boolean {
  return !(status >= 200 && status <= 299);
}

/** The ab kinds each failure kind counts under (see FailureKind). */
function countKind(failed: FailureCounts, kind: FailureKind): void {
  switch (kind) {
    case 'connect':
      failed.connect++;
      break;
    case 'reset':
      failed.receive++;
      failed.exceptions++;
      break;
    case 'truncated':
    case 'overrun':
      failed.length++;
      break;
    case 'timeout':
    case 'oversized':
    case 'malformed':
      failed.exceptions++;
      break;
  }
}

/**
 * Failure counts by ab's kinds, the number of failed requests (each once) and the document
 * length, from records in completion order.
 */
export function countFailures(records: readonly RequestRecord[]): {
  failed: FailureCounts;
  failedRequests: number;
  documentLength: number | null;
} {
  const failed: FailureCounts = { connect: 0, receive: 0, length: 0, exceptions: 0 };
  let failedRequests = 0;
  let doclen: number | null = null;
  for (const r of records) {
    if (r.failure !== null) {
      failedRequests++;
      countKind(failed, r.failure);
    } else if (doclen === null) {
      doclen = r.bodyBytes;
    } else if (r.bodyBytes !== doclen) {
      failed.length++;
    }
  }
  return { failed, failedRequests, documentLength: doclen };
}

/** Whether a request was received whole: the only requests that are timed and rated. */
export function isComplete(r: RequestRecord): boolean {
  return r.failure === null;
}

/** A cell's CellResult from its records, with ab's definitions. */
export function computeCellResult(input: CellInput): CellResult {
  const { records } = input;
  const { failed, failedRequests, documentLength } = countFailures(records);

  let totalTransferred = 0;
  let completeTransferred = 0;
  let htmlTransferred = 0;
  let non2xx = 0;
  let completeRequests = 0;
  const statusCounts: Record<string, number> = {};
  const latencies: number[] = [];

  for (const r of records) {
    const bytes = r.headerBytes + r.bodyBytes;
    totalTransferred += bytes;
    if (r.status !== null) {
      htmlTransferred += r.bodyBytes;
      if (isNon2xx(r.status)) non2xx++;
      const key = String(r.status);
      statusCounts[key] = (statusCounts[key] ?? 0) + 1;
    }
    if (isComplete(r)) {
      completeRequests++;
      completeTransferred += bytes;
      latencies.push(Math.max(0, r.endNs - r.startNs) / 1000);
    }
  }

  const timeTakenS = Math.max(0, input.endNs - input.startNs) / 1e9;
  const derived = abDerived(timeTakenS, completeRequests, input.concurrency, completeTransferred);

  const result: CellResult = {
    mode: input.mode,
    path: input.path,
    serverSoftware: input.serverSoftware,
    documentLength,
    concurrencyLevel: input.concurrency,
    requested: input.requested,
    timeTakenS,
    completeRequests,
    failedRequests,
    abFailedRequests: failed.connect + failed.receive + failed.length + failed.exceptions,
    failed,
    non2xx,
    totalTransferred,
    htmlTransferred,
    ...derived,
    latencyUs: summarise(latencies),
    percentilesUs: latencyPercentiles(latencies),
    statusCounts,
  };
  if (input.stopped) result.stopped = { ...input.stopped };
  if (input.tls) result.tls = input.tls;
  if (input.durationS !== undefined) result.durationS = input.durationS;
  if (input.open) {
    const s = input.open.scheduledS;
    result.open = {
      ...input.open,
      achievedRate: s > 0 ? input.open.sent / s : 0,
      completedRate: s > 0 ? completeRequests / s : 0,
    };
  } else {
    // Only a closed loop can hide its stalls this way: an open model times them in full.
    const omission = omissionSuspect(latencies, input.concurrency, timeTakenS);
    if (omission) result.omission = omission;
  }
  return result;
}

/**
 * What a cell's records say beyond ab's figures, in a compact form for the diagnostics: every
 * complete request's latency in microseconds (completion order, the requests the latency summary
 * covers) and how the failed ones ended, each once.
 */
export interface CellSamples {
  latenciesUs: Float64Array;
  failures: FailureTally;
}

/** A tally of every failure kind at zero. */
export function emptyFailureTally(): Required<FailureTally> {
  return { connect: 0, reset: 0, timeout: 0, truncated: 0, overrun: 0, oversized: 0, malformed: 0 };
}

export function cellSamples(records: readonly RequestRecord[]): CellSamples {
  const failures = emptyFailureTally();
  let complete = 0;
  for (const r of records) if (isComplete(r)) complete++;
  const latenciesUs = new Float64Array(complete);
  let i = 0;
  for (const r of records) {
    if (r.failure !== null) failures[r.failure]++;
    else latenciesUs[i++] = Math.max(0, r.endNs - r.startNs) / 1000;
  }
  return { latenciesUs, failures };
}
