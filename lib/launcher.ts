import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimeInfo, ServerSpec } from './types.ts';
import { DEFAULT_DOC_ROOT } from './paths.ts';
import { getFreePort } from './ports.ts';
import { OutputTail } from './output-tail.ts';
import { onProcessEnd } from './exit-hooks.ts';
import { withParentDeathSignal } from './process/parent-death.ts';
import { startWatchdog, type Watchdog } from './process/watchdog.ts';
import { sweepLeftoversOnce } from './process/leftovers.ts';
import { registryDir, removeEntry, writeEntry, type RegistryEntry } from './process/registry.ts';
import { checkPortOwnership, foreignPortReason } from './process/port-ownership.ts';
import { allProcs, membersOf, ownStartTicks, readProc } from './process/proc-table.ts';
import { killSocketHoldersNow, stopSocketHolders, type StrayProcess } from './process/strays.ts';

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
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A server that did not start, with what it printed. */
export class LaunchError extends Error {
  constructor(
    readonly serverName: string,
    reason: string,
    readonly exit: ExitInfo | null,
    readonly stderrTail: string,
    readonly stdoutTail: string,
    /** The process group that was started, if any (all of it is gone by the time this is thrown). */
    readonly pgid: number | null = null,
  ) {
    const tail = stderrTail.trim() || stdoutTail.trim();
    super(
      `server "${serverName}" ${reason}` +
        (tail ? `\n--- last output of ${serverName} ---\n${tail}\n---` : ` (it printed nothing)`),
    );
    this.name = 'LaunchError';
  }
}

export interface RunningServer {
  readonly name: string;
  readonly spec: ServerSpec;
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  /** Pid of the shell that runs the command; its process group holds the whole server. */
  readonly pid: number;
  /** The command as run, placeholders filled in. */
  readonly command: string;
  /** Settles when the process exits (by itself or stopped). */
  readonly exited: Promise<ExitInfo>;
  /** The exit, once it happened; null while running. */
  exitInfo(): ExitInfo | null;
  stdout(): string;
  stderr(): string;
  /** SIGTERM to the whole process group, SIGKILL after the grace period. Idempotent. */
  stop(): Promise<ExitInfo>;
  /** Where it runs: a process (the default), or a container with its image and limits. */
  readonly runtime?: RuntimeInfo;
  /**
   * Processes found at stop still holding the server's listening socket outside its process
   * group (a child that called setsid()), and stopped then; empty before stop and usually after.
   */
  strays?(): readonly StrayProcess[];
  /** The inodes of the server's listening sockets, once it is ready (for diagnostics and tests). */
  socketInodes?(): readonly number[];
}

export type { StrayProcess } from './process/strays.ts';
export { findLeftovers, type Leftover } from './process/leftovers.ts';

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

/** The most of a probe's answer kept: "HTTP/1.1 200" is 12 bytes, and nothing after it is read. */
export const PROBE_KEEP_BYTES = 16;

/**
 * Resolves once host:port accepts a TCP connection and answers an HTTP request with a
 * status line (any status: a server whose "/" is a 404 is still up).
 *
 * Only the first bytes of the answer are kept (PROBE_KEEP_BYTES) and the connection is closed as
 * soon as they decide: a server that answers with an endless head or body costs the probe one
 * socket buffer, never a growing one.
 */
export async function probeHttp(host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    const sock = connect({ host, port });
    let buf = '';
    const isStatus = (): boolean => /^HTTP\/\d\.\d \d{3}/.test(buf);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      done(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.setEncoding('latin1');
    sock.once('connect', () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
    });
    sock.on('data', (d: string) => {
      buf = (buf + d.slice(0, PROBE_KEEP_BYTES)).slice(0, PROBE_KEEP_BYTES);
      if (isStatus()) finish(true);
      else if (buf.length >= 12) finish(false);
    });
    sock.once('error', () => finish(false));
    sock.once('close', () => finish(isStatus()));
  });
}

export const ADDR_IN_USE = /EADDRINUSE|address already in use/i;

/**
 * Starts a server on a free ephemeral port and waits until it answers HTTP.
 * Rejects with a LaunchError naming the server, its exit and the tail of its output when it
 * exits early or is not ready by the deadline; in both cases nothing is left running.
 */
export async function launch(spec: ServerSpec, opts: LaunchOptions = {}): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOnce(spec, opts);
    } catch (err) {
      // The port was free when asked for, but another process may have taken it since.
      const retry = err instanceof LaunchError && opts.port === undefined && attempt < 3 && ADDR_IN_USE.test(err.stderrTail);
      if (!retry) throw err;
    }
  }
}

async function launchOnce(spec: ServerSpec, opts: LaunchOptions): Promise<RunningServer> {
  installExitHook();
  // What a crashed earlier run left running would hold ports and CPU this run measures with.
  await sweepLeftoversOnce();
  const host = opts.host ?? '127.0.0.1';
  const root = opts.root ?? DEFAULT_DOC_ROOT;
  const port = opts.port ?? (await getFreePort(host));
  const command = fillCommand(spec.command, port, root);
  const readyTimeoutMs = opts.readyTimeoutMs ?? spec.readyTimeoutMs ?? 15_000;
  const graceMs = opts.graceMs ?? 5_000;
  const readyPath = spec.readyPath ?? '/';

  let child: ChildProcess;
  try {
    // detached: the server gets its own process group, so that stop() reaches every process
    // the command starts (a shell, a runtime, worker processes), not only the first.
    // setpriv: the kernel kills that first process if this one dies without its cleanup.
    const [file, ...args] = withParentDeathSignal(['/bin/sh', '-c', shellLine(command)]);
    child = spawn(file!, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, ...opts.env, GAUNTLET_PORT: String(port), GAUNTLET_ROOT: root },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    throw new LaunchError(spec.name, `could not be spawned: ${(err as Error).message}`, null, '', '');
  }
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((r) => child.once('error', r));
    throw new LaunchError(spec.name, `could not be spawned in ${spec.cwd}: ${err.message}`, null, '', '');
  }
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
  let strays: StrayProcess[] = [];

  const out = new OutputTail();
  const errOut = new OutputTail();
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => errOut.push(d));

  let exitInfo: ExitInfo | null = null;
  const exited = new Promise<ExitInfo>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolveExit(exitInfo);
    });
  });

  let stopping: Promise<ExitInfo> | null = null;
  const stop = (): Promise<ExitInfo> => {
    stopping ??= (async () => {
      signalGroup(pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      // Wait for the shell to exit, then for the rest of its group (a server's own children).
      // An unref'd timer: a pending grace period must not keep the process alive after the exit.
      const info = await Promise.race([exited, sleep(graceMs, null, { ref: false })]);
      while (groupAlive(pid) && Date.now() < deadline) await sleep(20);
      if (groupAlive(pid)) {
        signalGroup(pid, 'SIGKILL');
        // Killed processes linger as zombies until their parent reaps them; wait for that, briefly.
        const reapBy = Date.now() + 2_000;
        while (groupAlive(pid) && Date.now() < reapBy) await sleep(10);
      }
      const final = info ?? (await exited);
      // A process that left the group with the listening socket still answers on the port.
      strays = await stopSocketHolders(port, guard.inodes, Math.min(graceMs, 1_000));
      for (const p of strays) {
        process.stderr.write(
          `gauntlet: server "${spec.name}" left pid ${p.pid} (${p.command}) holding its port ${port} outside its process group after it stopped: stopped it too\n`,
        );
      }
      guard.watchdog.dismiss();
      removeEntry(registry, guard.entry);
      live.delete(pid);
      return final;
    })();
    return stopping;
  };

  const server: RunningServer = {
    name: spec.name,
    spec,
    host,
    port,
    url: `http://${host}:${port}`,
    pid,
    command,
    exited,
    exitInfo: () => exitInfo,
    stdout: () => out.text(),
    stderr: () => errOut.text(),
    stop,
    runtime: { kind: 'process' },
    strays: () => strays,
    socketInodes: () => [...guard.inodes],
  };

  const ready = await waitUntilReady(server, readyPath, readyTimeoutMs);
  if (ready === 'ready') {
    // Something answers on the port: make sure it is this server, not a program that had the port.
    const owner = checkPortOwnership(host, port, () => membersOf(pid, allProcs()).map((p) => p.pid), [pid]);
    if (owner.verdict !== 'foreign') {
      if (owner.verdict === 'ours') {
        owner.inodes.forEach((i) => guard.inodes.add(i));
        guard.entry.socketInodes = owner.inodes;
        writeEntry(registry, guard.entry);
        for (const inode of owner.inodes) guard.watchdog.watchSocket(inode);
      }
      return server;
    }
    const reason = foreignPortReason(owner, port, spec.name, `pgid ${pid}`);
    const info = await stop();
    throw new LaunchError(spec.name, `did not start: ${reason}; command: ${command} (${describeExit(info)})`, info, errOut.text(), out.text(), pid);
  }
  const info = ready === 'exited' ? exitInfo! : await stop();
  if (ready === 'exited') await stop();
  throw new LaunchError(
    spec.name,
    ready === 'exited'
      ? `exited before it was ready (${describeExit(info)}); command: ${command}`
      : `did not answer HTTP on ${host}:${port} within ${readyTimeoutMs} ms and was stopped (${describeExit(info)}); command: ${command}`,
    info,
    errOut.text(),
    out.text(),
    pid,
  );
}

/**
 * Waits until a started server answers HTTP on its port, it exits, or the deadline passes.
 * Shared by the process and the container launchers.
 */
export async function waitUntilReady(
  server: Pick<RunningServer, 'host' | 'port' | 'exited' | 'exitInfo'>,
  readyPath: string,
  readyTimeoutMs: number,
): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (server.exitInfo()) return 'exited';
    const remaining = deadline - Date.now();
    if (remaining <= 0) return 'timeout';
    if (await probeHttp(server.host, server.port, readyPath, Math.min(2_000, remaining))) {
      // The port answered; make sure it is our server that did, not one that took the port.
      if (!server.exitInfo()) return 'ready';
    } else {
      await Promise.race([sleep(50), server.exited]);
    }
  }
}

export function describeExit(info: ExitInfo): string {
  if (info.signal) return `killed by ${info.signal}`;
  return `exit code ${info.code}`;
}

/**
 * Starts a server for the duration of `fn` and always stops it, even when `fn` throws.
 */
export async function withServer<T>(spec: ServerSpec, opts: LaunchOptions, fn: (s: RunningServer) => Promise<T>): Promise<T> {
  const server = await launch(spec, opts);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}
