/**
 * Stopping processes that are not the harness's children: SIGTERM, then SIGKILL to those still
 * running after a grace period. Each process is known by its pid and start time, so that a pid
 * the kernel has meanwhile given to another process is never signalled.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, readProc, type ProcEntry } from './proc-table.ts';

function tryKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** The processes of `procs` still running (same pid, same start time). */
export function stillRunning(procs: readonly ProcEntry[]): ProcEntry[] {
  return procs.filter((p) => {
    const now = readProc(p.pid);
    return isRunning(now) && now.startTicks === p.startTicks;
  });
}

/**
 * Stops `procs` (and process group `pgid` as a whole, when given): SIGTERM, SIGKILL after
 * `graceMs`. Resolves true when all are gone, false if some are still there 2 s after SIGKILL.
 */
export async function terminate(
  procs: readonly ProcEntry[],
  graceMs: number,
  pgid: number | null = null,
): Promise<boolean> {
  const own = procs.filter((p) => p.pid !== process.pid);
  const signal = (sig: NodeJS.Signals): void => {
    if (pgid !== null) tryKill(-pgid, sig);
    for (const p of stillRunning(own)) tryKill(p.pid, sig);
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (stillRunning(own).length > 0 && Date.now() < deadline) await sleep(25);
  if (stillRunning(own).length === 0) return true;
  signal('SIGKILL');
  const reapBy = Date.now() + 2_000;
  while (stillRunning(own).length > 0 && Date.now() < reapBy) await sleep(25);
  return stillRunning(own).length === 0;
}
