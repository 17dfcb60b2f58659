/**
 * The conformance client: a TCP connection on node:net that writes a request exactly as given,
 * part by part, and records everything the server does in reply. No HTTP library sits in
 * between, so nothing normalises, completes or refuses the bytes a case sends.
 *
 * It never throws for anything the server does: a reset, a close, silence and garbage are all
 * observations, and so is a connection the server refuses or never accepts. Only a fault on
 * the harness's own side (no local port or descriptor left) is a harness error.
 *
 * Whatever the server does, an exchange is bounded. In time: a deadline covers connecting,
 * sending and the whole response, so a server that drips a byte a second or streams forever
 * cannot stretch it. In memory: the client keeps the first RECEIVE_KEEP_BYTES a server sends
 * and only counts the rest, and stops at a response head longer than MAX_HEAD_BYTES.
 *
 * Over TLS (ExchangeOptions.tls) the same bytes are written inside a TLS session, part by part
 * as TLS records: a case's framing is kept, though the segments on the wire are the records'.
 * The connection counts as made once the session is established.
 */
import { connect, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Exchange, ExchangeLimit, RequestPart, WireEvent } from './types.ts';
import { HEAD_TOO_LARGE, MAX_HEAD_BYTES, parseResponses } from './response-parser.ts';
import { dialTls, handshakeBrokenOff, handshakeRefused, type ClientTls } from './raw-tls.ts';

export type { ClientTls } from './raw-tls.ts';

/** What the client keeps of the bytes a server sends on one connection; the rest is counted. */
export const RECEIVE_KEEP_BYTES = 1024 * 1024;

/** Above this many kept bytes, the bytes so far are parsed at most every PARSE_INTERVAL_MS. */
const PARSE_EVERY_TICK_BYTES = 256 * 1024;
const PARSE_INTERVAL_MS = 50;

/**
 * The deadline of an exchange, ms from its start: the request's own pauses, then twice the
 * silence limit and a second. A server that answers within its silence limit never reaches
 * it; one that keeps sending without ever finishing does.
 */
export function exchangeDeadlineMs(parts: readonly RequestPart[], timeoutMs: number): number {
  const pauses = parts.reduce((ms, p) => ms + Math.max(0, p.delayMs ?? 0), 0);
  return pauses + 2 * timeoutMs + 1_000;
}

export interface ExchangeOptions {
  /**
   * How long a silence ends the exchange, ms: counted from the last byte received or written
   * (deliberate pauses between parts do not count). Also the limit for connecting.
   */
  timeoutMs: number;
  /** The method of each expected final response, so that responses to HEAD are parsed without a body. */
  methods?: readonly string[];
  /**
   * Stop waiting once this many complete final responses have arrived and `settleMs` passed with
   * nothing more: the client then closes (`closedBy: 'client'`). Without it the exchange lasts
   * until the server closes or the silence limit.
   */
  expectResponses?: number;
  /** How long to watch for more bytes after `expectResponses` responses, ms (default 100). */
  settleMs?: number;
  /** The whole exchange's limit, ms from its start, connecting included (default exchangeDeadlineMs). */
  deadlineMs?: number;
  /** How many received bytes are kept (default RECEIVE_KEEP_BYTES); the rest are counted. */
  keepBytes?: number;
  /** Ends the exchange at once (`closedBy: 'client'`), e.g. when the run it belongs to is out of time. */
  signal?: AbortSignal;
  /** Talk TLS (https) instead of plain TCP. */
  tls?: ClientTls;
}

/** A request part's bytes: strings are latin1, one byte per char. */
export function partBytes(part: RequestPart): Uint8Array {
  return typeof part.data === 'string' ? Buffer.from(part.data, 'latin1') : part.data;
}

/** The bytes of a whole request, parts joined. */
export function requestBytes(parts: readonly RequestPart[]): Uint8Array {
  return Buffer.concat(parts.map(partBytes));
}

function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : ((err as Error | undefined)?.message ?? String(err));
}

/**
 * Connect errors that come from the server's side of the connection: nobody listening or a
 * full accept queue (ECONNREFUSED), a reset while connecting, a connection aborted. Anything
 * else (EMFILE, EADDRNOTAVAIL, ...) is the harness's own machine failing it.
 */
const SERVER_SIDE_CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE']);

/** Why a connection was not made, and whose doing it was. */
export type ConnectProblem = { byServer: boolean; message: string };

/** The sentence for a connect error: the server's when its code says so. */
export function connectProblem(host: string, port: number, code: string): ConnectProblem {
  if (code === 'ECONNREFUSED')
    return { byServer: true, message: `connection refused by the server at ${host}:${port} (ECONNREFUSED)` };
  if (SERVER_SIDE_CONNECT_ERRORS.has(code))
    return {
      byServer: true,
      message: `the server at ${host}:${port} broke off the connection while it was being made (${code})`,
    };
  return { byServer: false, message: `could not connect to ${host}:${port}: ${code}` };
}

/** A failed TLS handshake: the server's doing when it broke the connection off, else the harness's (a setting). */
function handshakeProblem(host: string, port: number, err: unknown): ConnectProblem {
  const code = errorCode(err);
  return SERVER_SIDE_CONNECT_ERRORS.has(code)
    ? { byServer: true, message: handshakeBrokenOff(host, port, code) }
    : { byServer: false, message: handshakeRefused(host, port, err, code) };
}

/** The sentence for a connect that did not complete in time: the server did not accept it. */
export function connectTimeout(host: string, port: number, timeoutMs: number): ConnectProblem {
  return {
    byServer: true,
    message: `could not connect to ${host}:${port} within ${timeoutMs} ms: the server did not accept`,
  };
}

/** Why no request could be sent on an exchange (whoever's fault it was), or undefined when one was. */
export function unreachable(ex: Exchange): string | undefined {
  return ex.harnessError ?? ex.connectFailure;
}

function emptyExchange(host: string, port: number, problem: ConnectProblem): Exchange {
  return {
    sent: new Uint8Array(0),
    received: new Uint8Array(0),
    responses: [],
    interim: [],
    trailingGarbage: 0,
    closedBy: 'client',
    reset: false,
    closeAfterMs: null,
    ...(problem.byServer ? { connectFailure: problem.message } : { harnessError: problem.message }),
    timeline: [],
    peer: { host, port },
  };
}

/** Connects (over TLS, once the session is established), or says why not (nothing was sent yet). */
function open(
  host: string,
  port: number,
  timeoutMs: number,
  opts: Pick<ExchangeOptions, 'signal' | 'tls'>,
): Promise<Socket | ConnectProblem> {
  const { signal, tls } = opts;
  return new Promise((resolve) => {
    const socket = tls ? dialTls(host, port, tls) : connect({ host, port, allowHalfOpen: true });
    let settled = false;
    let tcpConnected = false;
    const settle = (value: Socket | ConnectProblem) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (!(value instanceof Socket)) socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => settle(connectTimeout(host, port, timeoutMs)), timeoutMs);
    const onAbort = () =>
      settle({ byServer: false, message: `the exchange with ${host}:${port} was called off before it connected` });
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      tcpConnected = true;
      if (!tls) settle(socket);
    });
    if (tls) socket.once('secureConnect', () => settle(socket));
    // Stays attached after the connect, so that an error before the exchange listens is not thrown.
    socket.on('error', (err) =>
      settle(tls && tcpConnected ? handshakeProblem(host, port, err) : connectProblem(host, port, errorCode(err))),
    );
  });
}

type Timer = ReturnType<typeof setTimeout>;

/**
 * One exchange on a connection just made: what is written and read with its times, the timers
 * that bound it (silence, deadline, settling after the expected responses), and how it ended.
 * `finished` settles once it has ended, whoever ended it.
 */
class WireExchange {
  private readonly sentChunks: Uint8Array[] = [];
  private readonly keptChunks: Uint8Array[] = [];
  private readonly timeline: WireEvent[] = [];
  private sentBytes = 0;
  private keptBytes = 0;
  private receivedBytes = 0;
  /** When the first byte went or came: the zero of the timeline. */
  private t0: number | null = null;
  private closedBy: Exchange['closedBy'] | null = null;
  private reset = false;
  private closeAfterMs: number | null = null;
  private limit: ExchangeLimit | null = null;
  private unsent = 0;
  private silence: Timer | null = null;
  private settle: Timer | null = null;
  private parseTimer: Timer | NodeJS.Immediate | null = null;
  private lastParseAt = 0;
  private keptAtLastParse = 0;
  private readonly deadline: Timer;
  private finish: () => void = () => {};
  readonly finished = new Promise<void>((r) => (this.finish = r));
  private readonly onAbort = () => this.end('client');

  constructor(
    private readonly socket: Socket,
    private readonly peer: { host: string; port: number },
    private readonly opts: ExchangeOptions,
    private readonly keepBytes: number,
    deadline: { ms: number; begun: number },
  ) {
    const remaining = Math.max(0, deadline.ms - (performance.now() - deadline.begun));
    this.deadline = setTimeout(
      () =>
        this.stopAt({
          kind: 'deadline',
          message: `the exchange reached its deadline of ${deadline.ms} ms (connecting, the request and the whole response) before the server had finished`,
        }),
      remaining,
    );
    if (opts.signal?.aborted) this.onAbort();
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    // FIN from the server. The client's side stays open (allowHalfOpen) until the exchange ends.
    socket.on('end', () => this.end('server'));
    // Any error once connected is the server's doing (ECONNRESET, EPIPE): a reset counts as a close.
    socket.on('error', () => this.end('server', true));
    socket.on('close', (hadError) => this.end('server', hadError));
  }

  get ended(): boolean {
    return this.closedBy !== null;
  }

  private now(): number {
    return this.t0 === null ? 0 : performance.now() - this.t0;
  }

  private stopTimers(): void {
    if (this.silence) clearTimeout(this.silence);
    if (this.settle) clearTimeout(this.settle);
    if (this.parseTimer) {
      clearTimeout(this.parseTimer as Timer);
      clearImmediate(this.parseTimer as NodeJS.Immediate);
    }
    this.silence = this.settle = this.parseTimer = null;
  }

  /** Ends the exchange (the first call counts): closes the socket and settles `finished`. */
  end(by: Exchange['closedBy'], isReset = false): void {
    if (this.closedBy !== null) return;
    this.closedBy = by;
    this.reset = isReset;
    if (by === 'server') this.closeAfterMs = Math.round(this.now() * 1000) / 1000;
    this.stopTimers();
    clearTimeout(this.deadline);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
    this.finish();
  }

  private stopAt(reached: ExchangeLimit): void {
    if (this.closedBy !== null) return;
    this.limit = reached;
    this.end('client-limit');
  }

  private armSilence(): void {
    if (this.closedBy !== null) return;
    if (this.silence) clearTimeout(this.silence);
    this.silence = setTimeout(() => this.end('client-timeout'), this.opts.timeoutMs);
  }

  /** A deliberate pause between parts: not the server's silence. */
  private pauseSilence(): void {
    if (this.silence) clearTimeout(this.silence);
    this.silence = null;
  }

  private received(chunk: Buffer): void {
    if (this.closedBy !== null) return;
    if (this.t0 === null) this.t0 = performance.now();
    this.receivedBytes += chunk.length;
    this.armSilence();
    const room = this.keepBytes - this.keptBytes;
    if (room <= 0) return; // counted, not kept: the kept bytes no longer change
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.keptChunks.push(kept);
    this.timeline.push({ atMs: this.now(), direction: 'received', offset: this.keptBytes, length: kept.length });
    this.keptBytes += kept.length;
    this.scheduleInspect();
  }

  /**
   * Parses once per turn of the event loop however many reads it brought, and no more than
   * every PARSE_INTERVAL_MS once the bytes are many: a flood of small reads costs no more
   * than a few parses of the kept bytes.
   */
  private scheduleInspect(): void {
    if (this.parseTimer || this.closedBy !== null) return;
    // Throttled only while the bytes grow slowly: a head running past its limit is seen at once.
    const grown = this.keptBytes - this.keptAtLastParse >= MAX_HEAD_BYTES;
    const wait =
      this.keptBytes > PARSE_EVERY_TICK_BYTES && !grown
        ? PARSE_INTERVAL_MS - (performance.now() - this.lastParseAt)
        : 0;
    this.parseTimer = wait > 0 ? setTimeout(() => this.inspect(), wait) : setImmediate(() => this.inspect());
  }

  /** Reads what was kept so far: a head too large ends the exchange, the expected responses settle it. */
  private inspect(): void {
    this.parseTimer = null;
    if (this.closedBy !== null) return;
    this.lastParseAt = performance.now();
    this.keptAtLastParse = this.keptBytes;
    const parsed = parseResponses(Buffer.concat(this.keptChunks), {
      methods: this.opts.methods ?? [],
      ended: false,
      truncated: this.receivedBytes > this.keptBytes,
    });
    if (parsed.headTooLarge) return this.stopAt({ kind: 'head-size', message: HEAD_TOO_LARGE });
    if (this.opts.expectResponses === undefined) return;
    const complete = parsed.responses.filter((r) => !r.incomplete).length;
    if (this.settle) clearTimeout(this.settle);
    this.settle = null;
    if (complete >= this.opts.expectResponses && parsed.trailingGarbage === 0) {
      this.settle = setTimeout(() => this.end('client'), this.opts.settleMs ?? 100);
    }
  }

  private sleepUnlessFinished(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      void this.finished.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Writes one part; false when the server closed before it was taken. */
  private write(bytes: Uint8Array): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.socket.write(bytes, (err) => {
        // A write the server refused (EPIPE, ECONNRESET) means it closed: not a harness error.
        if (err) this.end('server', true);
        resolve(!err);
      });
      void this.finished.then(() => resolve(false));
    });
  }

  /**
   * Writes the parts, each as its own segment, after its pause. Pauses are kept to a schedule
   * from the first write rather than chained one after the other: on a busy machine timer
   * lateness would otherwise add up over a request dripped byte by byte, and stretch it past a
   * server's header timeout. Parts the server did not take before it closed are counted unsent.
   */
  async send(parts: readonly RequestPart[]): Promise<void> {
    let schedule = 0;
    let scheduleStart: number | null = null;
    for (const [i, part] of parts.entries()) {
      const bytes = partBytes(part);
      if (this.closedBy === null && part.delayMs && part.delayMs > 0) {
        schedule += part.delayMs;
        const late = scheduleStart === null ? 0 : performance.now() - scheduleStart - schedule;
        this.pauseSilence();
        // Behind schedule, the part goes at once (still as a write of its own) to catch up.
        if (late < 0) await this.sleepUnlessFinished(-late);
        else await new Promise<void>((r) => setImmediate(r));
      }
      if (this.closedBy !== null) {
        this.unsent += bytes.length;
        continue;
      }
      if (this.t0 === null) this.t0 = performance.now();
      if (scheduleStart === null) {
        // The schedule counts from the first write; a pause before it is not part of it.
        scheduleStart = performance.now();
        schedule = 0;
      }
      const at = this.now();
      this.armSilence();
      if (!(await this.write(bytes))) {
        // The server closed before (all of) this part was taken: it and the rest are unsent.
        this.unsent += parts.slice(i).reduce((n, rest) => n + partBytes(rest).length, 0);
        break;
      }
      this.sentChunks.push(bytes);
      this.timeline.push({ atMs: at, direction: 'sent', offset: this.sentBytes, length: bytes.length });
      this.sentBytes += bytes.length;
      this.armSilence();
    }
    if (parts.length === 0) {
      this.t0 = performance.now();
      this.armSilence();
    }
  }

  /** Everything observed, once the exchange has ended: the bytes kept, parsed one last time. */
  async result(): Promise<Exchange> {
    await this.finished;
    const received = Uint8Array.from(Buffer.concat(this.keptChunks));
    const truncated = this.receivedBytes > this.keptBytes;
    const parsed = parseResponses(received, {
      methods: this.opts.methods ?? [],
      ended: this.closedBy === 'server',
      truncated,
    });
    // A head too large that arrived whole, before the server closed, is the same failure.
    if (parsed.headTooLarge && this.limit === null) this.limit = { kind: 'head-size', message: HEAD_TOO_LARGE };
    this.timeline.sort((a, b) => a.atMs - b.atMs);
    const result: Exchange = {
      sent: Uint8Array.from(Buffer.concat(this.sentChunks)),
      received,
      responses: parsed.responses,
      interim: parsed.interim,
      trailingGarbage: parsed.trailingGarbage,
      closedBy: this.closedBy ?? 'client',
      reset: this.reset,
      closeAfterMs: this.closeAfterMs,
      timeline: this.timeline,
      peer: this.peer,
    };
    if (this.unsent > 0) result.unsent = this.unsent;
    if (this.limit) result.limit = this.limit;
    if (truncated) result.truncated = { keptBytes: this.keptBytes, receivedBytes: this.receivedBytes };
    return result;
  }
}

/**
 * Sends `parts` on a new connection and records the exchange: every byte written and received
 * with its time, who closed and when. Resolves when the server closes (FIN or reset), when
 * `timeoutMs` pass with no byte either way, when the expected responses have arrived, or at
 * a limit of the client (the deadline, a response head too large) or its signal.
 */
export async function exchange(
  host: string,
  port: number,
  parts: readonly RequestPart[],
  opts: ExchangeOptions,
): Promise<Exchange> {
  const begun = performance.now();
  const deadlineMs = opts.deadlineMs ?? exchangeDeadlineMs(parts, opts.timeoutMs);
  const keepBytes = Math.max(0, opts.keepBytes ?? RECEIVE_KEEP_BYTES);
  const opened = await open(host, port, Math.max(1, Math.min(opts.timeoutMs, deadlineMs)), opts);
  if (!(opened instanceof Socket)) return emptyExchange(host, port, opened);
  // Each part must leave as its own segment: fragmentation is part of a case.
  opened.setNoDelay(true);
  const wire = new WireExchange(opened, { host, port }, opts, keepBytes, { ms: deadlineMs, begun });
  await wire.send(parts);
  return wire.result();
}

/**
 * The exchange with at most `keepBytes` of what it received, for keeping once its verdict is
 * decided: the bytes past them are counted in `truncated`, the responses parsed again from
 * what is left, the wire log's events cut to it. Returned as it is when it is short enough.
 */
export function compactExchange(ex: Exchange, keepBytes: number, methods: readonly string[] = []): Exchange {
  if (ex.received.length <= keepBytes) return ex;
  const received = Uint8Array.from(ex.received.subarray(0, keepBytes));
  const parsed = parseResponses(received, { methods, ended: ex.closedBy === 'server', truncated: true });
  const timeline = ex.timeline
    ?.filter((e) => e.direction === 'sent' || e.offset < keepBytes)
    .map((e) =>
      e.direction === 'received' && e.offset + e.length > keepBytes ? { ...e, length: keepBytes - e.offset } : e,
    );
  return {
    ...ex,
    received,
    responses: parsed.responses,
    interim: parsed.interim,
    trailingGarbage: parsed.trailingGarbage,
    ...(timeline ? { timeline } : {}),
    truncated: { keptBytes: received.length, receivedBytes: ex.truncated?.receivedBytes ?? ex.received.length },
  };
}
