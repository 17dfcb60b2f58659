/**
 * Processes a server leaves behind when it is stopped: a child that left the process group
 * (setsid, a daemon's double fork) and kept the listening socket. Signalling the group does not
 * reach it, and it goes on answering on the port, so the next server started there, or the
 * next run, would be measured against it. Once the group is gone, whoever still holds one of
 * the server's listening sockets is found (/proc/<pid>/fd) and stopped, and named.
 */
import { commandLine, readProc, type ProcEntry } from './proc-table.ts';
import { listeningSocketsOn } from './listen-sockets.ts';
import { holdersOf } from './socket-holders.ts';
import { terminate } from './terminate.ts';

export interface StrayProcess {
  pid: number;
  command: string;
}

/**
 * Stops every process that still holds one of `inodes` (listening sockets on `port`), SIGKILL
 * after `graceMs`, and returns them (empty when none: the usual case costs reading
 * /proc/net/tcp and tcp6 only).
 */
export async function stopSocketHolders(
  port: number,
  inodes: ReadonlySet<number>,
  graceMs = 1_000,
): Promise<StrayProcess[]> {
  if (inodes.size === 0) return [];
  const open = (listeningSocketsOn(port) ?? []).filter((s) => inodes.has(s.inode));
  if (open.length === 0) return [];
  const procs: ProcEntry[] = [];
  for (const pid of holdersOf(new Set(open.map((s) => s.inode))).keys()) {
    const p = readProc(pid);
    if (p && pid !== process.pid) procs.push(p);
  }
  const strays = procs.map((p) => ({ pid: p.pid, command: commandLine(p.pid) }));
  await terminate(procs, graceMs);
  return strays;
}

/**
 * The same at once, with SIGKILL and no wait, for exit paths that cannot wait. Returns the pids
 * signalled.
 */
export function killSocketHoldersNow(port: number, inodes: ReadonlySet<number>): number[] {
  if (inodes.size === 0) return [];
  const open = (listeningSocketsOn(port) ?? []).filter((s) => inodes.has(s.inode));
  if (open.length === 0) return [];
  const killed: number[] = [];
  for (const pid of holdersOf(new Set(open.map((s) => s.inode))).keys()) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      /* gone */
    }
  }
  return killed;
}
