/**
 * ab's default mode: C slots, each making one new TCP connection per request, writing ab's
 * request, reading to EOF (a request ends at EOF, as in ab without -k).
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

export interface CloseClientOptions extends RunOptions {
  /** Force a transport (tests compare both); by default the fastest available. Ignored over TLS. */
  transport?: TransportKind;
}

/** Resolves a host name once, as ab does, so that no request pays for a lookup. */
export async function resolveHost(host: string): Promise<string> {
  if (isIP(host)) return host;
  return (await lookup(host)).address;
}

export async function runCloseClient(
  target: CellTarget,
  cell: CellSpec,
  opts: CloseClientOptions = {},
): Promise<CellInput> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const address = await resolveHost(target.host);
  if (signal?.aborted) throw abortError(signal);
  // ab's request, or the target's shaped one; several paths are taken in turn by the transport.
  const request = cellRequests(target.host, target.port, target.path, target.shape, 'close');
  const transport = target.tls
    ? tlsTransport(tlsConnectOptions(target, address, target.tls), request, new HandshakeTally())
    : createTransport(address, target.port, request, opts.transport);
  return new Promise<CellInput>((resolve, reject) => {
    new CloseRun(target, cell, opts, transport, { resolve, reject }).start();
  });
}

/** One of the C slots: its current connection, whose events it hands to the run that owns it. */
class CloseSlot implements ConnOwner {
  conn: unknown = null;
  startNs = 0n;
  /** The slot's current request, 1-based in start order. */
  request = 0;
  connected = false;
  readonly scanner = new ResponseScanner();
  readonly open: () => void;

  constructor(
    private readonly run: CloseRun,
    transport: Transport,
  ) {
    this.open = transport.opener(this);
  }

  onData(buf: Buffer, n: number): void {
    this.run.received(this, buf, n);
  }

  onEnd(): void {
    this.run.finish(this, this.scanner.endAtEof());
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
 * One cell in close mode: the slots, what their requests recorded, and when the cell ends
 * (all N requests ended, a stop, or an abort).
 */
class CloseRun {
  private readonly records: RequestRecord[] = [];
  private readonly slots: CloseSlot[] = [];
  private readonly total: number;
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
    private readonly opts: CloseClientOptions,
    private readonly transport: Transport,
    private readonly settle: Settle,
  ) {
    this.total = cell.requests;
    this.keepGoing = opts.keepGoing ?? false;
    this.timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.timeoutNs = BigInt(Math.round(this.timeoutMs * 1e6));
    this.progress = progressReporter(this.total, opts.onProgress, { records: this.records, onLive: opts.onLive });
    this.othersStarted = cell.concurrency === 1;
  }

  start(): void {
    this.sweep = setInterval(() => this.sweepTimeouts(), Math.max(5, Math.min(250, Math.floor(this.timeoutMs / 10))));
    this.opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    for (let i = 0; i < this.cell.concurrency; i++) this.slots.push(new CloseSlot(this, this.transport));
    this.t0 = process.hrtime.bigint();
    this.lastEnd = this.t0;
    this.startRequest(this.slots[0]!);
  }

  /** Bytes arrived for a slot's request: a complete header lets the other slots start. */
  received(slot: CloseSlot, buf: Buffer, n: number): void {
    const scanner = slot.scanner;
    if (scanner.push(buf, n)) {
      if (scanner.captureServer && !this.serverCaptured) {
        this.serverCaptured = true;
        this.serverSoftware = scanner.server;
      }
      this.startOthers();
    }
    if (scanner.failure !== null) this.finish(slot, scanner.failure);
  }

  /** A slot's request ended: it is recorded, and the slot starts the next one or the cell ends. */
  finish(slot: CloseSlot, failure: FailureKind | null, cause?: StopCause): void {
    this.account(slot, failure);
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

  /** Closes a slot's connection and records its request, ended now. */
  private account(slot: CloseSlot, failure: FailureKind | null): void {
    const end = process.hrtime.bigint();
    this.transport.close(slot.conn);
    slot.conn = null;
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

  private startRequest(slot: CloseSlot): void {
    if (this.settled || this.started >= this.total) return;
    this.started++;
    slot.request = this.started;
    slot.connected = false;
    slot.scanner.reset();
    slot.scanner.captureServer = !this.serverCaptured;
    slot.startNs = process.hrtime.bigint();
    slot.open();
  }

  private sweepTimeouts(): void {
    const now = process.hrtime.bigint();
    for (const slot of this.slots) {
      if (this.settled) return;
      if (slot.conn !== null && now - slot.startNs > this.timeoutNs) this.timedOut(slot);
    }
  }

  private timedOut(slot: CloseSlot): void {
    const bytes = slot.scanner.bytesRead;
    const phase = !slot.connected ? 'connecting' : bytes === 0 ? 'waiting' : 'reading';
    this.finish(slot, 'timeout', { kind: 'timeout', timeoutMs: this.timeoutMs, phase, bytes });
  }

  private cleanup(): void {
    this.settled = true;
    clearInterval(this.sweep);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    for (const slot of this.slots) {
      if (slot.conn !== null) {
        this.transport.close(slot.conn);
        slot.conn = null;
      }
    }
  }

  private done(): void {
    if (this.settled) return;
    this.cleanup();
    this.progress(this.finished, true);
    const input: CellInput = {
      mode: 'close',
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
