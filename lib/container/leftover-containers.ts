/**
 * What a crashed earlier run left in the container engine: the container and the image of a
 * container server whose harness is gone (killed by SIGKILL or the OOM killer, and its watchdog
 * with it, or the engine did not answer the watchdog in time).
 *
 * The registry entry (ContainerEntry in lib/process/registry.ts) names the start's launch label
 * and its image; the engine is asked through the docker command line which containers carry that
 * label and whether the image still exists. Asked by label rather than by id, a container is
 * found even when the harness died between its creation and the moment it learnt the id.
 *
 * The docker command rather than testcontainers: this runs in the leftover search of every run,
 * most of which start only processes and should not load (nor wait for) a container client.
 */
import type { ContainerEntry } from '../process/registry.ts';
import { docker, removeContainersArgs, removeImagesArgs, type DockerOptions } from './docker-cli.ts';

export interface FoundContainer {
  /** The full id. */
  id: string;
  /** As the engine says: running, exited, created, paused, ... */
  state: string;
}

/** What is left of a container server in the engine. */
export interface ContainerTraces {
  containers: FoundContainer[];
  /** Whether its image still exists. */
  image: boolean;
}

/** The argv that lists the containers of one start, as "<id> <state>" lines. */
export function listArgs(entry: Pick<ContainerEntry, 'launchId'>): string[] {
  return [
    'ps',
    '--all',
    '--no-trunc',
    '--filter',
    `label=gauntlet.launch=${entry.launchId}`,
    '--format',
    '{{.ID}} {{.State}}',
  ];
}

/** The argv that prints the image's id, or nothing when it is gone. */
export function imageArgs(entry: Pick<ContainerEntry, 'image'>): string[] {
  return ['images', '--quiet', '--no-trunc', '--', entry.image];
}

/** Parses `docker ps --format '{{.ID}} {{.State}}'`. Pure. */
export function parseContainerList(stdout: string): FoundContainer[] {
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w): w is [string, ...string[]] => /^[0-9a-f]{12,64}$/.test(w[0] ?? ''))
    .map(([id, state]) => ({ id, state: state || 'unknown' }));
}

/** Asks the engine what is left of a start; the error when it cannot tell (no engine, no docker command). */
export async function containerTraces(
  entry: ContainerEntry,
  opts: DockerOptions = {},
): Promise<ContainerTraces | { error: string }> {
  const ps = await docker(listArgs(entry), opts);
  if (!ps.ok) return { error: ps.error! };
  const img = await docker(imageArgs(entry), opts);
  if (!img.ok) return { error: img.error! };
  return { containers: parseContainerList(ps.stdout), image: img.stdout.trim() !== '' };
}

/** The line that names what is left of a container server. Pure. */
export function containerLeftoverLine(entry: ContainerEntry, traces: ContainerTraces, stopping: boolean): string {
  const started = `started by gauntlet pid ${entry.harnessPid} at ${entry.startedAt}`;
  const port = entry.port !== null ? `, port ${entry.port}` : '';
  const action = stopping ? ': removing it' : '';
  if (traces.containers.length === 0) {
    return `gauntlet: an image built by an earlier run is still there: ${entry.image} of server "${entry.name}", ${started}${action}`;
  }
  const which = traces.containers.map((c) => `${c.id.slice(0, 12)} (${c.state})`).join(', ');
  const image = traces.image ? `, image ${entry.image}` : '';
  const plural = traces.containers.length > 1 ? 's' : '';
  return `gauntlet: a container server left by an earlier run is still there: container${plural} ${which} of server "${entry.name}"${image}${port}, ${started}${action}`;
}

/** The line for an entry the engine could not be asked about. Pure. */
export function uncheckedLine(entry: ContainerEntry, error: string): string {
  return (
    `gauntlet: could not look for what an earlier run left of container server "${entry.name}" ` +
    `(container ${entry.containerName}, image ${entry.image}, started by gauntlet pid ${entry.harnessPid} at ${entry.startedAt}): ` +
    `${error}; it is kept in the list for a later run`
  );
}

/** Removes the containers, then the image; true when both commands succeeded (or had nothing to do). */
export async function removeTraces(
  entry: ContainerEntry,
  traces: ContainerTraces,
  opts: DockerOptions = {},
): Promise<boolean> {
  let ok = true;
  if (traces.containers.length > 0)
    ok = (await docker(removeContainersArgs(traces.containers.map((c) => c.id)), opts)).ok;
  if (traces.image) ok = (await docker(removeImagesArgs([entry.image]), opts)).ok && ok;
  return ok;
}
