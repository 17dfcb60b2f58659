/**
 * runBench's flow against servers that answer their readiness probe and then refuse or hang:
 * the cell stops at once (ab's rule), the server is marked as having stopped answering, its
 * remaining cells are skipped and recorded with the reason, the others go on, interleaved round
 * by round, and the whole run stays within seconds. Timeouts are short here so that a regression
 * (a hang waited out request by request) fails the test instead of stalling it.
 */
import { describe, it, expect } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DOC_ROOT, PROJECT_ROOT } from '../../lib/paths.ts';
import { parseServerFlag } from '../../lib/manifest.ts';
import { parseMatrix } from '../../lib/matrix.ts';
import {
  checkRounds,
  interleavedOrder,
  runBench,
  skippedAfter,
  stoppedAnsweringSentence,
  DEFAULT_BENCH_ROUNDS,
  type BenchEvents,
} from '../../lib/bench.ts';
import { benchExitCode } from '../../lib/cli/bench-command.ts';
import { ResultsStore } from '../../lib/results-store.ts';
import { seedTableModel } from '../../lib/report/seed-table.ts';
import { renderTerminalReport } from '../../lib/report/terminal/report.ts';
import type { CellResult, RunResults } from '../../lib/types.ts';

const AFTER_READY = join(PROJECT_ROOT, 'spec', 'unit', 'fixtures', 'after-ready-server.mjs');
const TINY = join(PROJECT_ROOT, 'fixtures', 'launch', 'tiny_server.py');

async function bench(
  flags: string[],
  matrix: string,
  extra: { rounds?: number; warmup?: number; timeoutMs?: number; events?: BenchEvents } = {},
): Promise<RunResults> {
  const servers = await Promise.all(flags.map((f) => parseServerFlag(f)));
  const store = await ResultsStore.create(await mkdtemp(join(tmpdir(), 'gauntlet-rounds-')));
  return runBench(
    {
      servers,
      matrix: parseMatrix(matrix),
      mode: 'close',
      path: '/',
      root: DEFAULT_DOC_ROOT,
      warmup: extra.warmup ?? 0,
      timeoutMs: extra.timeoutMs ?? 1_000,
      rounds: extra.rounds ?? 1,
      store,
    },
    extra.events,
  );
}

const refuser = `refuser=node ${AFTER_READY} {port} refuse`;
const hanger = `hanger=node ${AFTER_READY} {port} hang`;
const steady = `steady=python3 -u ${TINY} {port}`;

describe('interleaving and rounds', () => {
  it('alternates the order round by round: A B, B A, A B', () => {
    expect([0, 1, 2, 3].map((step) => interleavedOrder(['a', 'b', 'c'], step).join(''))).toEqual([
      'abc',
      'cba',
      'abc',
      'cba',
    ]);
  });

  it('checks rounds, naming the bad value', () => {
    expect(checkRounds(3)).toBe(3);
    expect(() => checkRounds(0)).toThrow('rounds must be a whole number of at least 1, got 0');
    expect(() => checkRounds(2.5)).toThrow('got 2.5');
    expect(DEFAULT_BENCH_ROUNDS).toBeGreaterThanOrEqual(6);
  });

  it('marks the cells after a stop as skipped, each with the reason', () => {
    const cells = [0, 1, 2].map((i) => ({ group: 0, requests: 10, concurrency: i + 1 }));
    expect(skippedAfter(cells, 0, 'why')).toEqual([
      { group: 0, requests: 10, concurrency: 2, reason: 'why' },
      { group: 0, requests: 10, concurrency: 3, reason: 'why' },
    ]);
    expect(skippedAfter(cells, -1, 'why')).toHaveLength(3);
  });
});

describe('runBench against servers that stop answering', () => {
  it('skips the remaining cells of a refusing and a hanging server with that verdict, and measures the others every round', async () => {
    // Timed from the first cell (starting three servers takes seconds of its own on a busy machine).
    let firstCell = 0;
    const run = await bench([refuser, hanger, steady], '10:1,5;20:1', {
      rounds: 2,
      timeoutMs: 1_000,
      events: { cellStarted: () => void (firstCell ||= performance.now()) },
    });
    const measuring = performance.now() - firstCell;
    expect(run.status).toBe('complete');
    // One timeout of 1 s for the hanging server (about 5 s in all here, each run's observation
    // and the wait for a crash after failures included): not one per request (40 s), nor one per
    // run of each cell, as it would be if its cells were not skipped (over 14 s).
    expect(measuring).toBeLessThan(8_000);

    for (const [name, kind] of [
      ['refuser', 'connect'],
      ['hanger', 'timeout'],
    ] as const) {
      const server = run.servers.find((s) => s.name === name)!;
      expect(server.stoppedAnswering).toMatch(
        new RegExp(`^${name} stopped answering: no request of n=10 c=1 completed \\(.+\\)$`),
      );
      expect(server.skippedCells).toEqual([
        { group: 0, requests: 10, concurrency: 5, reason: `skipped: ${name} stopped answering in n=10 c=1` },
        { group: 1, requests: 20, concurrency: 1, reason: `skipped: ${name} stopped answering in n=10 c=1` },
      ]);
      const cells = run.cells.filter((c) => c.server === name);
      expect(cells).toHaveLength(1);
      expect(cells[0]!.result.completeRequests).toBe(0);
      expect(cells[0]!.result.requestsPerSecond).toBe(0);
      expect(cells[0]!.result.stopped?.kind).toBe(kind);
      expect(server.stoppedAnswering).toContain(cells[0]!.result.stopped!.reason);
      const model = seedTableModel(run, name);
      expect(model.notes).toContain(`— n=10 c=5, n=20 c=1: skipped: ${name} stopped answering in n=10 c=1`);
    }

    // The steady server: every cell, every round, interleaved after the others dropped out.
    const steadyCells = run.cells.filter((c) => c.server === 'steady');
    expect(steadyCells.map((c) => `${c.requests}x${c.concurrency}#${c.round}`)).toEqual([
      '10x1#0',
      '10x1#1',
      '10x5#0',
      '10x5#1',
      '20x1#0',
      '20x1#1',
    ]);
    expect(steadyCells.every((c) => c.result.completeRequests === c.requests && c.result.failedRequests === 0)).toBe(
      true,
    );
    expect(run.servers.find((s) => s.name === 'steady')?.stoppedAnswering).toBeUndefined();
    // Round 0 of the first cell ran in the listed order; the order turns round at every step.
    expect(run.cells.slice(0, 3).map((c) => c.server)).toEqual(['refuser', 'hanger', 'steady']);

    expect(benchExitCode(run)).toBe(1);
    const text = renderTerminalReport(run);
    expect(text).toContain('refuser stopped answering: no request of n=10 c=1 completed');
    expect(text).toMatch(
      /^Rounds: 2 runs per cell, the servers interleaved round by round \(A B B A \.\.\.\); tables show the median run; a cell stops at its first refused connect or timeout, as ab does\.\n/,
    );
    expect(text).toContain('n=10 c=1 stopped early: connection refused');
  }, 30_000);

  it('bounds the warm-up the same way and reports it: a refusing server has all its cells skipped', async () => {
    const run = await bench([refuser, steady], '10:1,5', { warmup: 5, rounds: 1 });
    const server = run.servers.find((s) => s.name === 'refuser')!;
    expect(server.warmup).toMatchObject({ requested: 5, complete: 0 });
    expect(server.warmup!.failed).toBeGreaterThan(0);
    expect(server.warmup!.stopped).toBeTruthy();
    expect(server.stoppedAnswering).toMatch(
      /^refuser stopped answering: no request of the 5-request warm-up completed/,
    );
    expect(server.skippedCells?.map((c) => c.reason)).toEqual([
      'skipped: refuser stopped answering during the warm-up',
      'skipped: refuser stopped answering during the warm-up',
    ]);
    expect(run.cells.filter((c) => c.server === 'refuser')).toEqual([]);
    expect(run.servers.find((s) => s.name === 'steady')?.warmup).toEqual({ requested: 5, complete: 5, failed: 0 });
    expect(renderTerminalReport(run)).toMatch(
      /refuser's warm-up: 0 of 5 requests complete, \d+ failed \(stopped early: /,
    );
    expect(benchExitCode(run)).toBe(1);
  }, 30_000);

  it('runs no more rounds of a cell once a run of it stopped early, and says so', async () => {
    const alternate = `alternate=node ${AFTER_READY} {port} alternate`;
    const run = await bench([alternate], '10:1;10:1', { rounds: 3, timeoutMs: 1_000 });
    const server = run.servers[0]!;
    // It answers every other request: not "stopped answering", but each cell stopped at its first timeout.
    expect(server.stoppedAnswering).toBeUndefined();
    expect(run.cells.map((c) => [c.group, c.round, c.result.stopped?.kind])).toEqual([
      [0, 0, 'timeout'],
      [1, 0, 'timeout'],
    ]);
    expect(run.cells.every((c) => c.result.completeRequests >= 1)).toBe(true);
    const notes = seedTableModel(run, 'alternate').notes;
    expect(notes.filter((n) => /^n=10 c=1 stopped early: .*; its other 2 runs were not made\.$/.test(n))).toHaveLength(
      2,
    );
    expect(benchExitCode(run)).toBe(0);
  }, 30_000);

  it('exits 0 when every server answered', async () => {
    const run = await bench([steady], '10:1', { rounds: 2 });
    expect(run.rounds).toBe(2);
    expect(run.cells.map((c) => c.round)).toEqual([0, 1]);
    expect(benchExitCode(run)).toBe(0);
  }, 30_000);
});

describe('stoppedAnsweringSentence', () => {
  const result = {
    requested: 10,
    completeRequests: 0,
    failedRequests: 10,
    failed: { connect: 0, receive: 0, length: 10, exceptions: 0 },
  } as unknown as CellResult;

  it("gives the cell's own stop reason when the engine stopped it", () => {
    const stopped = {
      ...result,
      failedRequests: 1,
      stopped: { kind: 'connect', reason: 'connection refused at request 1 of 10', afterRequests: 1 },
    } as CellResult;
    expect(stoppedAnsweringSentence('x', 'n=10 c=1', stopped)).toBe(
      'x stopped answering: no request of n=10 c=1 completed (connection refused at request 1 of 10)',
    );
  });

  it('otherwise counts the failures by kind', () => {
    expect(stoppedAnsweringSentence('x', 'n=10 c=1', result)).toBe(
      'x stopped answering: no request of n=10 c=1 completed (10 of 10 requests failed (length 10))',
    );
  });
});
