/**
 * The processes of this machine, as /proc shows them: who a process is (its command line and
 * start time), which process group it belongs to and who its parent is.
 *
 * The launcher decides from these whose a listening socket is, what an earlier run left behind,
 * and what to kill at stop. A process is named by its pid and its command line
 * ("pid 1234 (python3 server.py 40123)"), the way a person finds it again in `ps`.
 *
 * A pid alone does not identify a process for long: the kernel hands a freed pid to the next
 * process. The start time (field 22 of /proc/<pid>/stat, in clock ticks since boot) does, with
 * the pid, so records kept on disk carry both.
 *
 * Reads are synchronous: they are few, small, and often needed from exit paths that cannot wait.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcEntry {
  pid: number;
  ppid: number;
  pgid: number;
  /** Session id: a process that called setsid() has left its parent's session and group. */
  sid: number;
  /** Start time, clock ticks after boot: with the pid, it identifies the process. */
  startTicks: number;
  /** The kernel's short name (15 characters at most). */
  comm: string;
  /** R, S, D, Z (zombie: dead, waiting to be reaped), ... */
  state: string;
}

/**
 * The fields of a /proc/<pid>/stat line: the pid, the name (in parentheses, and it may itself hold
 * spaces and ")", hence the last ")"), and numeric field n (as proc(5) numbers them) by `field(n)`;
 * null when the line is not one. Shared with the diagnostics, which read other fields of it.
 */
export function splitStat(
  text: string,
): { pid: number; comm: string; state: string; count: number; field: (n: number) => number } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  if (!Number.isInteger(pid)) return null;
  // rest[0] is field 3 (state): field n is rest[n - 3].
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    count: rest.length + 2,
    field: (n) => Number(rest[n - 3]),
  };
}

/** Parses /proc/<pid>/stat into who the process is. */
export function parseStat(text: string): ProcEntry | null {
  const stat = splitStat(text);
  if (!stat || stat.count < 22) return null;
  const { pid, comm, state, field } = stat;
  return { pid, ppid: field(4), pgid: field(5), sid: field(6), startTicks: field(22), comm, state };
}

/** One process, or null when it is gone (or /proc cannot be read). */
export function readProc(pid: number): ProcEntry | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return null;
  }
}

/** Every pid in /proc (empty where there is no /proc). */
export function allPids(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) pids.push(Number(name));
  }
  return pids;
}

/** Every process of the machine that can be read. */
export function allProcs(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const pid of allPids()) {
    const p = readProc(pid);
    if (p) out.push(p);
  }
  return out;
}

/** Whether a process runs (a zombie does not: it is dead and holds nothing but its pid). */
export function isRunning(p: ProcEntry | null): p is ProcEntry {
  return p !== null && p.state !== 'Z' && p.state !== 'X';
}

/** The pid is that very process: alive, and started when it was recorded. */
export function sameProcess(pid: number, startTicks: number | null | undefined): boolean {
  const p = readProc(pid);
  if (!isRunning(p)) return false;
  return startTicks === null || startTicks === undefined || p.startTicks === startTicks;
}

/** The running processes of a process group, from a list of processes. */
export function membersOf(pgid: number, procs: readonly ProcEntry[]): ProcEntry[] {
  return procs.filter((p) => p.pgid === pgid && isRunning(p));
}

/**
 * The processes that descend from any of `roots` (the roots excluded), from a list of processes:
 * children, their children, and so on. A process that left its parent's group (setsid) is still
 * its parent's child, as long as the parent lives.
 */
export function descendantsOf(roots: Iterable<number>, procs: readonly ProcEntry[]): ProcEntry[] {
  const children = new Map<number, ProcEntry[]>();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const seen = new Set<number>(roots);
  const queue = [...seen];
  const out: ProcEntry[] = [];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      queue.push(child.pid);
      if (isRunning(child)) out.push(child);
    }
  }
  return out;
}

const MAX_COMMAND_CHARS = 120;

/**
 * A process's command line, arguments joined by spaces and cut to a readable length; its short
 * name where the command line is empty (a kernel thread) or cannot be read.
 */
export function commandLine(pid: number): string {
  let raw = '';
  try {
    raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    /* gone, or not ours to read */
  }
  const text = raw.replaceAll('\0', ' ').trim() || readProc(pid)?.comm || '?';
  return text.length > MAX_COMMAND_CHARS ? `${text.slice(0, MAX_COMMAND_CHARS - 1)}…` : text;
}

/** "pid 1234 (python3 server.py 40123)": how a message names a process. */
export function describeProcess(pid: number, command = commandLine(pid)): string {
  return `pid ${pid} (${command})`;
}

/** This process's own start time, so that a record can tell it from a later process with its pid. */
export function ownStartTicks(): number | null {
  return readProc(process.pid)?.startTicks ?? null;
}
