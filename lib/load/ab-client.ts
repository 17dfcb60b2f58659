/**
 * ab's two modes as Gauntlet runs them: C slots, each carrying one request at a time.
 * - Close mode (ab's default): one new TCP connection per request, writing ab's request,
 *   reading to EOF (a request ends at EOF, as in ab without -k).
 * - Keep-alive mode over plain TCP (below the close mode's notes): the connection is kept from
 *   request to request.
 *
 * Kept from ab (support/ab.c, 2.4):
 * - Only slot 0 connects at first; the other C - 1 slots start when the first complete response
 *   header arrives (ab's `requests_initialized`, set in read_connection() once a header was read,
 *   to find a working address first). With a slow first response this shows in the time taken,
 *   as it does with ab.
 * - A slot that finishes a request starts the next one at once (close_connection() calls
 *   start_connect()), until N requests have been started.
 * - A request's time runs from just before connect to EOF (c->start to c->done, taken before the
 *   socket is closed); the cell's time from just before the first connect to the last end.
 * - The cell stops at its first failed connect and at its first timeout, as ab stops (without
 *   -r, a refused connect is fatal; its -s timeout ends the run), unless RunOptions.keepGoing.
 * Changed from ab, so that a failing server cannot make a cell last N x timeout or lie:
 * - A request is complete only when its response was received whole (response-scan.ts follows
 *   the framing); a response found bad while reading (oversized head, overrun, malformed
 *   framing) ends its request at once, which bounds an endless head or an overlong body.
 * - The other C - 1 slots also start when the first request ends without a header (ab would have
 *   stopped there, or with -r waited for a header that may never come): with keepGoing, a server
 *   that never answers then costs about ceil(N / C) x timeout, not N x timeout.
 * - The timeout is per request (ab's is an inactivity timeout of its whole poll loop).
 *
 * A target with a `shape` sends it instead of ab's GET, as ab sends -m, -H, -p and -T
 * (ab-request.ts); several paths go round robin, request i (in start order) to path i mod n.
 *
 * Over TLS (a target with `tls`) every request makes its own TLS connection and full handshake,
 * as ab does against an https URL; the handshakes are tallied apart (tls.ts).
 *
 * Hot path: one connection and one small record per request; reads land in a buffer shared by
 * all connections (see transport.ts), so no chunk is allocated or concatenated. Only a header split
 * over several reads is copied, into the slot's own 8 KB buffer (as ab's cbuff); bodies are
 * counted, never kept, so memory stays flat whatever the server sends.
 *
 * Keep-alive mode (a target with mode 'keepalive', over TCP or TLS). It first ran on autocannon,
 * whose client parses every response with
 * http-parser-js and builds objects per response, and on a two-core machine whose other core runs
 * the server that CPU is what limits the rate (about 0.85 of wrk's requests per second on the
 * same nginx). Here a response costs one read into the shared buffer and one scan of its head.
 * How it departs from `ab -k -n N -c C`:
 * - Request: `GET {path} HTTP/1.1`, `Connection: keep-alive`, then ab's headers in ab's order
 *   (ab-request.ts), or the target's shaped request, paths in turn as above. ab -k sends HTTP/1.0
 *   with `Connection: Keep-Alive`.
 * - All C slots connect at once (ab starts the other C - 1 after the first header, as close mode
 *   does). A response that says the server closes (`Connection: close`, or HTTP/1.0 without
 *   keep-alive) closes the connection and the slot's next request opens a new one; so does any
 *   failed request. ab -k reuses a connection only after a response with Content-Length and
 *   "Keep-Alive".
 * - A request's time runs from just before its write (before the connect, for the first request
 *   of a connection, as in ab -k) to the end of its response.
 * - A response is complete at its framed end (Content-Length or chunked), or at EOF when EOF
 *   frames it. A byte after the framed end is 'overrun' (no request asked for it); EOF before the
 *   end, a close before any byte included, is 'truncated': a request written into a connection
 *   the server was closing is counted failed, not silently sent again.
 */
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { CellSpec, CellStop } from '../types.ts';
import type { CellInput, FailureKind, RequestRecord } from './ab-figures.ts';
import { cellRequests } from './ab-request.ts';
import { ResponseScanner } from './response-scan.ts';
import { createTransport, type ConnOwner, type Transport, type TransportKind } from './transport.ts';
import { HandshakeTally, tlsConnectOptions, type CellTarget } from './tls.ts';
import { tlsTransport } from './tls-transport.ts';
import {
  abortError,
  cellStop,
  DEFAULT_TIMEOUT_MS,
  progressReporter,
  type RunOptions,
  type Settle,
  type StopCause,
} from './common.ts';

export interface AbClientOptions extends RunOptions {
  /** Force a transport (tests compare both); by default the fastest available. Ignored over TLS. */
  transport?: TransportKind;
}

/** Resolves a host name once, as ab does, so that no request pays for a lookup. */
export async function resolveHost(host: string): Promise<string> {
  if (isIP(host)) return host;
  return (await lookup(host)).address;
}

/**
 * Whether Nagle's algorithm must be off. A close-mode request goes out at once without it: it is
 * the connection's first write, with nothing unacknowledged before it, and Nagle holds back only
 * a partial segment behind one; a request of more than one segment (over a network, about 1.4 KB)
 * would wait for an acknowledgement. A kept-alive connection writes again and again. The
 * setsockopt it saves is one of a dozen system calls a close-mode request costs.
 */
function needsNoDelay(mode: CellTarget['mode'], request: Buffer | readonly Buffer[]): boolean {
  if (mode === 'keepalive') return true;
  const requests = Buffer.isBuffer(request) ? [request] : request;
  return requests.some((r) => r.length > 1024);
}

/**
 * The transport of a cell's connections to `address`: TLS for a target with `tls`, else plain
 * TCP (`kind` forces one), sending ab's request or the target's shaped one, several paths in turn.
 */
export function cellTransport(target: CellTarget, address: string, kind?: TransportKind): Transport {
  const request = cellRequests(target.host, target.port, target.path, target.shape, target.mode);
  return target.tls
    ? tlsTransport(tlsConnectOptions(target, address, target.tls), request, new HandshakeTally())
    : createTransport(address, target.port, request, kind, needsNoDelay(target.mode, request));
}

export async function runAbClient(target: CellTarget, cell: CellSpec, opts: AbClientOptions = {}): Promise<CellInput> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const address = await resolveHost(target.host);
  if (signal?.aborted) throw abortError(signal);
  const transport = cellTransport(target, address, opts.transport);
  return new Promise<CellInput>((resolve, reject) => {
    new AbRun(target, cell, opts, transport, { resolve, reject }).start();
  });
}

/** One of the C slots: its current connection, whose events it hands to the run that owns it. */
class AbSlot implements ConnOwner {
  conn: unknown = null;
  startNs = 0n;
  /** The slot's current request, 1-based in start order. */
  request = 0;
  connected = false;
  readonly scanner = new ResponseScanner();
  readonly open: () => void;

  constructor(
    private readonly run: AbRun,
    transport: Transport,
  ) {
    this.open = transport.opener(this);
  }

  onData(buf: Buffer, n: number): void {
    this.run.received(this, buf, n);
  }

  onEnd(): void {
    this.run.finish(this, this.scanner.endAtEof(), undefined, true);
  }

  onError(failure: 'connect' | 'reset', code: string | null): void {
    if (failure === 'connect') this.run.finish(this, 'connect', { kind: 'connect', code });
    else this.run.finish(this, 'reset');
  }

  onConnect(): void {
    this.connected = true;
  }
}

/**
 * One cell in either mode: the slots, what their requests recorded, and when the cell ends
 * (all N requests ended, a stop, or an abort).
 */
class AbRun {
  private readonly records: RequestRecord[] = [];
  private readonly slots: AbSlot[] = [];
  private readonly total: number;
  /** Keep-alive mode: connections carry request after request. */
  private readonly keepAlive: boolean;
  private readonly keepGoing: boolean;
  private readonly timeoutMs: number;
  private readonly timeoutNs: bigint;
  private readonly progress: (done: number, final?: boolean) => void;
  private t0 = 0n;
  private lastEnd = 0n;
  private started = 0;
  private finished = 0;
  private othersStarted: boolean;
  private serverSoftware: string | null = null;
  private serverCaptured = false;
  private settled = false;
  private stopped: CellStop | undefined;
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: CellTarget,
    private readonly cell: CellSpec,
    private readonly opts: AbClientOptions,
    private readonly transport: Transport,
    private readonly settle: Settle,
  ) {
    this.total = cell.requests;
    this.keepAlive = target.mode === 'keepalive';
    if (this.keepAlive && !transport.resend)
      throw new Error(`the ${transport.kind} transport cannot keep a connection alive`);
    this.keepGoing = opts.keepGoing ?? false;
    this.timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.timeoutNs = BigInt(Math.round(this.timeoutMs * 1e6));
    this.progress = progressReporter(this.total, opts.onProgress, { records: this.records, onLive: opts.onLive });
    this.othersStarted = cell.concurrency === 1;
  }

  start(): void {
    this.sweep = setInterval(() => this.sweepTimeouts(), Math.max(5, Math.min(250, Math.floor(this.timeoutMs / 10))));
    this.opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    const headOnly = this.target.shape?.method === 'HEAD';
    for (let i = 0; i < this.cell.concurrency; i++) {
      const slot = new AbSlot(this, this.transport);
      slot.scanner.headOnly = headOnly;
      this.slots.push(slot);
    }
    this.t0 = process.hrtime.bigint();
    this.lastEnd = this.t0;
    this.startRequest(this.slots[0]!);
    if (this.keepAlive) this.startOthers();
  }

  /** Bytes arrived for a slot's request: a complete header lets the other slots start. */
  received(slot: AbSlot, buf: Buffer, n: number): void {
    const scanner = slot.scanner;
    if (scanner.push(buf, n)) {
      if (scanner.captureServer && !this.serverCaptured) {
        this.serverCaptured = true;
        this.serverSoftware = scanner.server;
      }
      this.startOthers();
    }
    if (scanner.failure !== null) this.finish(slot, scanner.failure);
    else if (this.keepAlive && scanner.framedEnd) this.finish(slot, null);
  }

  /** A slot's request ended: it is recorded, and the slot starts the next one or the cell ends. */
  finish(slot: AbSlot, failure: FailureKind | null, cause?: StopCause, eof = false): void {
    this.account(slot, failure, eof);
    if (cause && !this.keepGoing && this.finished < this.total) {
      this.stopped = cellStop(cause, slot.request, this.total, this.finished);
      this.done();
      return;
    }
    if (this.finished === this.total) {
      this.done();
      return;
    }
    this.progress(this.finished);
    this.startOthers();
    this.startRequest(slot);
  }

  /**
   * Records a slot's request, ended now, and closes its connection: always in close mode; in
   * keep-alive mode when the server closed it (EOF), the request failed or the response said
   * the server closes.
   */
  private account(slot: AbSlot, failure: FailureKind | null, eof: boolean): void {
    const end = process.hrtime.bigint();
    if (!this.keepAlive || eof || failure !== null || slot.scanner.closes) this.dropConnection(slot);
    const scanner = slot.scanner;
    this.records.push({
      startNs: Number(slot.startNs - this.t0),
      endNs: Number(end - this.t0),
      status: scanner.status,
      headerBytes: scanner.headerBytes,
      bodyBytes: scanner.bodyBytes,
      failure,
    });
    this.lastEnd = end;
    this.finished++;
  }

  private startOthers(): void {
    if (this.othersStarted) return;
    this.othersStarted = true;
    for (let i = 1; i < this.slots.length; i++) this.startRequest(this.slots[i]!);
  }

  private startRequest(slot: AbSlot): void {
    if (this.settled || this.started >= this.total) {
      // Nothing more to send: a kept-alive connection is closed now rather than at the end.
      this.dropConnection(slot);
      return;
    }
    this.started++;
    slot.request = this.started;
    slot.scanner.reset();
    slot.scanner.captureServer = !this.serverCaptured;
    slot.startNs = process.hrtime.bigint();
    if (slot.conn === null) {
      slot.connected = false;
      slot.open();
    } else {
      this.transport.resend!(slot);
    }
  }

  private dropConnection(slot: AbSlot): void {
    if (slot.conn === null) return;
    this.transport.close(slot.conn);
    slot.conn = null;
  }

  private sweepTimeouts(): void {
    const now = process.hrtime.bigint();
    for (const slot of this.slots) {
      if (this.settled) return;
      if (slot.conn !== null && now - slot.startNs > this.timeoutNs) this.timedOut(slot);
    }
  }

  private timedOut(slot: AbSlot): void {
    const bytes = slot.scanner.bytesRead;
    const phase = !slot.connected ? 'connecting' : bytes === 0 ? 'waiting' : 'reading';
    this.finish(slot, 'timeout', { kind: 'timeout', timeoutMs: this.timeoutMs, phase, bytes });
  }

  private cleanup(): void {
    this.settled = true;
    clearInterval(this.sweep);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    for (const slot of this.slots) this.dropConnection(slot);
  }

  private done(): void {
    if (this.settled) return;
    this.cleanup();
    this.progress(this.finished, true);
    const input: CellInput = {
      mode: this.keepAlive ? 'keepalive' : 'close',
      path: this.target.path,
      concurrency: this.cell.concurrency,
      requested: this.total,
      startNs: 0,
      endNs: Number(this.lastEnd - this.t0),
      records: this.records,
      serverSoftware: this.serverSoftware,
    };
    if (this.stopped) input.stopped = this.stopped;
    if (this.transport.handshakes) input.tls = this.transport.handshakes.summary();
    this.settle.resolve(input);
  }

  private readonly onAbort = (): void => {
    if (this.settled) return;
    this.cleanup();
    this.settle.reject(abortError(this.opts.signal!));
  };
}
