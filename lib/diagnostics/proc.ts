/**
 * A server's resource use, read from /proc for every process of its process group.
 *
 * The launcher starts each server as the leader of its own process group, so the group is the
 * whole server: the shell, the runtime, worker processes. A process's group is field 5 of
 * /proc/<pid>/stat. Per process:
 * - CPU: utime + stime (fields 14-15) plus cutime + cstime (16-17: children it has reaped, so
 *   a worker that exits during a cell still counts), in clock ticks. USER_HZ is 100 on Linux
 *   whatever the kernel's HZ, so the resolution is 10 ms per process.
 * - Threads: field 20. Resident memory: field 24, in pages.
 * - Open file descriptors: the entries of /proc/<pid>/fd.
 *
 * Reads are synchronous: a sample of a few processes costs tens of microseconds, and an
 * asynchronous read would only add scheduling noise to the cell being measured.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { allPids, splitStat } from '../process/proc-table.ts';

/** USER_HZ: the unit of the CPU times in /proc/<pid>/stat on every Linux architecture. */
export const CLOCK_TICKS_PER_SECOND = 100;
export const TICK_US = 1_000_000 / CLOCK_TICKS_PER_SECOND;

/** One process, from /proc/<pid>/stat. */
export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  /** user + reaped children's user time, ticks */
  userTicks: number;
  /** system + reaped children's system time, ticks */
  sysTicks: number;
  threads: number;
  rssPages: number;
}

/** Parses /proc/<pid>/stat: the fields the resource readings need. */
export function parseProcStat(text: string): ProcStat | null {
  const stat = splitStat(text);
  if (!stat || stat.count < 24 || !Number.isFinite(stat.pid)) return null;
  const { pid, comm, state, field: f } = stat;
  return {
    pid,
    comm,
    state,
    ppid: f(4),
    pgrp: f(5),
    userTicks: f(14) + f(16),
    sysTicks: f(15) + f(17),
    threads: f(20),
    rssPages: f(24),
  };
}

function readStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return null; // the process is gone
  }
}

/** Whether /proc can be read here (Linux). */
export function procAvailable(): boolean {
  try {
    readFileSync('/proc/self/stat', 'latin1');
    return true;
  } catch {
    return false;
  }
}

let pageSize: number | null = null;

/**
 * The page size, from this process's own resident size given both in kB (status) and in pages
 * (statm), rounded to a power of two; 4096 if that cannot be read.
 */
export function pageSizeBytes(): number {
  if (pageSize !== null) return pageSize;
  pageSize = 4096;
  try {
    const kb = Number(/VmRSS:\s*(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'latin1'))?.[1]);
    const pages = Number(readFileSync('/proc/self/statm', 'latin1').split(/\s+/)[1]);
    if (kb > 0 && pages > 0) pageSize = 2 ** Math.round(Math.log2((kb * 1024) / pages));
  } catch {
    /* keep 4096 */
  }
  return pageSize;
}

/** Every process whose process group is `pgid` (zombies included: they still hold their times). */
export function groupPids(pgid: number): number[] {
  return allPids().filter((pid) => pid === pgid || readStat(pid)?.pgrp === pgid);
}

/** Open file descriptors of the given processes, summed. */
export function countFds(pids: readonly number[]): number {
  let n = 0;
  for (const pid of pids) {
    try {
      n += readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      /* gone, or not ours to read */
    }
  }
  return n;
}

/**
 * How long each thread of the given processes has waited on a run queue (runnable, but no CPU
 * free), nanoseconds, by thread id: the second field of /proc/<pid>/task/<tid>/schedstat. A
 * server that uses little CPU because it is starved of it waits there; one that waits for a
 * lock, a timer or the network does not.
 */
export function threadRunDelays(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const delay = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[1]);
        if (Number.isFinite(delay)) out.set(Number(tid), delay);
      } catch {
        /* the thread is gone, or schedstat is not there */
      }
    }
  }
  return out;
}
