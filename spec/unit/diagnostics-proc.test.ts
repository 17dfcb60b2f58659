/**
 * /proc sampling of a server's process group, and the kernel's TCP counters: parsing on fixed
 * text, then a real process group whose CPU, memory, threads, children and descriptors are
 * known, watched by the same observer the bench uses.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import {
  countFds,
  groupPids,
  pageSizeBytes,
  parseProcStat,
  procAvailable,
  threadRunDelays,
} from '../../lib/diagnostics/proc.ts';
import {
  counterDelta,
  listenBacklog,
  parseNetstat,
  parseSsListen,
  readTcpCounters,
  tcpCountersFrom,
} from '../../lib/diagnostics/netstat.ts';
import { CellObserver } from '../../lib/diagnostics/observe.ts';

const linux = procAvailable();

describe('parseProcStat', () => {
  it('reads the fields after a command name holding spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime prio nice threads itreal start vsize rss
    const line =
      '4242 (my (odd) name) S 1 4240 4240 0 -1 4194560 100 0 0 0 25 7 3 2 20 0 5 0 12345 99999999 3000 18446744073709551615';
    expect(parseProcStat(line)).toEqual({
      pid: 4242,
      comm: 'my (odd) name',
      state: 'S',
      ppid: 1,
      pgrp: 4240,
      userTicks: 28,
      sysTicks: 9,
      threads: 5,
      rssPages: 3000,
    });
  });

  it('refuses text that is not a stat line', () => {
    expect(parseProcStat('')).toBeNull();
    expect(parseProcStat('12 (x) S 1')).toBeNull();
  });
});

describe('parseNetstat and the TCP counters', () => {
  const text = [
    'TcpExt: SyncookiesSent DelayedACKs ListenOverflows ListenDrops TCPSynRetrans',
    'TcpExt: 0 57541 12 14 87',
    'IpExt: InNoRoutes InTruncatedPkts',
    'IpExt: 0 0',
    '',
  ].join('\n');

  it('reads every counter by its prefixed name', () => {
    const m = parseNetstat(text);
    expect(m.get('TcpExt.ListenOverflows')).toBe(12);
    expect(m.get('IpExt.InNoRoutes')).toBe(0);
    expect(tcpCountersFrom(m)).toEqual({ listenOverflows: 12, listenDrops: 14, synRetrans: 87, delayedAcks: 57541 });
  });

  it('has no counters without ListenOverflows and ListenDrops', () => {
    expect(tcpCountersFrom(parseNetstat('IpExt: InNoRoutes\nIpExt: 0\n'))).toBeNull();
  });

  it('takes differences that never go negative', () => {
    const a = { listenOverflows: 5, listenDrops: 6, synRetrans: 7, delayedAcks: 8 };
    const b = { listenOverflows: 9, listenDrops: 6, synRetrans: 1, delayedAcks: 10 };
    expect(counterDelta(a, b)).toEqual({ listenOverflows: 4, listenDrops: 0, synRetrans: 0, delayedAcks: 2 });
    expect(counterDelta(null, b)).toBeNull();
  });

  it.skipIf(!linux)("reads this machine's counters", () => {
    const c = readTcpCounters();
    expect(c).not.toBeNull();
    expect(c!.listenOverflows).toBeGreaterThanOrEqual(0);
  });
});

describe('the listen backlog', () => {
  it('reads the Send-Q of the listening socket on a port from ss output', () => {
    const out = [
      'LISTEN 0      1            127.0.0.1:32989      0.0.0.0:*',
      'LISTEN 0      511                  *:8080             *:*',
      'LISTEN 0      4096             [::1]:9000          [::]:*',
    ].join('\n');
    expect(parseSsListen(out, 32989)).toBe(1);
    expect(parseSsListen(out, 8080)).toBe(511);
    expect(parseSsListen(out, 9000, '::1')).toBe(4096);
    expect(parseSsListen(out, 1234)).toBeNull();
  });

  let server: Server | null = null;
  afterEach(() => {
    server?.close();
    server = null;
  });

  const hasSs = (() => {
    try {
      execFileSync('ss', ['-V'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasSs)('finds the backlog a real socket listens with (ss from iproute2)', async () => {
    server = createServer();
    server.listen({ port: 0, host: '127.0.0.1', backlog: 7 });
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    expect(await listenBacklog(port)).toBe(7);
  });
});

describe.skipIf(!linux)('CellObserver on a real process group', () => {
  let child: ChildProcess | null = null;
  afterEach(() => {
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    child = null;
  });

  // On "go": a child process joins the group, two threads start, 48 MiB are touched, twelve
  // files are opened and kept, and the CPU is kept busy for 0.4 s; then "done".
  const SCRIPT = `
import os, subprocess, sys, threading, time
print('ready', flush=True)
sys.stdin.readline()
kid = subprocess.Popen(['sleep', '30'])
for _ in range(2):
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
block = bytearray(48 * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
files = [open(os.devnull) for _ in range(12)]
end = time.process_time() + 0.4
while time.process_time() < end:
    pass
print('done', flush=True)
time.sleep(30)
`;

  let output = '';
  /** Resolves once the test process has printed `text`. */
  function line(proc: ChildProcess, text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!output.includes(text)) return;
        proc.stdout!.off('data', check);
        resolve();
      };
      proc.stdout!.on('data', check);
      proc.once('exit', () => reject(new Error(`the test process exited before "${text}": ${output}`)));
      check();
    });
  }

  it('measures the whole group: CPU, children, threads, peak memory and descriptors', async () => {
    child = spawn('python3', ['-c', SCRIPT], { detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
    output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    const pgid = child.pid!;
    await line(child, 'ready');
    const observer = CellObserver.start(pgid, { intervalMs: 20, settleMs: 200 });
    child.stdin!.write('go\n');
    await line(child, 'done');
    const { resources, kernel, clientCpuUs } = await observer.finish(10);
    expect(kernel).not.toBeNull();
    expect(clientCpuUs).toBeGreaterThanOrEqual(0);
    const r = resources!;
    expect(r.processes).toBe(2);
    expect(r.cpuUserUs + r.cpuSysUs).toBeGreaterThanOrEqual(300_000);
    expect(r.cpuUsPerRequest).toBe((r.cpuUserUs + r.cpuSysUs) / 10);
    expect(r.peakRssBytes).toBeGreaterThan(48 * 1024 * 1024);
    expect(r.threadsPeak).toBe(4); // python's main thread and two sleepers, plus the sleep process
    // The twelve files, and the new child's standard input, output and error.
    expect(r.fdsAfter - r.fdsBefore).toBe(12 + 3);
    expect(r.samples).toBeGreaterThan(3);
    expect(groupPids(pgid).sort()).toHaveLength(2);
    expect(countFds(groupPids(pgid))).toBe(r.fdsAfter);
    expect(pageSizeBytes()).toBeGreaterThanOrEqual(4096);
    // Run-queue waits are read per thread: python's three threads and the sleep process.
    expect(r.runDelayUs).toBeGreaterThanOrEqual(0);
    expect(threadRunDelays(groupPids(pgid)).size).toBe(4);
  });

  it('reports no resources for a group that does not exist', async () => {
    const observer = CellObserver.start(2 ** 22 + 12345);
    const { resources } = await observer.finish(1);
    expect(resources).toBeNull();
  });
});
