/** Pieces shared by the clients (close, keep-alive, timed). */
import type { CellStop } from '../types.ts';
import { handshakeWords } from './tls.ts';
import type { CellInput, RequestRecord } from './ab-figures.ts';
import { LIVE_INTERVAL_NS, LiveTally, type LiveFigures } from './live.ts';

/** How a client's run hands back its cell: the two sides of the promise it was started with. */
export interface Settle {
  resolve(input: CellInput): void;
  reject(err: Error): void;
}

/** ab's default -s: 30 seconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface RunOptions {
  /** Called as requests finish (at most every 100 ms, and once at the end). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Called about once a second while requests end: the requests per second of the last second
   * and the p99 so far (live.ts), for a display of long cells. Unset, nothing is tallied.
   */
  onLive?: (figures: LiveFigures) => void;
  /**
   * Go on past failed connects and timeouts, as `ab -r` goes on past receive errors: every
   * failure is counted and the cell runs its N requests. Default false: the cell stops at its
   * first failed connect (ab without -r) or first timeout (ab's -s ends its run), closes its open
   * connections, starts nothing more and says why in CellResult.stopped. Resets and truncated
   * responses never stop a cell.
   */
  keepGoing?: boolean;
  /** Aborting stops starting requests, destroys open sockets and rejects with an AbortError. */
  signal?: AbortSignal;
}

/** The error a run rejects with when its signal aborts: the signal's reason if it is an Error. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const err = new DOMException('The load run was aborted', 'AbortError');
  if (reason !== undefined) (err as Error & { cause?: unknown }).cause = reason;
  return err;
}

const PROGRESS_INTERVAL_NS = 100_000_000n;

/**
 * Wraps onProgress so that a display cannot slow the hot path down: it is called at most every
 * 100 ms, plus once with the final count. With `live` (the client's records and onLive), a tick
 * a second or more after the last look also looks at the records that ended since (live.ts).
 */
export function progressReporter(
  total: number,
  onProgress?: (done: number, total: number) => void,
  live?: { records: readonly RequestRecord[]; onLive?: (figures: LiveFigures) => void },
): (done: number, final?: boolean) => void {
  const onLive = live?.onLive;
  if (!onProgress && !onLive) return () => {};
  let last = process.hrtime.bigint();
  const tally = live && onLive ? new LiveTally(live.records, last) : null;
  let lastLook = last;
  return (done, final = false) => {
    if (final) {
      onProgress?.(done, total);
      return;
    }
    const now = process.hrtime.bigint();
    if (now - last < PROGRESS_INTERVAL_NS) return;
    last = now;
    onProgress?.(done, total);
    if (tally && onLive && now - lastLook >= LIVE_INTERVAL_NS) {
      lastLook = now;
      onLive(tally.look(now));
    }
  };
}

/** What ended a request in a way that stops a cell (unless keepGoing). */
export type StopCause =
  /**
   * connect() failed; `code` is the errno name when known (ECONNREFUSED), or over TLS the
   * handshake's error (DEPTH_ZERO_SELF_SIGNED_CERT).
   */
  | { kind: 'connect'; code: string | null }
  /** No end within the timeout; `phase` says how far the request got. */
  | { kind: 'timeout'; timeoutMs: number; phase: 'connecting' | 'waiting' | 'reading'; bytes: number };

const CONNECT_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'no local address or port left',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};

/**
 * The stop of a cell after request `request` (1-based, in the order requests started) of
 * `total`, with `ended` requests ended (complete + failed, this one included). Pure.
 */
export function cellStop(cause: StopCause, request: number, total: number, ended: number): CellStop {
  let what: string;
  let how: string;
  if (cause.kind === 'connect') {
    const code = cause.code ?? 'unknown error';
    what = `${CONNECT_WORDS[code] ?? handshakeWords(code) ?? 'connect failed'} (${code})`;
    how = 'as ab does without -r';
  } else {
    const ms = `${cause.timeoutMs} ms`;
    if (cause.phase === 'connecting') what = `connect timed out after ${ms}`;
    else if (cause.phase === 'waiting') what = `no response within ${ms} (connected, nothing received)`;
    else what = `response not complete within ${ms} (${cause.bytes} bytes received)`;
    how = 'as ab does at its first timeout';
  }
  return {
    kind: cause.kind,
    reason: `${what} at request ${request} of ${total}: the cell stopped, ${how} (--keep-going goes on)`,
    afterRequests: ended,
  };
}
