/**
 * Starts a server as a process group on this machine and stops it again, whatever happens to the
 * harness: each group is guarded by a watchdog and a registry entry (lib/process/), killed at
 * once by the exit hook, and checked to be what answers on its port before it counts as started.
 * A server whose command has no {port} keeps the port it binds by itself (a course's server on
 * 10002): the port is stated, and checked free before the start, or discovered after it.
 * With `tls`, the server is given the run's certificate (lib/tls-certificate.ts) in
 * GAUNTLET_TLS_CERT and GAUNTLET_TLS_KEY, is awaited over TLS, and is trusted by that certificate
 * alone. The RunningServer it returns, and the readiness wait and errors it shares with the container
 * launcher, live in running-server.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerSpec } from './types.ts';
import { DEFAULT_DOC_ROOT } from './paths.ts';
import { getFreePort } from './ports.ts';
import { onProcessEnd } from './exit-hooks.ts';
import { runCertificate } from './tls-certificate.ts';
import { withParentDeathSignal } from './process/parent-death.ts';
import { startWatchdog, type Watchdog } from './process/watchdog.ts';
import { sweepLeftoversOnce } from './process/leftovers.ts';
import { registryDir, removeEntry, writeEntry, type RegistryEntry } from './process/registry.ts';
import { checkPortOwnership, foreignPortReason, portHolder, takenPortReason } from './process/port-ownership.ts';
import { describeListeners, discoverPort, listeningInodesNow } from './process/port-discovery.ts';
import { listeningSockets } from './process/listen-sockets.ts';
import { allProcs, membersOf, ownStartTicks, readProc } from './process/proc-table.ts';
import { killSocketHoldersNow, stopSocketHolders, type StrayProcess } from './process/strays.ts';
import {
  CapturedOutput,
  ExitState,
  foreignPortError,
  LaunchError,
  notReadyError,
  PortTakenError,
  probeHttp,
  runningServer,
  waitUntilReady,
  type ExitInfo,
  type RunningServer,
  type ServerHandles,
  type ServerTls,
  type StartDescription,
} from './running-server.ts';

export {
  describeExit,
  LaunchError,
  PortTakenError,
  probeHttp,
  type ExitInfo,
  type RunningServer,
} from './running-server.ts';

export interface LaunchOptions {
  /** Document root passed as `{root}` (default fixtures/www). */
  root?: string;
  /** Address the server is reached at (default 127.0.0.1). */
  host?: string;
  /** Overrides the manifest's readyTimeoutMs (default 15000). */
  readyTimeoutMs?: number;
  /** How long SIGTERM is given before SIGKILL (default 5000). */
  graceMs?: number;
  /** Extra environment on top of the manifest's. */
  env?: Record<string, string>;
  /** A fixed port instead of a free ephemeral one (tests of the launcher only). */
  port?: number;
  /**
   * Start the server talking TLS: the run's certificate and key in GAUNTLET_TLS_CERT and
   * GAUNTLET_TLS_KEY, readiness awaited over TLS. Only a server that reads them can.
   */
  tls?: boolean;
  /** Over TLS, accept a certificate that cannot be verified (a server given by https:// URL). */
  insecure?: boolean;
}

/**
 * Every server started and not yet stopped, by process group, with what guards it: a watchdog
 * that kills the group if this process dies without its cleanup, and its registry entry, from
 * which a later run finds it if both fail.
 */
interface LiveServer {
  watchdog: Watchdog;
  entry: RegistryEntry;
  port: number;
  inodes: Set<number>;
}
const live = new Map<number, LiveServer>();
const registry = registryDir();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  onProcessEnd(killAllNow);
}

/** Kills every server this process started, at once. For exit paths that cannot wait. */
export function killAllNow(): void {
  for (const [pgid, s] of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    killSocketHoldersNow(s.port, s.inodes);
    s.watchdog.dismiss();
    removeEntry(registry, s.entry);
  }
  live.clear();
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* the group is gone */
  }
}

const SHELL_OPERATORS = /[;&|<>()`\n]|\$\(/;
const LEADING_ASSIGNMENT = /^\s*[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * The shell line that runs a command. A simple command is `exec`ed, so that the server itself is
 * the process we watch and its own exit code (0 after a clean SIGTERM) is the one reported; a
 * compound command (`cd x && ./srv`) keeps its shell, whose exit code is that of its last command.
 */
export function shellLine(command: string): string {
  if (SHELL_OPERATORS.test(command) || LEADING_ASSIGNMENT.test(command)) return command;
  return `exec ${command}`;
}

/** Fills `{port}` and `{root}`; the root is shell-quoted because the command runs under sh. */
export function fillCommand(command: string, port: number, root: string): string {
  const quoted = `'${root.replaceAll("'", `'\\''`)}'`;
  return command.replaceAll('{port}', String(port)).replaceAll('{root}', quoted);
}

export const ADDR_IN_USE = /EADDRINUSE|address already in use/i;

/**
 * Starts a server and waits until it answers HTTP: on a free ephemeral port given as `{port}`, on
 * the port its manifest or `--server NAME@PORT=...` states, or, for a command without `{port}`
 * and no stated port, on the port it chooses itself, discovered from what its group listens on.
 * Rejects with a LaunchError naming the server, its exit and the tail of its output when it
 * exits early or is not ready by the deadline; in both cases nothing is left running. A stated
 * port that another process listens on is a LaunchError naming that process, before any start.
 */
export async function launch(spec: ServerSpec, opts: LaunchOptions = {}): Promise<RunningServer> {
  // Only a port Gauntlet picked may be picked again; a stated or a chosen one is the server's.
  const picked = opts.port === undefined && spec.port === undefined && spec.command.includes('{port}');
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOnce(spec, opts);
    } catch (err) {
      // The port was free when asked for, but another process may have taken it since: the server
      // then fails to bind, or another program answers on the port before it does.
      const retry =
        err instanceof LaunchError && picked && attempt < 3 && (err.portTaken || ADDR_IN_USE.test(err.stderrTail));
      if (!retry) throw err;
    }
  }
}

/**
 * The port the server will listen on, null when it chooses its own (a command without `{port}`
 * and no stated port). A stated port is looked at first: another process listening there is a
 * LaunchError naming it, and nothing is started.
 */
async function plannedPort(spec: ServerSpec, opts: LaunchOptions, host: string): Promise<number | null> {
  if (opts.port !== undefined) return opts.port;
  if (spec.port !== undefined) {
    const holder = portHolder(spec.port);
    if (holder) throw new PortTakenError(spec.name, takenPortReason(holder), holder.pid);
    return spec.port;
  }
  return spec.command.includes('{port}') ? getFreePort(host) : null;
}

async function launchOnce(spec: ServerSpec, opts: LaunchOptions): Promise<RunningServer> {
  installExitHook();
  // What a crashed earlier run left running would hold ports and CPU this run measures with.
  await sweepLeftoversOnce();
  const host = opts.host ?? '127.0.0.1';
  const root = opts.root ?? DEFAULT_DOC_ROOT;
  const planned = await plannedPort(spec, opts, host);
  const command = fillCommand(spec.command, planned ?? 0, root);
  const readyTimeoutMs = opts.readyTimeoutMs ?? spec.readyTimeoutMs ?? 15_000;
  // A server choosing its own port is known by the sockets it opens: those open now are not its.
  const preexisting = planned === null ? listeningInodesNow() : new Set<number>();
  const tls = opts.tls ? await tlsStart(spec, opts) : null;

  const child = spawnGroup(spec, command, planned, root, { ...opts, env: { ...opts.env, ...tls?.env } });
  const pid = await groupLeader(spec, child);
  const start: StartDescription = { subject: '', ran: `command: ${command}`, readyTimeoutMs, pgid: pid };
  const guard = guardGroup(spec, pid, command, host, planned ?? 0);
  const output = new CapturedOutput();
  child.stdout?.on('data', (d: Buffer) => output.stdout.push(d));
  child.stderr?.on('data', (d: Buffer) => output.stderr.push(d));
  const exit = new ExitState();
  child.once('exit', (code, signal) => exit.settle({ code, signal }));
  const group = new ProcessGroup(spec.name, pid, guard, exit, opts.graceMs ?? 5_000);
  const handles: ServerHandles = {
    pid,
    command,
    runtime: { kind: 'process' },
    exit,
    output,
    stop: group.stop,
    strays: group.strays,
    socketInodes: group.socketInodes,
    ...(tls && { tls: tls.server }),
  };
  const readyPath = spec.readyPath ?? '/';
  // Until the port is known, errors name the server by this record (port 0 while discovering).
  const starting = runningServer(spec, host, planned ?? 0, handles);
  const port =
    planned === null
      ? await discoveredPort(starting, { pgid: pid, host, preexisting, readyPath, start, tls: tls?.server }, exit)
      : await answeringPort(starting, readyPath, start);
  if (planned === null) group.learnPort(port);
  const server = runningServer(spec, host, port, handles);
  // Something answers on the port: make sure it is this server, not a program that had the port.
  const owner = checkPortOwnership(host, port, () => membersOf(pid, allProcs()).map((p) => p.pid), [pid]);
  if (owner.verdict === 'foreign') {
    throw await foreignPortError(server, foreignPortReason(owner, port, spec.name, `pgid ${pid}`), start);
  }
  if (owner.verdict === 'ours') group.watchSockets(owner.inodes);
  return server;
}

/** The planned port, once the server answers there; a LaunchError when it exits or times out first. */
async function answeringPort(starting: RunningServer, readyPath: string, start: StartDescription): Promise<number> {
  const ready = await waitUntilReady(starting, readyPath, start.readyTimeoutMs);
  if (ready !== 'ready') throw await notReadyError(starting, ready, start);
  return starting.port;
}

/** What discovering a server's own port needs to know of its start. */
interface DiscoveryStart {
  pgid: number;
  host: string;
  preexisting: ReadonlySet<number>;
  readyPath: string;
  start: StartDescription;
  /** The server talks TLS: its ports are probed so. */
  tls: ServerTls | undefined;
}

/** A TLS start: the environment naming the run's certificate, and how the server is then reached. */
async function tlsStart(
  spec: ServerSpec,
  opts: LaunchOptions,
): Promise<{ env: Record<string, string>; server: ServerTls }> {
  const cert = await runCertificate().catch((err: unknown) => {
    throw new LaunchError(spec.name, `was not started: ${(err as Error).message}`, null, '', '');
  });
  return {
    env: { GAUNTLET_TLS_CERT: cert.certPath, GAUNTLET_TLS_KEY: cert.keyPath },
    server: { insecure: opts.insecure ?? false, ca: cert.certPem },
  };
}

/**
 * The port a server without `{port}` answers HTTP on, among those its group listens on; a
 * LaunchError naming what it listened on when none answers in time or it exits first.
 */
async function discoveredPort(starting: RunningServer, d: DiscoveryStart, exit: ExitState): Promise<number> {
  const target = {
    pgid: d.pgid,
    host: d.host,
    preexisting: d.preexisting,
    exited: () => exit.info() !== null,
    exitedPromise: exit.exited,
  };
  if (listeningSockets() === null) {
    // Without /proc there is nothing to discover from: say so now rather than after the timeout.
    const info = await starting.stop();
    const reason =
      'has no {port} in its command, and its port cannot be discovered here (/proc/net/tcp cannot be read): ' +
      'state it (NAME@PORT=COMMAND, or "port" in its manifest)';
    throw new LaunchError(starting.name, reason, info, starting.stderr(), starting.stdout(), d.pgid);
  }
  const probe = (port: number, timeoutMs: number) => probeHttp(d.host, port, d.readyPath, timeoutMs, d.tls);
  const found = await discoverPort(target, probe, d.start.readyTimeoutMs);
  if (found.outcome === 'ready') return found.port;
  const awaited = `${d.host} at any port it listens on (it listened on ${describeListeners(found.listening)})`;
  throw await notReadyError(starting, found.outcome, { ...d.start, awaited });
}

/**
 * Spawns the command under sh. detached: the server gets its own process group, so that stop()
 * reaches every process the command starts (a shell, a runtime, worker processes), not only the
 * first. setpriv: the kernel kills that first process if this one dies without its cleanup.
 */
function spawnGroup(
  spec: ServerSpec,
  command: string,
  port: number | null,
  root: string,
  opts: LaunchOptions,
): ChildProcess {
  const portEnv = port === null ? {} : { GAUNTLET_PORT: String(port) };
  try {
    const [file, ...args] = withParentDeathSignal(['/bin/sh', '-c', shellLine(command)]);
    return spawn(file!, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, ...opts.env, ...portEnv, GAUNTLET_ROOT: root },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    throw new LaunchError(spec.name, `could not be spawned: ${(err as Error).message}`, null, '', '');
  }
}

/** The pid of the spawned shell, which leads the process group; a LaunchError if it never ran. */
async function groupLeader(spec: ServerSpec, child: ChildProcess): Promise<number> {
  if (child.pid !== undefined) return child.pid;
  const err = await new Promise<Error>((r) => child.once('error', r));
  throw new LaunchError(spec.name, `could not be spawned in ${spec.cwd}: ${err.message}`, null, '', '');
}

/** Puts a started group under guard: its watchdog, its registry entry, and the exit hook's list. */
function guardGroup(spec: ServerSpec, pid: number, command: string, host: string, port: number): LiveServer {
  const guard: LiveServer = {
    // The rest of the group (a shell's children, a server's workers) dies with the watchdog's help.
    watchdog: startWatchdog(pid),
    entry: {
      harnessPid: process.pid,
      harnessStartTicks: ownStartTicks(),
      name: spec.name,
      pgid: pid,
      pgidStartTicks: readProc(pid)?.startTicks ?? null,
      command,
      host,
      port,
      startedAt: new Date().toISOString(),
      socketInodes: [],
    },
    port,
    inodes: new Set(),
  };
  live.set(pid, guard);
  writeEntry(registry, guard.entry);
  return guard;
}

/** A started process group: how it is stopped, and what its stop found. */
class ProcessGroup {
  private stopping: Promise<ExitInfo> | null = null;
  private found: StrayProcess[] = [];

  constructor(
    private readonly serverName: string,
    private readonly pgid: number,
    private readonly guard: LiveServer,
    private readonly exit: ExitState,
    private readonly graceMs: number,
  ) {}

  /** SIGTERM to the whole group, SIGKILL after the grace period, then its guards go. Idempotent. */
  readonly stop = (): Promise<ExitInfo> => (this.stopping ??= this.terminate());

  readonly strays = (): readonly StrayProcess[] => this.found;

  readonly socketInodes = (): readonly number[] => [...this.guard.inodes];

  /** The port a server without `{port}` was found answering on: what its stop and guards look at. */
  learnPort(port: number): void {
    this.guard.port = port;
    this.guard.entry.port = port;
    writeEntry(registry, this.guard.entry);
  }

  /** The server's listening sockets, once it answers: recorded, and watched by the watchdog. */
  watchSockets(inodes: number[]): void {
    const { guard } = this;
    inodes.forEach((i) => guard.inodes.add(i));
    guard.entry.socketInodes = inodes;
    writeEntry(registry, guard.entry);
    for (const inode of inodes) guard.watchdog.watchSocket(inode);
  }

  private async terminate(): Promise<ExitInfo> {
    const { pgid, graceMs, guard } = this;
    signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    // Wait for the shell to exit, then for the rest of its group (a server's own children).
    // An unref'd timer: a pending grace period must not keep the process alive after the exit.
    const info = await Promise.race([this.exit.exited, sleep(graceMs, null, { ref: false })]);
    while (groupAlive(pgid) && Date.now() < deadline) await sleep(20);
    if (groupAlive(pgid)) {
      signalGroup(pgid, 'SIGKILL');
      // Killed processes linger as zombies until their parent reaps them; wait for that, briefly.
      const reapBy = Date.now() + 2_000;
      while (groupAlive(pgid) && Date.now() < reapBy) await sleep(10);
    }
    const final = info ?? (await this.exit.exited);
    // A process that left the group with the listening socket still answers on the port.
    this.found = await stopSocketHolders(guard.port, guard.inodes, Math.min(graceMs, 1_000));
    for (const p of this.found) {
      process.stderr.write(
        `gauntlet: server "${this.serverName}" left pid ${p.pid} (${p.command}) holding its port ${guard.port} outside its process group after it stopped: stopped it too\n`,
      );
    }
    guard.watchdog.dismiss();
    removeEntry(registry, guard.entry);
    live.delete(pgid);
    return final;
  }
}

/**
 * Starts a server for the duration of `fn` and always stops it, even when `fn` throws.
 */
export async function withServer<T>(
  spec: ServerSpec,
  opts: LaunchOptions,
  fn: (s: RunningServer) => Promise<T>,
): Promise<T> {
  const server = await launch(spec, opts);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}
