/**
 * Starts a server in a container, with testcontainers: build its image from its Dockerfile,
 * start it with the host's network on a free ephemeral port, CPU and memory limits from the
 * manifest or the command line, the document root mounted read-only, wait until it answers HTTP,
 * and stop it (SIGTERM, then SIGKILL after the grace period), removing the container and the image.
 *
 * Host networking: the server listens on 127.0.0.1:<port> of the host itself, so that load
 * traffic stays on loopback and is measured the same way as for a process (no NAT, no bridge,
 * no userland proxy between the load generator and the server).
 *
 * The RunningServer it returns is built as the process launcher's is (lib/running-server.ts): its
 * pid is the host's pid of the container's first process, so /proc diagnostics and core pinning
 * work unchanged, and its command is the container's argv, placeholders filled in.
 *
 * Before anything is built, the start is guarded (lib/container/guard.ts): a watchdog removes the
 * container and the image if the harness dies without its cleanup (SIGKILL, the OOM killer), and
 * a registry entry lets a later run find them if the watchdog could not. As the process launcher
 * does, the first start of a process first looks for what crashed earlier runs left behind.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { GenericContainer, type ContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { ADDR_IN_USE, type LaunchOptions } from '../launcher.ts';
import {
  CapturedOutput,
  ExitState,
  foreignPortError,
  LaunchError,
  notReadyError,
  runningServer,
  waitUntilReady,
  type ExitInfo,
  type RunningServer,
  type StartDescription,
} from '../running-server.ts';
import { DEFAULT_DOC_ROOT } from '../paths.ts';
import { getFreePort } from '../ports.ts';
import type { ContainerManifest, RuntimeInfo, ServerSpec } from '../types.ts';
import { containerClient, engineDescription } from './engine.ts';
import { buildServerImage, containerSection, newImageName, type BuiltImage } from './image.ts';
import { removeContainer, removeImage, trackContainer, trackImage, untrackContainer } from './cleanup.ts';
import { guardContainer, type ContainerGuard } from './guard.ts';
import { sweepLeftoversOnce } from '../process/leftovers.ts';
import { checkPortOwnership, foreignPortReason } from '../process/port-ownership.ts';
import { allProcs, descendantsOf } from '../process/proc-table.ts';

export interface ContainerLaunchOptions extends LaunchOptions {
  /** CPU limit in CPUs (overrides the manifest's `container.cpus`). */
  cpus?: number;
  /** Memory limit in MiB (overrides the manifest's `container.memoryMb`). */
  memoryMb?: number;
}

/** The container's argv: `{port}` and `{root}` (the mount point in the container) filled in. */
export function containerCommand(command: string[], port: number, root: string): string[] {
  return command.map((a) => a.replaceAll('{port}', String(port)).replaceAll('{root}', root));
}

export async function launchContainer(spec: ServerSpec, opts: ContainerLaunchOptions = {}): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchContainerOnce(spec, opts);
    } catch (err) {
      // The port was free when asked for, but another process may have taken it since.
      const retry =
        err instanceof LaunchError &&
        opts.port === undefined &&
        attempt < 3 &&
        ADDR_IN_USE.test(err.stderrTail + err.stdoutTail);
      if (!retry) throw err;
    }
  }
}

async function launchContainerOnce(spec: ServerSpec, opts: ContainerLaunchOptions): Promise<RunningServer> {
  const c = containerSection(spec);
  const host = opts.host ?? '127.0.0.1';
  // What a crashed earlier run left (a running container holds a port and CPU) is removed first.
  await sweepLeftoversOnce();
  const guard = guardContainer({
    name: spec.name,
    launchId: randomBytes(8).toString('hex'),
    image: newImageName(spec),
    host,
  });
  // Tracked from now on, so that the exit hook (which releases the guards) is installed too.
  trackImage(guard.entry.image);
  try {
    return await startGuarded(spec, c, opts, guard);
  } catch (err) {
    // Whatever failed, the container (by its name: it may have no id yet) and the image go, and
    // the guards with them once the engine confirms it.
    await removeAndRelease(guard, guard.entry.containerId);
    throw err;
  }
}

/** Removes the container and the image of a start, then releases its guards if both are gone. */
async function removeAndRelease(guard: ContainerGuard, id: string | null): Promise<void> {
  const container = await removeContainer(id ?? guard.entry.containerName).then(
    () => true,
    () => false,
  );
  if (id !== null) untrackContainer(id);
  const image = await removeImage(guard.entry.image).then(
    () => true,
    () => false,
  );
  if (container && image) guard.release();
}

/** The engine's handle on one container (dockerode's). */
type ContainerHandle = ReturnType<ContainerRuntimeClient['container']['dockerode']['getContainer']>;

/** What a start has settled before its container runs. */
interface ContainerStart {
  spec: ServerSpec;
  guard: ContainerGuard;
  image: BuiltImage;
  port: number;
  argv: string[];
  /** The argv joined by spaces, as the RunningServer and the registry name it. */
  command: string;
  cpus: number | null;
  memoryMb: number | null;
  readyTimeoutMs: number;
}

async function startGuarded(
  spec: ServerSpec,
  c: ContainerManifest,
  opts: ContainerLaunchOptions,
  guard: ContainerGuard,
): Promise<RunningServer> {
  const host = guard.entry.host;
  const readyTimeoutMs = opts.readyTimeoutMs ?? spec.readyTimeoutMs ?? 15_000;
  const client = await containerClient();
  const image = await buildServerImage(spec, guard.entry.image);
  const port = opts.port ?? (await getFreePort(host));
  const argv = containerCommand(c.command, port, c.root);
  const command = argv.join(' ');
  guard.setCommand(port, command);
  const cpus = opts.cpus ?? c.cpus ?? null;
  const memoryMb = opts.memoryMb ?? c.memoryMb ?? null;
  const start: ContainerStart = { spec, guard, image, port, argv, command, cpus, memoryMb, readyTimeoutMs };

  const started = await startContainer(client, containerDefinition(start, c, opts), start);
  const id = started.getId();
  trackContainer(id);
  guard.started(id);
  const handle = client.container.dockerode.getContainer(id);
  const pid = (await handle.inspect()).State.Pid;
  const logs = await followLogs(client, handle);
  const exit = new ExitState();
  void handle.wait().then(
    (r: { StatusCode: number }) => exit.settle({ code: r.StatusCode, signal: null }),
    () => exit.settle({ code: null, signal: null }),
  );
  const stopper = new ContainerStopper(started, exit, logs.ended, guard, id, opts.graceMs ?? 5_000);
  const runtime: RuntimeInfo = {
    kind: 'container',
    image: image.name,
    baseImage: image.baseImage,
    cpus,
    memoryMb,
    buildS: image.buildS,
    engine: engineDescription(client),
    containerId: id,
  };
  const server = runningServer(spec, host, port, {
    pid,
    command,
    runtime,
    exit,
    output: logs.output,
    stop: stopper.stop,
  });

  const description: StartDescription = {
    subject: 'container ',
    ran: `image ${image.name}, command: ${command}`,
    readyTimeoutMs,
    pgid: null,
  };
  const ready = await waitUntilReady(server, spec.readyPath ?? '/', readyTimeoutMs);
  if (ready !== 'ready')
    throw await notReadyError(server, ready, description, () => Promise.race([logs.ended, sleep(500)]));
  // With the host's network, any program of the host could be what answers on the port: the
  // socket must be held by the container's main process (its host pid) or one of its descendants.
  const owner = checkPortOwnership(host, port, () => containerProcesses(pid), [pid]);
  if (owner.verdict !== 'foreign') return server;
  const reason = foreignPortReason(owner, port, spec.name, `container ${id.slice(0, 12)}, pid ${pid}`);
  throw await foreignPortError(server, reason, description);
}

/** The container of a start: host network, the root mounted read-only, its name, labels and limits. */
function containerDefinition(
  start: ContainerStart,
  c: ContainerManifest,
  opts: ContainerLaunchOptions,
): GenericContainer {
  const { spec, port, cpus, memoryMb } = start;
  const { launchId, containerName } = start.guard.entry;
  const container = new GenericContainer(start.image.name)
    .withNetworkMode('host')
    .withBindMounts([{ source: opts.root ?? DEFAULT_DOC_ROOT, target: c.root, mode: 'ro' }])
    .withCommand(start.argv)
    .withEnvironment({ ...spec.env, ...opts.env, GAUNTLET_PORT: String(port), GAUNTLET_ROOT: c.root })
    .withName(containerName)
    .withLabels({ 'gauntlet.server': spec.name, 'gauntlet.launch': launchId })
    .withStartupTimeout(start.readyTimeoutMs);
  if (cpus === null && memoryMb === null) return container;
  return container.withResourcesQuota({
    ...(cpus !== null ? { cpu: cpus } : {}),
    ...(memoryMb !== null ? { memory: memoryMb / 1024 } : {}),
  });
}

/**
 * Starts the container. One that was created but could not start (a command not found in the
 * image, a limit the engine refuses) is found by its label and removed, its log read first for
 * the LaunchError; launchContainerOnce removes the image.
 */
async function startContainer(
  client: ContainerRuntimeClient,
  container: GenericContainer,
  start: ContainerStart,
): Promise<StartedTestContainer> {
  try {
    return await container.start();
  } catch (err) {
    const { dockerode } = client.container;
    const label = `gauntlet.launch=${start.guard.entry.launchId}`;
    const leftover = await dockerode.listContainers({ all: true, filters: { label: [label] } }).catch(() => []);
    let log = '';
    for (const info of leftover) {
      log += await containerLogs(dockerode.getContainer(info.Id)).catch(() => '');
      await removeContainer(info.Id).catch(() => {});
    }
    const reason = `container did not start: ${(err as Error).message}; image ${start.image.name}, command: ${start.command}`;
    throw new LaunchError(start.spec.name, reason, null, log, '');
  }
}

/** A running container's output, followed into the kept tails until the container ends. */
async function followLogs(
  client: ContainerRuntimeClient,
  handle: ContainerHandle,
): Promise<{ output: CapturedOutput; ended: Promise<void> }> {
  const output = new CapturedOutput();
  const logStream = await handle.logs({ follow: true, stdout: true, stderr: true });
  const outSink = new PassThrough();
  const errSink = new PassThrough();
  outSink.on('data', (d: Buffer) => output.stdout.push(d));
  errSink.on('data', (d: Buffer) => output.stderr.push(d));
  client.container.dockerode.modem.demuxStream(logStream, outSink, errSink);
  const ended = new Promise<void>((r) => {
    logStream.once('end', () => r());
    logStream.once('close', () => r());
    logStream.once('error', () => r());
  });
  return { output, ended };
}

/** How a started container is stopped: docker stop, its last log lines, then it and its image go. */
class ContainerStopper {
  private stopping: Promise<ExitInfo> | null = null;

  constructor(
    private readonly started: StartedTestContainer,
    private readonly exit: ExitState,
    private readonly logsEnded: Promise<void>,
    private readonly guard: ContainerGuard,
    private readonly id: string,
    private readonly graceMs: number,
  ) {}

  /** Idempotent. */
  readonly stop = (): Promise<ExitInfo> => (this.stopping ??= this.terminate());

  private async terminate(): Promise<ExitInfo> {
    try {
      // docker stop: SIGTERM to the container's first process, SIGKILL after the grace period.
      await this.started.stop({ timeout: this.graceMs, remove: false }).catch(() => {});
      const unknownExit: ExitInfo = { code: null, signal: null };
      const info = await Promise.race([this.exit.exited, sleep(2_000, unknownExit, { ref: false })]);
      // The log stream ends with the container; give it a moment to deliver the last lines.
      await Promise.race([this.logsEnded, sleep(500, undefined, { ref: false })]);
      return info;
    } finally {
      await removeAndRelease(this.guard, this.id);
    }
  }
}

/** A container's processes, as host pids: its main process (docker inspect's State.Pid) and every descendant. */
export function containerProcesses(mainPid: number): number[] {
  if (!(mainPid > 0)) return [];
  return [mainPid, ...descendantsOf([mainPid], allProcs()).map((p) => p.pid)];
}

/** The whole log of a container that is not running (stdout and stderr interleaved). */
async function containerLogs(handle: {
  logs(o: { stdout: boolean; stderr: boolean; follow: false }): Promise<Buffer>;
}): Promise<string> {
  const raw = await handle.logs({ stdout: true, stderr: true, follow: false });
  // Multiplexed frames: an 8-byte header (stream, 0, 0, 0, size as big-endian uint32) per chunk.
  const parts: Buffer[] = [];
  for (let i = 0; i + 8 <= raw.length;) {
    const size = raw.readUInt32BE(i + 4);
    parts.push(raw.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
