import { describe, it, expect, onTestFinished } from 'vitest';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { launch, LaunchError, probeHttp, type RunningServer } from '../../lib/launcher.ts';
import { entryFile, registryDir } from '../../lib/process/registry.ts';
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

/** Alive and not a zombie (a killed process whose parent left it to init waits a moment to be reaped). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
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

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
    'kills its servers when its own process dies of %s',
    async (signal) => {
      const { spawn } = await import('node:child_process');
      const script = join(PROJECT_ROOT, 'fixtures', 'launch', 'launch-and-wait.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
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
    },
  );

  it('fills {root} shell-quoted', async () => {
    const { fillCommand } = await import('../../lib/launcher.ts');
    expect(fillCommand('srv {port} {root}', 8080, "/tmp/it's here")).toBe(`srv 8080 '/tmp/it'\\''s here'`);
  });

  describe('when the harness itself is killed by SIGKILL', () => {
    /** Starts fixtures/launch/launch-and-wait.ts with `args`; resolves with what it printed once its server is ready. */
    async function startHarness(args: string[]) {
      const script = join(PROJECT_ROOT, 'fixtures', 'launch', 'launch-and-wait.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      onTestFinished(() => {
        child.kill('SIGKILL');
      });
      const out = await new Promise<string>((resolveOut, reject) => {
        let text = '';
        child.stdout.on('data', (d: Buffer) => {
          text += d.toString();
          if (
            /pgid \d+ port \d+/.test(text) &&
            ((!args.includes('--child') && !args.includes('--keeper')) || /child pid \d+/.test(text))
          )
            resolveOut(text);
        });
        child.once('exit', () => reject(new Error(`exited before launching: ${text}`)));
      });
      const [, pgid, port] = /pgid (\d+) port (\d+)/.exec(out)!.map(Number);
      const childPid = Number(/child pid (\d+)/.exec(out)?.[1] ?? 0);
      const exited = new Promise((r) => child.once('exit', (_code, sig) => r(sig)));
      return { child, pgid: pgid!, port: port!, childPid, exited };
    }

    it('leaves no process of the group and no listener, even the grandchildren of its shell', async () => {
      const h = await startHarness(['--compound', '--child']);
      const before = await groupMembers(h.pgid);
      // sh, python3 and python3's sleep: the sleep is the shell's grandchild, out of setpriv's reach.
      expect(before.length).toBeGreaterThanOrEqual(3);
      expect(alive(h.childPid)).toBe(true);
      expect(await portAnswers(h.port)).toBe(true);
      h.child.kill('SIGKILL');
      expect(await h.exited).toBe('SIGKILL');
      const took = await until(async () => (await groupMembers(h.pgid)).filter(running).length === 0, 5_000);
      expect((await groupMembers(h.pgid)).filter(running)).toEqual([]);
      expect(took).toBeLessThan(5_000);
      expect(running(h.childPid)).toBe(false);
      expect(await portAnswers(h.port)).toBe(false);
    });

    it("has the kernel kill the server it exec'ed even when its watchdog was killed first (setpriv --pdeathsig)", async () => {
      const h = await startHarness([]);
      const { allProcs } = await import('../../lib/process/proc-table.ts');
      const argv = (pid: number): string[] => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        } catch {
          return [];
        }
      };
      // bash -c SCRIPT gauntlet-watchdog PGID
      const dog = allProcs().find((p) => argv(p.pid).slice(-3, -1).join(' ') === `gauntlet-watchdog ${h.pgid}`);
      expect(dog).toBeDefined();
      process.kill(dog!.pid, 'SIGKILL');
      await until(() => !running(dog!.pid), 2_000);
      expect(running(h.pgid)).toBe(true);
      h.child.kill('SIGKILL');
      await h.exited;
      await until(() => !running(h.pgid), 3_000);
      expect(running(h.pgid)).toBe(false);
      expect(await portAnswers(h.port)).toBe(false);
    });

    it('also kills a child that left the group with the listening socket', async () => {
      const h = await startHarness(['--keeper']);
      expect(alive(h.childPid)).toBe(true);
      h.child.kill('SIGKILL');
      await h.exited;
      await until(async () => !running(h.childPid) && (await groupMembers(h.pgid)).filter(running).length === 0, 5_000);
      expect(running(h.childPid)).toBe(false);
      expect((await groupMembers(h.pgid)).filter(running)).toEqual([]);
      expect(await portAnswers(h.port)).toBe(false);
    });
  });

  it('kills a child of its server that left the group with the port when it dies of SIGTERM', async () => {
    const script = join(PROJECT_ROOT, 'fixtures', 'launch', 'launch-and-wait.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--keeper'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onTestFinished(() => void child.kill('SIGKILL'));
    const out = await new Promise<string>((resolveOut, reject) => {
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        if (/child pid \d+/.test(text)) resolveOut(text);
      });
      child.once('exit', () => reject(new Error(`exited before launching: ${text}`)));
    });
    const keeperPid = Number(/child pid (\d+)/.exec(out)![1]);
    const port = Number(/port (\d+)/.exec(out)![1]);
    const exited = new Promise((r) => child.once('exit', (_code, sig) => r(sig)));
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    await until(() => !running(keeperPid), 3_000);
    expect(running(keeperPid)).toBe(false);
    expect(await portAnswers(port)).toBe(false);
  });

  describe('a child that leaves the process group with the port', () => {
    const keeper = (name: string, args = ''): ServerSpec => ({
      ...spec(name),
      command: `python3 -u ${join(PROJECT_ROOT, 'fixtures', 'launch', 'escaping_keeper.py')} {port} ${args}`,
    });

    it('is stopped with the server, and named', async () => {
      const server = await start(keeper('keeper'));
      const childPid = Number(/child pid (\d+)/.exec(server.stdout())?.[1]);
      expect(childPid).toBeGreaterThan(0);
      expect(await groupMembers(server.pid)).not.toContain(childPid);
      await server.stop();
      expect(running(childPid)).toBe(false);
      expect(await portAnswers(server.port)).toBe(false);
      const escaping: unknown = expect.stringContaining('escaping_keeper.py');
      expect(server.strays?.()).toEqual([{ pid: childPid, command: escaping }]);
    });

    it('counts as the server when it is the only holder of the socket, and is stopped with it', async () => {
      const server = await start(keeper('keeper-alone', '--parent-closes'));
      const childPid = Number(/child pid (\d+)/.exec(server.stdout())?.[1]);
      expect(await (await fetch(server.url)).text()).toBe('child\n');
      expect(server.socketInodes?.().length).toBeGreaterThan(0);
      await server.stop();
      expect(running(childPid)).toBe(false);
      expect(await portAnswers(server.port)).toBe(false);
      expect(server.strays?.().map((p) => p.pid)).toEqual([childPid]);
    });

    it('leaves no stray after a well-behaved server', async () => {
      const server = await start(spec('plain'));
      await server.stop();
      expect(server.strays?.()).toEqual([]);
    });
  });

  describe('readiness checks who owns the port', () => {
    it("fails, naming the other program, when the port answers but is not the launched server's", async () => {
      // Another program on a port: a tiny server started without the launcher.
      const other = createServer().listen(0, '127.0.0.1');
      await new Promise((r) => other.once('listening', r));
      const port = (other.address() as { port: number }).port;
      other.close();
      const foreign = spawn('python3', ['-u', TINY, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
      onTestFinished(() => {
        foreign.kill('SIGKILL');
      });
      await new Promise<void>((r) =>
        foreign.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && r()),
      );
      // The launched "server" never binds: only the other program can answer on the port.
      const s: ServerSpec = { ...spec('squatter-victim'), command: 'echo "would serve on {port}"; exec sleep 60' };
      const err = await launch(s, { port, readyTimeoutMs: 5_000, graceMs: 500 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LaunchError);
      const e = err as LaunchError;
      const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      // python3 may be a shim that execs the interpreter by its full path: the same process, another argv[0].
      expect(e.message).toMatch(
        new RegExp(
          esc(
            `server "squatter-victim" did not start: port ${port} answers, but the listening socket belongs to pid ${foreign.pid} (`,
          ) +
            `\\S*python3\\S* ` +
            esc(`-u ${TINY} ${port}), not to server "squatter-victim" (pgid ${e.pgid}): another program has the port`),
        ),
      );
      expect(await groupMembers(e.pgid!)).toEqual([]);
      // The other program is not the launcher's to stop.
      expect(alive(foreign.pid!)).toBe(true);
    });

    it('records the listening socket of its own server', async () => {
      const server = await start(spec('owner'));
      const inodes = server.socketInodes?.() ?? [];
      expect(inodes.length).toBe(1);
      const held = readFileSync(`/proc/net/tcp`, 'latin1')
        .split('\n')
        .some((l) => l.includes(` ${inodes[0]} `) && l.includes(` 0A `));
      expect(held).toBe(true);
    });
  });

  describe('the registry of running servers', () => {
    it('holds an entry while the server runs, with its socket, and none after it stops', async () => {
      const server = await start(spec('registered'));
      const file = entryFile(registryDir(), { harnessPid: process.pid, pgid: server.pid });
      const entry = JSON.parse(readFileSync(file, 'utf8')) as { socketInodes: unknown };
      expect(entry).toMatchObject({
        harnessPid: process.pid,
        pgid: server.pid,
        port: server.port,
        name: 'registered',
        command: server.command,
      });
      expect(entry.socketInodes).toEqual(server.socketInodes?.());
      await server.stop();
      expect(existsSync(file)).toBe(false);
    });
  });

  describe('the readiness probe', () => {
    /** A server that answers every connection with `first` and then `chunk` for ever; counts the bytes it managed to send. */
    async function endless(first: string, chunk: Buffer) {
      let sent = 0;
      const srv = createServer((sock) => {
        sock.on('error', () => {});
        // What the kernel took from this end: what the probe read, plus the two socket buffers.
        sock.once('close', () => (sent += sock.bytesWritten));
        sock.write(first);
        const pump = (): void => {
          while (!sock.destroyed && sock.write(chunk));
          if (!sock.destroyed) sock.once('drain', pump);
        };
        pump();
      }).listen(0, '127.0.0.1');
      await new Promise((r) => srv.once('listening', r));
      onTestFinished(() => void srv.close());
      return { port: (srv.address() as { port: number }).port, sent: () => sent };
    }

    it('takes an endless answer that starts with a status line as an answer, and reads no further', async () => {
      const s = await endless('HTTP/1.1 200 OK\r\n', Buffer.alloc(1 << 20, 'x'));
      const t0 = Date.now();
      expect(await probeHttp('127.0.0.1', s.port, '/', 2_000)).toBe(true);
      expect(Date.now() - t0).toBeLessThan(1_000);
      await until(() => s.sent() > 0, 2_000);
      // What the server could push before the probe closed: socket buffers, not a growing heap.
      expect(s.sent()).toBeGreaterThan(0);
      expect(s.sent()).toBeLessThan(16 << 20);
    });

    it('gives up at once on an endless answer that is not HTTP', async () => {
      const s = await endless('', Buffer.alloc(1 << 20, 'z'));
      const t0 = Date.now();
      expect(await probeHttp('127.0.0.1', s.port, '/', 2_000)).toBe(false);
      expect(Date.now() - t0).toBeLessThan(1_000);
    });
  });
});

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!(await cond()) && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 50));
  return Date.now() - t0;
}

/** Whether something accepts connections on 127.0.0.1:port. */
function portAnswers(port: number): Promise<boolean> {
  return new Promise((r) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      r(true);
    });
    sock.once('error', () => r(false));
  });
}
