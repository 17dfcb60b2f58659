/**
 * Servers whose command has no {port}: the launcher finds the port they listen on by themselves,
 * or waits for the one stated, after making sure nothing else listens there. Every server here
 * chooses an ephemeral port of its own (fixtures/fixed-port/two_ports.py, python one-liners), so
 * that this file can run beside the one that starts the fixture on its fixed 10002.
 */
import { describe, it, expect, onTestFinished, vi } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { launch, LaunchError, PortTakenError, type RunningServer } from '../../lib/launcher.ts';
import { listeningSocketsOn } from '../../lib/process/listen-sockets.ts';
import { commandLine } from '../../lib/process/proc-table.ts';
import { parseEntry, type RegistryEntry } from '../../lib/process/registry.ts';
import { leftoverLine } from '../../lib/process/leftovers.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import type { ServerSpec } from '../../lib/types.ts';

const FIXTURE = join(PROJECT_ROOT, 'fixtures', 'fixed-port');

function spec(name: string, command: string, port?: number): ServerSpec {
  return {
    name,
    model: 'threaded',
    language: 'python',
    command,
    cwd: FIXTURE,
    source: 'test',
    ...(port !== undefined && { port }),
  };
}

async function start(s: ServerSpec, opts = {}): Promise<RunningServer> {
  const server = await launch(s, opts);
  onTestFinished(() => server.stop().then(() => undefined));
  return server;
}

/** A port this test listens on, open until the test ends. */
async function holdAPort(): Promise<number> {
  const holder = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => holder.once('listening', r));
  onTestFinished(() => new Promise<void>((r) => holder.close(() => r())));
  return (holder.address() as { port: number }).port;
}

/** A port free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port;
      probe.close(() => resolve(port));
    });
  });
}

/** A python one-liner that listens on an ephemeral port of its own and never answers. */
const SILENT_LISTENER =
  'python3 -c "import socket,time; s=socket.socket(); s.bind((\'127.0.0.1\', 0)); s.listen(1); time.sleep(60)"';

describe('a command without {port}', () => {
  it('is found on the one of its ports that answers HTTP, and nothing listens there after stop', async () => {
    const server = await start(spec('two-ports', 'python3 -u two_ports.py'), { readyTimeoutMs: 10_000 });
    // It prints its ports before it listens; the pipe may still be delivering the line.
    await vi.waitFor(() => expect(server.stdout()).toContain('http'));
    const [, silent, , http] = server.stdout().trim().split(' ').map(Number);
    expect(silent).toBeGreaterThan(0);
    expect(server.port).toBe(http);
    expect(server.url).toBe(`http://127.0.0.1:${http}`);
    expect(server.socketInodes?.()).toHaveLength(1);
    await server.stop();
    expect(listeningSocketsOn(http!)).toEqual([]);
    expect(listeningSocketsOn(silent!)).toEqual([]);
  });

  it('is not given GAUNTLET_PORT, having no port to be given', async () => {
    const err = await launch(spec('env', 'echo "port=[$GAUNTLET_PORT]"; exit 3'), { readyTimeoutMs: 5_000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as LaunchError).stdoutTail).toContain('port=[]');
  });

  it('names what it listened on when no port answers HTTP in time, and leaves nothing running', async () => {
    const err = await launch(spec('silent', SILENT_LISTENER), { readyTimeoutMs: 1_500, graceMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LaunchError);
    const message = (err as LaunchError).message;
    expect(message).toMatch(
      /^server "silent" did not answer HTTP on 127\.0\.0\.1 at any port it listens on \(it listened on 127\.0\.0\.1:\d+\) within 1500 ms and was stopped/,
    );
    const port = Number(/127\.0\.0\.1:(\d+)\)/.exec(message)![1]);
    expect(listeningSocketsOn(port)).toEqual([]);
  });

  it('says so when it listened on nothing', async () => {
    const err = await launch(spec('sleeper', 'sleep 30'), { readyTimeoutMs: 800, graceMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect((err as LaunchError).message).toContain(
      'did not answer HTTP on 127.0.0.1 at any port it listens on (it listened on nothing) within 800 ms',
    );
  });
});

describe('a stated port', () => {
  it('already taken: names the process that listens there, and starts nothing', async () => {
    const port = await holdAPort();
    const marker = join(mkdtempSync(join(tmpdir(), 'gauntlet-taken-')), 'started');
    const err = await launch(spec('late', `touch ${marker}; exec sleep 30`, port)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortTakenError);
    const e = err as PortTakenError;
    expect(e.holderPid).toBe(process.pid);
    expect(commandLine(process.pid)).toMatch(/node/);
    expect(e.message).toBe(
      `server "late" did not start: port ${port} is taken: pid ${process.pid} (${commandLine(process.pid)}) ` +
        `listens on 127.0.0.1:${port}; nothing was started (stop that process, or state another port)`,
    );
    expect(e.pgid).toBeNull();
    expect(existsSync(marker)).toBe(false);
  });

  it('free: the server is awaited there, and nothing listens there after stop', async () => {
    const free = await freePort();
    const command = `python3 -c "import http.server as h; h.HTTPServer(('127.0.0.1', ${free}), h.SimpleHTTPRequestHandler).serve_forever()"`;
    const server = await start(spec('stated', command, free), { readyTimeoutMs: 10_000 });
    expect(server.port).toBe(free);
    await server.stop();
    expect(listeningSocketsOn(free)).toEqual([]);
  });

  it('is what {port} is filled with when the command has it', async () => {
    const free = await freePort();
    const command = `python3 -m http.server --bind 127.0.0.1 {port}`;
    const server = await start(spec('filled', command, free), { readyTimeoutMs: 10_000 });
    expect(server.port).toBe(free);
    expect(server.command).toBe(`python3 -m http.server --bind 127.0.0.1 ${free}`);
  });
});

describe('the registry entry of a server whose port is being discovered', () => {
  it('holds port 0, which a later run reads and names as not yet known', () => {
    const entry: RegistryEntry = {
      harnessPid: 100,
      harnessStartTicks: 1,
      name: 'course',
      pgid: 200,
      pgidStartTicks: 2,
      command: 'python3 server_thread_http.py',
      host: '127.0.0.1',
      port: 0,
      startedAt: '2026-12-07T00:00:00.000Z',
      socketInodes: [],
    };
    expect(parseEntry(JSON.stringify(entry))).toEqual(entry);
    expect(parseEntry(JSON.stringify({ ...entry, port: -1 }))).toBeNull();
    expect(leftoverLine(entry, [{ pid: 200, command: 'python3 server_thread_http.py' }], true)).toBe(
      'gauntlet: a server left by an earlier run is still running: pid 200 (python3 server_thread_http.py), ' +
        'port not yet known, started by gauntlet pid 100 at 2026-12-07T00:00:00.000Z: stopping it',
    );
  });
});
