import { describe, expect, it } from 'vitest';
import { seedTableModel, spreadText, NOT_MEASURED, SEED_COLUMNS } from '../../lib/report/seed-table.ts';
import { renderSeedTable } from '../../lib/report/terminal/seed-table.ts';
import { fixed } from '../../lib/report/format.ts';
import { renderTerminalReport } from '../../lib/report/terminal/report.ts';
import { SEED_ASYNC_ROWS, SEED_THREADED_ROWS, seedResults, type SeedRow } from './fixtures/seed-results.ts';

// eslint-disable-next-line no-control-regex -- ANSI escapes start with ESC, the character this strips
const ANSI = /\u001b\[[0-9;]*m/g;

/** The data rows of a rendered box table, split into trimmed cell texts. */
function dataRows(table: string, bar = '│'): string[][] {
  const lines = table.split('\n');
  const headerEnd = lines.findIndex((l) => l.startsWith('╞') || l.startsWith('+='));
  return lines
    .slice(headerEnd + 1)
    .filter((l) => l.startsWith(bar))
    .map((l) =>
      l
        .split(bar)
        .slice(1, -1)
        .map((c) => c.trim()),
    );
}

function expectedRows(rows: SeedRow[]): string[][] {
  return rows.map((r, i) => [
    i === 0 || rows[i - 1]?.no !== r.no ? String(r.no) : '',
    String(r.concurrency),
    r.time,
    String(r.complete),
    String(r.failed),
    String(r.total),
    r.rps,
    r.tpr,
    r.rate,
  ]);
}

describe('the seed fixture', () => {
  it('reproduces every printed figure of both seed tables under ab definitions', () => {
    const run = seedResults();
    for (const [server, rows] of [
      ['seed-threaded', SEED_THREADED_ROWS],
      ['seed-async', SEED_ASYNC_ROWS],
    ] as const) {
      const cells = run.cells.filter((c) => c.server === server);
      expect(cells).toHaveLength(11);
      cells.forEach((cell, i) => {
        const row = rows[i]!;
        const r = cell.result;
        expect(fixed(r.timeTakenS, 3)).toBe(row.time);
        expect(fixed(r.requestsPerSecond, 2)).toBe(row.rps);
        expect(fixed(r.timePerRequestAcrossMs, 3)).toBe(row.tpr);
        expect(fixed(r.transferRateKBps, 2)).toBe(row.rate);
        expect(r.requestsPerSecond).toBeCloseTo(r.completeRequests / r.timeTakenS, 9);
        expect(r.timePerRequestMs).toBeCloseTo((cell.concurrency * r.timeTakenS * 1000) / r.completeRequests, 9);
      });
    }
  });
});

describe('renderSeedTable', () => {
  it("shows the seed's numbers in the seed's formatting, in the seed's order", () => {
    const run = seedResults();
    expect(dataRows(renderSeedTable(run, 'seed-threaded'))).toEqual(expectedRows(SEED_THREADED_ROWS));
    expect(dataRows(renderSeedTable(run, 'seed-async'))).toEqual(expectedRows(SEED_ASYNC_ROWS));
    const text = renderSeedTable(run, 'seed-threaded');
    for (const figure of ['257.08', '202.080', '0.77', '24.855', '248.546']) expect(text).toContain(figure);
  });

  it('groups rows as the seed does: No Test 1 spans 3 rows, 2 and 3 span 4', () => {
    const table = renderSeedTable(seedResults(), 'seed-threaded');
    const rows = dataRows(table);
    const firstColumn = rows.map((r) => r[0]);
    expect(firstColumn).toEqual(['1', '', '', '2', '', '', '', '3', '', '', '']);
    // A rule between groups, none inside a group.
    const lines = table.split('\n');
    const body = lines.slice(lines.findIndex((l) => l.startsWith('╞')) + 1, -1);
    const rules = body.map((l, i) => (l.startsWith('├') ? i : -1)).filter((i) => i >= 0);
    expect(rules).toEqual([3, 8]);

    const model = seedTableModel(seedResults(), 'seed-threaded');
    expect(model.groups.map((g) => [g.no, g.rows.length])).toEqual([
      [1, 3],
      [2, 4],
      [3, 4],
    ]);
  });

  it("has the seed's columns, a title, and fits a 120-column terminal", () => {
    const text = renderSeedTable(seedResults(), 'seed-threaded');
    expect(text.split('\n')[0]).toBe('Results for seed-threaded (threaded, python)');
    const model = seedTableModel(seedResults(), 'seed-threaded');
    expect(model.columns.map((c) => c.header)).toEqual([...SEED_COLUMNS]);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
    // Wrapped headers still hold every word of the seed's column names.
    const headerWords = text.split('╞')[0]!;
    for (const word of SEED_COLUMNS.join(' ').split(' ')) expect(headerWords).toContain(word);
  });

  it('has no colour by default and the same text with colour on', () => {
    const plain = renderSeedTable(seedResults(), 'seed-async');
    expect(plain).not.toMatch(ANSI);
    const coloured = renderSeedTable(seedResults(), 'seed-async', { color: true });
    expect(coloured).toMatch(ANSI);
    expect(coloured.replace(ANSI, '')).toBe(plain);
  });

  it('can draw in plain ASCII', () => {
    const text = renderSeedTable(seedResults(), 'seed-threaded', { style: 'ascii' });
    expect(text).toMatch(/^[\x20-\x7e\n]*$/);
    expect(dataRows(text, '|')).toEqual(expectedRows(SEED_THREADED_ROWS));
  });

  it('adds a Non-2xx column only when some cell has non-2xx responses', () => {
    const run = seedResults();
    expect(renderSeedTable(run, 'seed-threaded')).not.toContain('Non-2xx');
    const cell = run.cells.find((c) => c.server === 'seed-threaded' && c.requests === 50 && c.concurrency === 30)!;
    cell.result.non2xx = 50;
    const text = renderSeedTable(run, 'seed-threaded');
    expect(text).toContain('Non-2xx');
    const rows = dataRows(text);
    // Placed after "Failed Request", as ab prints it after the failures.
    expect(rows[5]).toEqual(['', '30', '12.105', '50', '0', '50', '8000', '4.13', '242.094', '0.65']);
    expect(rows[0]?.[5]).toBe('0');
    // The other server's table is unaffected.
    expect(renderSeedTable(run, 'seed-async')).not.toContain('Non-2xx');
  });

  it('adds p50 and p99 latency columns in ms on request', () => {
    const run = seedResults();
    const cell = run.cells.find((c) => c.server === 'seed-async')!;
    cell.result.latencyUs = { min: 100, mean: 700, p50: 650, p90: 900, p99: 1234.5, max: 2000 };
    const rows = dataRows(renderSeedTable(run, 'seed-async', { latency: true }));
    expect(rows[0]?.slice(-2)).toEqual(['0.650', '1.234']);
    expect(renderSeedTable(run, 'seed-async', { latency: true })).toContain('p99');
    expect(renderSeedTable(run, 'seed-async')).not.toContain('p99');
  });

  it('shows cells not measured as "—" with the reason underneath', () => {
    const run = seedResults();
    run.status = 'interrupted';
    run.cells = run.cells.filter((c) => !(c.server === 'seed-async' && c.requests === 100 && c.concurrency >= 50));
    const text = renderSeedTable(run, 'seed-async');
    const rows = dataRows(text);
    expect(rows[9]).toEqual(['', '50', ...Array<string>(7).fill(NOT_MEASURED)]);
    expect(rows[10]).toEqual(['', '100', ...Array<string>(7).fill(NOT_MEASURED)]);
    const after = text.slice(text.lastIndexOf('┘') + 1);
    expect(after).toContain('n=100 c=50, n=100 c=100');
    expect(after).toContain('interrupted');
  });

  it("gives a crashed server's error as the reason", () => {
    const run = seedResults();
    run.servers[0]!.error = 'exited with code 1 after n=50 c=10\nTraceback (most recent call last):';
    run.cells = run.cells.filter((c) => !(c.server === 'seed-threaded' && c.group === 2));
    const text = renderSeedTable(run, 'seed-threaded');
    expect(
      dataRows(text)
        .slice(7)
        .every((r) => r.slice(2).every((c) => c === NOT_MEASURED)),
    ).toBe(true);
    expect(text).toContain('seed-threaded failed (exited with code 1 after n=50 c=10)');
    expect(text).not.toContain('Traceback');
  });

  it('keeps escape sequences in data off the terminal', () => {
    const run = seedResults();
    run.servers[0]!.name = 'evil\u001b[2J';
    for (const c of run.cells) if (c.server === 'seed-threaded') c.server = 'evil\u001b[2J';
    const text = renderSeedTable(run, 'evil\u001b[2J');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('Results for evil\uFFFD[2J');
  });

  it('with several runs per cell, shows the median run, the range over the runs, and failures of the other runs', () => {
    const run = seedResults();
    const base = run.cells.filter((c) => c.server === 'seed-threaded');
    // Three runs of every cell: the seed's figures, then half and twice as many requests per second.
    run.cells = [0.5, 1, 2].flatMap((f, round) =>
      base.map((c) => ({
        ...c,
        round,
        result: {
          ...c.result,
          requestsPerSecond: c.result.requestsPerSecond * f,
          failedRequests: round === 2 && c.group === 0 && c.concurrency === 5 ? 3 : 0,
        },
      })),
    );
    const model = seedTableModel(run, 'seed-threaded');
    expect(model.columns.at(-1)?.header).toBe('Request per Second min-max (#/sec)');
    // Two decimals under 10 req/s (n=10 c=5 runs at about 5), none from 100 on (n=10 c=1 at about 257).
    expect(spreadText(run.cells.filter((c) => c.group === 0 && c.concurrency === 5))).toMatch(/^\d\.\d\d-\d\.\d\d$/);
    expect(spreadText(run.cells.filter((c) => c.group === 0 && c.concurrency === 1))).toBe('129-514');
    expect(spreadText([])).toBe(NOT_MEASURED);
    const rows = dataRows(renderSeedTable(run, 'seed-threaded', { headerWidth: 40 }));
    SEED_THREADED_ROWS.forEach((r, i) => {
      // The median run is the seed's own row; the range goes from half to twice its figure.
      expect(rows[i]![6]).toBe(r.rps);
      const [lo, hi] = [base[i]!.result.requestsPerSecond * 0.5, base[i]!.result.requestsPerSecond * 2];
      const compact = (v: number) => fixed(v, v >= 100 ? 0 : v >= 10 ? 1 : 2);
      expect(rows[i]![9]).toBe(`${compact(lo)}-${compact(hi)}`);
    });
    expect(model.notes).toContain(
      'Each row is the median of up to 3 runs of the cell by requests per second; the last column is the range over them.',
    );
    expect(model.notes).toContain('n=10 c=5: 3 of 30 requests failed over its 3 runs (the median run shown: 0).');
  });

  it('shows skipped cells with the reason they were skipped, and cells stopped early with theirs', () => {
    const run = seedResults();
    const server = run.servers[1]!;
    run.cells = run.cells.filter((c) => c.server !== 'seed-async' || c.group === 0);
    const first = run.cells.find((c) => c.server === 'seed-async' && c.concurrency === 10)!;
    first.result = {
      ...first.result,
      completeRequests: 0,
      failedRequests: 1,
      requestsPerSecond: 0,
      stopped: { kind: 'timeout', reason: 'no response within 30000 ms at request 1 of 10', afterRequests: 1 },
    };
    server.stoppedAnswering =
      'seed-async stopped answering: no request of n=10 c=10 completed (no response within 30000 ms at request 1 of 10)';
    server.skippedCells = run.cells
      .filter((c) => c.server === 'seed-threaded' && c.group > 0)
      .map((c) => ({
        group: c.group,
        requests: c.requests,
        concurrency: c.concurrency,
        reason: 'skipped: seed-async stopped answering in n=10 c=10',
      }));
    const text = renderSeedTable(run, 'seed-async');
    expect(
      dataRows(text)
        .slice(3)
        .every((r) => r.slice(2).every((c) => c === NOT_MEASURED)),
    ).toBe(true);
    expect(text).toContain('n=10 c=10 stopped early: no response within 30000 ms at request 1 of 10.');
    expect(text).toContain(
      '— n=50 c=1, n=50 c=10, n=50 c=30, n=50 c=50, n=100 c=1, n=100 c=10, n=100 c=50, n=100 c=100: skipped: seed-async stopped answering in n=10 c=10',
    );
    const report = renderTerminalReport(run);
    expect(report).toContain(
      'seed-async: 8 of 11 cells skipped (n=50 c=1, n=50 c=10, n=50 c=30, n=50 c=50, n=100 c=1, n=100 c=10, n=100 c=50, n=100 c=100): skipped: seed-async stopped answering in n=10 c=10.',
    );
    expect(report).not.toContain('not measured (');
  });

  it('rejects a server the results do not hold', () => {
    expect(() => renderSeedTable(seedResults(), 'nope')).toThrow(/nope/);
  });
});

describe('renderTerminalReport', () => {
  it("prints every server's table, the comparison, the conclusion and the notes", () => {
    const run = seedResults();
    run.status = 'interrupted';
    run.cells = run.cells.filter((c) => !(c.server === 'seed-async' && c.requests === 100 && c.concurrency === 100));
    const text = renderTerminalReport(run);
    const order = [
      'Rounds: 1 run per cell, as the seed did (one run cannot tell noise from a difference)',
      'Results for seed-threaded (threaded, python)',
      'Results for seed-async (async, python)',
      'Comparison',
      'seed-async was faster than seed-threaded in 10 of 10 cells',
      'Notes',
      'The run was interrupted',
      'seed-async: 1 of 11 cells not measured (n=100 c=100).',
    ];
    const positions = order.map((s) => text.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text).not.toMatch(ANSI);
    expect(renderTerminalReport(run, { color: true }).replace(ANSI, '')).toBe(text);
  });
});
