/**
 * The guards of container servers, without a container engine: the watchdog's cleanup commands,
 * the registry's container entries, and the search for what a crashed run left in the engine,
 * against a fake docker command that records its calls and answers from files. A harness that
 * arms a guard is killed by SIGKILL, and the fake docker must be told to remove its container
 * and image at once. spec/containers/harness-killed.test.ts does the same against a real engine.
 */
import { describe, it, expect, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanupLine, startWatchdog, WATCH_PERIOD_S } from '../../lib/process/watchdog.ts';
import { entryFile, parseEntry, readEntries, writeEntry, type ContainerEntry } from '../../lib/process/registry.ts';
import { findLeftovers, type ContainerLeftover, type Leftover } from '../../lib/process/leftovers.ts';
import { readProc } from '../../lib/process/proc-table.ts';
import { containerLeftoverLine, parseContainerList } from '../../lib/container/leftover-containers.ts';
import { failureLine } from '../../lib/container/docker-cli.ts';
import { armedGuards, containerName, deathCleanup, guardContainer, guardedNames } from '../../lib/container/guard.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';

const ID = 'da7034e705d6de0d193549d5f2949bd31059c082b7217a8e22fc1064ff4d79a0';
const LAUNCH = '01926477aae16978';
const IMAGE = 'gauntlet/python-async:6dd37714e2fc';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gauntlet-container-guards-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function running(pid: number): boolean {
  const p = readProc(pid);
  return p !== null && p.state !== 'Z';
}

async function until(cond: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await sleep(25);
  return Date.now() - t0;
}

/** The pid of a process that has ended (and been reaped): a harness that is gone. */
async function deadPid(): Promise<number> {
  const c = spawn('true');
  await new Promise((r) => c.once('exit', r));
  return c.pid!;
}

/**
 * A fake docker command in `dir`: it appends each call's arguments to `dir/calls`, answers
 * `ps` and `images` with the files `dir/ps` and `dir/images`, and `rm`, `rmi` by emptying them.
 * `dir/down` makes every call fail as docker does without an engine; `dir/rm-fails` makes `rm` fail.
 */
function fakeDocker(
  dir: string,
  state: { ps?: string; images?: string; down?: boolean; rmFails?: boolean } = {},
): { command: string; calls: () => string[] } {
  const command = join(dir, 'docker');
  writeFileSync(
    command,
    [
      '#!/bin/bash',
      `d=${dir}`,
      'echo "$*" >> "$d/calls"',
      'if [ -f "$d/down" ]; then echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1; fi',
      'case "$1" in',
      '  ps) cat "$d/ps" 2>/dev/null || true ;;',
      '  images) cat "$d/images" 2>/dev/null || true ;;',
      '  rm) if [ -f "$d/rm-fails" ]; then echo "Error response from daemon: removal of container is already in progress" >&2; exit 1; fi; rm -f "$d/ps" ;;',
      '  rmi) rm -f "$d/images" ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(command, 0o755);
  if (state.ps !== undefined) writeFileSync(join(dir, 'ps'), state.ps);
  if (state.images !== undefined) writeFileSync(join(dir, 'images'), state.images);
  if (state.down) writeFileSync(join(dir, 'down'), '');
  if (state.rmFails) writeFileSync(join(dir, 'rm-fails'), '');
  const calls = (): string[] =>
    existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').filter(Boolean) : [];
  return { command, calls };
}

const entry = (over: Partial<ContainerEntry> = {}): ContainerEntry => ({
  harnessPid: 999_999,
  harnessStartTicks: null,
  name: 'python-async',
  launchId: LAUNCH,
  containerName: `gauntlet-python-async-${LAUNCH}`,
  containerId: ID,
  image: IMAGE,
  command: 'python3 -u server.py 40123 /srv/www',
  host: '127.0.0.1',
  port: 40123,
  startedAt: '2026-12-06T20:00:00.000Z',
  ...over,
});

const LIST = `ps --all --no-trunc --filter label=gauntlet.launch=${LAUNCH} --format {{.ID}} {{.State}}`;
const IMAGES = `images --quiet --no-trunc -- ${IMAGE}`;

function asContainers(found: Leftover[]): ContainerLeftover[] {
  for (const f of found) expect(f.kind).toBe('container');
  return found as ContainerLeftover[];
}

describe("the watchdog's cleanup commands", () => {
  it('are plain words, and a word it could not run is refused by name', () => {
    expect(cleanupLine(['docker', 'rm', '--force', '--volumes', '--', 'gauntlet-x-0123'])).toBe(
      'run docker rm --force --volumes -- gauntlet-x-0123\n',
    );
    expect(cleanupLine(['docker', 'rmi', '--force', '--', 'gauntlet/python-async:6dd37714e2fc'])).toBe(
      'run docker rmi --force -- gauntlet/python-async:6dd37714e2fc\n',
    );
    expect(() => cleanupLine(['docker', 'rm', 'a b'])).toThrow(
      'watchdog cleanup word "a b" (in "docker rm a b") may hold only letters, digits and _ . : / @ = + , % -',
    );
    expect(() => cleanupLine(['rm', '$(reboot)'])).toThrow(/word "\$\(reboot\)"/);
    expect(() => cleanupLine(['docker', ''])).toThrow(/word ""/);
    expect(() => cleanupLine([])).toThrow('a watchdog cleanup command needs at least a program name');
  });

  it('run in order when the harness goes away, for a watchdog that watches no group', async () => {
    const dir = tempDir();
    const { command, calls } = fakeDocker(dir);
    const dog = startWatchdog(null, { onDeath: [[command, 'rm', '--force', 'first']] });
    onTestFinished(() => dog.dismiss());
    dog.runOnDeath([command, 'rmi', 'second']);
    // It watches no group, so it does not end by itself after a check period.
    await sleep(WATCH_PERIOD_S * 1000 + 500);
    expect(running(dog.pid!)).toBe(true);
    expect(calls()).toEqual([]);
    dog.trigger();
    const took = await until(() => calls().length === 2, 3_000);
    expect(calls()).toEqual(['rm --force first', 'rmi second']);
    expect(took).toBeLessThan(1_500);
    await until(() => !running(dog.pid!), 2_000);
    expect(running(dog.pid!)).toBe(false);
  });

  it('never run when it is dismissed', async () => {
    const dir = tempDir();
    const { command, calls } = fakeDocker(dir);
    const dog = startWatchdog(null, { onDeath: [[command, 'rm', 'x']] });
    await sleep(100);
    dog.dismiss();
    await until(() => !running(dog.pid!), 2_000);
    expect(running(dog.pid!)).toBe(false);
    await sleep(200);
    expect(calls()).toEqual([]);
  });

  it("of a container: its removal by name, then its image's", () => {
    expect(containerName('python-async', LAUNCH)).toBe(`gauntlet-python-async-${LAUNCH}`);
    expect(containerName('my server/v2', LAUNCH)).toBe(`gauntlet-my-server-v2-${LAUNCH}`);
    expect(deathCleanup(entry(), '/usr/bin/docker')).toEqual([
      ['/usr/bin/docker', 'rm', '--force', '--volumes', '--', `gauntlet-python-async-${LAUNCH}`],
      ['/usr/bin/docker', 'rmi', '--force', '--', IMAGE],
    ]);
    // A name that could be read as an option is never handed over.
    expect(deathCleanup(entry({ image: '-rf' }), 'docker')).toHaveLength(1);
  });
});

describe('container entries in the registry', () => {
  it('are read back as written, in a file of their own per start', () => {
    const dir = tempDir();
    const e = entry();
    writeEntry(dir, e);
    expect(readdirSync(dir)).toEqual([`999999-container-${LAUNCH}.json`]);
    expect(entryFile(dir, e)).toBe(join(dir, `999999-container-${LAUNCH}.json`));
    expect(parseEntry(readFileSync(entryFile(dir, e), 'utf8'))).toEqual(e);
    // Before the container exists: no id, no port yet.
    const early = entry({ containerId: null, port: null, command: '' });
    expect(parseEntry(JSON.stringify(early))).toEqual(early);
  });

  it('are refused when a name could be taken for an option or is not one word, or the ids are not hex', () => {
    const bad = (over: Record<string, unknown>) => parseEntry(JSON.stringify({ ...entry(), ...over }));
    expect(bad({ image: '--help' })).toBeNull();
    expect(bad({ containerName: 'a b' })).toBeNull();
    expect(bad({ containerName: '' })).toBeNull();
    expect(bad({ launchId: 'zz' })).toBeNull();
    expect(bad({ containerId: '-f' })).toBeNull();
    expect(bad({ harnessPid: 0 })).toBeNull();
    expect(bad({})).not.toBeNull();
  });
});

describe('what a crashed run left in the container engine', () => {
  it('says in one line why a docker command failed', () => {
    const args = ['ps', '--all', '--no-trunc'];
    expect(failureLine('docker', args, { code: 'ENOENT' }, '')).toBe('docker ps --all: no "docker" command on PATH');
    expect(failureLine('docker', args, { code: null, signal: 'SIGTERM' }, '')).toBe(
      'docker ps --all: no answer within the time allowed',
    );
    expect(failureLine('docker', args, { code: 1 }, 'warning\nError response from daemon: boom\n')).toBe(
      'docker ps --all: Error response from daemon: boom',
    );
    expect(failureLine('docker', args, { code: 125 }, '')).toBe('docker ps --all: exit code 125, nothing on stderr');
  });

  it("parses the engine's list of containers", () => {
    expect(parseContainerList(`${ID} running\n${'ab'.repeat(32)} exited\n\n`)).toEqual([
      { id: ID, state: 'running' },
      { id: 'ab'.repeat(32), state: 'exited' },
    ]);
    expect(parseContainerList('')).toEqual([]);
    expect(parseContainerList('CONTAINER ID   STATE\n')).toEqual([]);
  });

  it('names the container and the image of a dead harness, removes both and the entry', async () => {
    const dir = tempDir();
    const { command, calls } = fakeDocker(tempDir(), { ps: `${ID} running\n`, images: 'sha256:1234\n' });
    const e = entry({ harnessPid: await deadPid() });
    writeEntry(dir, e);
    const lines: string[] = [];
    const found = asContainers(await findLeftovers({ dir, docker: command, log: (l) => lines.push(l) }));
    expect(found).toEqual([
      { kind: 'container', entry: e, containers: [{ id: ID, state: 'running' }], image: IMAGE, stopped: true },
    ]);
    expect(lines).toEqual([
      `gauntlet: a container server left by an earlier run is still there: container da7034e705d6 (running) of server "python-async", image ${IMAGE}, port 40123, started by gauntlet pid ${e.harnessPid} at 2026-12-06T20:00:00.000Z: removing it`,
    ]);
    expect(calls()).toEqual([LIST, IMAGES, `rm --force --volumes -- ${ID}`, `rmi --force -- ${IMAGE}`]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('finds a container by its launch label though the harness died before it learnt its id', async () => {
    const dir = tempDir();
    const { command, calls } = fakeDocker(tempDir(), { ps: `${ID} created\n`, images: '' });
    writeEntry(dir, entry({ harnessPid: await deadPid(), containerId: null, port: null }));
    const lines: string[] = [];
    const found = asContainers(await findLeftovers({ dir, docker: command, log: (l) => lines.push(l) }));
    expect(found.map((f) => [f.containers, f.image, f.stopped])).toEqual([
      [[{ id: ID, state: 'created' }], null, true],
    ]);
    expect(lines[0]).toMatch(
      /^gauntlet: a container server left by an earlier run is still there: container da7034e705d6 \(created\) of server "python-async", started by/,
    );
    expect(calls()).toEqual([LIST, IMAGES, `rm --force --volumes -- ${ID}`]);
  });

  it('names an image left alone', async () => {
    const dir = tempDir();
    const { command, calls } = fakeDocker(tempDir(), { ps: '', images: 'sha256:1234\n' });
    const e = entry({ harnessPid: await deadPid() });
    writeEntry(dir, e);
    const lines: string[] = [];
    await findLeftovers({ dir, docker: command, log: (l) => lines.push(l) });
    expect(containerLeftoverLine(e, { containers: [], image: true }, true)).toBe(lines[0]);
    expect(lines).toEqual([
      `gauntlet: an image built by an earlier run is still there: ${IMAGE} of server "python-async", started by gauntlet pid ${e.harnessPid} at 2026-12-06T20:00:00.000Z: removing it`,
    ]);
    expect(calls()).toEqual([LIST, IMAGES, `rmi --force -- ${IMAGE}`]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("removes the entry silently when nothing is left, and leaves a running harness's entry alone", async () => {
    const dir = tempDir();
    const { command, calls } = fakeDocker(tempDir(), { ps: '', images: '' });
    writeEntry(dir, entry({ harnessPid: await deadPid() }));
    const mine = entry({
      harnessPid: process.pid,
      harnessStartTicks: readProc(process.pid)!.startTicks,
      launchId: 'ffffffffffffffff',
    });
    writeEntry(dir, mine);
    const lines: string[] = [];
    expect(await findLeftovers({ dir, docker: command, log: (l) => lines.push(l) })).toEqual([]);
    expect(lines).toEqual([]);
    expect(calls()).toEqual([LIST, IMAGES]);
    expect(readdirSync(dir)).toEqual([`${process.pid}-container-ffffffffffffffff.json`]);
  });

  it('keeps the entry for a later run when the engine cannot be asked, and says so', async () => {
    const dir = tempDir();
    const { command } = fakeDocker(tempDir(), { down: true });
    const e = entry({ harnessPid: await deadPid() });
    writeEntry(dir, e);
    const lines: string[] = [];
    expect(await findLeftovers({ dir, docker: command, log: (l) => lines.push(l) })).toEqual([]);
    expect(lines).toEqual([
      `gauntlet: could not look for what an earlier run left of container server "python-async" (container gauntlet-python-async-${LAUNCH}, image ${IMAGE}, ` +
        `started by gauntlet pid ${e.harnessPid} at 2026-12-06T20:00:00.000Z): ${command} ps --all: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. ` +
        'Is the docker daemon running?; it is kept in the list for a later run',
    ]);
    expect(readEntries(dir).map((r) => r.entry)).toEqual([e]);
    expect(readdirSync(dir)).toEqual([`${e.harnessPid}-container-${LAUNCH}.json`]);
    // Without a docker command at all.
    const missing = join(dir, 'no-such-docker');
    const again: string[] = [];
    await findLeftovers({ dir, docker: missing, log: (l) => again.push(l) });
    expect(again[0]).toContain(
      `: ${missing} ps --all: no "${missing}" command on PATH; it is kept in the list for a later run`,
    );
    expect(readdirSync(dir)).toEqual([`${e.harnessPid}-container-${LAUNCH}.json`]);
  });

  it('keeps the entry when the engine fails to remove what it found', async () => {
    const dir = tempDir();
    const { command } = fakeDocker(tempDir(), { ps: `${ID} running\n`, images: 'sha256:1234\n', rmFails: true });
    writeEntry(dir, entry({ harnessPid: await deadPid() }));
    const found = asContainers(await findLeftovers({ dir, docker: command, log: () => {} }));
    expect(found.map((f) => f.stopped)).toEqual([false]);
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('only names what it finds when asked not to remove it', async () => {
    const dir = tempDir();
    const { command, calls } = fakeDocker(tempDir(), { ps: `${ID} running\n`, images: 'sha256:1234\n' });
    writeEntry(dir, entry({ harnessPid: await deadPid() }));
    const lines: string[] = [];
    const found = asContainers(await findLeftovers({ dir, docker: command, stop: false, log: (l) => lines.push(l) }));
    expect(found.map((f) => f.stopped)).toEqual([false]);
    expect(lines[0]).not.toContain('removing it');
    expect(calls()).toEqual([LIST, IMAGES]);
    expect(readdirSync(dir)).toHaveLength(1);
  });
});

describe('the guard of a container start', () => {
  it('records the start from before the build, completes it, and is released without running its cleanup', async () => {
    const dir = tempDir();
    const { command, calls } = fakeDocker(tempDir());
    const guard = guardContainer({
      name: 'python-async',
      launchId: LAUNCH,
      image: IMAGE,
      host: '127.0.0.1',
      dir,
      docker: command,
    });
    onTestFinished(() => guard.release());
    const read = () => parseEntry(readFileSync(join(dir, `${process.pid}-container-${LAUNCH}.json`), 'utf8'));
    expect(read()).toMatchObject({
      harnessPid: process.pid,
      containerName: `gauntlet-python-async-${LAUNCH}`,
      containerId: null,
      image: IMAGE,
      port: null,
    });
    // The exit hook removes the container by name until its id is known.
    expect(guardedNames()).toEqual({ containers: [`gauntlet-python-async-${LAUNCH}`], images: [IMAGE] });
    guard.setCommand(40123, 'python3 -u server.py 40123 /srv/www');
    guard.started(ID);
    expect(read()).toMatchObject({ containerId: ID, port: 40123, command: 'python3 -u server.py 40123 /srv/www' });
    expect(guardedNames()).toEqual({ containers: [ID], images: [IMAGE] });
    expect(running(guard.watchdogPid!)).toBe(true);
    guard.release();
    expect(armedGuards()).toEqual([]);
    expect(guardedNames()).toEqual({ containers: [], images: [] });
    expect(readdirSync(dir)).toEqual([]);
    await until(() => !running(guard.watchdogPid!), 2_000);
    expect(running(guard.watchdogPid!)).toBe(false);
    await sleep(200);
    expect(calls()).toEqual([]);
  });

  it('removes the container and the image at once when its harness is killed by SIGKILL, and a later run then clears the entry', async () => {
    const dir = tempDir();
    const { command, calls } = fakeDocker(tempDir(), { ps: '', images: '' });
    const script = [
      `const { guardContainer } = await import(${JSON.stringify(join(PROJECT_ROOT, 'lib', 'container', 'guard.ts'))});`,
      `const g = guardContainer({ name: 'python-async', launchId: '${LAUNCH}', image: '${IMAGE}', host: '127.0.0.1', dir: ${JSON.stringify(dir)}, docker: ${JSON.stringify(command)} });`,
      `g.started('${ID}');`,
      `process.stdout.write('armed ' + g.watchdogPid + '\\n');`,
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const harness = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => void harness.kill('SIGKILL'));
    let out = '';
    harness.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const watchdogPid = await new Promise<number>((resolve, reject) => {
      harness.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /armed (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      harness.once('exit', () => reject(new Error(`the harness exited first:\n${out}`)));
    });
    onTestFinished(() => void (running(watchdogPid) && process.kill(watchdogPid, 'SIGKILL')));
    expect(readdirSync(dir)).toEqual([`${harness.pid}-container-${LAUNCH}.json`]);
    expect(calls()).toEqual([]);
    harness.kill('SIGKILL');
    const took = await until(() => calls().length === 2, 5_000);
    expect(calls()).toEqual([`rm --force --volumes -- gauntlet-python-async-${LAUNCH}`, `rmi --force -- ${IMAGE}`]);
    expect(took).toBeLessThan(2_000);
    await until(() => !running(watchdogPid), 2_000);
    expect(running(watchdogPid)).toBe(false);
    // The entry outlives the harness; the next search asks the engine, finds nothing and drops it.
    expect(readdirSync(dir)).toHaveLength(1);
    const lines: string[] = [];
    expect(await findLeftovers({ dir, docker: command, log: (l) => lines.push(l) })).toEqual([]);
    expect(lines).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  }, 30_000);
});
