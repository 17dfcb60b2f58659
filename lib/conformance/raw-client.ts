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
 */
import { connect, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Exchange, ExchangeLimit, RequestPart, WireEvent } from './types.ts';
import { HEAD_TOO_LARGE, MAX_HEAD_BYTES, parseResponses } from './response-parser.ts';

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
  return typeof code === 'string' ? code : (err as Error | undefined)?.message ?? String(err);
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
  if (code === 'ECONNREFUSED') return { byServer: true, message: `connection refused by the server at ${host}:${port} (ECONNREFUSED)` };
  if (SERVER_SIDE_CONNECT_ERRORS.has(code)) return { byServer: true, message: `the server at ${host}:${port} broke off the connection while it was being made (${code})` };
  return { byServer: false, message: `could not connect to ${host}:${port}: ${code}` };
}

/** The sentence for a connect that did not complete in time: the server did not accept it. */
export function connectTimeout(host: string, port: number, timeoutMs: number): ConnectProblem {
  return { byServer: true, message: `could not connect to ${host}:${port} within ${timeoutMs} ms: the server did not accept` };
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

/** Connects, or says why not (nothing was sent yet). */
function open(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<Socket | ConnectProblem> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, allowHalfOpen: true });
    let settled = false;
    const settle = (value: Socket | ConnectProblem) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (!(value instanceof Socket)) socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => settle(connectTimeout(host, port, timeoutMs)), timeoutMs);
    const onAbort = () => settle({ byServer: false, message: `the exchange with ${host}:${port} was called off before it connected` });
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => settle(socket));
    // Stays attached after the connect, so that an error before the exchange listens is not thrown.
    socket.on('error', (err) => settle(connectProblem(host, port, errorCode(err))));
  });
}

/**
 * Sends `parts` on a new connection and records the exchange: every byte written and received
 * with its time, who closed and when. Resolves when the server closes (FIN or reset), when
 * `timeoutMs` pass with no byte either way, when the expected responses have arrived, or at
 * a limit of the client (the deadline, a response head too large) or its signal.
 */
export async function exchange(host: string, port: number, parts: readonly RequestPart[], opts: ExchangeOptions): Promise<Exchange> {
  const begun = performance.now();
  const deadlineMs = opts.deadlineMs ?? exchangeDeadlineMs(parts, opts.timeoutMs);
  const keepBytes = Math.max(0, opts.keepBytes ?? RECEIVE_KEEP_BYTES);
  const opened = await open(host, port, Math.max(1, Math.min(opts.timeoutMs, deadlineMs)), opts.signal);
  if (!(opened instanceof Socket)) return emptyExchange(host, port, opened);
  const socket = opened;
  // Each part must leave as its own segment: fragmentation is part of a case.
  socket.setNoDelay(true);

  const sentChunks: Uint8Array[] = [];
  const keptChunks: Uint8Array[] = [];
  const timeline: WireEvent[] = [];
  let sentBytes = 0;
  let keptBytes = 0;
  let receivedBytes = 0;
  let t0: number | null = null;
  const now = () => (t0 === null ? 0 : performance.now() - t0);

  let closedBy: Exchange['closedBy'] | null = null;
  let reset = false;
  let closeAfterMs: number | null = null;
  let limit: ExchangeLimit | null = null;
  let silence: NodeJS.Timeout | null = null;
  let settle: NodeJS.Timeout | null = null;
  let parseTimer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  let lastParseAt = 0;
  let keptAtLastParse = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));

  const stopTimers = () => {
    if (silence) clearTimeout(silence);
    if (settle) clearTimeout(settle);
    if (parseTimer) {
      clearTimeout(parseTimer as NodeJS.Timeout);
      clearImmediate(parseTimer as NodeJS.Immediate);
    }
    silence = settle = parseTimer = null;
  };
  const end = (by: Exchange['closedBy'], isReset = false) => {
    if (closedBy !== null) return;
    closedBy = by;
    reset = isReset;
    if (by === 'server') closeAfterMs = Math.round(now() * 1000) / 1000;
    stopTimers();
    clearTimeout(deadline);
    opts.signal?.removeEventListener('abort', onAbort);
    socket.destroy();
    finish();
  };
  const stopAt = (reached: ExchangeLimit) => {
    if (closedBy !== null) return;
    limit = reached;
    end('client-limit');
  };
  const remaining = Math.max(0, deadlineMs - (performance.now() - begun));
  const deadline = setTimeout(
    () => stopAt({ kind: 'deadline', message: `the exchange reached its deadline of ${deadlineMs} ms (connecting, the request and the whole response) before the server had finished` }),
    remaining,
  );
  const onAbort = () => end('client');
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const armSilence = () => {
    if (closedBy !== null) return;
    if (silence) clearTimeout(silence);
    silence = setTimeout(() => end('client-timeout'), opts.timeoutMs);
  };
  /** Reads what was kept so far: a head too large ends the exchange, the expected responses settle it. */
  const inspect = () => {
    parseTimer = null;
    if (closedBy !== null) return;
    lastParseAt = performance.now();
    keptAtLastParse = keptBytes;
    const parsed = parseResponses(Buffer.concat(keptChunks), { methods: opts.methods ?? [], ended: false, truncated: receivedBytes > keptBytes });
    if (parsed.headTooLarge) return stopAt({ kind: 'head-size', message: HEAD_TOO_LARGE });
    if (opts.expectResponses === undefined) return;
    const complete = parsed.responses.filter((r) => !r.incomplete).length;
    if (settle) clearTimeout(settle);
    settle = null;
    if (complete >= opts.expectResponses && parsed.trailingGarbage === 0) {
      settle = setTimeout(() => end('client'), opts.settleMs ?? 100);
    }
  };
  /**
   * Parses once per turn of the event loop however many reads it brought, and no more than
   * every PARSE_INTERVAL_MS once the bytes are many: a flood of small reads costs no more
   * than a few parses of the kept bytes.
   */
  const scheduleInspect = () => {
    if (parseTimer || closedBy !== null) return;
    // Throttled only while the bytes grow slowly: a head running past its limit is seen at once.
    const grown = keptBytes - keptAtLastParse >= MAX_HEAD_BYTES;
    const wait = keptBytes > PARSE_EVERY_TICK_BYTES && !grown ? PARSE_INTERVAL_MS - (performance.now() - lastParseAt) : 0;
    parseTimer = wait > 0 ? setTimeout(inspect, wait) : setImmediate(inspect);
  };

  socket.on('data', (chunk: Buffer) => {
    if (closedBy !== null) return;
    if (t0 === null) t0 = performance.now();
    receivedBytes += chunk.length;
    armSilence();
    const room = keepBytes - keptBytes;
    if (room <= 0) return; // counted, not kept: the kept bytes no longer change
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    keptChunks.push(kept);
    timeline.push({ atMs: now(), direction: 'received', offset: keptBytes, length: kept.length });
    keptBytes += kept.length;
    scheduleInspect();
  });
  // FIN from the server. The client's side stays open (allowHalfOpen) until the exchange ends.
  socket.on('end', () => end('server'));
  // Any error once connected is the server's doing (ECONNRESET, EPIPE): a reset counts as a close.
  socket.on('error', () => end('server', true));
  socket.on('close', (hadError) => end('server', hadError));

  let unsent = 0;
  const sleepUnlessFinished = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      void finished.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });

  // Pauses are kept to a schedule from the first write rather than chained one after the
  // other: on a busy machine timer lateness would otherwise add up over a request dripped
  // byte by byte, and stretch it past a server's header timeout.
  let schedule = 0;
  let scheduleStart: number | null = null;
  for (const [i, part] of parts.entries()) {
    const bytes = partBytes(part);
    if (closedBy !== null) {
      unsent += bytes.length;
      continue;
    }
    if (part.delayMs && part.delayMs > 0) {
      schedule += part.delayMs;
      const late = scheduleStart === null ? 0 : performance.now() - scheduleStart - schedule;
      // A deliberate pause is not the server's silence.
      if (silence) clearTimeout(silence);
      silence = null;
      // Behind schedule, the part goes at once (still as a write of its own) to catch up.
      if (late < 0) await sleepUnlessFinished(-late);
      else await new Promise<void>((r) => setImmediate(r));
      if (closedBy !== null) {
        unsent += bytes.length;
        continue;
      }
    }
    if (t0 === null) t0 = performance.now();
    if (scheduleStart === null) {
      // The schedule counts from the first write; a pause before it is not part of it.
      scheduleStart = performance.now();
      schedule = 0;
    }
    const at = now();
    armSilence();
    const ok = await new Promise<boolean>((resolve) => {
      socket.write(bytes, (err) => {
        // A write the server refused (EPIPE, ECONNRESET) means it closed: not a harness error.
        if (err) end('server', true);
        resolve(!err);
      });
      void finished.then(() => resolve(false));
    });
    if (ok) {
      sentChunks.push(bytes);
      timeline.push({ atMs: at, direction: 'sent', offset: sentBytes, length: bytes.length });
      sentBytes += bytes.length;
      armSilence();
    } else {
      // The server closed before (all of) this part was taken: it and the rest are unsent.
      unsent += bytes.length;
      for (const rest of parts.slice(i + 1)) unsent += partBytes(rest).length;
      break;
    }
  }

  if (parts.length === 0) {
    t0 = performance.now();
    armSilence();
  }
  await finished;

  const received = Uint8Array.from(Buffer.concat(keptChunks));
  const truncated = receivedBytes > keptBytes;
  const parsed = parseResponses(received, { methods: opts.methods ?? [], ended: closedBy === 'server', truncated });
  // A head too large that arrived whole, before the server closed, is the same failure.
  if (parsed.headTooLarge && limit === null) limit = { kind: 'head-size', message: HEAD_TOO_LARGE };
  timeline.sort((a, b) => a.atMs - b.atMs);
  const result: Exchange = {
    sent: Uint8Array.from(Buffer.concat(sentChunks)),
    received,
    responses: parsed.responses,
    interim: parsed.interim,
    trailingGarbage: parsed.trailingGarbage,
    closedBy: closedBy ?? 'client',
    reset,
    closeAfterMs,
    timeline,
    peer: { host, port },
  };
  if (unsent > 0) result.unsent = unsent;
  if (limit) result.limit = limit;
  if (truncated) result.truncated = { keptBytes, receivedBytes };
  return result;
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
    .map((e) => (e.direction === 'received' && e.offset + e.length > keepBytes ? { ...e, length: keepBytes - e.offset } : e));
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
