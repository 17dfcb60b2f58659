/**
 * A harness killed by SIGKILL runs no code at all: no exit hook removes its containers. Its
 * container servers must go all the same: the watchdog armed for each start removes the
 * container and the image within seconds; and when the watchdog was killed too, the next run
 * finds them in the registry, names them and removes them (lib/container/guard.ts).
 *
 * The harness is fixtures/launch/launch-container-and-wait.ts (python-async in a container, a
 * tiny server as a process), with a registry directory of its own (XDG_RUNTIME_DIR).
 */
import { describe, it, expect, onTestFinished } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerClient } from '../../lib/container/engine.ts';
import { findLeftovers, type ContainerLeftover } from '../../lib/process/leftovers.ts';
import { allProcs } from '../../lib/process/proc-table.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { engine, skippedTitle } from './engine.ts';

interface Started {
  pgid: number;
  image: string;
  container: string;
  port: number;
}

/** Whether an image (by name) or a container (by id) still exists on the engine. */
async function exists(kind: 'image' | 'container', ref: string): Promise<boolean> {
  const d = (await containerClient()).container.dockerode;
  const inspected: Promise<unknown> = kind === 'image' ? d.getImage(ref).inspect() : d.getContainer(ref).inspect();
  return inspected.then(
    () => true,
    () => false,
  );
}

/** Whether something accepts connections on 127.0.0.1:port (within 1 s). */
function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const sock = connect({ host: '127.0.0.1', port });
    const finish = (open: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      done(open);
    };
    const timer = setTimeout(() => finish(true), 1_000);
    sock.once('connect', () => finish(true));
    sock.once('error', () => finish(false));
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `cond` every 100 ms until it holds or `ms` pass; resolves with the time it took. */
async function until(cond: () => Promise<boolean> | boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!(await cond()) && Date.now() - t0 < ms) await sleep(100);
  return Date.now() - t0;
}

/** Everything of a start is gone: container, image, port, and the process server's group. */
async function allGone(s: Started): Promise<boolean> {
  return (
    !(await exists('container', s.container)) &&
    !(await exists('image', s.image)) &&
    !(await portOpen(s.port)) &&
    !groupAlive(s.pgid)
  );
}

/** Starts the harness with a registry directory of its own; resolves once its servers are up. */
async function startHarness(): Promise<{ child: ChildProcess; started: Started; registry: string }> {
  const runtimeDir = mkdtempSync(join(tmpdir(), 'gauntlet-harness-killed-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(PROJECT_ROOT, 'fixtures', 'launch', 'launch-container-and-wait.ts')],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let started: Started | null = null;
  onTestFinished(() => {
    child.kill('SIGKILL');
    // Whatever a failed test left: the container and the image, by name.
    if (started) {
      for (const args of [
        ['rm', '--force', '--volumes', '--', started.container],
        ['rmi', '--force', '--', started.image],
      ]) {
        try {
          execFileSync('docker', args, { stdio: 'ignore', timeout: 20_000 });
        } catch {
          /* already gone */
        }
      }
    }
    rmSync(runtimeDir, { recursive: true, force: true });
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  started = await new Promise<Started>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the harness did not start its servers within 90 s:\n${out}`)),
      90_000,
    );
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /started (\{.*\})\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]!) as Started);
      }
    });
    child.once('exit', () => reject(new Error(`the harness exited first:\n${out}`)));
  });
  const uidDir = readdirSync(runtimeDir).find((n) => n.startsWith('gauntlet-'))!;
  return { child, started, registry: join(runtimeDir, uidDir, 'servers') };
}

/** Kills a process by SIGKILL and waits until it has exited. */
async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

if (!engine.available) {
  it.skip(skippedTitle, () => {});
} else {
  describe('a harness killed by SIGKILL leaves no container server behind', () => {
    it('its watchdog removes the container and its image, and the port closes, within seconds', async () => {
      const { child, started, registry } = await startHarness();
      expect(await exists('container', started.container)).toBe(true);
      expect(await exists('image', started.image)).toBe(true);
      expect(await portOpen(started.port)).toBe(true);
      // The registry records the container server as well as the process server.
      const entries = readdirSync(registry);
      expect(entries).toContain(`${child.pid}-${started.pgid}.json`);
      const containerFile = entries.find((n) => n.includes('-container-'))!;
      expect(JSON.parse(readFileSync(join(registry, containerFile), 'utf8'))).toMatchObject({
        harnessPid: child.pid,
        name: 'python-async',
        containerId: started.container,
        image: started.image,
        port: started.port,
      });

      await killHard(child);
      const took = await until(() => allGone(started), 10_000);
      expect(await exists('container', started.container)).toBe(false);
      expect(await exists('image', started.image)).toBe(false);
      expect(await portOpen(started.port)).toBe(false);
      expect(groupAlive(started.pgid)).toBe(false);
      expect(took).toBeLessThan(10_000);
      console.log(`harness killed by SIGKILL: container, image and port gone after ${took} ms`);

      // The container's entry outlived the harness; the next run's search finds nothing left in
      // the engine and drops it without a word.
      const lines: string[] = [];
      expect(await findLeftovers({ dir: registry, log: (l) => lines.push(l) })).toEqual([]);
      expect(lines).toEqual([]);
      expect(readdirSync(registry).filter((n) => n.includes('-container-'))).toEqual([]);
    }, 150_000);

    it('and when its watchdogs were killed first, the next run names the container and the image and removes them', async () => {
      const { child, started, registry } = await startHarness();
      const watchdogs = allProcs()
        .filter((p) => p.ppid === child.pid)
        .filter((p) => readFileSync(`/proc/${p.pid}/cmdline`, 'latin1').includes('gauntlet-watchdog'));
      // One for the process server, one for the container.
      expect(watchdogs.length).toBe(2);
      for (const w of watchdogs) process.kill(w.pid, 'SIGKILL');
      await killHard(child);
      // Nothing removes the container now: it keeps running and answering.
      await sleep(3_000);
      expect(await exists('container', started.container)).toBe(true);
      expect(await portOpen(started.port)).toBe(true);

      const lines: string[] = [];
      const t0 = Date.now();
      const found = (await findLeftovers({ dir: registry, log: (l) => lines.push(l) })).filter(
        (f): f is ContainerLeftover => f.kind === 'container',
      );
      const took = Date.now() - t0;
      expect(found.map((f) => ({ containers: f.containers, image: f.image, stopped: f.stopped }))).toEqual([
        { containers: [{ id: started.container, state: 'running' }], image: started.image, stopped: true },
      ]);
      const line = lines.find((l) => l.includes('container server'));
      expect(line).toBe(
        `gauntlet: a container server left by an earlier run is still there: container ${started.container.slice(0, 12)} (running) of server "python-async", ` +
          `image ${started.image}, port ${started.port}, started by gauntlet pid ${child.pid} at ${found[0]!.entry.startedAt}: removing it`,
      );
      expect(await exists('container', started.container)).toBe(false);
      expect(await exists('image', started.image)).toBe(false);
      expect(await portOpen(started.port)).toBe(false);
      expect(readdirSync(registry).filter((n) => n.includes('-container-'))).toEqual([]);
      console.log(`leftover container found and removed by the next run's search in ${took} ms`);
    }, 150_000);
  });
}
