/**
 * Watches a server's process group and the kernel's TCP counters around one cell.
 *
 * Before the cell: the group's processes, CPU times, descriptors, and the counters. During it:
 * a sample of those processes every 50 ms (resident memory and threads, whose peaks a
 * before/after pair would miss); the timer is unref'd and reads one small file per process,
 * tens of microseconds, so the load client loses nothing measurable. After it: the counters at once (the drops belong to
 * the cell, not to what follows), the CPU times, and the descriptors once their count has
 * settled (a server closes its side of the last connections a moment after the client has
 * seen their answers; counting at once would report those as growth).
 *
 * The group is the one of the pid given: a server Gauntlet started leads its own group; a server
 * already running (given by URL) is observed through the group of the process that owns its
 * listening socket, and not at all when that owner is unknown (pid 0).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CellResources, KernelTcpCounters } from '../types.ts';
import { counterDelta, readTcpCounters } from './netstat.ts';
import { countFds, groupPids, pageSizeBytes, procAvailable, parseProcStat, threadRunDelays, TICK_US } from './proc.ts';
import { readFileSync } from 'node:fs';

export interface CellObservation {
  /** null where /proc cannot be read, or the group was gone before the cell began. */
  resources: CellResources | null;
  /** Deltas over the cell; null where /proc/net/netstat cannot be read. */
  kernel: KernelTcpCounters | null;
  /** CPU time of this process (the load client) during the cell, microseconds. */
  clientCpuUs: number;
  /** Time this process's threads waited for a CPU during the cell, microseconds; null where unknown. */
  clientRunDelayUs: number | null;
}

export interface ObserverOptions {
  /** Period of the samples taken during the cell, ms (default 50). */
  intervalMs?: number;
  /** How long the descriptor count may take to settle after the cell, ms (default 500). */
  settleMs?: number;
}

interface PidTimes {
  user: number;
  sys: number;
}

interface Snapshot {
  times: Map<number, PidTimes>;
  threads: number;
  rssBytes: number;
}

function snapshot(pids: Iterable<number>, pgid: number): Snapshot {
  const times = new Map<number, PidTimes>();
  let threads = 0;
  let rssBytes = 0;
  const page = pageSizeBytes();
  for (const pid of pids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue;
    }
    const st = parseProcStat(text);
    if (!st || st.pgrp !== pgid) continue;
    times.set(pid, { user: st.userTicks, sys: st.sysTicks });
    threads += st.threads;
    rssBytes += st.rssPages * page;
  }
  return { times, threads, rssBytes };
}

/** The process group of `pid` (itself when it cannot be read); -1, no group, for no pid. */
function groupOf(pid: number): number {
  if (pid <= 0) return -1;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'))?.pgrp ?? pid;
  } catch {
    return pid;
  }
}

/** Ticks spent between two snapshots, process by process; a process new in `b` counts whole. */
function cpuDelta(a: Snapshot, b: Snapshot): PidTimes {
  let user = 0;
  let sys = 0;
  for (const [pid, t] of b.times) {
    const before = a.times.get(pid);
    user += Math.max(0, t.user - (before?.user ?? 0));
    sys += Math.max(0, t.sys - (before?.sys ?? 0));
  }
  return { user, sys };
}

/** Run-queue wait added since `before`, thread by thread (a thread new since then counts whole), ns. */
function delaySince(before: Map<number, number>, after: Map<number, number>): number {
  let ns = 0;
  for (const [tid, delay] of after) ns += Math.max(0, delay - (before.get(tid) ?? 0));
  return ns;
}

/** Counts descriptors until two counts 25 ms apart agree, or `settleMs` has passed. */
async function settledFds(pids: readonly number[], settleMs: number): Promise<number> {
  let last = countFds(pids);
  const deadline = Date.now() + settleMs;
  while (Date.now() < deadline) {
    await sleep(25);
    const now = countFds(pids);
    if (now === last) return now;
    last = now;
  }
  return last;
}

export class CellObserver {
  private readonly startedAtNs: bigint;
  private readonly clientCpuBefore: NodeJS.CpuUsage;
  private readonly runDelaysBefore: Map<number, number>;
  private readonly clientRunDelaysBefore: Map<number, number>;
  private readonly start: Snapshot | null;
  private readonly fdsBefore: number;
  private readonly kernelBefore: KernelTcpCounters | null;
  private readonly pids: Set<number>;
  private readonly timer: NodeJS.Timeout | null = null;
  private peakRss = 0;
  private peakThreads = 0;
  private samples = 0;

  private constructor(
    private readonly pgid: number,
    private readonly opts: Required<ObserverOptions>,
  ) {
    const proc = procAvailable();
    this.pids = new Set(proc ? groupPids(pgid) : []);
    this.fdsBefore = proc ? countFds([...this.pids]) : 0;
    this.start = proc && this.pids.size > 0 ? snapshot(this.pids, pgid) : null;
    if (this.start) this.note(this.start);
    this.kernelBefore = readTcpCounters();
    this.runDelaysBefore = this.start ? threadRunDelays([...this.pids]) : new Map<number, number>();
    this.clientRunDelaysBefore = threadRunDelays([process.pid]);
    this.clientCpuBefore = process.cpuUsage();
    this.startedAtNs = process.hrtime.bigint();
    if (this.start) {
      // Only the processes found before the cell are sampled during it: finding new ones means
      // reading every process's stat (a few milliseconds, a pause the client would feel). A
      // process started during the cell is found at its end, with all its CPU time.
      this.timer = setInterval(() => this.note(snapshot(this.pids, this.pgid)), opts.intervalMs);
      this.timer.unref();
    }
  }

  /**
   * Takes the "before" readings of the process group of `pid`; call right before the cell
   * starts. A pid of 0 (no process known) observes the kernel's counters and the client only.
   */
  static start(pid: number, opts: ObserverOptions = {}): CellObserver {
    return new CellObserver(groupOf(pid), { intervalMs: opts.intervalMs ?? 50, settleMs: opts.settleMs ?? 500 });
  }

  private note(s: Snapshot): void {
    this.samples++;
    if (s.rssBytes > this.peakRss) this.peakRss = s.rssBytes;
    if (s.threads > this.peakThreads) this.peakThreads = s.threads;
  }

  /** Takes the "after" readings; call as soon as the cell has ended. */
  async finish(completeRequests: number): Promise<CellObservation> {
    const kernelAfter = readTcpCounters();
    const client = process.cpuUsage(this.clientCpuBefore);
    const clientCpuUs = client.user + client.system;
    const clientDelays = threadRunDelays([process.pid]);
    const clientRunDelayUs = clientDelays.size > 0 ? delaySince(this.clientRunDelaysBefore, clientDelays) / 1000 : null;
    if (this.timer) clearInterval(this.timer);
    const kernel = counterDelta(this.kernelBefore, kernelAfter);
    if (!this.start) return { resources: null, kernel, clientCpuUs, clientRunDelayUs };
    for (const pid of groupPids(this.pgid)) this.pids.add(pid);
    const end = snapshot(this.pids, this.pgid);
    const wallUs = Number(process.hrtime.bigint() - this.startedAtNs) / 1000;
    this.note(end);
    const cpu = cpuDelta(this.start, end);
    const alive = [...end.times.keys()];
    const delays = threadRunDelays(alive);
    const runDelayNs = delaySince(this.runDelaysBefore, delays);
    const fdsAfter = await settledFds(alive, this.opts.settleMs);
    const cpuUserUs = cpu.user * TICK_US;
    const cpuSysUs = cpu.sys * TICK_US;
    return {
      kernel,
      clientCpuUs,
      clientRunDelayUs,
      resources: {
        processes: alive.length,
        cpuUserUs,
        cpuSysUs,
        cpuUsPerRequest: completeRequests > 0 ? (cpuUserUs + cpuSysUs) / completeRequests : null,
        wallUs,
        peakRssBytes: this.peakRss,
        threadsPeak: this.peakThreads,
        threadsAfter: end.threads,
        fdsBefore: this.fdsBefore,
        fdsAfter,
        samples: this.samples,
        ...(delays.size > 0 ? { runDelayUs: runDelayNs / 1000 } : {}),
      },
    };
  }

  /** Stops sampling without readings (the cell was aborted). */
  cancel(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
