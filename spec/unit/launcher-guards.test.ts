/**
 * The launcher's guards, module by module: /proc parsing, whose socket answers on a port, the
 * registry of running servers and the search for what a crashed run left behind, the watchdog,
 * and the parent-death signal. spec/unit/launcher.test.ts checks them together through launch().
 */
import { describe, it, expect, onTestFinished, vi } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  parseStat,
  descendantsOf,
  readProc,
  membersOf,
  allProcs,
  type ProcEntry,
} from '../../lib/process/proc-table.ts';
import {
  decodeAddress,
  parseProcNetTcp,
  readListeningHead,
  socketsServing,
  type ListeningSocket,
} from '../../lib/process/listen-sockets.ts';
import { judgeOwnership, foreignPortReason, type PortFacts } from '../../lib/process/port-ownership.ts';
import { entryFile, parseEntry, registryDir, writeEntry, type RegistryEntry } from '../../lib/process/registry.ts';
import { findLeftovers, leftoverLine, type Leftover, type ProcessLeftover } from '../../lib/process/leftovers.ts';
import { startWatchdog } from '../../lib/process/watchdog.ts';
import { withParentDeathSignal } from '../../lib/process/parent-death.ts';

function running(pid: number): boolean {
  const p = readProc(pid);
  return p !== null && p.state !== 'Z';
}

function groupRunning(pgid: number): number[] {
  return membersOf(pgid, allProcs()).map((p) => p.pid);
}

async function until(cond: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await sleep(25);
  return Date.now() - t0;
}

/** A detached process group of a shell and two sleeps (one its child, one its grandchild); killed at the end of the test. */
async function startGroup(): Promise<{ child: ChildProcess; pgid: number }> {
  const child = spawn('/bin/sh', ['-c', 'sleep 300 & (sleep 300 & wait) & wait'], { detached: true, stdio: 'ignore' });
  const pgid = child.pid!;
  onTestFinished(() => {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  await until(() => groupRunning(pgid).length >= 4, 5_000);
  return { child, pgid };
}

/** The leftovers of a search among process servers only, failing the test on any other kind. */
function asProcesses(found: Leftover[]): ProcessLeftover[] {
  for (const f of found) expect(f.kind).toBe('process');
  return found as ProcessLeftover[];
}

/** The pid of a process that has ended (and been reaped): a harness that is gone. */
async function deadPid(): Promise<number> {
  const c = spawn('true');
  await new Promise((r) => c.once('exit', r));
  return c.pid!;
}

describe('/proc/<pid>/stat', () => {
  it('reads group, session, parent and start time, whatever the name holds', () => {
    const text = '4242 (a) b (c)) S 100 4000 3900 0 -1 4194560 1 0 0 0 5 6 7 8 20 0 3 0 987654 12345 67 0';
    expect(parseStat(text)).toEqual({
      pid: 4242,
      ppid: 100,
      pgid: 4000,
      sid: 3900,
      startTicks: 987654,
      comm: 'a) b (c)',
      state: 'S',
    });
    expect(parseStat('garbage')).toBeNull();
  });

  it('finds descendants through a process that left the group, and only them', () => {
    const p = (pid: number, ppid: number, pgid: number, state = 'S'): ProcEntry => ({
      pid,
      ppid,
      pgid,
      sid: pgid,
      startTicks: 1,
      comm: 'x',
      state,
    });
    const procs = [p(10, 1, 10), p(11, 10, 10), p(12, 11, 12), p(13, 12, 12), p(14, 1, 14), p(15, 10, 10, 'Z')];
    expect(
      descendantsOf([10], procs)
        .map((q) => q.pid)
        .sort(),
    ).toEqual([11, 12, 13]);
    expect(descendantsOf([14], procs)).toEqual([]);
  });
});

describe('/proc/net/tcp', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:9C5B 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 555 1 0 100 0 0 10 0',
    '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 666 1 0 100 0 0 10 0',
    '   2: 0100007F:9C5B 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 777 1 0 20 4 30 10 -1',
  ].join('\n');
  const tcp6 = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 888 1 0 100 0 0 10 0',
    '   1: 0000000000000000FFFF00000100007F:2710 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0 100 0 0 10 0',
    '   2: 00000000000000000000000001000000:2711 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1000 1 0 100 0 0 10 0',
  ].join('\n');

  it('decodes addresses as the kernel stores them (little-endian words)', () => {
    expect(decodeAddress('0100007F', true)).toBe('127.0.0.1');
    expect(decodeAddress('7F000001', false)).toBe('127.0.0.1');
    expect(decodeAddress('00000000000000000000000000000000', true)).toBe('::');
    expect(decodeAddress('00000000000000000000000001000000', true)).toBe('::1');
    expect(decodeAddress('0000000000000000FFFF00000100007F', true)).toBe('::ffff:127.0.0.1');
  });

  it('keeps listening sockets only, with port, uid and inode', () => {
    expect(parseProcNetTcp(tcp, 4, true)).toEqual([
      { family: 4, address: '127.0.0.1', port: 40027, uid: 1000, inode: 555 },
      { family: 4, address: '0.0.0.0', port: 8080, uid: 0, inode: 666 },
    ]);
    expect(parseProcNetTcp(tcp6, 6, true).map((s) => [s.address, s.port, s.inode])).toEqual([
      ['::', 8080, 888],
      ['::ffff:127.0.0.1', 10000, 999],
      ['::1', 10001, 1000],
    ]);
  });

  it('reads the listeners at the head of the file and stops at the first other socket, across chunk boundaries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-tcp-test-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'tcp');
    const lines = tcp.split('\n');
    // header, two listeners, an established socket, then a "listener" that must not be read.
    writeFileSync(file, [...lines.slice(0, 3), lines[3], lines[1]!.replace(' 555 ', ' 556 '), ''].join('\n'));
    for (const chunk of [7, 64, 8192]) {
      expect(parseProcNetTcp(readListeningHead(file, chunk), 4, true).map((s) => s.inode)).toEqual([555, 666]);
    }
    writeFileSync(file, `${lines.slice(0, 3).join('\n')}\n`);
    expect(parseProcNetTcp(readListeningHead(file, 7), 4, true).map((s) => s.inode)).toEqual([555, 666]);
  });

  it('picks the sockets that take a connection: the exact address before a wildcard', () => {
    const all = [...parseProcNetTcp(tcp, 4, true), ...parseProcNetTcp(tcp6, 6, true)];
    const inodes = (host: string, port: number): number[] => socketsServing(all, host, port).map((s) => s.inode);
    expect(inodes('127.0.0.1', 40027)).toEqual([555]);
    expect(inodes('127.0.0.1', 8080)).toEqual([666, 888]);
    expect(inodes('127.0.0.1', 10000)).toEqual([999]);
    expect(inodes('127.0.0.1', 10001)).toEqual([]);
    expect(inodes('::1', 10001)).toEqual([1000]);
    expect(inodes('127.0.0.1', 1)).toEqual([]);
  });
});

describe('who owns the port', () => {
  const sock = (inode: number, uid = 0): ListeningSocket => ({
    family: 4,
    address: '127.0.0.1',
    port: 40000,
    inode,
    uid,
  });
  const facts = (over: Partial<PortFacts>): PortFacts => ({
    serving: [sock(5)],
    holders: new Map(),
    members: new Set([100, 101]),
    descendants: new Set(),
    ownUid: 0,
    ...over,
  });

  it('is the server when a process of its group holds the socket', () => {
    expect(
      judgeOwnership(
        facts({
          holders: new Map([
            [101, [5]],
            [300, [5]],
          ]),
        }),
      ),
    ).toEqual({ verdict: 'ours', inodes: [5], escaped: [] });
  });

  it('is the server when only a process it started (outside the group) holds it, which is then named as escaped', () => {
    expect(judgeOwnership(facts({ holders: new Map([[200, [5]]]), descendants: new Set([200]) }))).toEqual({
      verdict: 'ours',
      inodes: [5],
      escaped: [200],
    });
  });

  it("is another program when only others hold it, or when one of several sockets is another's", () => {
    expect(judgeOwnership(facts({ holders: new Map([[777, [5]]]) }))).toEqual({
      verdict: 'foreign',
      inode: 5,
      holder: 777,
      uid: 0,
    });
    const two = facts({
      serving: [sock(5), sock(6)],
      holders: new Map([
        [100, [5]],
        [778, [6]],
      ]),
    });
    expect(judgeOwnership(two)).toMatchObject({ verdict: 'foreign', inode: 6, holder: 778 });
  });

  it("is another user's program when no holder is in sight and the socket is another uid's; unknown if it is ours", () => {
    expect(judgeOwnership(facts({ serving: [sock(5, 33)] }))).toEqual({
      verdict: 'foreign',
      inode: 5,
      holder: null,
      uid: 33,
    });
    expect(judgeOwnership(facts({}))).toMatchObject({ verdict: 'unknown' });
    expect(judgeOwnership(facts({ serving: null }))).toMatchObject({ verdict: 'unknown' });
    expect(judgeOwnership(facts({ serving: [] }))).toMatchObject({ verdict: 'unknown' });
  });

  it('names the other program in the reason', () => {
    expect(foreignPortReason({ verdict: 'foreign', inode: 5, holder: null, uid: 33 }, 40123, 'x', 'pgid 1234')).toBe(
      'port 40123 answers, but the listening socket belongs to a process of uid 33 that this user cannot inspect, not to server "x" (pgid 1234): another program has the port',
    );
    const me = foreignPortReason(
      { verdict: 'foreign', inode: 5, holder: process.pid, uid: 0 },
      40123,
      'x',
      'pgid 1234',
    );
    expect(me).toMatch(
      new RegExp(
        `^port 40123 answers, but the listening socket belongs to pid ${process.pid} \\(.*node.*\\), not to server "x" \\(pgid 1234\\)`,
      ),
    );
  });
});

describe('the registry and leftovers of earlier runs', () => {
  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-registry-test-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
  const entry = (over: Partial<RegistryEntry>): RegistryEntry => ({
    harnessPid: 999_999,
    harnessStartTicks: null,
    name: 'srv',
    pgid: 999_998,
    pgidStartTicks: null,
    command: 'python3 server.py 40123',
    host: '127.0.0.1',
    port: 40123,
    startedAt: '2026-12-06T20:00:00.000Z',
    socketInodes: [],
    ...over,
  });

  it('keeps its directory per user, under XDG_RUNTIME_DIR or /tmp', () => {
    const uid = process.getuid!();
    expect(registryDir({ XDG_RUNTIME_DIR: '/run/user/1000' })).toBe(`/run/user/1000/gauntlet-${uid}/servers`);
    expect(registryDir({})).toBe(`/tmp/gauntlet-${uid}/servers`);
  });

  it('reads back what it writes, and nothing that is not an entry', () => {
    const dir = tempDir();
    const e = entry({ socketInodes: [12, 13] });
    writeEntry(dir, e);
    expect(parseEntry(readFileSync(entryFile(dir, e), 'utf8'))).toEqual(e);
    expect(parseEntry('{"harnessPid": "x"}')).toBeNull();
    expect(parseEntry('not json')).toBeNull();
  });

  it('names a leftover in one line', () => {
    expect(leftoverLine(entry({ harnessPid: 999 }), [{ pid: 1234, command: 'python3 server.py 40123' }], true)).toBe(
      'gauntlet: a server left by an earlier run is still running: pid 1234 (python3 server.py 40123), port 40123, started by gauntlet pid 999 at 2026-12-06T20:00:00.000Z: stopping it',
    );
    expect(
      leftoverLine(
        entry({}),
        [
          { pid: 1, command: 'a' },
          { pid: 2, command: 'b' },
          { pid: 3, command: 'c' },
        ],
        false,
      ),
    ).toContain('pid 1 (a) and 2 other processes (pid 2, pid 3), port 40123');
  });

  it('finds the group of a dead harness still running, names it, stops it and removes its entry', async () => {
    const dir = tempDir();
    const { pgid } = await startGroup();
    const harnessPid = await deadPid();
    const e = entry({ harnessPid, pgid, pgidStartTicks: readProc(pgid)!.startTicks, command: 'sh -c sleeps' });
    writeEntry(dir, e);
    const lines: string[] = [];
    const found = asProcesses(await findLeftovers({ dir, log: (l) => lines.push(l), graceMs: 500 }));
    expect(found).toHaveLength(1);
    expect(found[0]!.stopped).toBe(true);
    expect(found[0]!.processes.length).toBeGreaterThanOrEqual(4);
    expect(found[0]!.processes[0]!.pid).toBe(pgid);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^gauntlet: a server left by an earlier run is still running: pid ${pgid} \\(/bin/sh -c sleep 300 .*\\) and \\d other processes \\(.*\\), port 40123, started by gauntlet pid ${harnessPid} at 2026-12-06T20:00:00.000Z: stopping it$`,
      ),
    );
    expect(groupRunning(pgid)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('finds a process that holds the recorded socket though it left the group', async () => {
    const dir = tempDir();
    // A listener in its own session: as a setsid() child of a crashed server would be.
    const keeper = spawn(
      'python3',
      [
        '-c',
        'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen()\nprint(s.getsockname()[1],flush=True)\ntime.sleep(300)',
      ],
      {
        detached: true,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    onTestFinished(() => void keeper.kill('SIGKILL'));
    const port = Number(await new Promise<string>((r) => keeper.stdout.once('data', (d: Buffer) => r(d.toString()))));
    const { listeningSocketsOn } = await import('../../lib/process/listen-sockets.ts');
    const inode = listeningSocketsOn(port)![0]!.inode;
    writeEntry(dir, entry({ harnessPid: await deadPid(), pgid: await deadPid(), port, socketInodes: [inode] }));
    const lines: string[] = [];
    const found = asProcesses(await findLeftovers({ dir, log: (l) => lines.push(l), graceMs: 500 }));
    expect(found.map((f) => f.processes.map((p) => p.pid))).toEqual([[keeper.pid]]);
    expect(lines[0]).toContain(`pid ${keeper.pid} (`);
    expect(lines[0]).toContain(`port ${port}`);
    await until(() => !running(keeper.pid!), 3_000);
    expect(running(keeper.pid!)).toBe(false);
  });

  it('leaves the entries of running harnesses alone, and removes stale and broken ones silently', async () => {
    const dir = tempDir();
    const { pgid } = await startGroup();
    const mine = entry({ harnessPid: process.pid, harnessStartTicks: readProc(process.pid)!.startTicks, pgid });
    writeEntry(dir, mine);
    // A dead harness whose server is gone too.
    const stale = entry({ harnessPid: await deadPid(), pgid: await deadPid() });
    writeEntry(dir, stale);
    writeFileSync(join(dir, 'broken.json'), '{');
    // The harness's pid now belongs to another process (another start time): it is gone.
    const reused = entry({ harnessPid: process.pid, harnessStartTicks: 1, pgid: await deadPid() });
    writeEntry(dir, reused);
    const lines: string[] = [];
    expect(await findLeftovers({ dir, log: (l) => lines.push(l) })).toEqual([]);
    expect(lines).toEqual([]);
    expect(readdirSync(dir)).toEqual([`${process.pid}-${pgid}.json`]);
    expect(groupRunning(pgid).length).toBeGreaterThanOrEqual(4);
  });

  it('takes over an entry claimed by a harness that died while handling it', async () => {
    const dir = tempDir();
    const { pgid } = await startGroup();
    const e = entry({ harnessPid: await deadPid(), pgid });
    writeEntry(dir, e);
    const { renameSync } = await import('node:fs');
    renameSync(entryFile(dir, e), `${entryFile(dir, e)}.sweep-${await deadPid()}`);
    const found = asProcesses(await findLeftovers({ dir, log: () => {}, graceMs: 500 }));
    expect(found.map((f) => f.entry.pgid)).toEqual([pgid]);
    expect(groupRunning(pgid)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('only names what it finds when asked not to stop it', async () => {
    const dir = tempDir();
    const { pgid } = await startGroup();
    writeEntry(dir, entry({ harnessPid: await deadPid(), pgid }));
    const lines: string[] = [];
    const found = await findLeftovers({ dir, stop: false, log: (l) => lines.push(l) });
    expect(found[0]!.stopped).toBe(false);
    expect(lines[0]).not.toContain('stopping it');
    expect(groupRunning(pgid).length).toBeGreaterThanOrEqual(4);
    expect(readdirSync(dir)).toHaveLength(1);
  });
});

describe('the watchdog', () => {
  it('kills the whole group, grandchildren included, when the harness goes away', async () => {
    const { pgid } = await startGroup();
    const dog = startWatchdog(pgid);
    expect(dog.pid).toBeGreaterThan(0);
    await sleep(100);
    expect(running(dog.pid!)).toBe(true);
    dog.trigger();
    const took = await until(() => groupRunning(pgid).length === 0, 3_000);
    expect(groupRunning(pgid)).toEqual([]);
    expect(took).toBeLessThan(1_000);
    await until(() => !running(dog.pid!), 2_000);
    expect(running(dog.pid!)).toBe(false);
  });

  it('exits by itself once the group is gone', async () => {
    const { pgid } = await startGroup();
    const dog = startWatchdog(pgid);
    await sleep(100);
    process.kill(-pgid, 'SIGKILL');
    await until(() => !running(dog.pid!), 5_000);
    expect(running(dog.pid!)).toBe(false);
  });

  it('can be dismissed without touching the group', async () => {
    const { pgid } = await startGroup();
    const dog = startWatchdog(pgid);
    await sleep(100);
    dog.dismiss();
    await until(() => !running(dog.pid!), 2_000);
    expect(running(dog.pid!)).toBe(false);
    expect(groupRunning(pgid).length).toBeGreaterThanOrEqual(4);
  });
});

describe('the parent-death signal', () => {
  it('runs the command under setpriv when it is there', () => {
    expect(withParentDeathSignal(['/bin/sh', '-c', 'x'], true)).toEqual([
      'setpriv',
      '--pdeathsig',
      'KILL',
      '--',
      '/bin/sh',
      '-c',
      'x',
    ]);
  });

  it('runs it as it is without setpriv, saying so once', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    onTestFinished(() => write.mockRestore());
    expect(withParentDeathSignal(['/bin/sh', '-c', 'x'], false)).toEqual(['/bin/sh', '-c', 'x']);
    expect(withParentDeathSignal(['/bin/sh', '-c', 'y'], false)).toEqual(['/bin/sh', '-c', 'y']);
    expect(write).toHaveBeenCalledTimes(1);
    expect(String(write.mock.calls[0]![0])).toMatch(/^gauntlet: setpriv \(util-linux\) not found: .*watchdog only/);
  });
});
