/**
 * Whether an error is the end of work that was asked to stop (Ctrl-C, a deadline), rather than a
 * failure: either the run's signal fired, or the error is an AbortError thrown by an API that
 * honours signals (fetch, timers, streams).
 */
export function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted) || (err instanceof Error && err.name === 'AbortError');
}
