/**
 * Keep-alive mode over TLS (plain TCP runs on ab-client.ts): autocannon (v8, programmatic) with
 * `amount: N, connections: C`, timed by the engine itself.
 *
 * What is measured, and how it departs from `ab -k -n N -c C`:
 * - Request: `GET {path} HTTP/1.1`, autocannon's hard-coded `Connection: keep-alive`, then ab's
 *   headers in ab's order (Host without ":80", User-Agent: ApacheBench/2.3, Accept: *\/*).
 *   ab -k sends HTTP/1.0 with `Connection: Keep-Alive`; autocannon cannot send another version.
 *   The bytes are built by ab-request.ts and handed to each client in place of autocannon's own
 *   (the same bytes for a plain GET): a shaped request (any method, headers, a body framed by
 *   Content-length or chunked) and several paths, request i (in the order all the clients send)
 *   going to path i mod n, which autocannon's per-client request lists cannot do.
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
 * - TLS (a target with `tls`): autocannon's https client, one full handshake per connection.
 *   autocannon never checks certificates (it forces rejectUnauthorized off), so unless the target
 *   is `insecure` each connection is checked here as its session is established, and destroyed
 *   when node found its certificate wanting (authorizationError): the request, which autocannon
 *   wrote at connect, fails as a failed connect with the certificate's error code, as in close
 *   mode. The handshakes are tallied apart (tls.ts).
 */
import autocannon from 'autocannon';
import { isIP, isIPv6, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { inspect } from 'node:util';
import type { CellSpec, CellStop } from '../types.ts';
import type { CellInput, FailureKind, RequestRecord } from './ab-figures.ts';
import { abHeaders, cellRequests, requestCycle } from './ab-request.ts';
import { resolveHost } from './ab-client.ts';
import {
  abortError,
  cellStop,
  DEFAULT_TIMEOUT_MS,
  progressReporter,
  type RunOptions,
  type Settle,
  type StopCause,
} from './common.ts';
import { HEADER_SPACE } from './response-scan.ts';
import { HandshakeTally, tlsErrorCode, type CellTarget } from './tls.ts';

/**
 * autocannon checks its stop flag only on its sample tick (default 1000 ms): a short tick lets the
 * run end, and an abort take effect, within a few milliseconds.
 */
const SAMPLE_INTERVAL_MS = 5;

/** What the `headers` event really carries (http-parser-js's info object, not node's headers). */
interface ParserInfo {
  headers?: unknown;
}

/**
 * The parts of autocannon's client (lib/httpClient.js, v8) this module reaches into. The methods
 * it wraps are properties, since they are replaced and called with the client as `this`.
 */
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
  _connect: (this: ClientInternals) => void;
  _doRequest: (this: ClientInternals) => void;
  _destroyConnection: (this: ClientInternals) => void;
  _resetConnection(): void;
  getRequestBuffer: () => Buffer;
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
    ...(['_connect', '_doRequest', '_destroyConnection', '_resetConnection', 'getRequestBuffer'] as const).map((m) =>
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
    if (String(list[i]).toLowerCase() === 'server') return firstWord(String(list[i + 1]));
  }
  return null;
}

/** The text up to the first space or control character (ab's sscanf of the Server header). */
function firstWord(text: string): string {
  let end = 0;
  while (end < text.length && text.charCodeAt(end) > 0x20) end++;
  return text.slice(0, end);
}

export async function runKeepAliveClient(
  target: CellTarget,
  cell: CellSpec,
  opts: RunOptions = {},
): Promise<CellInput> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const address = await resolveHost(target.host);
  if (signal?.aborted) throw abortError(signal);
  return new Promise<CellInput>((resolve, reject) => {
    new KeepAliveRun(target, cell, opts, { resolve, reject }).start(address);
  });
}

/**
 * One cell in keep-alive mode: autocannon's instance, what its clients reported, and when the
 * cell ends (autocannon's callback, after N requests, a stop or an abort).
 */
class KeepAliveRun {
  readonly records: RequestRecord[] = [];
  readonly total: number;
  readonly effectiveTimeoutMs: number;
  private readonly keepGoing: boolean;
  private readonly progress: (done: number, final?: boolean) => void;
  private t0 = 0n;
  private lastEnd = 0n;
  private serverSoftware: string | null = null;
  private serverCaptured = false;
  /** Set at the first failure that stops the cell: later events are ignored. */
  stopped: CellStop | undefined;
  private instance: autocannon.Instance | undefined;
  private aborted = false;
  private settled = false;
  /** The handshakes of a cell over TLS; null over plain TCP. */
  readonly handshakes: HandshakeTally | null;
  /** The next request's bytes, shared by every client. */
  readonly nextRequest: () => Buffer;

  constructor(
    readonly target: CellTarget,
    private readonly cell: CellSpec,
    private readonly opts: RunOptions,
    private readonly settle: Settle,
  ) {
    this.total = cell.requests;
    this.keepGoing = opts.keepGoing ?? false;
    this.effectiveTimeoutMs = Math.max(1000, target.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.progress = progressReporter(this.total, opts.onProgress, { records: this.records, onLive: opts.onLive });
    this.handshakes = target.tls ? new HandshakeTally() : null;
    this.nextRequest = requestCycle(cellRequests(target.host, target.port, target.path, target.shape, 'keepalive'));
  }

  start(address: string): void {
    const { target, cell } = this;
    this.opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    const urlHost = isIPv6(address) ? `[${address}]` : address;
    const headers = Object.fromEntries(abHeaders(target.host, target.port));
    this.t0 = process.hrtime.bigint();
    this.lastEnd = this.t0;
    const servername = target.tls?.servername ?? (isIP(target.host) ? undefined : target.host);
    this.instance = autocannon(
      {
        url: `${target.tls ? 'https' : 'http'}://${urlHost}:${target.port}${target.path}`,
        ...(servername !== undefined && target.tls ? { servername } : {}),
        // Read by node when it checks the certificate, though autocannon never refuses one itself.
        ...(target.tls?.ca === undefined ? {} : { tlsOptions: { ca: target.tls.ca } }),
        method: 'GET',
        headers,
        connections: cell.concurrency,
        amount: this.total,
        pipelining: 1,
        timeout: this.effectiveTimeoutMs / 1000,
        sampleInt: SAMPLE_INTERVAL_MS,
        setupClient: (client) => watchClient(client, this),
      },
      this.finished,
    );
    if (this.aborted || this.stopped) this.instance.stop();
  }

  /** The first response's Server header is the cell's Server Software. */
  headersSeen(info: unknown): void {
    if (this.serverCaptured) return;
    this.serverCaptured = true;
    this.serverSoftware = serverToken(info as ParserInfo);
  }

  /** autocannon reported a complete response, `responseTime` ms after its request was written. */
  completed(status: number, responseBytes: number, bodyBytes: number, responseTime: number): void {
    const end = process.hrtime.bigint();
    const endNs = Number(end - this.t0);
    this.record(
      {
        startNs: endNs - responseTime * 1e6,
        endNs,
        status,
        headerBytes: responseBytes - bodyBytes,
        bodyBytes,
        failure: null,
      },
      end,
    );
  }

  /** A request failed; a cause stops the cell unless keepGoing. */
  failed(failure: FailureKind, cause?: StopCause): void {
    if (this.stopped) return;
    const end = process.hrtime.bigint();
    const endNs = Number(end - this.t0);
    this.record({ startNs: endNs, endNs, status: null, headerBytes: 0, bodyBytes: 0, failure }, end);
    if (cause && !this.keepGoing && this.records.length < this.total) {
      this.stopped = cellStop(cause, this.records.length, this.total, this.records.length);
      this.instance?.stop();
    }
  }

  private record(r: RequestRecord, end: bigint): void {
    if (this.stopped) return;
    this.records.push(r);
    this.lastEnd = end;
    this.progress(this.records.length);
  }

  private readonly onAbort = (): void => {
    this.aborted = true;
    // Clients are destroyed on autocannon's next sample tick, then finished() rejects.
    this.instance?.stop();
  };

  private readonly finished = (err: unknown): void => {
    if (this.settled) return;
    this.settled = true;
    const { signal } = this.opts;
    signal?.removeEventListener('abort', this.onAbort);
    if (this.aborted) this.settle.reject(abortError(signal!));
    else if (err)
      this.settle.reject(err instanceof Error ? err : new Error(typeof err === 'string' ? err : inspect(err)));
    else this.settle.resolve(this.cellInput());
  };

  private cellInput(): CellInput {
    const endNs = Number(this.lastEnd - this.t0);
    // Requests lost to a closed connection; a stopped cell's unreported requests were cut by the stop.
    const lost = this.stopped ? 0 : Math.max(0, this.total - this.records.length);
    for (let i = 0; i < lost; i++) {
      this.records.push({ startNs: endNs, endNs, status: null, headerBytes: 0, bodyBytes: 0, failure: 'truncated' });
    }
    this.progress(this.records.length, true);
    const input: CellInput = {
      mode: 'keepalive',
      path: this.target.path,
      concurrency: this.cell.concurrency,
      requested: this.total,
      startNs: 0,
      endNs,
      records: this.records,
      serverSoftware: this.serverSoftware,
    };
    if (this.stopped) input.stopped = this.stopped;
    if (this.handshakes) input.tls = this.handshakes.summary();
    return input;
  }
}

/** What one autocannon client's current connection and request have got so far. */
class ClientState {
  /** Body bytes of the response being read, counted instead of kept. */
  bodyBytes = 0;
  /** Bytes read while the current request was the one in flight. */
  bytesThisRequest = 0;
  connected = false;
  /** Over TLS: the current connection's TCP connect time, and whether its session is established. */
  tcpAt = 0n;
  secure = false;
  /** Set while the parser is finished at EOF: the request autocannon then starts is dropped. */
  skipRequest = false;
  /** What the request had got when its connection was destroyed (a timeout destroys it first). */
  connectedAtDestroy = false;
  bytesAtDestroy = 0;
}

/** Installs the accounting on one of autocannon's clients (its setupClient hook). */
function watchClient(client: autocannon.Client, run: KeepAliveRun): void {
  const inner = clientInternals(client);
  const state = new ClientState();
  // _doRequest writes what this returns, once per request sent.
  inner.getRequestBuffer = run.nextRequest;
  countBodies(inner, state);
  limitParser(inner, state, run);
  finishBodiesAtEof(inner, state, run);
  noteDestroyedRequests(inner, state);
  listenToClient(client, inner, state, run);
}

/** Counts the body instead of letting autocannon keep it. */
function countBodies(inner: ClientInternals, state: ClientState): void {
  inner.pipelinedRequests.addBody = (data: Buffer) => {
    state.bodyBytes += data.length;
  };
}

/** ab's head limit, the bytes of each request, and a parse error as the request's failure. */
function limitParser(inner: ClientInternals, state: ClientState, run: KeepAliveRun): void {
  const parser = inner.parser;
  parser.maxHeaderSize = HEADER_SPACE;
  const execute = parser.execute.bind(parser);
  parser.execute = (chunk: Buffer, start?: number, length?: number) => {
    state.bytesThisRequest += chunk.length;
    const r = execute(chunk, start, length);
    if (r instanceof Error && !run.stopped) {
      run.failed(parseFailure(r));
      inner._resetConnection();
    }
    return r;
  };
}

/**
 * A response whose body ends at EOF: autocannon never tells the parser about EOF, so it would
 * lose the response. The parser is finished at EOF instead, before autocannon's own 'end' handler
 * reconnects; the next request autocannon then starts on the dead connection is skipped, since the
 * reconnect starts one. The parser is also reset on every new connection.
 */
function finishBodiesAtEof(inner: ClientInternals, state: ClientState, run: KeepAliveRun): void {
  const parser = inner.parser;
  const doRequest = inner._doRequest;
  inner._doRequest = function (this: ClientInternals) {
    if (state.skipRequest) {
      state.skipRequest = false;
      return;
    }
    doRequest.call(this);
  };
  const connect = inner._connect;
  inner._connect = function (this: ClientInternals) {
    parser.initialize(parser.type);
    state.connected = false;
    connect.call(this);
    state.secure = false;
    state.tcpAt = 0n;
    this.conn.once('connect', () => {
      // Over TLS the connection counts as made once its session is (checkHandshake), as in close mode.
      if (!run.handshakes) state.connected = true;
      state.tcpAt = process.hrtime.bigint();
    });
    if (run.handshakes) checkHandshake(this.conn as TLSSocket, state, run, run.handshakes);
    this.conn.prependListener('end', () => {
      if (run.stopped || parser.state !== 'BODY_RAW') return;
      state.skipRequest = true;
      parser.finish();
      state.skipRequest = false;
    });
  };
}

/**
 * autocannon's timeout handler destroys the connection and starts the next request before it
 * emits 'timeout': what the timed-out request had got is taken as its connection is destroyed.
 */
function noteDestroyedRequests(inner: ClientInternals, state: ClientState): void {
  const destroyConnection = inner._destroyConnection;
  inner._destroyConnection = function (this: ClientInternals) {
    state.connectedAtDestroy = state.connected;
    state.bytesAtDestroy = state.bytesThisRequest;
    destroyConnection.call(this);
  };
}

/** A client's events: each becomes a record of the run. */
function listenToClient(
  client: autocannon.Client,
  inner: ClientInternals,
  state: ClientState,
  run: KeepAliveRun,
): void {
  inner.on('request', () => {
    state.bytesThisRequest = 0;
  });
  client.on('headers', (info: unknown) => {
    state.bodyBytes = 0;
    run.headersSeen(info);
  });
  client.on('response', (statusCode: number, resBytes: number, responseTime: number) => {
    run.completed(statusCode, resBytes, state.bodyBytes, responseTime);
  });
  // Events the typings leave out: a connection error, and a request that timed out.
  const emitter = client as unknown as NodeJS.EventEmitter;
  emitter.on('connError', (err: NodeJS.ErrnoException) => {
    if (err?.syscall === 'connect') run.failed('connect', { kind: 'connect', code: err.code ?? null });
    else if (run.handshakes && !state.secure) handshakeFailed(err, state, run, run.handshakes);
    else run.failed('reset');
  });
  emitter.on('timeout', () => {
    const bytes = state.bytesAtDestroy;
    const phase = !state.connectedAtDestroy ? 'connecting' : bytes === 0 ? 'waiting' : 'reading';
    run.failed('timeout', { kind: 'timeout', timeoutMs: run.effectiveTimeoutMs, phase, bytes });
  });
}

/**
 * Times a TLS connection's handshake and, unless the target is insecure, refuses a certificate
 * node found wanting: autocannon connects with rejectUnauthorized off, and node then still
 * checks the chain and the name, and says what it found in authorized and authorizationError.
 */
function checkHandshake(conn: TLSSocket, state: ClientState, run: KeepAliveRun, handshakes: HandshakeTally): void {
  conn.prependOnceListener('secureConnect', () => {
    if (!run.target.tls?.insecure && !conn.authorized) {
      const code = String(conn.authorizationError);
      conn.destroy(Object.assign(new Error(`TLS certificate rejected: ${code}`), { code }));
      return;
    }
    state.secure = true;
    state.connected = true;
    // As for the records, what happens after a stop is not the cell's.
    if (!run.stopped) handshakes.completed(Number(process.hrtime.bigint() - state.tcpAt));
  });
}

/** A connection error before the TLS session was established: a failed connect, with its code. */
function handshakeFailed(err: unknown, state: ClientState, run: KeepAliveRun, handshakes: HandshakeTally): void {
  const code = tlsErrorCode(err);
  if (state.tcpAt !== 0n && !run.stopped) handshakes.failed(code);
  run.failed('connect', { kind: 'connect', code });
}
