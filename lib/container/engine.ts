/**
 * The container engine, reached through testcontainers.
 *
 * testcontainers is set up for an engine without a bridge network (scripts/docker-up.sh starts
 * dockerd with --bridge=none, and every server container uses the host's network so that load
 * traffic stays on 127.0.0.1):
 * - TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1: without it testcontainers looks for the bridge
 *   network's gateway and fails with "Could not find a working container runtime strategy";
 * - TESTCONTAINERS_RYUK_DISABLED=true: Ryuk, the reaper container, needs a bridge and a pulled
 *   image; Gauntlet removes its own containers and images instead (lib/container/cleanup.ts).
 * Both are defaults only: a value set in the environment wins.
 */
import { getContainerRuntimeClient, type ContainerRuntimeClient } from 'testcontainers';

/** One line telling how to get a container engine here. */
export const CONTAINER_HINT =
  "start one with scripts/docker-up.sh (installs Debian's docker.io if needed, then runs dockerd with host networking only); " +
  "where no registry is reachable, scripts/docker-base-images.sh builds the base images from this machine's node and python3";

/** A container engine that could not be reached. */
export class ContainerEngineError extends Error {
  constructor(detail: string) {
    super(`no container engine: ${detail}; ${CONTAINER_HINT}`);
    this.name = 'ContainerEngineError';
  }
}

export function applyTestcontainersDefaults(env: NodeJS.ProcessEnv = process.env): void {
  env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
}

let client: Promise<ContainerRuntimeClient> | null = null;

/** The engine's client (testcontainers'), connected once per process. */
export function containerClient(): Promise<ContainerRuntimeClient> {
  applyTestcontainersDefaults();
  client ??= getContainerRuntimeClient().catch((err: unknown) => {
    client = null;
    throw new ContainerEngineError((err as Error).message);
  });
  return client;
}

/** "Docker 28.2.2 on Debian GNU/Linux 12 (bookworm)": the engine and its host, for results and reports. */
export function engineDescription(c: ContainerRuntimeClient): string {
  const info = c.info.containerRuntime;
  return `Docker ${info.serverVersion}${info.operatingSystem ? ` on ${info.operatingSystem}` : ''}`;
}

export type EngineStatus = { available: true; description: string } | { available: false; reason: string };

/**
 * Whether a container engine answers here, without throwing: for specs that skip (saying why)
 * where there is none, and for the CLI's error before it starts anything.
 */
export async function containerEngineStatus(): Promise<EngineStatus> {
  try {
    const c = await containerClient();
    return { available: true, description: engineDescription(c) };
  } catch (err) {
    return { available: false, reason: (err as Error).message };
  }
}
