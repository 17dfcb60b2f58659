/**
 * The watchdog the hostile specs rely on (spec/helpers/guarded-run.ts): it must kill a run that
 * grows past its memory bound or outlives its time bound, report the peak it saw, and find, name
 * and kill what a run left behind, including a process that left the run's tree. If it did not,
 * a hostile spec would pass, or take the machine down, whatever the harness does.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendants, guardedRun, parseListeners, parseStat, readMemory } from '../helpers/guarded-run.ts';

const node = (code: string) => [process.execPath, '-e', code];

/** Whether a process runs: it exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('guarded-run: reading /proc and ss', () => {
  it('reads ppid and start time from /proc/PID/stat, whatever the command name holds', () => {
    const fields = [
      'S',
      '4242',
      '4242',
      '4242',
      '0',
      '-1',
      '4194560',
      ...new Array<string>(12).fill('0'),
      '987654',
      '0',
    ];
    expect(parseStat(17, `17 (a b) c) ${fields.join(' ')}`)).toEqual({ pid: 17, ppid: 4242, start: 987654 });
    expect(parseStat(17, 'garbage')).toBeNull();
  });

  it('reads this process: its parent and a resident memory figure', () => {
    const mem = readMemory(process.pid);
    expect(mem!.rssMb).toBeGreaterThan(10);
    expect(mem!.hwmMb).toBeGreaterThanOrEqual(mem!.rssMb - 1);
    expect(readMemory(2 ** 22 + 12345)).toBeNull();
  });

  it('finds every descendant of a process, and nothing else', () => {
    const table = [
      { pid: 10, ppid: 1, start: 1 },
      { pid: 11, ppid: 10, start: 2 },
      { pid: 12, ppid: 11, start: 3 },
      { pid: 13, ppid: 1, start: 4 },
      { pid: 14, ppid: 10, start: 5 },
    ];
    expect(
      descendants(10, table)
        .map((p) => p.pid)
        .sort(),
    ).toEqual([11, 12, 14]);
    expect(descendants(13, table)).toEqual([]);
  });

  it('maps listening sockets to their pids (ss -ltnpH)', () => {
    const ss = [
      'LISTEN 0      128        127.0.0.1:41234      0.0.0.0:*    users:(("python3",pid=501,fd=3))',
      'LISTEN 0      511             [::]:8080         [::]:*    users:(("node",pid=77,fd=20),("node",pid=78,fd=20))',
      '',
    ].join('\n');
    const byPid = parseListeners(ss);
    expect(byPid.get(501)).toEqual(['127.0.0.1:41234']);
    expect(byPid.get(78)).toEqual(['[::]:8080']);
    expect(byPid.size).toBe(3);
  });
});

describe('guarded-run: the watchdog', () => {
  it('reports a normal run: exit code, output, no kill, nothing left', async () => {
    const r = await guardedRun([], {
      program: node('console.log("out"); console.error("err"); setTimeout(() => process.exit(3), 300)'),
    });
    expect(r).toMatchObject({ exitCode: 3, signal: null, killedBy: null, leftovers: [] });
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    expect(r.peakRssMb).toBeGreaterThan(10);
  });

  it('kills a run that grows past the memory bound, soon after it passes it', async () => {
    const grow = 'const keep = []; setInterval(() => keep.push(Buffer.alloc(16 * 1024 * 1024, 1)), 40);';
    const r = await guardedRun([], { program: node(grow), memoryBoundMb: 200, wallBoundMs: 30_000 });
    expect(r.killedBy).toBe('memory');
    expect(r.signal).toBe('SIGKILL');
    expect(r.peakRssMb).toBeGreaterThan(200);
    expect(r.peakRssMb).toBeLessThan(400);
  });

  it('kills a run that outlives the time bound', async () => {
    const r = await guardedRun([], { program: node('setTimeout(() => {}, 60_000)'), wallBoundMs: 1_000 });
    expect(r.killedBy).toBe('time');
    expect(r.wallMs).toBeGreaterThanOrEqual(1_000);
    expect(r.wallMs).toBeLessThan(5_000);
  });

  it('finds, names and kills a listener that escaped into its own session and outlived the run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-guard-'));
    try {
      const listener =
        "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); time.sleep(300)";
      // The escaped process may leave the run's tree before the watchdog first looks; the watch on
      // its working directory finds it then. The run lasts long enough for a slow python to listen.
      const escape = `require('node:child_process').spawn('setsid', ['python3', '-c', ${JSON.stringify(listener)}], { detached: true, stdio: 'ignore' }).unref(); setTimeout(() => {}, 3000);`;
      const r = await guardedRun([], { program: node(escape), cwd: dir, watch: [dir], wallBoundMs: 20_000 });
      expect(r.killedBy).toBeNull();
      // python3 may be a launcher (pyenv's shim) with the interpreter below it: all of them are left.
      const listening = r.leftovers.filter((l) => l.listening.length > 0);
      expect(listening).toHaveLength(1);
      expect(listening[0]!.command).toMatch(/python3 -c import socket/);
      expect(listening[0]!.listening).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/)]);
      await new Promise((res) => setTimeout(res, 200));
      expect(r.leftovers.filter((l) => alive(l.pid))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds a child the run started and left running, without a watched folder', async () => {
    const leave = `const c = require('node:child_process').spawn('sleep', ['300'], { detached: true, stdio: 'ignore' }); c.unref(); setTimeout(() => {}, 800);`;
    const r = await guardedRun([], { program: node(leave), wallBoundMs: 20_000 });
    expect(r.leftovers.map((l) => l.command)).toEqual(['sleep 300']);
    await new Promise((res) => setTimeout(res, 200));
    expect(alive(r.leftovers[0]!.pid)).toBe(false);
  });
});
