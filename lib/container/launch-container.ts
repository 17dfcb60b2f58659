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
 * The RunningServer it returns is the same as the process launcher's: its pid is the host's pid
 * of the container's first process, so /proc diagnostics and core pinning work unchanged.
 *
 * Before anything is built, the start is guarded (lib/container/guard.ts): a watchdog removes the
 * container and the image if the harness dies without its cleanup (SIGKILL, the OOM killer), and
 * a registry entry lets a later run find them if the watchdog could not. As the process launcher
 * does, the first start of a process first looks for what crashed earlier runs left behind.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { GenericContainer, type StartedTestContainer } from 'testcontainers';
import { ADDR_IN_USE, LaunchError, describeExit, waitUntilReady, type ExitInfo, type LaunchOptions, type RunningServer } from '../launcher.ts';
import { OutputTail } from '../output-tail.ts';
import { DEFAULT_DOC_ROOT } from '../paths.ts';
import { getFreePort } from '../ports.ts';
import type { ContainerManifest, RuntimeInfo, ServerSpec } from '../types.ts';
import { containerClient, engineDescription } from './engine.ts';
import { buildServerImage, containerSection, newImageName } from './image.ts';
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
      const retry = err instanceof LaunchError && opts.port === undefined && attempt < 3 && ADDR_IN_USE.test(err.stderrTail + err.stdoutTail);
      if (!retry) throw err;
    }
  }
}

async function launchContainerOnce(spec: ServerSpec, opts: ContainerLaunchOptions): Promise<RunningServer> {
  const c = containerSection(spec);
  const host = opts.host ?? '127.0.0.1';
  // What a crashed earlier run left (a running container holds a port and CPU) is removed first.
  await sweepLeftoversOnce();
  const guard = guardContainer({ name: spec.name, launchId: randomBytes(8).toString('hex'), image: newImageName(spec), host });
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

async function startGuarded(spec: ServerSpec, c: ContainerManifest, opts: ContainerLaunchOptions, guard: ContainerGuard): Promise<RunningServer> {
  const host = guard.entry.host;
  const root = opts.root ?? DEFAULT_DOC_ROOT;
  const readyTimeoutMs = opts.readyTimeoutMs ?? spec.readyTimeoutMs ?? 15_000;
  const graceMs = opts.graceMs ?? 5_000;
  const readyPath = spec.readyPath ?? '/';
  const cpus = opts.cpus ?? c.cpus ?? null;
  const memoryMb = opts.memoryMb ?? c.memoryMb ?? null;

  const client = await containerClient();
  const image = await buildServerImage(spec, guard.entry.image);
  const port = opts.port ?? (await getFreePort(host));
  const argv = containerCommand(c.command, port, c.root);
  const command = argv.join(' ');
  const { launchId, containerName } = guard.entry;
  guard.setCommand(port, command);

  let container = new GenericContainer(image.name)
    .withNetworkMode('host')
    .withBindMounts([{ source: root, target: c.root, mode: 'ro' }])
    .withCommand(argv)
    .withEnvironment({ ...spec.env, ...opts.env, GAUNTLET_PORT: String(port), GAUNTLET_ROOT: c.root })
    .withName(containerName)
    .withLabels({ 'gauntlet.server': spec.name, 'gauntlet.launch': launchId })
    .withStartupTimeout(readyTimeoutMs);
  if (cpus !== null || memoryMb !== null) {
    container = container.withResourcesQuota({
      ...(cpus !== null ? { cpu: cpus } : {}),
      ...(memoryMb !== null ? { memory: memoryMb / 1024 } : {}),
    });
  }

  let started: StartedTestContainer;
  try {
    started = await container.start();
  } catch (err) {
    // A container that was created but could not start (a command not found in the image, a
    // limit the engine refuses) is found by its label; its log is read before launchContainerOnce
    // removes it with the image.
    const leftover = await client.container.dockerode.listContainers({ all: true, filters: { label: [`gauntlet.launch=${launchId}`] } }).catch(() => []);
    let log = '';
    for (const info of leftover) {
      log += await containerLogs(client.container.dockerode.getContainer(info.Id)).catch(() => '');
      await removeContainer(info.Id).catch(() => {});
    }
    throw new LaunchError(spec.name, `container did not start: ${(err as Error).message}; image ${image.name}, command: ${command}`, null, log, '');
  }
  const id = started.getId();
  trackContainer(id);
  guard.started(id);
  const handle = client.container.dockerode.getContainer(id);
  const inspect = await handle.inspect();
  const pid = inspect.State.Pid;

  const out = new OutputTail();
  const errOut = new OutputTail();
  const logStream = await handle.logs({ follow: true, stdout: true, stderr: true });
  const outSink = new PassThrough();
  const errSink = new PassThrough();
  outSink.on('data', (d: Buffer) => out.push(d));
  errSink.on('data', (d: Buffer) => errOut.push(d));
  client.container.dockerode.modem.demuxStream(logStream, outSink, errSink);
  const logsEnded = new Promise<void>((r) => {
    logStream.once('end', () => r());
    logStream.once('close', () => r());
    logStream.once('error', () => r());
  });

  let exitInfo: ExitInfo | null = null;
  const exited: Promise<ExitInfo> = handle.wait().then(
    (r: { StatusCode: number }) => (exitInfo = { code: r.StatusCode, signal: null }),
    () => (exitInfo = { code: null, signal: null }),
  );

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

  let stopping: Promise<ExitInfo> | null = null;
  const stop = (): Promise<ExitInfo> => {
    stopping ??= (async () => {
      try {
        // docker stop: SIGTERM to the container's first process, SIGKILL after the grace period.
        await started.stop({ timeout: graceMs, remove: false }).catch(() => {});
        const info = await Promise.race([exited, sleep(2_000, { code: null, signal: null } as ExitInfo, { ref: false })]);
        // The log stream ends with the container; give it a moment to deliver the last lines.
        await Promise.race([logsEnded, sleep(500, undefined, { ref: false })]);
        return info;
      } finally {
        await removeAndRelease(guard, id);
      }
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
    runtime,
  };

  const ready = await waitUntilReady(server, readyPath, readyTimeoutMs);
  if (ready === 'ready') {
    // With the host's network, any program of the host could be what answers on the port: the
    // socket must be held by the container's main process (its host pid) or one of its descendants.
    const owner = checkPortOwnership(host, port, () => containerProcesses(pid), [pid]);
    if (owner.verdict !== 'foreign') return server;
    const reason = foreignPortReason(owner, port, spec.name, `container ${id.slice(0, 12)}, pid ${pid}`);
    const info = await stop();
    throw new LaunchError(spec.name, `did not start: ${reason}; image ${image.name}, command: ${command} (${describeExit(info)})`, info, errOut.text(), out.text());
  }
  if (ready === 'exited') await Promise.race([logsEnded, sleep(500)]);
  const info: ExitInfo = ready === 'exited' ? exitInfo! : await stop();
  if (ready === 'exited') await stop();
  throw new LaunchError(
    spec.name,
    ready === 'exited'
      ? `container exited before it was ready (${describeExit(info)}); image ${image.name}, command: ${command}`
      : `container did not answer HTTP on ${host}:${port} within ${readyTimeoutMs} ms and was stopped (${describeExit(info)}); image ${image.name}, command: ${command}`,
    info,
    errOut.text(),
    out.text(),
  );
}

/** A container's processes, as host pids: its main process (docker inspect's State.Pid) and every descendant. */
export function containerProcesses(mainPid: number): number[] {
  if (!(mainPid > 0)) return [];
  return [mainPid, ...descendantsOf([mainPid], allProcs()).map((p) => p.pid)];
}

/** The whole log of a container that is not running (stdout and stderr interleaved). */
async function containerLogs(handle: { logs(o: { stdout: boolean; stderr: boolean; follow: false }): Promise<Buffer> }): Promise<string> {
  const raw = await handle.logs({ stdout: true, stderr: true, follow: false });
  // Multiplexed frames: an 8-byte header (stream, 0, 0, 0, size as big-endian uint32) per chunk.
  const parts: Buffer[] = [];
  for (let i = 0; i + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(i + 4);
    parts.push(raw.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
