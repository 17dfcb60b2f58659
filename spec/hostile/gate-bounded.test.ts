/**
 * Bounded time against servers that stop answering, with the load engine replaced by a fake
 * whose every run is decided per port: a run the engine stopped (its first timeout, as ab stops),
 * a run that completed nothing, or a slow but good run. The servers themselves are tiny real
 * processes (the gate starts them); only their load is faked, so no test waits out a timeout.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import type { CellResult, CellSpec, LoadTarget } from '../../lib/types.ts';

type Behaviour = 'good' | 'timeout' | 'nothing' | 'fails' | 'slow' | 'half';
const behaviour = new Map<number, Behaviour>();
const calls: number[] = [];

function result(
  target: LoadTarget,
  cell: CellSpec,
  how: Behaviour,
): CellResult & { stopped?: { kind: 'connect' | 'timeout'; reason: string; afterRequests: number } } {
  const complete =
    how === 'good' || how === 'slow' || how === 'half' ? cell.requests : how === 'fails' ? cell.requests - 1 : 0;
  const failed = cell.requests - complete;
  const base: CellResult = {
    mode: target.mode,
    path: target.path,
    serverSoftware: null,
    documentLength: 10,
    concurrencyLevel: cell.concurrency,
    // 'half' serves at half the speed: the same requests in twice the time.
    requested: cell.requests,
    timeTakenS: how === 'half' ? 0.004 : 0.002,
    completeRequests: complete,
    failedRequests: failed,
    failed: { connect: 0, receive: 0, length: 0, exceptions: failed },
    non2xx: 0,
    totalTransferred: 100 * complete,
    htmlTransferred: 10 * complete,
    requestsPerSecond: complete / 0.002,
    timePerRequestMs: 1,
    timePerRequestAcrossMs: 1,
    transferRateKBps: 1,
    latencyUs: { min: 100, mean: 200, p50: 200, p90: 300, p99: 400, max: 500 },
    statusCounts: complete ? { '200': complete } : {},
  };
  if (how === 'timeout')
    return {
      ...base,
      stopped: { kind: 'timeout', reason: 'the first request timed out after 30000 ms', afterRequests: 1 },
    };
  return base;
}

vi.mock('../../lib/load/index.ts', async (importOriginal) => {
  const original = await importOriginal<Record<string, unknown>>();
  return {
    ...original,
    runCell: async (target: LoadTarget, cell: CellSpec) => {
      calls.push(target.port);
      const how = behaviour.get(target.port) ?? 'good';
      await new Promise((r) => setTimeout(r, how === 'slow' ? 20 : 1));
      return result(target, cell, how);
    },
  };
});

const { measureCell, warmUpServer } = await import('../../lib/perf/sampler.ts');
const { runGate } = await import('../../lib/perf/gate.ts');
const { resolveConfig } = await import('../../lib/perf/config.ts');
const { parseServerFlag } = await import('../../lib/manifest.ts');
const { PROJECT_ROOT } = await import('../../lib/paths.ts');

const target = (port: number): LoadTarget => ({ host: '127.0.0.1', port, path: '/', mode: 'close' });
const side = (name: string, port: number) => ({ name, target: target(port) });
const cell = { requests: 10, concurrency: 2 };

afterEach(() => {
  behaviour.clear();
  calls.length = 0;
});

describe('measureCell against a server that stops answering', () => {
  it('ends the measurement at the first stopped run: no retry, no further round', async () => {
    behaviour.set(2, 'timeout');
    const m = await measureCell([side('ok', 1), side('hang', 2)], cell, { minRounds: 10, minSampleMs: 1 });
    expect(m.stoppedBy).toBe('server-stopped');
    expect(m.rounds).toBe(0);
    expect(m.sides[1]!.stopped).toMatchObject({
      kind: 'timeout',
      reason: 'the first request timed out after 30000 ms',
    });
    expect(calls.filter((p) => p === 2)).toHaveLength(1);
  });

  it('treats a run that completed nothing as stopped, in a round as in the warm-up', async () => {
    const m0 = await measureCell([side('a', 3), side('b', 4)], cell, { minRounds: 2, maxRounds: 2, minSampleMs: 1 });
    expect(m0.stoppedBy).toBe('max-rounds');
    behaviour.set(4, 'nothing');
    const m = await measureCell([side('a', 3), side('b', 4)], cell, { minRounds: 10, minSampleMs: 1 });
    expect(m.stoppedBy).toBe('server-stopped');
    expect(m.sides[1]!.stopped).toMatchObject({ kind: 'nothing', totals: { complete: 0, failed: 10 } });
  });

  it('checks the time cap before every round, the minimum ones too: at most one round past it', async () => {
    behaviour.set(5, 'slow');
    const m = await measureCell([side('slow', 5)], cell, {
      minRounds: 50,
      maxRounds: 50,
      maxTimeMs: 150,
      minSampleMs: 1,
    });
    expect(m.stoppedBy).toBe('time-cap');
    expect(m.rounds).toBeLessThan(50);
    // One round is one run of about 20 ms here; generous for a busy machine.
    expect(m.elapsedMs).toBeLessThan(150 + 150);
  });
});

describe('warmUpServer', () => {
  it('stops at the first stopped run and reports its failures', async () => {
    behaviour.set(6, 'timeout');
    const w = await warmUpServer(target(6), 3000);
    expect(w.stopped?.kind).toBe('timeout');
    expect(w).toMatchObject({ runs: 1, complete: 0, failed: 200 });
    expect(w.ms).toBeLessThan(1000);
  });

  it('reports failed requests of a warm-up that went on', async () => {
    behaviour.set(7, 'fails');
    const w = await warmUpServer(target(7), 30);
    expect(w.stopped).toBeUndefined();
    expect(w.failed).toBe(w.runs);
  });
});

describe('runGate against servers that stop answering or fail requests', () => {
  const TINY = join(PROJECT_ROOT, 'fixtures', 'launch', 'tiny_server.py');
  const root = join(PROJECT_ROOT, 'fixtures', 'www');
  const sampling = { minRounds: 6, maxRounds: 8, minSampleMs: 1, warmupS: 0.05, maxTimeS: 2 };

  /** Finds the port each tiny server will get, by starting the gate with a hook on its events. */
  async function gateWith(behaviours: Record<string, Behaviour>, claims: string[], matrix = '10:1,2,5', rounds = {}) {
    const servers = await Promise.all(
      Object.keys(behaviours).map((n) => parseServerFlag(`${n}:threaded:python=python3 -u ${TINY} {port}`)),
    );
    const config = resolveConfig(
      { claims, matrix, sampling: { ...sampling, ...rounds }, baseline: false, pin: false },
      null,
    );
    const started = performance.now();
    const results = await runGate({
      config,
      servers,
      root,
      events: { serverReady: (s) => behaviour.set(s.port, behaviours[s.name] ?? 'good') },
    });
    return { results, seconds: (performance.now() - started) / 1000 };
  }

  it('marks a server that answers nothing in its warm-up as stopped, skips its cells, and ends at once', async () => {
    const { results, seconds } = await gateWith({ ok: 'good', hang: 'timeout' }, ['ok >= hang', 'failed == 0']);
    expect(seconds).toBeLessThan(20);
    const hang = results.servers.find((s) => s.name === 'hang')!;
    expect(hang.error).toBe(
      'hang stopped answering during its warm-up (close mode): the first request timed out after 30000 ms; its cells are skipped',
    );
    expect(results.warmups!.find((w) => w.server === 'hang')).toMatchObject({
      complete: 0,
      failed: 200,
      stopped: { kind: 'timeout' },
    });
    expect(results.claims[0]!.cells.map((c) => c.status)).toEqual(['error', 'error', 'error']);
    expect(results.passed).toBe(false);
    // No cell of the hanging server was run after its warm-up.
    expect(results.measurements.every((m) => !m.sides.some((s) => s.name === 'hang'))).toBe(true);
  });

  it("corrects a claim's cells together (Holm): a failure that holds in one cell does not in three", async () => {
    // Six rounds then six more, every one the same 0.5x: the signed-rank test gives p = 0.020 on
    // the first six (ties: the normal approximation), so a cell alone fails, and three such
    // cells, each needing 0.05 / 3 at best, do not.
    const rounds = { minRounds: 6, maxRounds: 6, maxTimeS: 10 };
    const one = await gateWith({ full: 'good', half: 'half' }, ['half >= full'], '10:1', rounds);
    expect(one.results.claims[0]!.cells.map((c) => [c.status, c.outcome])).toEqual([['fail', 'slower']]);
    const three = await gateWith({ full: 'good', half: 'half' }, ['half >= full'], '10:1,2,5', rounds);
    const cells = three.results.claims[0]!.cells;
    expect(cells.map((c) => c.status)).toEqual(['pass', 'pass', 'pass']);
    expect(cells[0]!.adjustedP).toBeCloseTo(3 * cells[0]!.verdicts![0]!.p, 10);
    expect(cells[0]!.notes.join(' ')).toMatch(
      /slower on its own \(p = 0\.020\), but not once the claim's 3 cells are taken together \(Holm-adjusted p = 0\.059, alpha 0\.05\): not a failure/,
    );
  });

  it('fails a claim between servers when one fails requests, naming the server and the count', async () => {
    const { results } = await gateWith(
      { good: 'good', flaky: 'fails' },
      ['good >= flaky', 'flaky >= good allowing failures'],
      '10:2',
    );
    const cells = results.claims[0]!.cells;
    expect(cells).toHaveLength(1);
    expect(cells[0]!.status).toBe('fail');
    expect(cells[0]!.reason).toMatch(
      /^flaky failed (\d+) of (\d+) requests at n=10 c=2: a claim between servers holds only when neither fails$/,
    );
    expect(results.claims[0]!.summary).toContain('a claim between servers holds only when neither fails');
    // "allowing failures" compares anyway: the verdict decides.
    expect(results.claims[1]!.cells[0]!.reason).toBeUndefined();
    expect(results.claims[1]!.cells[0]!.verdicts?.length).toBeGreaterThan(0);
    expect(results.measurements.filter((m) => m.attempt === 1)).toHaveLength(0);
  });
});

describe('toMeet', () => {
  it("adds the second measurement's failures, warm-ups included, to a count", async () => {
    const { perfMatchers } = await import('../../lib/perf/matchers.ts');
    behaviour.set(8, 'fails');
    const ref = { kind: 'gauntlet-cell' as const, side: side('flaky', 8), cell };
    // The impossible rps bound fails the first measurement, so the cell is measured twice.
    const r = await perfMatchers.toMeet.call({ isNot: false }, ref, ['failed == 0', 'rps > 1000000000000'], {
      sampling: { minRounds: 6, maxRounds: 6, minSampleMs: 1, maxTimeMs: 5000 },
    });
    expect(r.pass).toBe(false);
    const message = r.message();
    expect(message).toContain('measured twice');
    // Every run the fake engine made for this server failed exactly one request: the count is all of them.
    expect(message).toContain(`FAIL failed == 0: ${calls.filter((p) => p === 8).length} in total`);
  });
});

describe('the time cap of a comparison covers its second look', () => {
  it('ends within the cap plus about one round, second measurement included', async () => {
    const { comparePairOnCell } = await import('../../lib/perf/pair.ts');
    behaviour.set(9, 'slow');
    behaviour.set(10, 'slow');
    const capMs = 600;
    const started = performance.now();
    // Equal servers: "a > b" fails the first measurement, so the cell is measured once more.
    const r = await comparePairOnCell(side('a', 9), side('b', 10), cell, {
      op: '>',
      sampling: { minRounds: 10, minSampleMs: 1, maxTimeMs: capMs },
    });
    const wall = performance.now() - started;
    expect(r.pass).toBe(false);
    expect(r.measurements).toHaveLength(2);
    expect(r.measurements[0]!.stoppedBy).toBe('time-cap');
    // A round is two runs of about 20 ms each; the second look's own warm-up adds two more runs.
    expect(wall).toBeLessThan(capMs + 300);
  });
});
