import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import type { RunResults } from '../../lib/types.ts';
import { runInProcess } from './helpers/cli-in-process.ts';
import { runCli } from './helpers/cli-child.ts';

const TINY = join(PROJECT_ROOT, 'fixtures', 'launch', 'tiny_server.py');
const tiny = (name: string, args = '') => `${name}=python3 -u ${TINY} {port} ${args}`;

async function outDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'gauntlet-cli-'));
}

async function readResults(dir: string): Promise<RunResults> {
  return JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as RunResults;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('gauntlet bench', () => {
  it('measures two servers, prints their tables and a computed comparison, and writes the reports', async () => {
    const out = await outDir();
    const run = await runCli([
      'bench',
      '--server',
      tiny('one:threaded:python'),
      '--server',
      tiny('two:async:python'),
      '--matrix',
      '20:1,5;30:1',
      '--rounds',
      '1',
      '--out',
      out,
      '--no-check',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Results for one (threaded, python)');
    expect(run.stdout).toContain('Results for two (async, python)');
    const results = await readResults(out);
    // The conclusion printed is the one computed from the figures stored, and says one run cannot decide.
    const verdict = results.comparison?.conclusion[0] ?? '';
    expect(verdict).toMatch(
      /^(one was faster than two in \d of 3 cells|two was faster than one in \d of 3 cells|one and two were within 5% \(a tie\) in all 3 cells|Neither one nor two was consistently faster)/,
    );
    expect(run.stdout).toContain(`Conclusion\n\n${verdict}\n`);
    expectOneRunConclusion(results, verdict);
    expect(run.stdout).toContain('One run per cell cannot tell noise from a difference');
    expect(run.stdout).toContain('Rounds: 1 run per cell, as the seed did');
    expect(results.status).toBe('complete');
    // Both servers run at once, interleaved cell by cell: A B, then B A.
    expect(results.cells.map((c) => `${c.server} ${c.requests}x${c.concurrency}`)).toEqual([
      'one 20x1',
      'two 20x1',
      'two 20x5',
      'one 20x5',
      'one 30x1',
      'two 30x1',
    ]);
    for (const c of results.cells) {
      expect(c.result.completeRequests).toBe(c.requests);
      expect(c.result.failedRequests).toBe(0);
    }
    expect(results.comparison?.pairs).toHaveLength(1);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<table class="tg">');
    expect(html).toContain('rowspan="2"');
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('Results for one');
  });

  it('then runs the conformance cases against the same servers: one folder, one report with plots, findings and the grid', async () => {
    const out = await outDir();
    const run = await runCli([
      'bench',
      '--server',
      'python-async',
      '--server',
      'node-async',
      '--matrix',
      '20:1,5',
      '--rounds',
      '3',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Findings\n\n {2}No finding: /);
    expect(run.stdout).toMatch(
      /Conformance \(\d+ cases; the grid is in report\.html\)\n\n {2}python-async: \d+ pass, 0 warn, 0 fail/,
    );
    expect(run.stdout).toMatch(/ {2}node-async: \d+ pass, 0 warn, 0 fail/);
    const files = await readdir(out);
    expect(files.sort()).toEqual([
      'check.html',
      'check.json',
      'check.junit.xml',
      'report.html',
      'report.md',
      'results.json',
    ]);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    const sections = [...html.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]);
    expect(sections).toEqual([
      'run',
      'findings',
      'plots',
      'latency-distribution',
      'server-python-async',
      'server-node-async',
      'comparison',
      'conclusion',
      'percentiles',
      'resources',
      'conformance',
    ]);
    expect(html.match(/<figure class="chart"[^>]*>\n<svg /g)).toHaveLength(3);
    // The latency distribution: one spectrum per server for the one matrix group.
    expect(html.match(/<figure class="spectrum"[^>]*>\n<svg /g)).toHaveLength(2);
    // Nothing is loaded from elsewhere: no script, link, image or frame, and no address in an
    // attribute or a CSS url(). An address in the text (a case's absolute-form target) loads nothing.
    expect(html).not.toMatch(
      /<script|<link|<img|<iframe|@import|(?:href|src|action)\s*=\s*["']?https?:|url\(\s*["']?https?:/i,
    );
    const results = await readResults(out);
    expect(results.findings).toEqual([]);
    expect(results.cells.every((c) => c.resources && c.signals)).toBe(true);
  }, 120_000);

  it('keeps what was measured when a server crashes mid-run, names the crash, and goes on', async () => {
    const out = await outDir();
    // The readiness probe is the first request, so the crash comes on the 14th request of the matrix.
    const run = await runCli([
      'bench',
      '--server',
      tiny('crashy', '--die-after 15'),
      '--server',
      tiny('steady'),
      '--matrix',
      '10:1;10:1;10:5',
      '--rounds',
      '1',
      '--out',
      out,
      '--no-check',
    ]);
    expect(run.code).toBe(1);
    const results = await readResults(out);
    expect(results.status).toBe('complete');
    const crashy = results.servers.find((s) => s.name === 'crashy');
    expect(crashy?.error).toContain('crashed during cell 10 x 1 (exit code 7)');
    expect(crashy?.error).toContain('tiny_server: crashing on request 15');
    expect(crashy?.skippedCells).toEqual([
      { group: 2, requests: 10, concurrency: 5, reason: 'skipped: crashy crashed during n=10 c=1' },
    ]);
    expect(run.stdout).toContain('— n=10 c=5: skipped: crashy crashed during n=10 c=1');
    // The conclusion names the server that crashed and what it cost.
    expect(results.comparison?.conclusion).toContain(
      'crashy crashed during cell 10 x 1 (exit code 7); its 1 remaining cell was skipped.',
    );
    const crashyCells = results.cells.filter((c) => c.server === 'crashy');
    expect(crashyCells).toHaveLength(2);
    expect(crashyCells[0]!.result.failedRequests).toBe(0);
    expect(crashyCells[1]!.result.failedRequests).toBeGreaterThan(0);
    expect(results.cells.filter((c) => c.server === 'steady')).toHaveLength(3);
    expect(run.stdout).toContain('Results for steady');
  });

  it('names a server that will not start, and still measures the others', async () => {
    const out = await outDir();
    const run = await runCli([
      'bench',
      '--server',
      tiny('broken', '--exit-code 4'),
      '--server',
      tiny('fine'),
      '--matrix',
      '10:1',
      '--rounds',
      '1',
      '--out',
      out,
      '--no-check',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('server "broken" exited before it was ready (exit code 4)');
    const results = await readResults(out);
    expect(results.servers.find((s) => s.name === 'broken')?.error).toContain('refusing to start');
    expect(results.cells.map((c) => c.server)).toEqual(['fine']);
  });

  it('on Ctrl-C stops the server, keeps the cells measured so far and exits 130', async () => {
    const out = await outDir();
    let pgid = 0;
    let sent = false;
    const run = await runCli(
      [
        'bench',
        '--server',
        tiny('slow', '--slow 0.05'),
        '--matrix',
        '10:1;10:1;10:1;10:1;10:1;10:1',
        '--rounds',
        '1',
        '--out',
        out,
        '--no-check',
      ],
      {
        onStderr: (text, child) => {
          pgid ||= Number(/is up at \S+ \(pid (\d+)\)/.exec(text)?.[1] ?? 0);
          if (!sent && /cell 1\/6: .* req\/s/.test(text)) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('SIGINT: stopping the server and writing what was measured');
    const results = await readResults(out);
    expect(results.status).toBe('interrupted');
    expect(results.cells.length).toBeGreaterThanOrEqual(1);
    expect(results.cells.length).toBeLessThan(6);
    expect(pgid).toBeGreaterThan(0);
    expect(groupAlive(pgid)).toBe(false);
    await expect(readFile(join(out, 'report.html'), 'utf8')).resolves.toContain('interrupted');
  });

  it('runs each cell --rounds times on reference servers, interleaved, and shows the median run with its spread', async () => {
    const out = await outDir();
    const run = await runCli([
      'bench',
      '--server',
      'python-threaded',
      '--server',
      'python-async',
      '--matrix',
      '10:1,5',
      '--rounds',
      '3',
      '--out',
      out,
      '--no-check',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const results = await readResults(out);
    expect(results.rounds).toBe(3);
    // Every run is kept: 2 cells x 3 rounds x 2 servers, the order turning round at every step.
    expect(
      results.cells.map((c) => `${c.server === 'python-threaded' ? 'T' : 'A'}${c.concurrency}#${c.round}`).join(' '),
    ).toBe('T1#0 A1#0 A1#1 T1#1 T1#2 A1#2 A5#0 T5#0 T5#1 A5#1 A5#2 T5#2');
    expect(results.cells.every((c) => c.result.completeRequests === 10 && c.result.failedRequests === 0)).toBe(true);
    expect(run.stdout).toContain('Rounds: 3 runs per cell, the servers interleaved round by round');
    expect(run.stdout).toContain('Each row is the median of up to 3 runs of the cell by requests per second');
    expect(run.stdout).toMatch(/min-max/);
    // The median run's figure is in the table, its spread beside it.
    const threaded = results.cells
      .filter((c) => c.server === 'python-threaded' && c.concurrency === 1)
      .map((c) => c.result.requestsPerSecond);
    const sorted = [...threaded].sort((x, y) => x - y);
    expect(run.stdout).toContain(`${sorted[1]!.toFixed(2)} │ `);
    const compact = (v: number) => v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2);
    expect(run.stdout).toContain(`${compact(sorted[0]!)}-${compact(sorted[2]!)}`);
    // Three rounds cannot make a difference significant: no cell is called faster, and the output says why.
    expect(results.comparison?.conclusion[0]).toMatch(
      /^python-threaded and python-async showed no clear difference in all 2 cells \(median ratio /,
    );
    expect(run.stdout).toContain(`Conclusion\n\n${results.comparison?.conclusion[0]}\n`);
    expect(run.stdout).toContain(
      'With 3 runs per cell the signed-rank test cannot reach p < 0.05 (it needs 6 at least): no cell can be called faster.',
    );
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain('- Rounds: 3 runs per cell');
    expect(md).toContain('Request per Second min-max (#/sec)');
  }, 60_000);

  // Every usage error is exit code 2 and one line naming the flag and the value (spec/unit/cli-usage.test.ts
  // has the tables and runs the binary itself); these run in process, for speed.
  it.each([
    [['bench', '--mode', 'fast'], 'gauntlet bench: --mode "fast": takes close or keepalive'],
    [
      ['bench', '--matrix', '10:20'],
      'gauntlet bench: --matrix "10:20": group "10:20": concurrency 20 is greater than the 10 requests of its group',
    ],
    [
      ['bench', '--server', 'x@99999=python3 s.py 8080'],
      'gauntlet bench: --server "x@99999=python3 s.py 8080": the port after "@" must be a whole number from 1 to 65535, got "99999"',
    ],
    [
      ['bench', '--timeout', 'Infinity'],
      'gauntlet bench: --timeout "Infinity": is not a number of seconds such as 30 or 2.5',
    ],
    [
      ['frobnicate'],
      'gauntlet: unknown command "frobnicate": the commands are bench, check, diff, merge, gate, baseline, init and worker',
    ],
  ])('refuses %j with exit code 2 and one line naming the flag and the value', async (args, line) => {
    const run = await runInProcess(args);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(line);
    expect(run.stderr.split('\n')).toHaveLength(3);
    expect(run.stdout).toBe('');
  });

  it('refuses an unknown server with exit code 2, naming the servers there are', async () => {
    const run = await runInProcess(['bench', '--server', 'no-such-server']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^gauntlet bench: --server "no-such-server": no server named "no-such-server" in \S+\/servers \(known servers: [a-z0-9., -]+\); an ad-hoc server is NAME=COMMAND, with \{port\} in the command\nRun "gauntlet bench --help" for its options\.\n$/,
    );
  });
});

/**
 * The one-run conclusion of a pair, checked against the figures it rests on: each cell's winner
 * is recomputed from the two servers' requests per second (a tie within 5%), and the verdict
 * must name the server that won more cells with the counts, or say that neither did.
 */
function expectOneRunConclusion(results: RunResults, verdict: string): void {
  const rps = (server: string, requests: number, concurrency: number) =>
    results.cells.find((c) => c.server === server && c.requests === requests && c.concurrency === concurrency)!.result
      .requestsPerSecond;
  const cells = [...new Set(results.cells.map((c) => `${c.requests}x${c.concurrency}`))].map(
    (k) => k.split('x').map(Number) as [number, number],
  );
  const wins = { one: 0, two: 0, tie: 0 };
  for (const [n, c] of cells) {
    const a = rps('one', n, c);
    const b = rps('two', n, c);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    if (Math.max(a, b) / Math.min(a, b) <= 1.05 + 1e-9) wins.tie += 1;
    else wins[a > b ? 'one' : 'two'] += 1;
  }
  const total = `${cells.length} cells`;
  let clause: string;
  if (wins.one !== wins.two) {
    const [lead, other] = wins.one > wins.two ? (['one', 'two'] as const) : (['two', 'one'] as const);
    const rest = [
      wins[other] ? `slower in ${wins[other]}` : '',
      wins.tie ? `within 5% (a tie) in ${wins.tie}` : '',
    ].filter(Boolean);
    clause = `${lead} was faster than ${other} in ${wins[lead]} of ${total}${rest.length ? `, ${rest.join(' and ')}` : ''} (`;
  } else if (wins.tie === cells.length) {
    clause = `one and two were within 5% (a tie) in all ${total} (`;
  } else {
    const ties = wins.tie ? ` and ${wins.tie} ${wins.tie === 1 ? 'was a tie' : 'were ties'} (within 5%)` : '';
    clause = `Neither one nor two was consistently faster: one was faster in ${wins.one}, two in ${wins.two}${ties} of ${cells.length} cells (`;
  }
  expect(verdict.startsWith(clause), `${verdict}\n  expected it to start with: ${clause}`).toBe(true);
  expect(verdict).toMatch(/\.$/);
  // No request failed: no cell may be left unranked for it.
  expect(verdict).not.toContain('Not ranked');
}
