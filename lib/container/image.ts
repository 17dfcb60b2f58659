/**
 * Builds a server's image from its Dockerfile, with testcontainers' GenericContainer.
 *
 * Every start builds its own image, tagged gauntlet/<server>:<random>, and removes it when the
 * server stops (lib/container/cleanup.ts): a run leaves no image behind, and two runs never share
 * a tag. Layers stay cached while an image uses them, so a second start of the same server in one
 * run builds in about a second.
 *
 * The base image: a Dockerfile takes it as the build ARG BASE_IMAGE with a public default
 * (node:20-slim, python:3.12-slim). Where a local base image gauntlet-base/<baseImage>:local
 * exists (scripts/docker-base-images.sh makes them from this machine's own node and python3, for
 * machines that reach no registry), it is passed instead.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { relative, resolve, isAbsolute } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { GenericContainer, ImageName, type ContainerRuntimeClient } from 'testcontainers';
import type { ContainerManifest, ServerSpec } from '../types.ts';
import { containerClient } from './engine.ts';
import { trackImage, removeImage } from './cleanup.ts';

/** Lines of the build log kept in a ContainerBuildError. */
const LOG_TAIL_LINES = 30;

/** An image that did not build, with the end of its build log. */
export class ContainerBuildError extends Error {
  constructor(
    readonly serverName: string,
    detail: string,
    readonly logTail: string,
  ) {
    super(
      `the container image of server "${serverName}" did not build: ${detail}` +
        (logTail ? `\n--- last lines of the build log ---\n${logTail}\n---` : ''),
    );
    this.name = 'ContainerBuildError';
  }
}

export interface BuiltImage {
  /** gauntlet/<server>:<random> */
  name: string;
  /** The BASE_IMAGE build ARG, or null when the Dockerfile's default was used. */
  baseImage: string | null;
  buildS: number;
}

/** The local base image for a manifest's `baseImage`, as scripts/docker-base-images.sh names it. */
export function localBaseImage(baseImage: string): string {
  return `gauntlet-base/${baseImage}:local`;
}

/** The manifest's container section, or an error saying the server has none. */
export function containerSection(spec: ServerSpec): ContainerManifest {
  if (!spec.container) {
    throw new ContainerBuildError(
      spec.name,
      `${spec.source} has no "container" section: give the server a Dockerfile and say how it starts ` +
        `(see servers/python-async/server.json), or run it with --runtime process`,
      '',
    );
  }
  return spec.container;
}

/** The build context and the Dockerfile's path within it. */
export function buildPaths(spec: ServerSpec, c: ContainerManifest): { context: string; dockerfile: string } {
  const context = resolve(spec.cwd, c.context);
  const dockerfileAbs = resolve(spec.cwd, c.dockerfile);
  const dockerfile = relative(context, dockerfileAbs);
  if (dockerfile.startsWith('..') || isAbsolute(dockerfile)) {
    throw new ContainerBuildError(
      spec.name,
      `the Dockerfile ${dockerfileAbs} is outside the build context ${context}`,
      '',
    );
  }
  return { context, dockerfile };
}

/** A new image name for one start of a server: gauntlet/<server>:<12 random hex digits>. */
export function newImageName(spec: Pick<ServerSpec, 'name'>): string {
  return `gauntlet/${spec.name}:${randomBytes(6).toString('hex')}`;
}

/**
 * Builds the server's image under `name` (a new one by default; the container launcher chooses it
 * first, so that its guards know it before the build starts).
 */
export async function buildServerImage(spec: ServerSpec, name: string = newImageName(spec)): Promise<BuiltImage> {
  const c = containerSection(spec);
  const { context, dockerfile } = buildPaths(spec, c);
  const client = await containerClient();
  const buildArgs: Record<string, string> = {};
  let baseImage: string | null = null;
  if (c.baseImage) {
    const local = localBaseImage(c.baseImage);
    if (await client.image.exists(ImageName.fromString(local))) {
      baseImage = local;
      buildArgs.BASE_IMAGE = local;
    }
  }
  trackImage(name);
  const t0 = performance.now();
  try {
    // deleteOnExit: false, because Ryuk is off here; the image is removed when the server stops.
    await GenericContainer.fromDockerfile(context, dockerfile)
      .withBuildArgs(buildArgs)
      .build(name, { deleteOnExit: false });
  } catch (err) {
    // testcontainers keeps the build log to itself and says only that the image is missing: build
    // once more, through the same engine and context, to read the log (cached steps are instant).
    const log = await buildLog(client, context, dockerfile, buildArgs, name).catch((e: unknown) => [
      `(the build log could not be read: ${(e as Error).message})`,
    ]);
    await removeImage(name);
    const last = log.filter((l) => l.trim() !== '');
    const error = [...last].reverse().find((l) => l.startsWith('ERROR: '));
    throw new ContainerBuildError(
      spec.name,
      `${error ? error.slice('ERROR: '.length) : (err as Error).message} (Dockerfile ${resolve(context, dockerfile)}, context ${context}` +
        `${baseImage ? `, BASE_IMAGE=${baseImage}` : ''})`,
      last.slice(-LOG_TAIL_LINES).join('\n'),
    );
  }
  return { name, baseImage, buildS: (performance.now() - t0) / 1000 };
}

interface TarPack {
  pack(context: string, options: object): Readable;
}
const require = createRequire(import.meta.url);

/**
 * Builds the image again through the engine's API, and returns its log as lines ("ERROR: ..."
 * for an error). The context is packed the way testcontainers packs it (its .dockerignore rules),
 * so that the build is the same one.
 */
async function buildLog(
  client: ContainerRuntimeClient,
  context: string,
  dockerfile: string,
  buildargs: Record<string, string>,
  tag: string,
): Promise<string[]> {
  const imageClient = client.image as unknown as {
    createTarPackOptions(context: string, dockerfile: string): Promise<object>;
  };
  const tar = require('tar-fs') as TarPack;
  const packOptions = await imageClient.createTarPackOptions(context, dockerfile);
  const stream = await client.container.dockerode.buildImage(tar.pack(context, packOptions), {
    t: tag,
    dockerfile,
    buildargs,
  });
  const lines: string[] = [];
  await new Promise<void>((done, fail) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        if (!line) continue;
        try {
          const j = JSON.parse(line) as { stream?: string; error?: string; status?: string };
          if (j.stream !== undefined) lines.push(...j.stream.replace(/\n$/, '').split('\n'));
          else if (j.error !== undefined) lines.push(`ERROR: ${j.error.trim()}`);
          else if (j.status !== undefined) lines.push(j.status);
        } catch {
          lines.push(line);
        }
      }
    });
    stream.on('end', () => done());
    stream.on('error', fail);
  });
  return lines;
}
