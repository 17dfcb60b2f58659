/**
 * Each diagnostic against the pathology it names: a purpose-built server in
 * fixtures/pathological/ is measured over a small matrix by the real bench (the same hooks
 * `gauntlet bench` runs), and the finding must be raised with its key evidence; the control
 * server (the same plumbing without the defect) and a reference server must get none.
 * Serial (perf project): these are timings, and a busy machine would blur them.
 */
import { describe, it, expect } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, DEFAULT_DOC_ROOT, SERVERS_DIR } from '../../lib/paths.ts';
import { readManifest } from '../../lib/manifest.ts';
import { parseMatrix } from '../../lib/matrix.ts';
import { runBench } from '../../lib/bench.ts';
import { ResultsStore } from '../../lib/results-store.ts';
import type { Finding, LoadMode, RunResults } from '../../lib/types.ts';
import { renderFindingsText } from '../../lib/report/terminal/findings.ts';
import { findingsSection } from '../../lib/report/html/findings.ts';
import { escapeHtml } from '../../lib/report/format.ts';
import {
  ACCEPT_QUEUE_ID,
  DELAYED_ACK_ID,
  ERROR_RESPONSES_ID,
  FAILURES_ID,
  FD_LEAK_ID,
  SERIALISED_ID,
} from '../../lib/diagnostics/index.ts';

const fixture = (name: string) => join(PROJECT_ROOT, 'fixtures', 'pathological', name, 'server.json');

async function bench(
  manifest: string,
  matrix: string,
  mode: LoadMode = 'close',
  timeoutMs?: number,
): Promise<RunResults> {
  const spec = await readManifest(manifest);
  const store = await ResultsStore.create(await mkdtemp(join(tmpdir(), 'gauntlet-diag-')));
  const run = await runBench({
    servers: [spec],
    matrix: parseMatrix(matrix),
    mode,
    path: '/',
    root: DEFAULT_DOC_ROOT,
    warmup: 0,
    store,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  expect(run.status).toBe('complete');
  expect(run.servers[0]?.error, run.servers[0]?.error).toBeUndefined();
  return run;
}

/** The one finding of this kind, which the terminal and report.html must both show. */
function only(run: RunResults, id: string): Finding {
  const found = (run.findings ?? []).filter((f) => f.id === id);
  expect(found, JSON.stringify(run.findings, null, 1)).toHaveLength(1);
  const f = found[0]!;
  expect(renderFindingsText(run)).toContain(`${f.server}: ${f.title}`);
  expect(findingsSection(run)!.body).toContain(`${escapeHtml(f.server)}: ${escapeHtml(f.title)}</h3>`);
  return f;
}

function ids(run: RunResults): string[] {
  return (run.findings ?? []).map((f) => f.id);
}

/** Every finding in full, for a failing assertion's message. */
function shown(run: RunResults): string {
  return (
    (run.findings ?? []).map((f) => `${f.id}: ${f.title}\n  ${f.evidence.join('\n  ')}`).join('\n') || 'no findings'
  );
}

describe('diagnostics against purpose-built pathological servers', () => {
  it('tiny-backlog (listen(1), slow accept loop): connections dropped at accept, stalls of a second or more', async () => {
    const run = await bench(fixture('tiny-backlog'), '20:1,10', 'close', 5_000);
    const f = only(run, ACCEPT_QUEUE_ID);
    expect(f.severity).toBe('error');
    expect(f.title).toMatch(/^\d+ connection attempts? (was|were) dropped at accept: the listen backlog is too small$/);
    expect(f.cells).toEqual([{ group: 0, requests: 20, concurrency: 10 }]);
    expect(f.evidence.join('\n')).toMatch(/ListenOverflows \+\d+, ListenDrops \+\d+/);
    expect(f.evidence.join('\n')).toContain('system-wide');
    expect(f.evidence.join('\n')).toContain('has a backlog of 1 (ss, Send-Q)');
    expect(f.evidence.join('\n')).toMatch(/\d+ of \d+ requests in those cells took 1 s or more \(\d+ took 1\.x s/);
    // The drops explain the collapse of its throughput: it is not called serialised for it. A
    // retransmitted SYN dropped again can outlast the 5 s timeout: that is a failure, rightly.
    expect(
      ids(run).filter((id) => id !== ACCEPT_QUEUE_ID && id !== FAILURES_ID),
      shown(run),
    ).toEqual([]);
  });

  it('nagle-split (three small writes, Nagle on) over keep-alive: 40 ms delayed-ACK stalls with the server idle', async () => {
    const run = await bench(fixture('nagle-split'), '50:1,10', 'keepalive');
    const f = only(run, DELAYED_ACK_ID);
    expect(f.severity).toBe('warning');
    expect(f.title).toContain('about 40 ms each with the server idle');
    expect(f.cells).toEqual([
      { group: 0, requests: 50, concurrency: 1 },
      { group: 0, requests: 50, concurrency: 10 },
    ]);
    const evidence = f.evidence.join('\n');
    expect(evidence).toMatch(/n=50 c=1 \(keepalive\): (4\d|50) of 50, median 4\d\.\d ms/);
    expect(evidence).toMatch(/delayed-ACK timer fired \d+ times/);
    expect(evidence).toMatch(
      /The server used [\d.]+ ms of CPU time in [\d.]+ s \([\d.]+% of one core\) and waited [\d.]+ ms for a CPU: it was waiting, not working/,
    );
    expect(f.cause).toContain('without TCP_NODELAY');
    expect(ids(run), shown(run)).toEqual([DELAYED_ACK_ID]);
  });

  it('nagle-split with a connection per request: no stall (close() sends what Nagle held), no finding', async () => {
    const run = await bench(fixture('nagle-split'), '50:1,10');
    expect(ids(run), shown(run)).toEqual([]);
  });

  it('global-lock (a 20 ms stall under one lock): flat throughput as concurrency rises, CPU idle', async () => {
    const run = await bench(fixture('global-lock'), '20:1,5,10');
    const f = only(run, SERIALISED_ID);
    expect(f.title).toBe(
      'The server handles one request at a time: throughput stays flat as concurrency rises, with the CPU idle',
    );
    expect(f.cells.map((c) => c.concurrency)).toEqual([1, 5, 10]);
    const evidence = f.evidence.join('\n');
    // 20 ms per request at best: under 50 requests/s at every concurrency.
    expect(evidence).toMatch(
      /n=20: requests per second [1-4]\d\.\d at c=1, [1-4]\d\.\d at c=5 and [1-4]\d\.\d at c=10/,
    );
    expect(evidence).toMatch(/Each request holds the server for about [2-9]\d\.\d ms/);
    expect(ids(run), shown(run)).toEqual([SERIALISED_ID]);
  });

  it('not-found (every path 404): "you measured a 404 page"', async () => {
    const run = await bench(fixture('not-found'), '20:1,5');
    const f = only(run, ERROR_RESPONSES_ID);
    expect(f.severity).toBe('error');
    expect(f.title).toBe('You measured a 404 page: 40 of 40 responses were 404 Not Found');
    expect(f.evidence.join('\n')).toContain('404 Not Found: 40');
    expect(ids(run), shown(run)).toEqual([ERROR_RESPONSES_ID]);
  });

  it('fd-leak (one descriptor per request): descriptors grow across cells', async () => {
    const run = await bench(fixture('fd-leak'), '30:1,5;40:1,10');
    const f = only(run, FD_LEAK_ID);
    const growth = /grew from (\d+) to (\d+) over 4 cells/.exec(f.title);
    expect(growth, f.title).not.toBeNull();
    expect(Number(growth![2]) - Number(growth![1])).toBe(140);
    expect(f.title).toContain('about 1.0 per request');
    expect(f.cells).toHaveLength(4);
    expect(ids(run), shown(run)).toEqual([FD_LEAK_ID]);
  });

  it.each(['close', 'keepalive'] as const)(
    'the control server gets no finding over the seed matrix (%s)',
    async (mode) => {
      const run = await bench(fixture('healthy'), 'seed', mode);
      expect(ids(run), shown(run)).toEqual([]);
      expect(run.cells.every((c) => c.resources && c.signals)).toBe(true);
    },
  );

  it('a reference server gets no finding over the seed matrix, and its resources are recorded', async () => {
    const run = await bench(join(SERVERS_DIR, 'python-async', 'server.json'), 'seed');
    expect(ids(run), shown(run)).toEqual([]);
    expect(run.servers[0]?.listenBacklog).toBe(1024);
    for (const c of run.cells) {
      const r = c.resources!;
      expect(r.processes).toBeGreaterThanOrEqual(1);
      expect(r.peakRssBytes).toBeGreaterThan(1024 * 1024);
      expect(r.threadsPeak).toBeGreaterThanOrEqual(1);
      expect(r.fdsAfter).toBe(r.fdsBefore);
      expect(c.signals!.kernel).not.toBeNull();
    }
  });
});
