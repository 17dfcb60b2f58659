import { describe, it, expect, onTestFinished } from 'vitest';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { launch, LaunchError, type RunningServer } from '../../lib/launcher.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import type { ServerSpec } from '../../lib/types.ts';

const TINY = join(PROJECT_ROOT, 'fixtures', 'launch', 'tiny_server.py');

function spec(name: string, args = ''): ServerSpec {
  return {
    name,
    model: 'threaded',
    language: 'python',
    command: `python3 -u ${TINY} {port} ${args}`,
    cwd: PROJECT_ROOT,
    source: 'test',
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of the processes in a process group, read from /proc. */
async function groupMembers(pgid: number): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 5 of /proc/PID/stat is the process group; the name (field 2) may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) pids.push(Number(entry));
  }
  return pids;
}

async function start(s: ServerSpec, opts = {}): Promise<RunningServer> {
  const server = await launch(s, opts);
  onTestFinished(() => server.stop().then(() => undefined));
  return server;
}

describe('launcher', () => {
  it('starts a server on an ephemeral port, waits until it answers, and stops it', async () => {
    const server = await start(spec('tiny'));
    expect(server.port).toBeGreaterThanOrEqual(1024);
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('tiny\n');
    expect(server.stdout()).toContain(`tiny_server listening on ${server.port}`);
    const exit = await server.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(groupAlive(server.pid)).toBe(false);
    await expect(fetch(`${server.url}/`)).rejects.toThrow();
  });

  it('gives each start its own port', async () => {
    const [a, b] = await Promise.all([start(spec('tiny-a')), start(spec('tiny-b'))]);
    expect(a.port).not.toBe(b.port);
  });

  it('names a server that exits early, with its exit code and the tail of its stderr', async () => {
    const err = await launch(spec('quitter', '--exit-code 3')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    const e = err as LaunchError;
    expect(e.message).toContain('server "quitter" exited before it was ready (exit code 3)');
    expect(e.message).toContain('refusing to start (asked to fail)');
    expect(e.exit).toEqual({ code: 3, signal: null });
  });

  it('names a server that never becomes ready, and leaves nothing running', async () => {
    const s: ServerSpec = { ...spec('sleeper'), command: 'echo "starting on {port}"; sleep 60' };
    const t0 = Date.now();
    const err = await launch(s, { readyTimeoutMs: 700, graceMs: 500 }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(LaunchError);
    const e = err as LaunchError;
    expect(e.message).toMatch(/server "sleeper" did not answer HTTP on 127\.0\.0\.1:\d+ within 700 ms/);
    expect(e.message).toContain('starting on');
    expect(e.pgid).toBeGreaterThan(0);
    expect(await groupMembers(e.pgid!)).toEqual([]);
  });

  it('leaves no orphan: children the server started die with it', async () => {
    const server = await start(spec('parent', '--child'));
    const childPid = Number(/child pid (\d+)/.exec(server.stdout())?.[1]);
    expect(childPid).toBeGreaterThan(0);
    expect(alive(childPid)).toBe(true);
    expect((await groupMembers(server.pid)).length).toBeGreaterThanOrEqual(2);
    await server.stop();
    expect(alive(childPid)).toBe(false);
    expect(await groupMembers(server.pid)).toEqual([]);
  });

  it('falls back to SIGKILL when SIGTERM is ignored', async () => {
    const server = await start(spec('stubborn', '--ignore-term'), { graceMs: 400 });
    const t0 = Date.now();
    const exit = await server.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(groupAlive(server.pid)).toBe(false);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('reports a crash after start through exitInfo', async () => {
    const server = await start(spec('crasher'));
    process.kill(server.pid, 'SIGKILL');
    const info = await server.exited;
    expect(info.signal).toBe('SIGKILL');
    expect(server.exitInfo()).toEqual(info);
  });

  it('keeps the shell for compound commands and still stops all of it', async () => {
    const s: ServerSpec = { ...spec('compound'), command: `cd /tmp && python3 -u ${TINY} {port}` };
    const server = await start(s);
    expect((await fetch(server.url)).status).toBe(200);
    await server.stop();
    expect(await groupMembers(server.pid)).toEqual([]);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('kills its servers when its own process dies of %s', async (signal) => {
    const { spawn } = await import('node:child_process');
    const script = join(PROJECT_ROOT, 'fixtures', 'launch', 'launch-and-wait.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    const pgid = await new Promise<number>((resolvePgid, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /pgid (\d+)/.exec(out);
        if (m) resolvePgid(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(`exited before launching: ${out}`)));
    });
    expect(groupAlive(pgid)).toBe(true);
    const exited = new Promise((r) => child.once('exit', (code, sig) => r(sig)));
    child.kill(signal);
    expect(await exited).toBe(signal);
    const deadline = Date.now() + 3_000;
    while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(groupAlive(pgid)).toBe(false);
  });

  it('fills {root} shell-quoted', async () => {
    const { fillCommand } = await import('../../lib/launcher.ts');
    expect(fillCommand('srv {port} {root}', 8080, "/tmp/it's here")).toBe(`srv 8080 '/tmp/it'\\''s here'`);
  });
});
