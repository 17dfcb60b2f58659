/**
 * A started server as the rest of the harness sees it, whichever way it runs (a process group or
 * a container): the RunningServer record, its exit, the output it keeps, how one learns that it
 * answers HTTP, and the LaunchError when it did not start. Both launchers build their servers
 * here, so that the two kinds cannot differ in anything but what really differs: the handles that
 * stop them, the command that runs, and where it runs.
 */
import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimeInfo, ServerSpec } from './types.ts';
import { OutputTail } from './output-tail.ts';
import type { StrayProcess } from './process/strays.ts';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(info: ExitInfo): string {
  if (info.signal) return `killed by ${info.signal}`;
  return `exit code ${info.code}`;
}

/**
 * How a server that talks TLS is reached: how its certificate is checked. The same shape as the
 * load engine's TargetTls and the conformance client's ClientTls, so that it is handed to both.
 */
export interface ServerTls {
  /** Accept any certificate (self-signed, expired, for another name). */
  insecure: boolean;
  /** The name sent in SNI and checked against the certificate (default the host, unless an IP address). */
  servername?: string;
  /** Certificates (PEM) trusted instead of the system's: the one a server Gauntlet started was given. */
  ca?: string | Buffer;
}

export interface RunningServer {
  readonly name: string;
  readonly spec: ServerSpec;
  readonly host: string;
  readonly port: number;
  /** http://host:port, or https://host:port over TLS */
  readonly url: string;
  /** Present when the server talks TLS (https): how its certificate is checked. */
  readonly tls?: ServerTls;
  /**
   * A process: the pid of the shell that runs the command, whose process group holds the whole
   * server. A container: the host's pid of the container's first process.
   */
  readonly pid: number;
  /** The command that runs, placeholders filled in (a container's argv joined by spaces). */
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

/** The exit of a started server: known at once when it happens, and awaitable before. */
export class ExitState {
  private current: ExitInfo | null = null;
  private resolveExit: (info: ExitInfo) => void = () => {};
  readonly exited = new Promise<ExitInfo>((resolve) => {
    this.resolveExit = resolve;
  });

  info(): ExitInfo | null {
    return this.current;
  }

  settle(info: ExitInfo): ExitInfo {
    this.current = info;
    this.resolveExit(info);
    return info;
  }
}

/** The tails of what a server writes, kept for error messages. */
export class CapturedOutput {
  readonly stdout = new OutputTail();
  readonly stderr = new OutputTail();
}

/** What a launcher provides for a server it started: the part that differs between runtimes. */
export interface ServerHandles {
  readonly pid: number;
  /** The command that actually runs. */
  readonly command: string;
  readonly runtime: RuntimeInfo;
  readonly exit: ExitState;
  readonly output: CapturedOutput;
  readonly stop: () => Promise<ExitInfo>;
  readonly strays?: () => readonly StrayProcess[];
  readonly socketInodes?: () => readonly number[];
  /** The server talks TLS, its certificate checked so. */
  readonly tls?: ServerTls;
}

/** The RunningServer of a started server. */
export function runningServer(spec: ServerSpec, host: string, port: number, handles: ServerHandles): RunningServer {
  const { exit, output, strays, socketInodes, tls } = handles;
  return {
    name: spec.name,
    spec,
    host,
    port,
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    ...(tls && { tls }),
    pid: handles.pid,
    command: handles.command,
    exited: exit.exited,
    exitInfo: () => exit.info(),
    stdout: () => output.stdout.text(),
    stderr: () => output.stderr.text(),
    stop: handles.stop,
    runtime: handles.runtime,
    ...(strays && { strays }),
    ...(socketInodes && { socketInodes }),
  };
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

  /** Another program answered on the server's port (foreignPortError): the port was taken. */
  portTaken = false;
}

/**
 * A server whose stated port another process already listens on: nothing was started, so there
 * is no output to show, only who holds the port.
 */
export class PortTakenError extends LaunchError {
  constructor(
    serverName: string,
    reason: string,
    /** The process that listens on the port, when it can be read. */
    readonly holderPid: number | null,
  ) {
    super(serverName, reason, null, '', '');
    this.message = `server "${serverName}" ${reason}`;
    this.name = 'LaunchError';
  }
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
export async function probeHttp(
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
  tls?: ServerTls,
): Promise<boolean> {
  return new Promise((done) => {
    const sock = tls ? dialProbeTls(host, port, tls) : connect({ host, port });
    let buf = '';
    const isStatus = (): boolean => /^HTTP\/\d\.\d \d{3}/.test(buf);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      done(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.setEncoding('latin1');
    sock.once(tls ? 'secureConnect' : 'connect', () => {
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

/** A TLS connection to a server, its certificate checked as `tls` says (probes and handshake checks). */
export function dialProbeTls(host: string, port: number, tls: ServerTls): Socket {
  const servername = tls.servername ?? (isIP(host) ? undefined : host);
  return connectTls({
    host,
    port,
    rejectUnauthorized: !tls.insecure,
    ALPNProtocols: ['http/1.1'],
    ...(servername !== undefined && { servername }),
    ...(tls.ca !== undefined && { ca: tls.ca }),
  });
}

/** 'not-tls': a server started to talk TLS answers plain HTTP instead. */
export type Readiness = 'ready' | 'exited' | 'timeout' | 'not-tls';

/** How long the plain probe of a server that is not answering over TLS may take, ms. */
const PLAIN_PROBE_MS = 500;

/**
 * Waits until a started server answers HTTP on its port (over TLS when it has `tls`), it exits,
 * or the deadline passes. A server meant to talk TLS that answers plain HTTP is told at once
 * rather than at the deadline: it will never talk TLS.
 */
export async function waitUntilReady(
  server: Pick<RunningServer, 'host' | 'port' | 'exited' | 'exitInfo' | 'tls'>,
  readyPath: string,
  readyTimeoutMs: number,
): Promise<Readiness> {
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (server.exitInfo()) return 'exited';
    const remaining = deadline - Date.now();
    if (remaining <= 0) return 'timeout';
    if (await probeHttp(server.host, server.port, readyPath, Math.min(2_000, remaining), server.tls)) {
      // The port answered; make sure it is our server that did, not one that took the port.
      if (!server.exitInfo()) return 'ready';
    } else if (server.tls && (await probeHttp(server.host, server.port, readyPath, PLAIN_PROBE_MS))) {
      return 'not-tls';
    } else {
      await Promise.race([sleep(50), server.exited]);
    }
  }
}

/** How a launcher names what it ran, in the errors of a start that failed. */
export interface StartDescription {
  /** '' for a process, 'container ' for a container: the subject of "exited before it was ready". */
  subject: string;
  /** What ran: `command: ...`, with the image before it for a container. */
  ran: string;
  readyTimeoutMs: number;
  /** Where an answer was awaited, when not the server's host:port (a port being discovered). */
  awaited?: string;
  /** The process group to name in the LaunchError, if any. */
  pgid: number | null;
}

/**
 * Stops a server that exited or did not answer in time and returns the LaunchError saying so.
 * `beforeExitStop` runs first when it exited (a container's last log lines).
 */
export async function notReadyError(
  server: RunningServer,
  ready: Exclude<Readiness, 'ready'>,
  start: StartDescription,
  beforeExitStop: () => Promise<unknown> = () => Promise.resolve(),
): Promise<LaunchError> {
  if (ready === 'exited') await beforeExitStop();
  const info = ready === 'exited' ? server.exitInfo()! : await server.stop();
  if (ready === 'exited') await server.stop();
  return new LaunchError(
    server.name,
    notReadyReason(server, ready, start, info),
    info,
    server.stderr(),
    server.stdout(),
    start.pgid,
  );
}

function notReadyReason(
  server: RunningServer,
  ready: Exclude<Readiness, 'ready'>,
  start: StartDescription,
  info: ExitInfo,
): string {
  const where = start.awaited ?? `${server.host}:${server.port}`;
  if (ready === 'exited') return `${start.subject}exited before it was ready (${describeExit(info)}); ${start.ran}`;
  if (ready === 'not-tls')
    return (
      `${start.subject}answers plain HTTP on ${where}, not TLS, and was stopped (${describeExit(info)}): with --tls a server ` +
      `must listen over TLS with the certificate and key named by GAUNTLET_TLS_CERT and GAUNTLET_TLS_KEY ` +
      `(of the reference servers, node-async does); ${start.ran}`
    );
  const over = server.tls ? ' over TLS' : '';
  return `${start.subject}did not answer HTTP${over} on ${where} within ${start.readyTimeoutMs} ms and was stopped (${describeExit(info)}); ${start.ran}`;
}

/** Stops a server whose port another program answers on, and returns the LaunchError saying so. */
export async function foreignPortError(
  server: RunningServer,
  reason: string,
  start: StartDescription,
): Promise<LaunchError> {
  const info = await server.stop();
  const err = new LaunchError(
    server.name,
    `did not start: ${reason}; ${start.ran} (${describeExit(info)})`,
    info,
    server.stderr(),
    server.stdout(),
    start.pgid,
  );
  err.portTaken = true;
  return err;
}
