import { describe, expect, it } from 'vitest';
import { compareRun, concurrencyPairs, medianRatio, TIE_THRESHOLD } from '../../lib/compare/index.ts';
import { formatRatio } from '../../lib/report/format.ts';
import { renderComparison, renderComparisonTables, renderConclusion } from '../../lib/report/comparison.ts';
import type { CellRecord, RunResults, ServerRecord } from '../../lib/types.ts';
import {
  SEED_CONCLUSION,
  seedRecords,
  seedResults,
  SEED_ASYNC_ROWS,
  SEED_THREADED_ROWS,
} from './fixtures/seed-results.ts';

// eslint-disable-next-line no-control-regex -- an ANSI colour sequence starts with the ESC control character
const ANSI = /\u001b\[[0-9;]*m/g;

function cellsOf(run: RunResults, server: string): CellRecord[] {
  return run.cells.filter((c) => c.server === server);
}

function server(name: string, model: string, language: string): ServerRecord {
  return { name, model, language, command: `./${name} {port}`, source: `servers/${name}/server.json` };
}

/** The async server's figures set to the threaded server's times a factor, cell by cell. */
function asyncAs(run: RunResults, factor: (i: number) => number): RunResults {
  const threaded = cellsOf(run, 'seed-threaded');
  cellsOf(run, 'seed-async').forEach((c, i) => {
    c.result.requestsPerSecond = threaded[i]!.result.requestsPerSecond * factor(i);
  });
  return run;
}

describe('concurrencyPairs', () => {
  it('pairs servers of one language with different models, every such pair, and nothing else', () => {
    const servers = [
      server('python-threaded', 'threaded', 'python'),
      server('python-async', 'async', 'python'),
      server('python-forking', 'forking', 'python'),
      server('python-async-2', 'async', 'python'),
      server('node-async', 'async', 'typescript'),
      server('node-threaded', 'threaded', 'typescript'),
      server('go-goroutines', 'goroutines', 'go'),
      server('adhoc', 'unknown', 'python'),
    ];
    const names = concurrencyPairs(servers).map(([a, b]) => `${a.name}/${b.name}`);
    expect(names).toEqual([
      'python-threaded/python-async',
      'python-threaded/python-forking',
      'python-threaded/python-async-2',
      'python-async/python-forking',
      'python-forking/python-async-2',
      'node-async/node-threaded',
    ]);
  });

  it('leaves an ad-hoc server with an unknown model unpaired, and says why', () => {
    const run = seedResults();
    run.servers.push(server('adhoc', 'unknown', 'python'));
    const comparison = compareRun(run);
    expect(comparison.pairs).toHaveLength(1);
    expect(comparison.unpaired).toEqual([
      expect.objectContaining({ name: 'adhoc', reason: 'its concurrency model is unknown' }),
    ]);
    expect(renderComparisonTables(comparison, 'text')).toContain(
      'adhoc (unknown, python) is not compared: its concurrency model is unknown.',
    );
  });
});

describe('compareRun on the seed', () => {
  const run = seedResults();
  const comparison = compareRun(run);
  const pair = comparison.pairs[0]!;

  it('compares the two seed servers in all 11 cells, a / b in the order of the run', () => {
    expect(comparison.pairs).toHaveLength(1);
    expect(pair.a.name).toBe('seed-threaded');
    expect(pair.b.name).toBe('seed-async');
    expect(pair.cells).toHaveLength(11);
    expect(pair.leftOut).toEqual([]);
    const threaded = cellsOf(run, 'seed-threaded');
    const asynchronous = cellsOf(run, 'seed-async');
    pair.cells.forEach((c, i) => {
      expect(c.ratio).toBeCloseTo(
        threaded[i]!.result.requestsPerSecond / asynchronous[i]!.result.requestsPerSecond,
        12,
      );
      expect(c.winner).toBe('b');
    });
    expect(pair.summary).toMatchObject({ compared: 11, winsA: 0, winsB: 11, ties: 0, leader: 'b' });
  });

  it('says the async one was faster in 11 of 11 cells with the right median ratio', () => {
    // Independently: the seed's printed requests per second, async over threaded.
    const printed = SEED_ASYNC_ROWS.map((r, i) => Number(r.rps) / Number(SEED_THREADED_ROWS[i]!.rps)).sort(
      (x, y) => x - y,
    );
    expect(printed[5]).toBeCloseTo(39.55 / 4.04, 2);
    // And exactly from the fixture's figures.
    const threaded = cellsOf(run, 'seed-threaded');
    const exact = cellsOf(run, 'seed-async')
      .map((c, i) => c.result.requestsPerSecond / threaded[i]!.result.requestsPerSecond)
      .sort((x, y) => x - y);
    const median = exact[5]!;
    const [lo, hi] = [exact[0]!, exact[10]!];
    expect(median).toBeCloseTo(printed[5]!, 2);
    expect(median).toBeGreaterThan(1);
    expect(median).toBeLessThan(10);
    expect(hi).toBeGreaterThanOrEqual(100);
    expect(pair.verdict).toBe(
      `seed-async was faster than seed-threaded in 11 of 11 cells (median ratio ${median.toFixed(2)}x, ` +
        `from ${lo.toFixed(2)}x to ${hi.toFixed(0)}x).`,
    );
    expect(pair.verdict).toContain('median ratio 9.79x');
    expect(pair.summary.medianRatio).toBeCloseTo(1 / median, 12);
    expect(comparison.conclusion).toEqual([pair.verdict]);
    expect(comparison.conclusion.join(' ')).not.toContain(SEED_CONCLUSION);
  });

  it('adds caveats computed from the run: one run per cell, and cells too short to measure', () => {
    expect(comparison.runsPerCell).toBe(1);
    expect(comparison.rule).toBe('one-run');
    expect(comparison.caveats[0]).toBe(
      'One run per cell cannot tell noise from a difference: cells within 5% are called ties and the other ratios carry ' +
        'no uncertainty estimate; run several rounds (`--rounds`) or use `gauntlet gate` for a sound comparison.',
    );
    // Cells where one of the servers took under 100 ms: 10x{1,5,10}, 50x1, 100x1.
    const short = pair.cells.filter((c) => c.timeTakenA < 0.1 || c.timeTakenB < 0.1).length;
    expect(short).toBe(5);
    expect(comparison.caveats[1]).toContain('In 5 of the 11 compared cells a server finished in under 100 ms');
  });

  it('is plain JSON data', () => {
    expect(JSON.parse(JSON.stringify(comparison))).toEqual(comparison);
    expect(comparison.tieThreshold).toBe(TIE_THRESHOLD);
  });

  it('follows the data: with the figures swapped the verdict turns round', () => {
    const swapped = seedResults();
    for (const c of swapped.cells) c.server = c.server === 'seed-async' ? 'seed-threaded' : 'seed-async';
    const verdict = compareRun(swapped).pairs[0]!.verdict;
    expect(verdict).toMatch(/^seed-threaded was faster than seed-async in 11 of 11 cells \(median ratio 9\.79x/);
  });
});

describe('verdict wording', () => {
  it('calls differences within 5% ties, and says so', () => {
    const run = asyncAs(seedResults(), () => 1.03);
    const pair = compareRun(run).pairs[0]!;
    expect(pair.summary).toMatchObject({ ties: 11, winsA: 0, winsB: 0, leader: null });
    expect(pair.verdict).toBe(
      'seed-threaded and seed-async were within 5% (a tie) in all 11 cells (median ratio 0.97x, from 0.97x to 0.97x).',
    );
  });

  it('puts the tie boundary at 5%: 1.05x is a tie, 1.06x is not', () => {
    const run = asyncAs(seedResults(), (i) => (i < 6 ? 1.05 : 1.06));
    const pair = compareRun(run).pairs[0]!;
    expect(pair.cells.map((c) => c.winner)).toEqual([
      ...new Array<string>(6).fill('tie'),
      ...new Array<string>(5).fill('b'),
    ]);
    expect(pair.verdict).toMatch(
      /^seed-async was faster than seed-threaded in 5 of 11 cells, within 5% \(a tie\) in 6 \(median ratio 1\.05x/,
    );
  });

  it('counts wins each way and ties', () => {
    const run = asyncAs(seedResults(), (i) => (i < 7 ? 2 : i < 9 ? 0.5 : 1.01));
    const pair = compareRun(run).pairs[0]!;
    expect(pair.verdict).toMatch(
      /^seed-async was faster than seed-threaded in 7 of 11 cells, slower in 2 and within 5% \(a tie\) in 2 \(median ratio 2\.00x, from 0\.50x to 2\.00x\)\.$/,
    );
  });

  it('names no winner when each side won as many cells', () => {
    const run = asyncAs(seedResults(), (i) => (i < 5 ? 2 : i < 10 ? 0.5 : 1));
    const pair = compareRun(run).pairs[0]!;
    expect(pair.summary.leader).toBeNull();
    expect(pair.verdict).toMatch(
      /^Neither seed-threaded nor seed-async was consistently faster: seed-threaded was faster in 5, seed-async in 5 and 1 was a tie \(within 5%\) of 11 cells/,
    );
  });

  it('leaves out cells not measured by both, and says which and why', () => {
    const run = seedResults();
    run.status = 'interrupted';
    run.cells = run.cells.filter((c) => !(c.server === 'seed-async' && c.group === 2 && c.concurrency >= 50));
    const pair = compareRun(run).pairs[0]!;
    expect(pair.cells).toHaveLength(9);
    expect(pair.leftOut.map((c) => [c.requests, c.concurrency, c.missing])).toEqual([
      [100, 50, 'b'],
      [100, 100, 'b'],
    ]);
    expect(pair.verdict).toMatch(/^seed-async was faster than seed-threaded in 9 of 9 cells \(median ratio/);
    expect(pair.verdict).toMatch(
      / 2 of 11 cells were left out: n=100 c=50 and n=100 c=100 \(not measured for seed-async\)\.$/,
    );
  });

  it('says when no cell was measured by both', () => {
    const run = seedResults();
    run.cells = cellsOf(run, 'seed-threaded');
    const comparison = compareRun(run);
    expect(comparison.pairs[0]!.verdict).toMatch(
      /^seed-threaded and seed-async could not be compared: no cell has a completed request from both\. 11 of 11 cells were left out/,
    );
    expect(comparison.caveats).toEqual([]);
  });

  it('never ranks a cell with failed requests: it shows as failed, and the conclusion names who failed', () => {
    const run = seedResults();
    const threaded = cellsOf(run, 'seed-threaded');
    threaded[1]!.result.failedRequests = 2;
    threaded[4]!.result.failedRequests = 1;
    const pair = compareRun(run).pairs[0]!;
    expect(pair.cells.map((c) => c.winner)).toEqual(['b', 'failed', 'b', 'b', 'failed', 'b', 'b', 'b', 'b', 'b', 'b']);
    expect(pair.cells[1]!.ratio).toBeNull();
    expect(pair.summary).toMatchObject({ compared: 11, failed: 2, winsB: 9, winsA: 0, ties: 0 });
    expect(pair.summary.failedA).toEqual({ requests: 3, cells: 2, of: 60 });
    expect(pair.verdict).toMatch(/^seed-async was faster than seed-threaded in 9 of 9 cells \(median ratio /);
    expect(pair.verdict).toMatch(
      / Not ranked because of failed requests: n=10 c=5 and n=50 c=10 \(seed-threaded failed 3 of 60 requests in 2 cells\)\.$/,
    );
    expect(renderComparisonTables(compareRun(run), 'text')).toMatch(
      /│ n=10 c=5\s+│\s+4\.95 │\s+2005\.21 │ seed-threaded failed 2 of 10\s+│\s+n\/a │/,
    );
    expect(renderComparisonTables(compareRun(run), 'html')).toContain(
      '<td class="bad">seed-threaded failed 2 of 10</td><td>n/a</td>',
    );
  });

  it('never lets a refusing server win: 0 complete, every request failed, 0 requests/s against a slow server', () => {
    const run = seedResults();
    // The async server refuses every connection in every cell: ab's figures then say 0 complete.
    for (const c of cellsOf(run, 'seed-async')) {
      c.result.failedRequests = c.requests;
      c.result.completeRequests = 0;
      c.result.requestsPerSecond = 0;
      c.result.stopped = {
        kind: 'connect',
        reason: 'connection refused (ECONNREFUSED) at request 1',
        afterRequests: 1,
      };
    }
    const comparison = compareRun(run);
    const pair = comparison.pairs[0]!;
    expect(pair.cells.every((c) => c.winner === 'failed' && c.ratio === null)).toBe(true);
    expect(pair.summary).toMatchObject({ winsA: 0, winsB: 0, leader: null, failed: 11 });
    expect(pair.verdict).toMatch(
      /^seed-threaded and seed-async could not be ranked: every cell measured by both had failed requests\./,
    );
    expect(pair.verdict).toContain(
      'Not ranked because of failed requests: all 11 cells (seed-async failed 630 of 630 requests in 11 cells (stopped early in 11: connection refused (ECONNREFUSED) at request 1)).',
    );
    expect(comparison.conclusion.join(' ')).not.toMatch(/faster/);
  });

  it('reports failures on both sides and non-2xx answers', () => {
    const run = seedResults();
    cellsOf(run, 'seed-threaded')[0]!.result.failedRequests = 1;
    cellsOf(run, 'seed-async')[3]!.result.failedRequests = 4;
    cellsOf(run, 'seed-async')[5]!.result.non2xx = 50;
    const verdict = compareRun(run).pairs[0]!.verdict;
    expect(verdict).toContain('in 9 of 9 cells');
    expect(verdict).toContain(', but seed-async answered 50 requests in 1 cell with a non-2xx status.');
    expect(verdict).toContain(
      'Not ranked because of failed requests: n=10 c=1 and n=50 c=1 (seed-threaded failed 1 of 10 requests in 1 cell; seed-async failed 4 of 50 requests in 1 cell).',
    );
  });

  it('handles a cell where one side completed nothing: failed, not a win for the other', () => {
    const run = seedResults();
    const cell = cellsOf(run, 'seed-threaded')[2]!;
    cell.result.completeRequests = 0;
    cell.result.requestsPerSecond = 0;
    cell.result.failedRequests = 10;
    const comparison = compareRun(run);
    const pair = comparison.pairs[0]!;
    expect(pair.cells[2]).toMatchObject({ ratio: null, winner: 'failed' });
    expect(pair.verdict).toContain('in 10 of 10 cells (median ratio');
    expect(pair.verdict).toContain('(seed-threaded failed 10 of 10 requests in 1 cell)');
    expect(JSON.parse(JSON.stringify(comparison))).toEqual(comparison);
  });

  it('with several runs per cell, compares the median runs with the two-part rule and says how many runs', () => {
    const run = seedResults();
    const again = seedRecords('seed-threaded', SEED_THREADED_ROWS).map((c) => ({
      ...c,
      finishedAt: '2030-01-01T00:00:00.000Z',
    }));
    again[0]!.result.requestsPerSecond = 99999;
    run.cells.push(...again);
    const comparison = compareRun(run);
    expect(comparison.runsPerCell).toBe(2);
    expect(comparison.rule).toBe('two-part');
    // Two runs cannot make the signed-rank test significant: no cell is called faster.
    expect(comparison.pairs[0]!.cells.every((c) => c.winner === 'tie')).toBe(true);
    expect(comparison.pairs[0]!.verdict).toMatch(
      /^seed-threaded and seed-async showed no clear difference in all 11 cells/,
    );
    expect(comparison.caveats[0]).toContain('Each cell ran up to 2 times per server');
    expect(comparison.caveats[1]).toBe(
      'With 2 runs per cell the signed-rank test cannot reach p < 0.05 (it needs 6 at least): no cell can be called faster.',
    );
  });

  it('says when there is nothing to compare', () => {
    const run = seedResults();
    run.servers[1]!.model = 'threaded';
    const comparison = compareRun(run);
    expect(comparison.pairs).toEqual([]);
    expect(comparison.conclusion).toEqual([
      'No two servers differ only in concurrency model (same language, different model), so none were compared.',
    ]);
    expect(comparison.caveats).toEqual([]);
  });
});

describe('medianRatio and formatRatio', () => {
  it('takes the middle value, or the geometric mean of the middle two', () => {
    expect(medianRatio([])).toBeNull();
    expect(medianRatio([3, 1, 2])).toBe(2);
    expect(medianRatio([1, 4, 100, 0.1])).toBe(2);
    // So that the median of b / a is the inverse of the median of a / b.
    expect(medianRatio([1, 1 / 4, 1 / 100, 10])).toBeCloseTo(1 / 2, 12);
  });

  it('prints about three significant figures', () => {
    expect(formatRatio(1.834)).toBe('1.83x');
    expect(formatRatio(30.46)).toBe('30.5x');
    expect(formatRatio(405.09)).toBe('405x');
    expect(formatRatio(0.00247)).toBe('0.0025x');
    expect(formatRatio(Number.POSITIVE_INFINITY)).toBe('n/a');
  });
});

describe('rendering the comparison', () => {
  const comparison = compareRun(seedResults());

  it('as terminal text', () => {
    const text = renderComparison(comparison, 'text');
    expect(text).toContain('seed-threaded (threaded) vs seed-async (async), python');
    expect(text).toMatch(/│ n=10 c=5\s+│\s+4\.95 │\s+2005\.21 │ seed-async │\s+405x │/);
    expect(text).toContain('seed-async was faster than seed-threaded in 11 of 11 cells');
    expect(text).toContain('within 5% counts as a tie');
    expect(text).not.toMatch(ANSI);
    expect(renderComparison(comparison, 'text', { color: true }).replace(ANSI, '')).toBe(text);
  });

  it('as markdown', () => {
    const md = renderComparison(comparison, 'markdown');
    expect(md).toContain('| Cell | seed-threaded (#/sec) | seed-async (#/sec) | Faster | By |');
    expect(md).toContain('| n=100 c=100 | 4.02 | 28.30 | seed-async | 7.03x |');
    expect(renderConclusion(comparison, 'markdown')).toContain(
      '- One run per cell cannot tell noise from a difference',
    );
  });

  it('as HTML, escaping names', () => {
    const run = seedResults();
    run.servers[1]!.name = '<script>';
    for (const c of run.cells) if (c.server === 'seed-async') c.server = '<script>';
    const html = renderComparison(compareRun(run), 'html');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<td class="good">&lt;script&gt;</td>');
    expect(html).toContain('<p class="verdict">&lt;script&gt; was faster than seed-threaded in 11 of 11 cells');
    expect(html).toContain('<code>gauntlet gate</code>');
  });
});

describe("several runs per cell: the gate's two-part rule", () => {
  /**
   * A run of `rounds` runs per cell for both seed servers: the async server's figure in round r is
   * the threaded one's times factor(cell, r); the threaded figures carry a per-round drift that both
   * sides of a round share, as a shared machine does.
   */
  function rounds(count: number, factor: (cell: number, round: number) => number): RunResults {
    const run = seedResults();
    const base = run.cells;
    run.cells = [];
    run.rounds = count;
    for (let r = 0; r < count; r++) {
      const drift = 1 + 0.2 * Math.sin(r * 1.7);
      base.forEach((c) => {
        const i = cellsOf({ ...run, cells: base }, c.server).indexOf(c);
        const threaded = base.filter((x) => x.server === 'seed-threaded')[i]!.result.requestsPerSecond;
        const rps = (c.server === 'seed-threaded' ? threaded : threaded * factor(i, r)) * drift;
        run.cells.push({ ...c, round: r, result: { ...c.result, requestsPerSecond: rps } });
      });
    }
    return run;
  }

  it('calls a cell faster only when significant and beyond 10%, "no clear difference" otherwise', () => {
    // Cells 0-3: async 1.5x (clearly faster); 4-7: 1.04x (within the tolerance); 8-10: alternating 0.7x/1.4x (noise).
    const run = rounds(10, (i, r) =>
      i < 4 ? 1.5 * (1 + 0.01 * (r % 3)) : i < 8 ? 1.04 * (1 + 0.005 * (r % 2)) : r % 2 ? 1.4 : 0.7,
    );
    const comparison = compareRun(run);
    expect(comparison.rule).toBe('two-part');
    const pair = comparison.pairs[0]!;
    expect(pair.cells.map((c) => c.winner)).toEqual([
      ...new Array<string>(4).fill('b'),
      ...new Array<string>(7).fill('tie'),
    ]);
    expect(pair.cells.map((c) => c.decision?.outcome)).toEqual([
      ...new Array<string>(4).fill('slower'),
      ...new Array<string>(4).fill('within'),
      ...new Array<string>(3).fill('undecided'),
    ]);
    for (const c of pair.cells) expect(c.decision?.rounds).toBe(10);
    expect(pair.cells[0]!.decision!.p).toBeLessThan(0.05);
    expect(pair.verdict).toMatch(
      /^seed-async was faster than seed-threaded in 4 of 11 cells, no clear difference in 7 \(median ratio /,
    );
    const text = renderComparisonTables(comparison, 'text');
    expect(text).toContain('no clear difference');
    const md = renderComparisonTables(comparison, 'markdown');
    expect(md).toContain(
      '| Cell | seed-threaded (#/sec, median run) | seed-async (#/sec, median run) | Faster | seed-threaded/seed-async (per round) | seed-threaded/seed-async 95% interval |',
    );
    expect(md).toMatch(/\| n=10 c=1 \| [\d.]+ \| [\d.]+ \| seed-async \| 0\.6\dx \| 0\.6\dx-0\.6\dx \|/);
    expect(renderConclusion(comparison, 'text')).toContain(
      'A cell is called faster only when the signed-rank test over the rounds (p < 0.05)',
    );
  });

  it('turns round with the data: the same figures swapped call the other side faster', () => {
    const run = rounds(10, (i, r) => (i < 4 ? 1 / (1.5 * (1 + 0.01 * (r % 3))) : 1));
    const pair = compareRun(run).pairs[0]!;
    expect(pair.cells.slice(0, 4).map((c) => c.winner)).toEqual(['a', 'a', 'a', 'a']);
    expect(pair.verdict).toMatch(
      /^seed-threaded was faster than seed-async in 4 of 11 cells, no clear difference in 7/,
    );
  });

  it('pairs runs by round and shows the median run', () => {
    const run = rounds(5, () => 2);
    const pair = compareRun(run).pairs[0]!;
    const threaded = run.cells.filter((c) => c.server === 'seed-threaded' && c.group === 0 && c.concurrency === 1);
    const sorted = threaded.map((c) => c.result.requestsPerSecond).sort((x, y) => x - y);
    expect(pair.cells[0]!.rpsA).toBe(sorted[2]);
    expect(pair.cells[0]!.runsA).toBe(5);
    // 5 rounds: 2x everywhere, yet the signed-rank test cannot reach significance with 5 pairs.
    expect(pair.cells.every((c) => c.winner === 'tie')).toBe(true);
  });

  it('never ranks a cell where one run of one side failed, however fast the others', () => {
    const run = rounds(10, () => 3);
    const failing = run.cells.find(
      (c) => c.server === 'seed-async' && c.round === 7 && c.group === 2 && c.concurrency === 100,
    )!;
    failing.result = { ...failing.result, failedRequests: 1 };
    const pair = compareRun(run).pairs[0]!;
    expect(pair.cells.find((c) => c.group === 2 && c.concurrency === 100)!.winner).toBe('failed');
    expect(pair.summary).toMatchObject({ winsB: 10, failed: 1 });
    expect(pair.verdict).toContain(
      'Not ranked because of failed requests: n=100 c=100 (seed-async failed 1 of 1000 requests in 1 cell).',
    );
  });

  it('names a server that stopped answering, and the cells skipped for it, in the conclusion', () => {
    const run = rounds(1, () => 2);
    run.cells = run.cells.filter((c) => c.server !== 'seed-async' || c.group === 0);
    const async = run.servers.find((s) => s.name === 'seed-async')!;
    async.stoppedAnswering =
      'seed-async stopped answering: no request of n=10 c=10 completed (timed out after 30000 ms at request 1)';
    const later = run.cells.filter((c) => c.server === 'seed-threaded' && c.group > 0);
    async.skippedCells = later.map((c) => ({
      group: c.group,
      requests: c.requests,
      concurrency: c.concurrency,
      reason: 'skipped: seed-async stopped answering in n=10 c=10',
    }));
    const comparison = compareRun(run);
    expect(comparison.pairs[0]!.leftOut).toHaveLength(8);
    expect(comparison.pairs[0]!.verdict).toContain(
      '8 of 11 cells were left out: n=50 c=1, n=50 c=10, n=50 c=30, n=50 c=50, n=100 c=1, n=100 c=10, n=100 c=50 and n=100 c=100 (skipped: seed-async stopped answering in n=10 c=10).',
    );
    expect(comparison.conclusion[1]).toBe(
      'seed-async stopped answering: no request of n=10 c=10 completed (timed out after 30000 ms at request 1); its 8 remaining cells were skipped.',
    );
  });
});
