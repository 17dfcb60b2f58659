/** Pieces shared by the two clients. */

/** ab's default -s: 30 seconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface RunOptions {
  /** Called as requests finish (at most every 100 ms, and once at the end). */
  onProgress?: (done: number, total: number) => void;
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
 * 100 ms, plus once with the final count.
 */
export function progressReporter(
  total: number,
  onProgress?: (done: number, total: number) => void,
): (done: number, final?: boolean) => void {
  if (!onProgress) return () => {};
  let last = process.hrtime.bigint();
  return (done, final = false) => {
    if (final) {
      onProgress(done, total);
      return;
    }
    const now = process.hrtime.bigint();
    if (now - last >= PROGRESS_INTERVAL_NS) {
      last = now;
      onProgress(done, total);
    }
  };
}
