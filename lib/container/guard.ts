/**
 * A container server must not outlive its harness even when the harness runs no code at its end
 * (SIGKILL, the kernel's OOM killer). The exit hook (lib/container/cleanup.ts) cannot help then,
 * and the engine keeps a container running for ever: its parent is the engine's shim, not the
 * harness, so no parent-death signal reaches it. Two guards per start, as for a process server
 * (docs/launching.md):
 *
 * - a watchdog (lib/process/watchdog.ts) that watches no process group and, when the harness
 *   dies, runs `docker rm --force --volumes -- <container name>` then `docker rmi --force --
 *   <image>`. The container's name is chosen before it is created, so the command is known from
 *   the start, before the image is built: a harness killed during the build or the start leaves
 *   nothing either.
 * - a registry entry (ContainerEntry in lib/process/registry.ts), from which a later run finds
 *   and removes what is left when the watchdog was killed too, or the engine did not answer it.
 *
 * A guard is released (watchdog dismissed, entry removed) only once the container and the image
 * are known to be gone; until then, both stay armed.
 */
import { ownStartTicks } from '../process/proc-table.ts';
import { ENGINE_NAME, registryDir, removeEntry, writeEntry, type ContainerEntry } from '../process/registry.ts';
import { startWatchdog, type Watchdog } from '../process/watchdog.ts';
import { DOCKER, removeContainersArgs, removeImagesArgs } from './docker-cli.ts';

export interface ContainerGuard {
  /** What the registry holds for this start (a copy). */
  readonly entry: Readonly<ContainerEntry>;
  /** Records the port and the container's command once chosen. */
  setCommand(port: number, command: string): void;
  /** Records the container's id once it runs. */
  started(containerId: string): void;
  /** Dismisses the watchdog and removes the entry: the container and the image are gone. Idempotent. */
  release(): void;
  /** The watchdog's pid (null without one), for tests and diagnostics. */
  readonly watchdogPid: number | null;
}

/** The container's name for one start: the server's name made fit for the engine, and the launch id. Pure. */
export function containerName(serverName: string, launchId: string): string {
  return `gauntlet-${serverName.replace(/[^A-Za-z0-9_.-]/g, '-')}-${launchId}`;
}

/** The commands the watchdog runs when the harness dies: remove the container, then the image. Pure. */
export function deathCleanup(entry: Pick<ContainerEntry, 'containerName' | 'image'>, docker = DOCKER): string[][] {
  const out: string[][] = [];
  if (ENGINE_NAME.test(entry.containerName)) out.push([docker, ...removeContainersArgs([entry.containerName])]);
  if (ENGINE_NAME.test(entry.image)) out.push([docker, ...removeImagesArgs([entry.image])]);
  return out;
}

const armed = new Set<ContainerGuard>();

export interface GuardInit {
  name: string;
  launchId: string;
  image: string;
  host: string;
  /** The registry's directory (default registryDir()). */
  dir?: string;
  /** The docker command the watchdog runs (default `docker` on PATH; tests give a fake one). */
  docker?: string;
}

/** Arms the guards of one container start, before anything is built. Never throws. */
export function guardContainer(init: GuardInit): ContainerGuard {
  const dir = init.dir ?? registryDir();
  const entry: ContainerEntry = {
    harnessPid: process.pid,
    harnessStartTicks: ownStartTicks(),
    name: init.name,
    launchId: init.launchId,
    containerName: containerName(init.name, init.launchId),
    containerId: null,
    image: init.image,
    command: '',
    host: init.host,
    port: null,
    startedAt: new Date().toISOString(),
  };
  let watchdog: Watchdog | null = null;
  try {
    watchdog = startWatchdog(null, { onDeath: deathCleanup(entry, init.docker) });
  } catch {
    /* a docker command whose path the watchdog cannot run (cleanupLine): the registry entry remains */
  }
  writeEntry(dir, entry);
  let released = false;
  const guard: ContainerGuard = {
    get entry() {
      return { ...entry };
    },
    watchdogPid: watchdog?.pid ?? null,
    setCommand(port, command) {
      entry.port = port;
      entry.command = command;
      if (!released) writeEntry(dir, entry);
    },
    started(containerId) {
      entry.containerId = containerId;
      if (!released) writeEntry(dir, entry);
    },
    release() {
      if (released) return;
      released = true;
      watchdog?.dismiss();
      removeEntry(dir, entry);
      armed.delete(guard);
    },
  };
  armed.add(guard);
  return guard;
}

/** Releases every guard still armed: for the exit hook, once it removed every container and image. */
export function releaseAllNow(): void {
  for (const g of [...armed]) g.release();
}

/** What the guards still armed would remove: containers (by id once known, by name before), images. For the exit hook. */
export function guardedNames(): { containers: string[]; images: string[] } {
  const all = [...armed].map((g) => g.entry);
  return { containers: all.map((e) => e.containerId ?? e.containerName), images: all.map((e) => e.image) };
}

/** The guards still armed (for tests). */
export function armedGuards(): readonly ContainerGuard[] {
  return [...armed];
}
