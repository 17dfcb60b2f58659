/**
 * The conformance client: a TCP connection on node:net that writes a request exactly as given,
 * part by part, and records everything the server does in reply. No HTTP library sits in
 * between, so nothing normalises, completes or refuses the bytes a case sends.
 *
 * It never throws for anything the server does: a reset, a close, silence and garbage are all
 * observations. Only a failure to connect at all is a harness error.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Exchange, RequestPart, WireEvent } from './types.ts';
import { parseResponses } from './response-parser.ts';

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

function emptyExchange(host: string, port: number, harnessError: string): Exchange {
  return {
    sent: new Uint8Array(0),
    received: new Uint8Array(0),
    responses: [],
    interim: [],
    trailingGarbage: 0,
    closedBy: 'client',
    reset: false,
    closeAfterMs: null,
    harnessError,
    timeline: [],
    peer: { host, port },
  };
}

/** Connects, or says why not (a harness error: nothing was sent yet). */
function open(host: string, port: number, timeoutMs: number): Promise<Socket | string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`could not connect to ${host}:${port} within ${timeoutMs} ms`);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    // Stays attached after the connect, so that an error before the exchange listens is not thrown.
    socket.on('error', (err) => {
      clearTimeout(timer);
      resolve(`could not connect to ${host}:${port}: ${errorCode(err)}`);
    });
  });
}

/**
 * Sends `parts` on a new connection and records the exchange: every byte written and received
 * with its time, who closed and when. Resolves when the server closes (FIN or reset), when
 * `timeoutMs` pass with no byte either way, or when the expected responses have arrived.
 */
export async function exchange(host: string, port: number, parts: readonly RequestPart[], opts: ExchangeOptions): Promise<Exchange> {
  const opened = await open(host, port, opts.timeoutMs);
  if (typeof opened === 'string') return emptyExchange(host, port, opened);
  const socket = opened;
  // Each part must leave as its own segment: fragmentation is part of a case.
  socket.setNoDelay(true);

  const sentChunks: Uint8Array[] = [];
  const receivedChunks: Uint8Array[] = [];
  const timeline: WireEvent[] = [];
  let sentBytes = 0;
  let receivedBytes = 0;
  let t0: number | null = null;
  const now = () => (t0 === null ? 0 : performance.now() - t0);

  let closedBy: Exchange['closedBy'] | null = null;
  let reset = false;
  let closeAfterMs: number | null = null;
  let silence: NodeJS.Timeout | null = null;
  let settle: NodeJS.Timeout | null = null;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));

  const stopTimers = () => {
    if (silence) clearTimeout(silence);
    if (settle) clearTimeout(settle);
    silence = settle = null;
  };
  const end = (by: Exchange['closedBy'], isReset = false) => {
    if (closedBy !== null) return;
    closedBy = by;
    reset = isReset;
    if (by === 'server') closeAfterMs = Math.round(now() * 1000) / 1000;
    stopTimers();
    socket.destroy();
    finish();
  };
  const armSilence = () => {
    if (closedBy !== null) return;
    if (silence) clearTimeout(silence);
    silence = setTimeout(() => end('client-timeout'), opts.timeoutMs);
  };
  const checkExpected = () => {
    if (opts.expectResponses === undefined || closedBy !== null) return;
    const parsed = parseResponses(Buffer.concat(receivedChunks), { methods: opts.methods ?? [], ended: false });
    const complete = parsed.responses.filter((r) => !r.incomplete).length;
    if (settle) clearTimeout(settle);
    settle = null;
    if (complete >= opts.expectResponses && parsed.trailingGarbage === 0) {
      settle = setTimeout(() => end('client'), opts.settleMs ?? 100);
    }
  };

  socket.on('data', (chunk: Buffer) => {
    if (t0 === null) t0 = performance.now();
    receivedChunks.push(chunk);
    timeline.push({ atMs: now(), direction: 'received', offset: receivedBytes, length: chunk.length });
    receivedBytes += chunk.length;
    armSilence();
    checkExpected();
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

  const received = Uint8Array.from(Buffer.concat(receivedChunks));
  const parsed = parseResponses(received, { methods: opts.methods ?? [], ended: closedBy === 'server' });
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
  return result;
}
