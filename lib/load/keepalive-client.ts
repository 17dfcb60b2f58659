/**
 * Keep-alive mode: autocannon (v8, programmatic) with `amount: N, connections: C`, timed by the
 * engine itself.
 *
 * What is measured, and how it departs from `ab -k -n N -c C`:
 * - Request: `GET {path} HTTP/1.1`, autocannon's hard-coded `Connection: keep-alive`, then ab's
 *   headers in ab's order (Host without ":80", User-Agent: ApacheBench/2.3, Accept: *\/*).
 *   ab -k sends HTTP/1.0 with `Connection: Keep-Alive`; autocannon cannot send another version.
 * - Time taken: process.hrtime.bigint() from just before autocannon starts its clients (they
 *   connect at once) to the last response or error it reports. autocannon's own `duration` is
 *   taken on its sample tick and rounded, so it is not used.
 * - Per request: the `response` event of each client gives the status, the bytes read while that
 *   request was the one in flight (header and body, as ab's totalread) and the time from just
 *   before the request was written to the end of its response, in fractional milliseconds from
 *   process.hrtime (so microseconds are kept; autocannon's own latency histogram records whole
 *   milliseconds, and loopback latencies under 1 ms record there as 0). The first request of a
 *   connection includes the connect, like ab's first keep-alive request.
 * - Body bytes: the decoded body, counted as the parser hands it over; autocannon's own copy of
 *   each body (a string it grows by concatenation, without limit: an endless body grew a harness
 *   to 24 GB) is replaced by that count, so nothing of a body is kept. ab counts the raw bytes
 *   after the header, so for a chunked response HTML transferred here leaves out the chunk framing.
 * - Head: the parser (http-parser-js) is given ab's head limit of 8191 bytes instead of its
 *   80 KB; past it, or on any parse error, the request fails ('oversized' or 'malformed') and the
 *   connection is replaced. autocannon ignores the parser's errors and reuses the parser, in its
 *   error state, on the next connection: here it is reset on every new connection, so that a
 *   response cut short cannot corrupt the next one.
 * - Connections: C, each kept open; autocannon reconnects when the server closes one. A request
 *   in flight when its connection ends without error is lost without trace in autocannon (it
 *   sends a new one on the new connection and never reports the lost one). Such requests are
 *   recorded as 'truncated' (Length failures), counted as N minus every request reported.
 *   A response whose body ends at EOF is the exception: autocannon never tells its parser about
 *   EOF, so the parser is finished here when the connection ends, which completes it.
 * - Errors: a connection error (`connError`) is one request failed: 'connect' when connect()
 *   failed, 'reset' otherwise. Bytes of a response cut short by the error are not reported by
 *   autocannon and not counted. A timeout (LoadTarget.timeoutMs, autocannon's `timeout`) is
 *   'timeout'. autocannon refuses a timeout under 1 s, so shorter ones are raised to 1 s here.
 * - Stops: as in close mode, the first failed connect or timeout stops the cell unless keepGoing
 *   (autocannon would reconnect and go on); events after the stop are ignored. autocannon's
 *   clients stop on its next sample tick, within a few milliseconds.
 * - Bytes after a response's Content-Length are read by the parser as the start of the next
 *   response: the next request fails ('malformed'), the overlong one was counted complete.
 * - Length rule and non-2xx: computed by ab-figures from the records, as for the close mode.
 * - Server Software: first word of the Server header of the first response parsed.
 */
import autocannon from 'autocannon';
import { isIPv6, type Socket } from 'node:net';
import type { CellSpec, CellStop, LoadTarget } from '../types.ts';
import type { CellInput, FailureKind, RequestRecord } from './ab-figures.ts';
import { abHeaders } from './ab-request.ts';
import { resolveHost } from './close-client.ts';
import { abortError, cellStop, DEFAULT_TIMEOUT_MS, progressReporter, type RunOptions, type StopCause } from './common.ts';
import { HEADER_SPACE } from './response-scan.ts';

/**
 * autocannon checks its stop flag only on its sample tick (default 1000 ms): a short tick lets the
 * run end, and an abort take effect, within a few milliseconds.
 */
const SAMPLE_INTERVAL_MS = 5;

/** What the `headers` event really carries (http-parser-js's info object, not node's headers). */
interface ParserInfo {
  headers?: unknown;
}

/** The parts of autocannon's client (lib/httpClient.js, v8) this module reaches into. */
interface ClientInternals {
  conn: Socket;
  parser: {
    type: string;
    /** http-parser-js's state name; 'BODY_RAW' while reading a body that ends at EOF. */
    state: string;
    finish(): Error | undefined;
    maxHeaderSize: number;
    initialize(type: string): void;
    execute(chunk: Buffer, start?: number, length?: number): number | Error;
  };
  pipelinedRequests: { addBody(data: Buffer): void };
  _connect(): void;
  _doRequest(): void;
  _destroyConnection(): void;
  _resetConnection(): void;
  on(event: 'request', listener: () => void): void;
}

/**
 * The client as this module needs it, or an error naming what is missing: the bounds on memory
 * and the accounting depend on these internals, so a changed autocannon must fail loudly.
 */
function clientInternals(client: autocannon.Client): ClientInternals {
  const inner = client as unknown as Partial<ClientInternals>;
  const missing = [
    typeof inner.parser?.execute === 'function' && typeof inner.parser.initialize === 'function' ? '' : 'parser',
    typeof inner.pipelinedRequests?.addBody === 'function' ? '' : 'pipelinedRequests.addBody',
    ...(['_connect', '_doRequest', '_destroyConnection', '_resetConnection'] as const).map((m) =>
      typeof inner[m] === 'function' ? '' : m,
    ),
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new Error(
      `autocannon's client does not have what the keep-alive client relies on (${missing.join(', ')}): ` +
        'it was written for autocannon 8 (lib/httpClient.js)',
    );
  }
  return inner as ClientInternals;
}

/** The failure a parse error of http-parser-js stands for. */
function parseFailure(err: Error): FailureKind {
  return /max header size/i.test(err.message) ? 'oversized' : 'malformed';
}

/** ab's Server Software from a flat [name, value, name, value...] header list. */
function serverToken(info: ParserInfo): string | null {
  const list = info.headers;
  if (!Array.isArray(list)) return null;
  for (let i = 0; i + 1 < list.length; i += 2) {
    if (String(list[i]).toLowerCase() === 'server') {
      const m = /^[^\x00-\x20]*/.exec(String(list[i + 1]));
      return m ? m[0] : '';
    }
  }
  return null;
}

export async function runKeepAliveClient(
  target: LoadTarget,
  cell: CellSpec,
  opts: RunOptions = {},
): Promise<CellInput> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const address = await resolveHost(target.host);
  if (signal?.aborted) throw abortError(signal);

  const total = cell.requests;
  const timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const progress = progressReporter(total, opts.onProgress);
  const urlHost = isIPv6(address) ? `[${address}]` : address;
  const headers = Object.fromEntries(abHeaders(target.host, target.port));

  const keepGoing = opts.keepGoing ?? false;
  const effectiveTimeoutMs = Math.max(1000, timeoutMs);
  const records: RequestRecord[] = [];
  let t0 = 0n;
  let lastEnd = 0n;
  let serverSoftware: string | null = null;
  let serverCaptured = false;
  /** Set at the first failure that stops the cell: later events are ignored. */
  let stopped: CellStop | undefined;
  let stopRun = (): void => {};

  const record = (r: RequestRecord, end: bigint): void => {
    if (stopped) return;
    records.push(r);
    lastEnd = end;
    progress(records.length);
  };

  const setupClient = (client: autocannon.Client): void => {
    const inner = clientInternals(client);
    const parser = inner.parser;
    let bodyBytes = 0;
    let bytesThisRequest = 0;
    let connected = false;

    // Count the body instead of letting autocannon keep it.
    inner.pipelinedRequests.addBody = (data: Buffer) => {
      bodyBytes += data.length;
    };
    parser.maxHeaderSize = HEADER_SPACE;
    const execute = parser.execute.bind(parser);
    parser.execute = (chunk: Buffer, start?: number, length?: number) => {
      bytesThisRequest += chunk.length;
      const r = execute(chunk, start, length);
      if (r instanceof Error && !stopped) {
        failed(parseFailure(r));
        inner._resetConnection();
      }
      return r;
    };
    // A response whose body ends at EOF: autocannon never tells the parser about EOF, so it
    // would lose the response. The parser is finished at EOF instead, before autocannon's own
    // 'end' handler reconnects; the next request autocannon then starts on the dead connection is
    // skipped, since the reconnect starts one.
    let skipRequest = false;
    const doRequest = inner._doRequest;
    inner._doRequest = function (this: ClientInternals) {
      if (skipRequest) {
        skipRequest = false;
        return;
      }
      doRequest.call(this);
    };
    const connect = inner._connect;
    inner._connect = function (this: ClientInternals) {
      parser.initialize(parser.type);
      connected = false;
      connect.call(this);
      this.conn.once('connect', () => {
        connected = true;
      });
      this.conn.prependListener('end', () => {
        if (stopped || parser.state !== 'BODY_RAW') return;
        skipRequest = true;
        parser.finish();
        skipRequest = false;
      });
    };
    inner.on('request', () => {
      bytesThisRequest = 0;
    });
    // autocannon's timeout handler destroys the connection and starts the next request before it
    // emits 'timeout': what the timed-out request had got is taken as its connection is destroyed.
    let atDestroy = { connected: false, bytes: 0 };
    const destroyConnection = inner._destroyConnection;
    inner._destroyConnection = function (this: ClientInternals) {
      atDestroy = { connected, bytes: bytesThisRequest };
      destroyConnection.call(this);
    };

    client.on('headers', (info: unknown) => {
      bodyBytes = 0;
      if (!serverCaptured) {
        serverCaptured = true;
        serverSoftware = serverToken(info as ParserInfo);
      }
    });
    client.on('response', (statusCode: number, resBytes: number, responseTime: number) => {
      const end = process.hrtime.bigint();
      const endNs = Number(end - t0);
      record(
        {
          startNs: endNs - responseTime * 1e6,
          endNs,
          status: statusCode,
          headerBytes: resBytes - bodyBytes,
          bodyBytes,
          failure: null,
        },
        end,
      );
    });
    const failed = (failure: FailureKind, cause?: StopCause): void => {
      if (stopped) return;
      const end = process.hrtime.bigint();
      const endNs = Number(end - t0);
      record({ startNs: endNs, endNs, status: null, headerBytes: 0, bodyBytes: 0, failure }, end);
      if (cause && !keepGoing && records.length < total) {
        stopped = cellStop(cause, records.length, total, records.length);
        stopRun();
      }
    };
    // Events the typings leave out: a connection error, and a request that timed out.
    const emitter = client as unknown as NodeJS.EventEmitter;
    emitter.on('connError', (err: NodeJS.ErrnoException) => {
      if (err?.syscall === 'connect') failed('connect', { kind: 'connect', code: err.code ?? null });
      else failed('reset');
    });
    emitter.on('timeout', () => {
      const { connected: was, bytes } = atDestroy;
      const phase = !was ? 'connecting' : bytes === 0 ? 'waiting' : 'reading';
      failed('timeout', { kind: 'timeout', timeoutMs: effectiveTimeoutMs, phase, bytes });
    });
  };

  return new Promise<CellInput>((resolve, reject) => {
    let aborted = false;
    let settled = false;
    let instance: autocannon.Instance | undefined;
    const onAbort = (): void => {
      aborted = true;
      // Clients are destroyed on autocannon's next sample tick, then the callback below rejects.
      instance?.stop();
    };
    stopRun = () => instance?.stop();
    signal?.addEventListener('abort', onAbort, { once: true });

    const finished = (err: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (aborted) {
        reject(abortError(signal!));
        return;
      }
      if (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const endNs = Number(lastEnd - t0);
      // Requests lost to a closed connection; a stopped cell's unreported requests were cut by the stop.
      const lost = stopped ? 0 : Math.max(0, total - records.length);
      for (let i = 0; i < lost; i++) {
        records.push({ startNs: endNs, endNs, status: null, headerBytes: 0, bodyBytes: 0, failure: 'truncated' });
      }
      progress(records.length, true);
      const input: CellInput = {
        mode: 'keepalive',
        path: target.path,
        concurrency: cell.concurrency,
        requested: total,
        startNs: 0,
        endNs,
        records,
        serverSoftware,
      };
      if (stopped) input.stopped = stopped;
      resolve(input);
    };

    t0 = process.hrtime.bigint();
    lastEnd = t0;
    instance = autocannon(
      {
        url: `http://${urlHost}:${target.port}${target.path}`,
        method: 'GET',
        headers,
        connections: cell.concurrency,
        amount: total,
        pipelining: 1,
        timeout: effectiveTimeoutMs / 1000,
        sampleInt: SAMPLE_INTERVAL_MS,
        setupClient,
      },
      finished,
    );
    if (aborted || stopped) instance.stop();
  });
}
