import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClaim } from '../../lib/perf/claims.ts';
import { resolveConfig } from '../../lib/perf/config.ts';
import { checkClaimServers, planGroups, runGate, serversNamedByClaims } from '../../lib/perf/gate.ts';
import { checkAbsolute, checkRelative, isPrecise } from '../../lib/perf/evaluate.ts';
import { summarizeClaim } from '../../lib/perf/claim-summary.ts';
import { renderGateMarkdown } from '../../lib/report/markdown/gate-report.ts';
import { renderGateText } from '../../lib/report/terminal/gate-report.ts';
import { parseServerFlag } from '../../lib/manifest.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { readBaseline, appendGate, emptyBaseline, writeBaseline } from '../../lib/perf/baseline.ts';
import { YARDSTICK, type ClaimResult, type GateResults } from '../../lib/perf/types.ts';
import { around, emptyGate, measurement, sideOf } from './helpers/perf-fixtures.ts';

const TINY = join(PROJECT_ROOT, 'fixtures', 'launch', 'tiny_server.py');

describe('planGroups', () => {
  const cell = { requests: 100, concurrency: 10 };
  it('measures servers linked by a relative claim together, and the others alone', () => {
    const claims = ['a >= b', 'c >= d at c=1', 'e: rps > 1', 'failed == 0'].map((c) => parseClaim(c));
    const groups = planGroups(claims, ['a', 'b', 'c', 'd', 'e'], cell, new Set(), () => false);
    expect(groups.map((g) => g.servers)).toEqual([['a', 'b'], ['c'], ['d'], ['e']]);
    expect(groups[0]!.checks.filter((c) => c.claim.kind === 'relative')).toHaveLength(1);
    // "failed == 0" applies to every server.
    expect(
      groups.flatMap((g) => g.checks.filter((c) => c.claim.kind === 'absolute').map((c) => c.server)).sort(),
    ).toEqual(['a', 'b', 'c', 'd', 'e', 'e']);
  });

  it('adds the yardstick to groups holding a server compared with the baseline', () => {
    const groups = planGroups([parseClaim('a >= b')], ['a', 'b', 'c'], cell, new Set(['c']), () => false);
    expect(groups.map((g) => [g.servers, g.yardstick, g.regression])).toEqual([
      [['a', 'b'], false, []],
      [['c'], true, ['c']],
    ]);
  });

  it('joins chains of claims into one group', () => {
    const groups = planGroups(
      ['a >= b', 'b >= c'].map((c) => parseClaim(c)),
      ['a', 'b', 'c'],
      cell,
      new Set(),
      () => false,
    );
    expect(groups).toHaveLength(1);
    expect(groups[0]!.servers).toEqual(['a', 'b', 'c']);
  });
});

describe('claim servers', () => {
  it('names the servers of the claims and refuses unknown ones', () => {
    const claims = ['x >= y', 'z: p(99) < 1ms', 'failed == 0'].map((c) => parseClaim(c));
    expect(serversNamedByClaims(claims)).toEqual(['x', 'y', 'z']);
    expect(() => checkClaimServers(claims, ['x', 'y'])).toThrow(/names "z"/);
  });
});

describe('checking claims on measurements', () => {
  const m = measurement([sideOf('fast', around(8000, 12, 1)), sideOf('slow', around(5000, 12, 2), { failed: 1 })]);
  const decision = { tolerance: 0.1, alpha: 0.05, confidence: 0.95 };
  it('relative: >= fails only on "slower", > passes only on "faster"', () => {
    expect(checkRelative({ a: 'fast', b: 'slow', op: '>=', factor: 1 }, m, decision).pass).toBe(true);
    expect(checkRelative({ a: 'fast', b: 'slow', op: '>', factor: 1 }, m, decision).pass).toBe(true);
    expect(checkRelative({ a: 'slow', b: 'fast', op: '>=', factor: 1 }, m, decision).pass).toBe(false);
    expect(checkRelative({ a: 'slow', b: 'fast', op: '>=', factor: 0.5 }, m, decision).pass).toBe(true);
  });
  it('absolute: counts are totals, noisy figures use the interval of the median', () => {
    const failed = checkAbsolute(parseClaim('failed == 0') as never, m.sides[1]!, 0.95);
    expect(failed).toEqual({ kind: 'count', value: 12, pass: false });
    const rps = checkAbsolute(parseClaim('rps > 6000') as never, m.sides[0]!, 0.95);
    expect(rps.pass).toBe(true);
    expect(checkAbsolute(parseClaim('p(99) < 1ms') as never, m.sides[0]!, 0.95).pass).toBe(false);
  });
  it('knows when a measurement is precise enough', () => {
    expect(isPrecise([{ kind: 'pair', a: 'fast', b: 'slow', factor: 1, tolerance: 0.1 }], m, 0.95)).toBe(true);
    expect(isPrecise([{ kind: 'pair', a: 'fast', b: 'slow', factor: 1, tolerance: 0.001 }], m, 0.95)).toBe(false);
    expect(isPrecise([], m, 0.95)).toBe(true);
  });
});

describe('reports', () => {
  function claimResult(): ClaimResult {
    const verdict = (ratio: number, lo: number, hi: number, outcome: 'faster' | 'slower' | 'within' | 'undecided') => ({
      outcome,
      ratio,
      interval: { lo, hi, confidence: 0.95 },
      p: 0.002,
      test: 'wilcoxon-signed-rank' as const,
      medianA: 100 * ratio,
      medianB: 100,
      factor: 1,
      tolerance: 0.1,
      alpha: 0.05,
      n: 20,
    });
    const measured = { rounds: 20, batch: 8, runMs: 3, stoppedBy: 'time-cap' as const, seconds: 10 };
    return {
      claim: 'a >= b at every c',
      kind: 'relative',
      status: 'fail',
      summary: '',
      cells: [
        {
          mode: 'close',
          group: 0,
          requests: 10,
          concurrency: 1,
          status: 'pass',
          outcome: 'faster',
          verdicts: [verdict(1.5, 1.4, 1.6, 'faster')],
          measured,
          notes: [],
        },
        {
          mode: 'close',
          group: 0,
          requests: 10,
          concurrency: 10,
          status: 'fail',
          outcome: 'slower',
          verdicts: [verdict(0.7, 0.6, 0.8, 'slower'), verdict(0.78, 0.74, 0.82, 'slower')],
          measured,
          notes: ['failed on a first measurement and was measured once more; the second measurement decides'],
        },
      ],
    };
  }

  it('say where a claim does not hold, and by how much', () => {
    const r = claimResult();
    const text = summarizeClaim(parseClaim(r.claim), r, 0.1);
    expect(text).toBe(
      'Does not hold at 1 cell of 2: n=10 c=10: a was 22% slower (0.78x, 95% CI 0.74x-0.82x, p = 0.002). ' +
        'Over the 2 measured cells: a faster in 1, a slower in 1.',
    );
  });

  it('render the terminal and markdown reports', () => {
    const gate: GateResults = { ...emptyGate(), passed: false };
    const r = claimResult();
    r.summary = summarizeClaim(parseClaim(r.claim), r, 0.1);
    gate.claims = [r];
    const text = renderGateText(gate);
    expect(text).toContain('FAIL  a >= b at every c');
    expect(text).toMatch(
      /n=10 c=10 .* 0\.78x .* 0\.74x-0\.82x .* 0\.002 .* slower .* 20 x 8 runs .* time cap, 2nd .* FAIL/,
    );
    expect(text).toContain('each of their samples is several back-to-back runs of the cell');
    expect(text).toContain('n=10 c=10: failed on a first measurement');
    expect(text.trim().split('\n').pop()).toBe('FAILED: 0 of 1 claim held.');
    const md = renderGateMarkdown(gate);
    expect(md).toContain('## Gauntlet gate: FAILED: 0 of 1 claim held.');
    expect(md).toContain('| n=10 c=10 | 0.78x | 0.74x-0.82x | 0.002 | slower | 20 x 8 runs | time cap, 2nd | FAIL |');
    expect(md).not.toContain('Servers in containers');
  });

  it('say which servers ran in containers, with their limits', () => {
    const gate: GateResults = { ...emptyGate(), passed: true };
    gate.servers = [
      {
        name: 'a',
        model: 'async',
        language: 'python',
        command: 'python3 -u server.py {port} {root}',
        source: 'a/server.json',
        runtime: {
          kind: 'container',
          image: 'gauntlet/a:1',
          baseImage: 'gauntlet-base/python:local',
          cpus: 1,
          memoryMb: 256,
          buildS: 1.2,
          engine: 'Docker 20.10.24',
          containerId: 'c1',
        },
      },
      {
        name: 'b',
        model: 'threaded',
        language: 'python',
        command: 'python3 b.py {port}',
        source: 'b/server.json',
        runtime: { kind: 'process' },
      },
    ];
    const md = renderGateMarkdown(gate);
    expect(md).toMatch(/Servers in containers: a \(container, 1 CPU, 256 MiB[^)]*\); the yardstick ran as a process\./);
    expect(md).not.toMatch(/Servers in containers:.*\bb \(/);
  });
});

describe('runGate, end to end on a tiny server', () => {
  // Only deterministic outcomes are asserted here: claims that hold or fail whatever the noise.
  const sampling = { minRounds: 6, maxRounds: 8, minSampleMs: 5, warmupS: 0.1 };

  it('checks claims, measures a failing one once more, and fails the gate', async () => {
    const one = await parseServerFlag(`one:threaded:python=python3 -u ${TINY} {port}`);
    const two = await parseServerFlag(`two:async:python=python3 -u ${TINY} {port}`);
    const config = resolveConfig(
      // A cap long enough for both measurements of the failing threshold (maxRounds ends each first).
      {
        claims: ['one >= 0.01 * two', 'failed == 0', 'two: rps > 1000000000'],
        matrix: '20:2',
        sampling: { ...sampling, maxTimeS: 5 },
        baseline: false,
        pin: false,
      },
      null,
    );
    const saved: GateResults[] = [];
    const results = await runGate({
      config,
      servers: [one, two],
      root: join(PROJECT_ROOT, 'fixtures', 'www'),
      save: (r) => Promise.resolve(void saved.push(r)),
    });
    expect(results.status).toBe('complete');
    expect(results.claims.map((c) => c.status)).toEqual(['pass', 'pass', 'fail']);
    expect(results.passed).toBe(false);
    // The failing threshold was measured twice: the group appears twice.
    expect(results.measurements.filter((m) => m.attempt === 1)).toHaveLength(1);
    expect(results.claims[2]!.cells[0]!.bounds).toHaveLength(2);
    expect(results.claims[2]!.summary).toMatch(/^Does not hold at 1 cell of 1: two at n=20 c=2: median \d+ rps/);
    expect(results.alerts.map((a) => a.title)).toEqual(['claim failed: two: rps > 1000000000']);
    expect(saved.length).toBeGreaterThan(1);
  });

  it('reports a server that does not start as an error, and fails its claims', async () => {
    const ok = await parseServerFlag(`ok:threaded:python=python3 -u ${TINY} {port}`);
    const broken = await parseServerFlag(`broken:async:python=python3 -u ${TINY} {port} --exit-code 3`);
    const config = resolveConfig(
      {
        claims: ['ok >= broken'],
        matrix: '10:1',
        sampling: { ...sampling, maxTimeS: 0.2 },
        baseline: false,
        pin: false,
      },
      null,
    );
    const results = await runGate({ config, servers: [ok, broken], root: join(PROJECT_ROOT, 'fixtures', 'www') });
    expect(results.servers.find((s) => s.name === 'broken')?.error).toMatch(/exited before it was ready/);
    expect(results.claims[0]!.status).toBe('fail');
    expect(results.claims[0]!.cells[0]!.status).toBe('error');
    expect(results.passed).toBe(false);
  });

  it('measures the yardstick for a baseline, and compares the next gate with it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-gate-'));
    const file = join(dir, 'baseline.json');
    const srv = await parseServerFlag(`srv:threaded:python=python3 -u ${TINY} {port}`);
    const config = resolveConfig(
      {
        claims: ['failed == 0'],
        matrix: '10:1',
        sampling: { ...sampling, maxTimeS: 0.3 },
        baseline: { file },
        pin: false,
      },
      null,
    );
    const root = join(PROJECT_ROOT, 'fixtures', 'www');
    const first = await runGate({ config, servers: [srv], root, withYardstick: true, compareBaseline: false });
    const m = first.measurements[0]!;
    expect(m.sides.map((s) => s.name)).toEqual(['srv', YARDSTICK]);
    expect(first.regressions).toEqual([]);
    const baseline = emptyBaseline(5);
    appendGate(baseline, first);
    await writeBaseline(file, baseline);
    expect((await readBaseline(file))?.entries.srv?.close?.['10x1']).toHaveLength(1);

    const second = await runGate({ config, servers: [srv], root });
    expect(second.regressions).toHaveLength(1);
    expect(second.regressions[0]).toMatchObject({ server: 'srv', requests: 10, concurrency: 1, baselineRuns: 1 });
    expect(['ok', 'improved', 'within', 'undecided', 'alert', 'fail']).toContain(second.regressions[0]!.level);
    expect(renderGateText(second)).toContain('Against the baseline');
    expect((JSON.parse(await readFile(file, 'utf8')) as { kind: string }).kind).toBe('baseline');
  });
});
