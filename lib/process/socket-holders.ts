/**
 * Which processes hold a socket: every open file descriptor is a link in /proc/<pid>/fd, and a
 * socket's reads `socket:[INODE]`. A listening socket is held by the process that opened it and
 * by every process that inherited it (a fork, a worker), whatever process group or session they
 * are in now, so this is how the launcher finds a server's processes that escaped its group.
 *
 * Another user's /proc/<pid>/fd cannot be read without privileges: such a process is not found.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { allPids } from './proc-table.ts';

/** The socket inodes among a process's open files (empty when it is gone or not readable). */
export function socketInodesOf(pid: number): Set<number> {
  const out = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (target.startsWith('socket:[')) out.add(Number(target.slice(8, -1)));
  }
  return out;
}

/**
 * The processes, among `pids` (every process of the machine by default), that hold any of
 * `inodes`, with the inodes each holds.
 */
export function holdersOf(inodes: ReadonlySet<number>, pids: Iterable<number> = allPids()): Map<number, number[]> {
  const out = new Map<number, number[]>();
  if (inodes.size === 0) return out;
  for (const pid of pids) {
    const held = [...socketInodesOf(pid)].filter((i) => inodes.has(i));
    if (held.length > 0) out.set(pid, held);
  }
  return out;
}
