/**
 * CPU pinning for measurements: the servers under test share one set of cores, the load
 * generator (this process) the others.
 *
 * Why: on a small machine shared with other work, a busy process now and then lands on the core
 * where one of the two compared servers runs, and slows that server alone; interleaving cannot
 * cancel a slowdown that only one side gets (an A/A comparison here once read 1.36x for that
 * reason). With every server on the same cores, whatever lands there slows all of them alike,
 * and the client no longer takes CPU time from a server's core.
 *
 * On 2 cores: servers on core 1, the client on core 0. On n cores: servers on the upper half.
 * Needs Linux's taskset (util-linux); without it, or with one core, nothing is pinned.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface CorePlan {
  servers: number[];
  client: number[];
}

/** Which cores go to the servers and which to the client; null with fewer than two cores. */
export function planCores(cores = availableParallelism()): CorePlan | null {
  if (cores < 2) return null;
  const half = Math.floor(cores / 2);
  return {
    client: Array.from({ length: cores - half }, (_, i) => i),
    servers: Array.from({ length: half }, (_, i) => cores - half + i),
  };
}

function list(cores: number[]): string {
  return cores.join(',');
}

let tasksetChecked: boolean | null = null;

export function tasksetAvailable(): boolean {
  if (tasksetChecked === null) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore', timeout: 5_000 });
      tasksetChecked = true;
    } catch {
      tasksetChecked = false;
    }
  }
  return tasksetChecked;
}

/** The processes of a process group (a server started by the launcher leads its own). */
function groupPids(pgid: number): number[] {
  try {
    return execFileSync('pgrep', ['-g', String(pgid)], { encoding: 'utf8', timeout: 5_000 })
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [pgid];
  }
}

/** Pins every thread of every process of a group; processes and threads started later inherit it. */
export function pinGroup(pgid: number, cores: number[]): boolean {
  let ok = false;
  for (const pid of groupPids(pgid)) {
    try {
      execFileSync('taskset', ['-a', '-c', '-p', list(cores), String(pid)], { stdio: 'ignore', timeout: 5_000 });
      ok = true;
    } catch {
      // A process that exited in between.
    }
  }
  return ok;
}

/** This process's current affinity as a taskset list ("0,1" or "0-1"), or null. */
function currentAffinity(): string | null {
  try {
    const out = execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8', timeout: 5_000 });
    return /:\s*(\S+)\s*$/.exec(out.trim())?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Pins every thread of this process; returns a function that puts the former affinity back. */
export function pinSelf(cores: number[]): () => void {
  const before = currentAffinity();
  try {
    execFileSync('taskset', ['-a', '-c', '-p', list(cores), String(process.pid)], { stdio: 'ignore', timeout: 5_000 });
  } catch {
    return () => {};
  }
  return () => {
    if (!before) return;
    try {
      execFileSync('taskset', ['-a', '-c', '-p', before, String(process.pid)], { stdio: 'ignore', timeout: 5_000 });
    } catch {
      // Nothing more to do: the process ends soon after a gate anyway.
    }
  };
}

/** A sentence for reports: where things ran. */
export function describePinning(plan: CorePlan | null): string {
  if (!plan) return 'not pinned';
  return `servers pinned to core${plan.servers.length > 1 ? 's' : ''} ${list(plan.servers)}, the load generator to core${plan.client.length > 1 ? 's' : ''} ${list(plan.client)}`;
}

/**
 * Pins running servers and this process as a gate does; returns a function that gives this
 * process its former affinity back (the servers stay pinned until they stop). For specs that
 * measure with the matchers.
 */
export function pinForMeasurement(servers: Array<{ pid: number }>, plan: CorePlan | null = planCores()): () => void {
  if (!plan || !tasksetAvailable()) return () => {};
  for (const s of servers) pinGroup(s.pid, plan.servers);
  return pinSelf(plan.client);
}
