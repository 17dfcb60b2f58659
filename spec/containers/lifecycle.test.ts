/**
 * The container launcher's failure paths and its cleanup: an image that does not build and a
 * container that exits give errors with the end of the build log or the container's output, and
 * no container or image built for a run is left behind after it, whether it ends normally, fails,
 * or is interrupted with Ctrl-C.
 */
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServer } from '../../lib/manifest.ts';
import { launchServer } from '../../lib/runtime.ts';
import { LaunchError } from '../../lib/launcher.ts';
import { ContainerBuildError } from '../../lib/container/image.ts';
import { containerClient } from '../../lib/container/engine.ts';
import { leftovers } from '../../lib/container/cleanup.ts';
import { armedGuards } from '../../lib/container/guard.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import type { RunResults, RuntimeInfo } from '../../lib/types.ts';
import { engine, skippedTitle } from './engine.ts';

const FIXTURES = join(PROJECT_ROOT, 'fixtures', 'containers');

/** Whether an image (by name) or a container (by id) still exists on the engine. */
async function exists(kind: 'image' | 'container', ref: string): Promise<boolean> {
  const d = (await containerClient()).container.dockerode;
  const inspected: Promise<unknown> = kind === 'image' ? d.getImage(ref).inspect() : d.getContainer(ref).inspect();
  return inspected.then(
    () => true,
    () => false,
  );
}
const imageExists = (name: string) => exists('image', name);
const containerExists = (id: string) => exists('container', id);
/** Containers and images of one server, by the labels and names Gauntlet gives them. */
async function traces(server: string): Promise<{ containers: string[]; images: string[] }> {
  const client = await containerClient();
  const d = client.container.dockerode;
  const containers = await d.listContainers({ all: true, filters: { label: [`gauntlet.server=${server}`] } });
  const images = await d.listImages({ filters: { reference: [`gauntlet/${server}`] } });
  return { containers: containers.map((c) => c.Id), images: images.flatMap((i) => i.RepoTags ?? [i.Id]) };
}

/** Runs the CLI (bin/gauntlet.mjs) and resolves with its exit code and output. */
function gauntlet(
  args: string[],
  opts: { interruptWhen?: RegExp } = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'gauntlet.mjs'), ...args], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let interrupted = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      if (opts.interruptWhen && !interrupted && opts.interruptWhen.test(out)) {
        interrupted = true;
        setTimeout(() => child.kill('SIGINT'), 500);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

if (!engine.available) {
  it.skip(skippedTitle, () => {});
} else {
  describe('a server whose image does not build', () => {
    it('gives an error naming the server, the Dockerfile and the failing step, with the build log tail', async () => {
      const spec = await loadServer(join(FIXTURES, 'build-fails'));
      const err = await launchServer(spec, { runtime: 'container' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ContainerBuildError);
      const message = (err as Error).message;
      expect(message).toMatch(/the container image of server "build-fails" did not build/);
      expect(message).toMatch(/server-that-is-not-there\.py/);
      expect(message).toMatch(/build-fails\/Dockerfile/);
      expect(message).toMatch(/--- last lines of the build log ---\n[\s\S]*COPY server-that-is-not-there\.py/);
      expect(await traces('build-fails')).toEqual({ containers: [], images: [] });
    }, 120_000);
  });

  describe('a server that exits in its container before it is ready', () => {
    it('gives a LaunchError with its exit code and the tail of its output, and leaves nothing behind', async () => {
      const spec = await loadServer(join(FIXTURES, 'exits-early'));
      const err = await launchServer(spec, { runtime: 'container', cpus: 1 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LaunchError);
      const e = err as LaunchError;
      expect(e.message).toMatch(/server "exits-early" container exited before it was ready \(exit code 3\)/);
      expect(e.exit).toEqual({ code: 3, signal: null });
      expect(e.stderrTail).toMatch(/cannot read \/etc\/exits-early\.conf/);
      expect(await traces('exits-early')).toEqual({ containers: [], images: [] });
    }, 120_000);
  });

  describe('a run in containers leaves no container and no image behind', () => {
    it('after a bench run that ends normally', async () => {
      const out = await mkdtemp(join(tmpdir(), 'gauntlet-containers-'));
      try {
        const run = await gauntlet([
          'bench',
          '--runtime',
          'container',
          '--cpus',
          '1',
          '--memory',
          '256m',
          '--server',
          'python-threaded',
          '--matrix',
          '10:1,5',
          '--rounds',
          '1',
          '--no-check',
          '--out',
          out,
        ]);
        expect(run.code, run.out).toBe(0);
        const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
        const runtime = results.servers[0]?.runtime as Extract<RuntimeInfo, { kind: 'container' }>;
        expect(runtime).toMatchObject({ kind: 'container', cpus: 1, memoryMb: 256 });
        expect(results.cells.length).toBe(2);
        expect(await imageExists(runtime.image)).toBe(false);
        expect(await containerExists(runtime.containerId)).toBe(false);
        expect(await traces('python-threaded')).toEqual({ containers: [], images: [] });
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    }, 180_000);

    it('after a check run, which records where the server ran', async () => {
      const out = await mkdtemp(join(tmpdir(), 'gauntlet-containers-'));
      try {
        const run = await gauntlet([
          'check',
          '--runtime',
          'container',
          '--cpus',
          '0.5',
          '--server',
          'python-threaded',
          '--group',
          'methods',
          '--out',
          out,
        ]);
        expect(run.code, run.out).toBe(0);
        const check = JSON.parse(await readFile(join(out, 'check.json'), 'utf8')) as {
          servers: Array<{ runtime?: RuntimeInfo }>;
        };
        const runtime = check.servers[0]?.runtime as Extract<RuntimeInfo, { kind: 'container' }>;
        expect(runtime).toMatchObject({ kind: 'container', cpus: 0.5 });
        expect(await imageExists(runtime.image)).toBe(false);
        expect(await containerExists(runtime.containerId)).toBe(false);
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    }, 180_000);

    it('after a bench run interrupted with Ctrl-C while it measures', async () => {
      const out = await mkdtemp(join(tmpdir(), 'gauntlet-containers-'));
      try {
        const run = await gauntlet(
          [
            'bench',
            '--runtime',
            'container',
            '--server',
            'node-threaded',
            '--matrix',
            '100000:10',
            '--no-check',
            '--out',
            out,
          ],
          // Half a second after the server is up: the first (long) cell is under way.
          { interruptWhen: /is up at/ },
        );
        expect(run.code, run.out).toBe(130);
        const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
        const runtime = results.servers[0]?.runtime as Extract<RuntimeInfo, { kind: 'container' }>;
        expect(runtime?.kind).toBe('container');
        expect(await imageExists(runtime.image)).toBe(false);
        expect(await containerExists(runtime.containerId)).toBe(false);
        expect(await traces('node-threaded')).toEqual({ containers: [], images: [] });
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    }, 180_000);

    it('after the process that started them dies of SIGTERM', async () => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(PROJECT_ROOT, 'fixtures', 'launch', 'launch-container-and-wait.ts')],
        {
          cwd: PROJECT_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const started = await new Promise<{ pgid: number; image: string; container: string }>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /started (\{.*\})\n/.exec(out);
          if (m) resolve(JSON.parse(m[1]!) as { pgid: number; image: string; container: string });
        });
        child.once('exit', () => reject(new Error(`the launcher script exited first:\n${out}`)));
      });
      expect(await containerExists(started.container)).toBe(true);
      const exit = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, signal) => resolve(signal)),
      );
      child.kill('SIGTERM');
      // It dies of the signal, as it would without Gauntlet's hooks, after removing what it started.
      expect(await exit).toBe('SIGTERM');
      expect(await containerExists(started.container)).toBe(false);
      expect(await imageExists(started.image)).toBe(false);
      // The process server was killed too (its zombie is reaped by init within moments).
      const groupAlive = () => {
        try {
          process.kill(-started.pgid, 0);
          return true;
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 50 && groupAlive(); i++) await new Promise((r) => setTimeout(r, 100));
      expect(groupAlive()).toBe(false);
    }, 120_000);

    it('and this process tracks nothing once its servers stopped', () => {
      expect(leftovers()).toEqual({ images: [], containers: [] });
      // The starts that failed here (an image that did not build, a container that exited)
      // released their guards too: no watchdog is left waiting to remove them.
      expect(armedGuards()).toEqual([]);
    });
  });
}
