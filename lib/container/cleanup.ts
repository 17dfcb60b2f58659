/**
 * Nothing a run builds or starts outlives it: every image built and every container started is
 * tracked from the moment it is asked for, removed when its server stops, and, if the process
 * ends first (an error, Ctrl-C, a test runner killed), removed by an exit hook.
 *
 * testcontainers' own reaper (Ryuk) would do this, but it needs a bridge network and a pulled
 * image, neither of which exists here (lib/container/engine.ts). An exit hook must be
 * synchronous, so it removes with the docker command line; the normal path uses the engine's API.
 *
 * A harness killed by SIGKILL runs no exit hook: the guards of lib/container/guard.ts (a
 * watchdog, a registry entry) cover that case, and the exit hook releases them once it has
 * removed everything.
 */
import { containerClient } from './engine.ts';
import { dockerSync, removeContainersArgs, removeImagesArgs } from './docker-cli.ts';
import { guardedNames, releaseAllNow } from './guard.ts';
import { onProcessEnd } from '../exit-hooks.ts';

const images = new Set<string>();
const containers = new Set<string>();
let hookInstalled = false;

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  onProcessEnd(removeAllNow);
}

export function trackImage(name: string): void {
  installExitHook();
  images.add(name);
}

export function trackContainer(id: string): void {
  installExitHook();
  containers.add(id);
}

export function untrackContainer(id: string): void {
  containers.delete(id);
}

/** Removes an image built for a run (a no-op when it does not exist). */
export async function removeImage(name: string): Promise<void> {
  try {
    const client = await containerClient();
    await client.container.dockerode.getImage(name).remove({ force: true });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  } finally {
    images.delete(name);
  }
}

/** Removes a container, running or not (a no-op when it does not exist). */
export async function removeContainer(id: string): Promise<void> {
  try {
    const client = await containerClient();
    await client.container.dockerode.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    const code = (err as { statusCode?: number }).statusCode;
    // 404: already gone; 409: already being removed.
    if (code !== 404 && code !== 409) throw err;
  } finally {
    containers.delete(id);
  }
}

/** The images and containers of this process not yet removed (for tests and error messages). */
export function leftovers(): { images: string[]; containers: string[] } {
  return { images: [...images], containers: [...containers] };
}

/**
 * Removes everything still tracked, synchronously, for exit paths that cannot wait. The guards
 * are released only when the engine removed it all: otherwise their watchdogs try again once
 * this process is gone, and a later run finds the rest in the registry.
 */
export function removeAllNow(): void {
  // A start still under way has a container that is not tracked yet: its guard knows its name.
  const guarded = guardedNames();
  const allContainers = [...new Set([...containers, ...guarded.containers])];
  const allImages = [...new Set([...images, ...guarded.images])];
  let ok = true;
  if (allContainers.length > 0) ok = dockerSync(removeContainersArgs(allContainers)).ok;
  if (allImages.length > 0) ok = dockerSync(removeImagesArgs(allImages)).ok && ok;
  containers.clear();
  images.clear();
  if (ok) releaseAllNow();
}
