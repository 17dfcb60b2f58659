/**
 * Last-chance cleanup when this process ends: servers it started must not outlive it, whether it
 * exits normally, throws, or is ended by a signal.
 *
 * One set of handlers for every cleanup (the process launcher's, the container launcher's).
 *
 * Who handles a signal: a program that stops gracefully on a signal (the CLI stops its servers
 * and writes what it measured) says so with handleSignal(); then the cleanup here leaves the
 * signal to it. Otherwise the cleanup runs and the signal is raised again, so that the process
 * dies of it as it would have. Counting other listeners instead does not work: libraries add
 * listeners that only watch (signal-exit, loaded with testcontainers, re-raises the signal only
 * when no other listener is left), and two such rules wait for each other forever, leaving the
 * signal ignored.
 */
type Signal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
const SIGNALS: readonly Signal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const cleanups = new Set<() => void>();
const handled: Record<Signal, number> = { SIGINT: 0, SIGTERM: 0, SIGHUP: 0 };
let installed = false;

/**
 * Handles a signal in the program's own way (for example a graceful stop), instead of the
 * cleanup and death of the signal that happen otherwise. Returns a function that removes it.
 */
export function handleSignal(signal: Signal, handler: (signal: NodeJS.Signals) => void): () => void {
  process.on(signal, handler);
  handled[signal] += 1;
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    process.off(signal, handler);
    handled[signal] -= 1;
  };
}

function runAll(): void {
  for (const fn of cleanups) {
    try {
      fn();
    } catch {
      /* the others still run */
    }
  }
}

/** Runs `fn` (synchronously) when the process exits or dies of SIGINT, SIGTERM or SIGHUP. */
export function onProcessEnd(fn: () => void): void {
  cleanups.add(fn);
  if (installed) return;
  installed = true;
  // 'exit' handlers must be synchronous.
  process.on('exit', runAll);
  // A signal's default action ends the process without 'exit' handlers, which would orphan the
  // servers (a test runner stopped with SIGTERM, a terminal closed). Unless the program handles
  // the signal itself (handleSignal), clean up and then die of the signal as before.
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      if (handled[signal] > 0) return;
      runAll();
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
