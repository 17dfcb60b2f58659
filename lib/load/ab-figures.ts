/**
 * ab's figures from per-request records: pure, no I/O.
 *
 * Definitions follow httpd support/ab.c as shipped in httpd 2.4 (apache2-utils 2.4.x, the
 * single-threaded ab that prints "Version 2.3"): output_results(), read_connection(),
 * close_connection(), start_connect() and the poll loop of test().
 *
 * What ab counts, and how the records map onto it:
 *
 * - Time taken for tests = lasttime - start. `start` is taken just before the first connect;
 *   `lasttime` is last moved when the last request is closed (close_connection() stamps it), so
 *   it is the completion of the last request. The clients pass those two instants.
 * - Complete requests (`done`): ab increments it in close_connection(), reached at EOF and, with
 *   -r, after a receive error. Here every request that ended counts once, whichever way it ended;
 *   see `FailureKind` for the ways ab does not reach close_connection().
 * - Failed requests (`bad`) = Connect + Receive + Length + Exceptions, with ab's per-kind rules
 *   below. One request can count in more than one kind, as in ab.
 * - Length (close_connection()): ab keeps a counter `good` of requests that ended at EOF. When a
 *   request is closed and `good == 1`, its body length becomes the document length; otherwise a
 *   body length different from the document length is a Length failure. The status code plays no
 *   part: a 404 page of another length is a Length failure, and a 404 that ends first sets the
 *   document length. Because the test is `good == 1` and not "first time", every request closed
 *   while `good` is still 1 (a receive error before the second EOF, for instance) sets the
 *   document length again; this is reproduced.
 * - Non-2xx responses (`err_response`): counted when a header is parsed and the first digit of
 *   the status is not 2. Not a failure.
 * - Total transferred (`totalread`): every byte read, headers included, whatever the outcome.
 * - HTML transferred (`totalbread`): bytes after the end of the header (CRLFCRLF, or LFLF for old
 *   servers), only for responses whose header was found.
 * - Requests per second = complete / time taken; Time per request = concurrency * time taken *
 *   1000 / complete (ms); across all concurrent requests = time taken * 1000 / complete (ms);
 *   Transfer rate = total transferred / 1024 / time taken (KB/s). ab prints them only when both
 *   the time taken and the complete count are non-zero; here they are 0 otherwise.
 * - Per-request time (ab's `ttotal`, the "Total" row): from just before connect to the moment the
 *   request is closed. ab keeps it only for requests that reach close_connection(): EOF and
 *   receive errors. The latency summary uses those same requests.
 */
import type { CellResult, FailureCounts, FailureTally, LoadMode } from '../types.ts';
import { summarise } from '../stats.ts';

/**
 * How a request ended, when it did not end at EOF.
 *
 * - 'connect': the TCP connection could not be made (refused, unreachable, no ports left).
 *   Counted under Connect. ab's own connect-failure path (start_connect()) counts Connect and
 *   retries the slot without counting a request; ab 2.4 on Linux rarely takes it: a refused
 *   loopback connect shows up as a recv() error ("apr_socket_recv: Connection refused (111)",
 *   fatal without -r). Here a failed connect is one finished request, counted once under Connect,
 *   and is not retried, so that exactly N requests are made.
 * - 'reset': a socket error after the connection was made (ECONNRESET, EPIPE). ab -r counts it
 *   under Receive in read_connection(), closes the request through close_connection() (so it is
 *   complete, is timed, and goes through the Length rule), and its poll loop then sees POLLERR on
 *   the same descriptor and counts Exceptions as well. A reset request therefore counts under
 *   Receive, Exceptions and, when its body length differs from the document length, Length:
 *   `ab -r -n 12 -c 1` against a server that resets every third request prints
 *   "Failed requests: 12 (Connect: 0, Receive: 4, Length: 4, Exceptions: 4)". Without -r, ab stops
 *   at the first such error; the engine always behaves as ab -r.
 * - 'timeout': no EOF within the per-request timeout; the socket is destroyed. Counted under
 *   Exceptions only, not timed, no Length check. (ab's -s is an inactivity timeout of its whole poll
 *   loop and ends the run when it expires; a per-request timeout is this engine's.)
 * - 'truncated': the keep-alive client's connection ended before a complete response was parsed
 *   and no error was reported (autocannon re-sends on a new connection and never reports the lost
 *   request). Counted under Receive only: no bytes are known for it, so no Length check.
 */
export type FailureKind = 'connect' | 'reset' | 'timeout' | 'truncated';

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
  /** null: ended at EOF (ab's normal end). */
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
  /** Completion of the last request, ns. */
  endNs: number;
  /** Every request that ended, in the order they ended (the Length rule depends on it). */
  records: readonly RequestRecord[];
  /** ab's "Server Software": the first token of the Server header of the first response read. */
  serverSoftware: string | null;
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

/** Failure counts and the document length, by ab's rules, from records in completion order. */
export function countFailures(records: readonly RequestRecord[]): {
  failed: FailureCounts;
  documentLength: number | null;
} {
  const failed: FailureCounts = { connect: 0, receive: 0, length: 0, exceptions: 0 };
  let good = 0;
  let doclen = 0;
  let doclenSet = false;

  // ab's close_connection(): the Length rule, applied to every request that reaches it.
  const close = (body: number): void => {
    if (good === 1) {
      doclen = body;
      doclenSet = true;
    } else if (body !== doclen) {
      failed.length++;
    }
  };

  for (const r of records) {
    switch (r.failure) {
      case null:
        good++;
        close(r.bodyBytes);
        break;
      case 'reset':
        failed.receive++;
        close(r.bodyBytes);
        failed.exceptions++;
        break;
      case 'connect':
        failed.connect++;
        break;
      case 'timeout':
        failed.exceptions++;
        break;
      case 'truncated':
        failed.receive++;
        break;
    }
  }
  return { failed, documentLength: doclenSet ? doclen : null };
}

/** Whether ab has a time (ttotal) for a request: it reached close_connection(). */
export function isTimed(r: RequestRecord): boolean {
  return r.failure === null || r.failure === 'reset';
}

/** A cell's CellResult from its records, with ab's definitions. */
export function computeCellResult(input: CellInput): CellResult {
  const { records } = input;
  const { failed, documentLength } = countFailures(records);

  let totalTransferred = 0;
  let htmlTransferred = 0;
  let non2xx = 0;
  const statusCounts: Record<string, number> = {};
  const latencies: number[] = [];

  for (const r of records) {
    totalTransferred += r.headerBytes + r.bodyBytes;
    if (r.status !== null) {
      htmlTransferred += r.bodyBytes;
      if (isNon2xx(r.status)) non2xx++;
      const key = String(r.status);
      statusCounts[key] = (statusCounts[key] ?? 0) + 1;
    }
    if (isTimed(r)) latencies.push(Math.max(0, r.endNs - r.startNs) / 1000);
  }

  const completeRequests = records.length;
  const timeTakenS = Math.max(0, input.endNs - input.startNs) / 1e9;
  const derived = abDerived(timeTakenS, completeRequests, input.concurrency, totalTransferred);

  return {
    mode: input.mode,
    path: input.path,
    serverSoftware: input.serverSoftware,
    documentLength,
    concurrencyLevel: input.concurrency,
    requested: input.requested,
    timeTakenS,
    completeRequests,
    failedRequests: failed.connect + failed.receive + failed.length + failed.exceptions,
    failed,
    non2xx,
    totalTransferred,
    htmlTransferred,
    ...derived,
    latencyUs: summarise(latencies),
    statusCounts,
  };
}

/**
 * What a cell's records say beyond ab's figures, in a compact form for the diagnostics: every
 * timed request's latency in microseconds (completion order, the requests the latency summary
 * covers) and how the others ended. Computed once the cell is over, off the hot path.
 */
export interface CellSamples {
  latenciesUs: Float64Array;
  failures: FailureTally;
}

export function cellSamples(records: readonly RequestRecord[]): CellSamples {
  const failures: FailureTally = { connect: 0, reset: 0, timeout: 0, truncated: 0 };
  let timed = 0;
  for (const r of records) if (isTimed(r)) timed++;
  const latenciesUs = new Float64Array(timed);
  let i = 0;
  for (const r of records) {
    if (r.failure !== null) failures[r.failure]++;
    if (isTimed(r)) latenciesUs[i++] = Math.max(0, r.endNs - r.startNs) / 1000;
  }
  return { latenciesUs, failures };
}
