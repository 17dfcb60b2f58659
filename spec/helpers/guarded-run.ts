/**
 * Runs a gauntlet CLI command as a child process under a watchdog, for runs against servers
 * that may flood, hang or fork: a regression must fail a test, not take the machine down (an
 * endless response once grew the harness to 24 GB).
 *
 * Why a watchdog and not a limit: `prlimit --as` caps address space, and tsx's WebAssembly
 * reserves more of it than any useful cap, so Node fails to start. Resident memory is what
 * matters, so the watchdog reads VmRSS and VmHWM from /proc/PID/status every POLL_MS and kills
 * the CLI's whole process group (it runs detached, as its own group) once VmRSS passes the
 * memory bound or the run passes the wall-time bound. The peak reported is the last VmHWM read:
 * growth in the last poll interval before a normal exit can be missed, never overstated.
 *
 * What a run leaves behind is found two ways, because a server may leave the CLI's process tree
 * (a child that calls setsid(), a server orphaned when the CLI is killed): every descendant of the
 * CLI seen while it ran, and every orphan (parent pid 1) started during the run whose working
 * directory or command line is under one of the `watch` paths (a fixture's folder). Orphans only:
 * a server of another run on this machine still has its parent, and is not ours to kill. Those
 * still alive after the CLI has exited are reported as leftovers, with the ports they listen on,
 * and killed by pid.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.ts';

export const GAUNTLET_BIN = join(PROJECT_ROOT, 'bin', 'gauntlet.mjs');

/** Resident memory past which the watchdog kills the run, MiB. */
export const DEFAULT_MEMORY_BOUND_MB = 600;
/** Wall time past which the watchdog kills the run, ms: a little past the 2 minutes the specs assert, so that a run over the bound shows as over it. */
export const DEFAULT_WALL_BOUND_MS = 125_000;
const POLL_MS = 100;
/** How often the process tree is walked (it reads every /proc/PID/stat), ms. */
const TREE_POLL_MS = 300;
/** Output kept from each stream: its first and its last OUTPUT_KEEP characters. */
const OUTPUT_KEEP = 256 * 1024;

export interface GuardOptions {
  /** Kill past this resident memory, MiB (default 600). */
  memoryBoundMb?: number;
  /** Kill past this wall time, ms (default 125 000). */
  wallBoundMs?: number;
  /** Folders (or command fragments) whose processes, started during the run, belong to it. */
  watch?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The program and its first arguments, before `args` (default: node bin/gauntlet.mjs). */
  program?: string[];
}

export interface Leftover {
  pid: number;
  /** The command line, as /proc/PID/cmdline has it. */
  command: string;
  /** Local addresses it listens on (ss -ltnp), for example "127.0.0.1:41234". */
  listening: string[];
}

export interface GuardedRun {
  /** The CLI's arguments after `node bin/gauntlet.mjs`. */
  args: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** VmHWM of the CLI process, last read, MiB (0 when it exited before the first read). */
  peakRssMb: number;
  /** Set when the watchdog killed the run, and why. */
  killedBy: 'memory' | 'time' | null;
  stdout: string;
  stderr: string;
  /** Processes of the run still alive after the CLI exited (each was then killed). */
  leftovers: Leftover[];
}

/** Keeps the head and the tail of a stream that may never end. */
class BoundedText {
  private head = '';
  private tail = '';
  private dropped = 0;

  push(chunk: string): void {
    if (this.head.length < OUTPUT_KEEP) {
      const room = OUTPUT_KEEP - this.head.length;
      this.head += chunk.slice(0, room);
      chunk = chunk.slice(room);
    }
    if (chunk.length === 0) return;
    this.tail += chunk;
    if (this.tail.length > OUTPUT_KEEP) {
      this.dropped += this.tail.length - OUTPUT_KEEP;
      this.tail = this.tail.slice(-OUTPUT_KEEP);
    }
  }

  text(): string {
    return this.dropped > 0
      ? `${this.head}\n[... ${this.dropped} characters dropped ...]\n${this.tail}`
      : this.head + this.tail;
  }
}

/** VmRSS and VmHWM of a process, MiB; null when it is gone. */
export function readMemory(pid: number): { rssMb: number; hwmMb: number } | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  // A zombie has no memory fields: it is gone as far as memory goes.
  if (Number.isNaN(rss) || Number.isNaN(hwm)) return null;
  return { rssMb: rss / 1024, hwmMb: hwm / 1024 };
}

interface ProcStat {
  pid: number;
  ppid: number;
  /** Start time, clock ticks since boot: with the pid, identifies a process across pid reuse. */
  start: number;
}

/** /proc/PID/stat's ppid and start time; the command name is in parentheses and may hold spaces. */
export function parseStat(pid: number, text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  // After "(comm) ": state is field 3, ppid 4, ..., starttime 22.
  const ppid = Number(fields[1]);
  const start = Number(fields[19]);
  return Number.isFinite(ppid) && Number.isFinite(start) ? { pid, ppid, start } : null;
}

function readStat(pid: number): ProcStat | null {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** The pids below `root` in a process table, root excluded. */
export function descendants(root: number, stats: readonly ProcStat[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const found: ProcStat[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      found.push(c);
      queue.push(c.pid);
    }
  }
  return found;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

function workingDir(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}

/** Whether a process still alive (not a zombie) is the one recorded: same pid, same start time. */
function stillAlive(p: ProcStat): boolean {
  const now = readStat(p.pid);
  if (!now || now.start !== p.start) return false;
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${p.pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Start time of this moment, in clock ticks since boot (as /proc/PID/stat counts them). */
function ticksNow(): number {
  const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Math.floor(uptimeS * clockTicks());
}

let ticksPerSecond: number | null = null;
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * Orphans started since `sinceTicks` whose working directory or command line is under a watched
 * path, and the processes below them.
 */
function watchedSince(sinceTicks: number, watch: readonly string[], exclude: number): ProcStat[] {
  if (watch.length === 0) return [];
  const stats = allStats();
  const orphans = stats.filter((s) => {
    if (s.pid === exclude || s.ppid !== 1 || s.start < sinceTicks) return false;
    const cwd = workingDir(s.pid);
    const cmd = commandLine(s.pid);
    return watch.some((w) => cwd === w || cwd.startsWith(`${w}/`) || cmd.includes(w));
  });
  return [...orphans, ...orphans.flatMap((o) => descendants(o.pid, stats))];
}

/** Listening TCP sockets by pid, from `ss -ltnpH`. */
export function parseListeners(ssOutput: string): Map<number, string[]> {
  const byPid = new Map<number, string[]>();
  for (const line of ssOutput.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const local = cols[3];
    if (!local) continue;
    for (const m of line.matchAll(/pid=(\d+)/g)) {
      const pid = Number(m[1]);
      byPid.set(pid, [...new Set([...(byPid.get(pid) ?? []), local])]);
    }
  }
  return byPid;
}

function listeners(): Map<number, string[]> {
  try {
    return parseListeners(execFileSync('ss', ['-ltnpH'], { encoding: 'utf8', timeout: 5_000 }));
  } catch {
    return new Map();
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Finds what the run left alive, kills it by pid, and says what it was. */
function collectLeftovers(
  seen: Map<string, ProcStat>,
  sinceTicks: number,
  watch: readonly string[],
  cliPid: number,
): Leftover[] {
  for (const s of watchedSince(sinceTicks, watch, cliPid)) seen.set(`${s.pid}:${s.start}`, s);
  const alive = [...seen.values()].filter((p) => p.pid !== cliPid && stillAlive(p));
  if (alive.length === 0) return [];
  const listening = listeners();
  const found = alive.map((p) => ({ pid: p.pid, command: commandLine(p.pid), listening: listening.get(p.pid) ?? [] }));
  for (const p of alive) killPid(p.pid);
  return found;
}

/**
 * Runs `node bin/gauntlet.mjs ...args` (or `program ...args`) under the watchdog and reports how
 * it ended, its peak memory and what it left running.
 */
export async function guardedRun(args: string[], opts: GuardOptions = {}): Promise<GuardedRun> {
  const memoryBoundMb = opts.memoryBoundMb ?? DEFAULT_MEMORY_BOUND_MB;
  const wallBoundMs = opts.wallBoundMs ?? DEFAULT_WALL_BOUND_MS;
  const watch = opts.watch ?? [];
  const sinceTicks = ticksNow();
  const started = performance.now();
  const [file, ...first] = opts.program ?? [process.execPath, GAUNTLET_BIN];
  const child = spawn(file!, [...first, ...args], {
    cwd: opts.cwd ?? PROJECT_ROOT,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${[file, ...first, ...args].join(' ')}`);
  const stdout = new BoundedText();
  const stderr = new BoundedText();
  child.stdout.setEncoding('utf8').on('data', (d: string) => stdout.push(d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => stderr.push(d));

  let peakRssMb = 0;
  let killedBy: GuardedRun['killedBy'] = null;
  const seen = new Map<string, ProcStat>();
  let lastTreeWalk = 0;
  const killGroup = (why: 'memory' | 'time') => {
    killedBy ??= why;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  const poll = () => {
    const mem = readMemory(pid);
    if (mem) {
      peakRssMb = Math.max(peakRssMb, mem.hwmMb);
      if (mem.rssMb > memoryBoundMb) killGroup('memory');
    }
    if (performance.now() - started > wallBoundMs) killGroup('time');
    if (performance.now() - lastTreeWalk >= TREE_POLL_MS) {
      lastTreeWalk = performance.now();
      for (const d of descendants(pid, allStats())) seen.set(`${d.pid}:${d.start}`, d);
    }
  };
  const timer = setInterval(poll, POLL_MS);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // By the time 'exit' comes the process has been reaped: the last poll's VmHWM stands.
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  clearInterval(timer);
  const wallMs = performance.now() - started;
  // The output still in the pipes, unless an escaped process holds them open.
  await Promise.race([closed, new Promise((r) => setTimeout(r, 2_000))]);
  // Give servers stopped at the very end a moment to be reaped before calling them leftovers.
  await new Promise((r) => setTimeout(r, 300));
  const leftovers = collectLeftovers(seen, sinceTicks, watch, pid);
  // Pipes held open by an escaped process would keep 'close' from ever coming: do not wait for it.
  child.stdout.destroy();
  child.stderr.destroy();
  return {
    args,
    exitCode: exit.code,
    signal: exit.signal,
    wallMs,
    peakRssMb,
    killedBy,
    stdout: stdout.text(),
    stderr: stderr.text(),
    leftovers,
  };
}
