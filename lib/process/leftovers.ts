/**
 * What an earlier run left running, found and stopped by a later one.
 *
 * A harness that dies without its cleanup (SIGKILL, the OOM killer, a power cut of the
 * container) leaves its entries in the registry (lib/process/registry.ts). An entry whose harness
 * is gone is stale; if its process group still has processes, or a process still holds its
 * listening socket (a child that left the group with setsid), that server is a leftover: it
 * holds a port and a share of the CPU that the new run would measure against. It is named on
 * stderr, stopped (SIGTERM, then SIGKILL), and the entry is removed.
 *
 * A container server's entry (ContainerEntry) whose harness is gone is looked for in the engine
 * instead: its containers (by their launch label) and its image are named and removed
 * (lib/container/leftover-containers.ts). When the engine cannot be asked (no docker command, no
 * engine running), the entry is kept for a later run and one line says so.
 *
 * Both launchers run this once per process, before their first launch; commands and tests can
 * call findLeftovers() themselves.
 */
import { rmSync } from 'node:fs';
import {
  allProcs,
  commandLine,
  describeProcess,
  isRunning,
  membersOf,
  sameProcess,
  type ProcEntry,
} from './proc-table.ts';
import { holdersOf } from './socket-holders.ts';
import {
  claimEntry,
  isContainerEntry,
  readEntries,
  registryDir,
  releaseClaim,
  type ContainerEntry,
  type RegistryEntry,
} from './registry.ts';
import { terminate } from './terminate.ts';
import {
  containerLeftoverLine,
  containerTraces,
  removeTraces,
  uncheckedLine,
  type FoundContainer,
} from '../container/leftover-containers.ts';

export interface LeftoverProcess {
  pid: number;
  command: string;
}

/** A server started as a process, still running. */
export interface ProcessLeftover {
  kind: 'process';
  entry: RegistryEntry;
  /** Its processes that were running when found: the group's, then the socket's other holders. */
  processes: LeftoverProcess[];
  /** Whether they were all gone when findLeftovers returned. */
  stopped: boolean;
}

/** A container server whose container or image is still in the engine. */
export interface ContainerLeftover {
  kind: 'container';
  entry: ContainerEntry;
  /** Its containers that were there when found (running or not). */
  containers: FoundContainer[];
  /** The image built for it, when it was still there; null otherwise. */
  image: string | null;
  /** Whether the engine removed them all. */
  stopped: boolean;
}

export type Leftover = ProcessLeftover | ContainerLeftover;

export interface FindLeftoversOptions {
  /** The registry directory (default: registryDir()). */
  dir?: string;
  /** Stop what is found (default true); false only names it. */
  stop?: boolean;
  /** Where each leftover is named (default: one line on stderr). */
  log?: (line: string) => void;
  /** How long SIGTERM is given before SIGKILL (default 1000 ms). */
  graceMs?: number;
  /** The docker command that asks the engine about container servers (default `docker` on PATH). */
  docker?: string;
}

/** The running processes of a stale entry: its group (unless the pgid now names another group) and its socket's holders. */
export function leftoverProcesses(
  entry: RegistryEntry,
  procs: readonly ProcEntry[],
  holders: Iterable<number>,
): ProcEntry[] {
  const leader = procs.find((p) => p.pid === entry.pgid);
  // The group's first process runs but started at another time: the pid was reused, the group is another's.
  const reused = leader !== undefined && entry.pgidStartTicks !== null && leader.startTicks !== entry.pgidStartTicks;
  const found = new Map<number, ProcEntry>();
  if (!reused) for (const p of membersOf(entry.pgid, procs)) found.set(p.pid, p);
  for (const pid of holders) {
    const p = procs.find((q) => q.pid === pid);
    if (p && isRunning(p)) found.set(pid, p);
  }
  found.delete(process.pid);
  return [...found.values()].sort((a, b) => (a.pid === entry.pgid ? -1 : b.pid === entry.pgid ? 1 : a.pid - b.pid));
}

/** The line that names a leftover. Pure. */
export function leftoverLine(entry: RegistryEntry, processes: readonly LeftoverProcess[], stopping: boolean): string {
  const [first, ...rest] = processes;
  const who = first ? describeProcess(first.pid, first.command) : `process group ${entry.pgid}`;
  const more =
    rest.length > 0
      ? ` and ${rest.length} other process${rest.length > 1 ? 'es' : ''} (${rest.map((p) => `pid ${p.pid}`).join(', ')})`
      : '';
  return (
    `gauntlet: a server left by an earlier run is still running: ${who}${more}, ${entry.port > 0 ? `port ${entry.port}` : 'port not yet known'}, ` +
    `started by gauntlet pid ${entry.harnessPid} at ${entry.startedAt}` +
    (stopping ? ': stopping it' : '')
  );
}

/**
 * Finds the servers of the registry whose harness is gone, names those still running and (by
 * default) stops them, and removes every stale entry. Entries of running harnesses are left alone.
 */
export async function findLeftovers(opts: FindLeftoversOptions = {}): Promise<Leftover[]> {
  const dir = opts.dir ?? registryDir();
  const stop = opts.stop ?? true;
  const log = opts.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const out: Leftover[] = [];
  for (const { file, entry } of readEntries(dir)) {
    if (entry === null) {
      rmSync(file, { force: true });
      continue;
    }
    if (sameProcess(entry.harnessPid, entry.harnessStartTicks)) continue;
    const claimed = stop ? claimEntry(file) : file;
    if (claimed === null) continue; // another harness is handling it
    const found = isContainerEntry(entry)
      ? await containerLeftover(entry, claimed, stop, log, opts.docker)
      : await processLeftover(entry, claimed, stop, log, opts.graceMs ?? 1_000);
    if (found) out.push(found);
  }
  return out;
}

async function processLeftover(
  entry: RegistryEntry,
  claimed: string,
  stop: boolean,
  log: (line: string) => void,
  graceMs: number,
): Promise<ProcessLeftover | null> {
  const procs = allProcs();
  const holders = entry.socketInodes.length > 0 ? holdersOf(new Set(entry.socketInodes)).keys() : [];
  const running = leftoverProcesses(entry, procs, holders);
  if (running.length === 0) {
    if (stop) rmSync(claimed, { force: true });
    return null;
  }
  const processes = running.map((p) => ({ pid: p.pid, command: commandLine(p.pid) }));
  log(leftoverLine(entry, processes, stop));
  let stopped = false;
  if (stop) {
    const groupIncluded = running.some((p) => p.pgid === entry.pgid);
    stopped = await terminate(running, graceMs, groupIncluded ? entry.pgid : null);
    rmSync(claimed, { force: true });
  }
  return { kind: 'process', entry, processes, stopped };
}

async function containerLeftover(
  entry: ContainerEntry,
  claimed: string,
  stop: boolean,
  log: (line: string) => void,
  command: string | undefined,
): Promise<ContainerLeftover | null> {
  const docker = command !== undefined ? { command } : {};
  const traces = await containerTraces(entry, docker);
  if ('error' in traces) {
    // The engine cannot tell: what it holds may still be there, so the entry stays for a later run.
    log(uncheckedLine(entry, traces.error));
    if (stop) releaseClaim(claimed);
    return null;
  }
  if (traces.containers.length === 0 && !traces.image) {
    if (stop) rmSync(claimed, { force: true });
    return null;
  }
  log(containerLeftoverLine(entry, traces, stop));
  let stopped = false;
  if (stop) {
    stopped = await removeTraces(entry, traces, docker);
    // Kept when the engine failed to remove them, for a later run to try again.
    if (stopped) rmSync(claimed, { force: true });
    else releaseClaim(claimed);
  }
  return { kind: 'container', entry, containers: traces.containers, image: traces.image ? entry.image : null, stopped };
}

let sweep: Promise<Leftover[]> | null = null;

/** findLeftovers() once per process: the launcher calls it before its first launch. */
export function sweepLeftoversOnce(): Promise<Leftover[]> {
  sweep ??= findLeftovers().catch(() => []);
  return sweep;
}
