/**
 * The new parts of the reports: findings in the terminal, report.md and report.html; the
 * server resources tables; the perf claims' verdicts read from gate.json; the plots.
 */
import { describe, it, expect } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding, RunResults } from '../../lib/types.ts';
import type { GateResults } from '../../lib/perf/types.ts';
import { renderFindingsText } from '../../lib/report/terminal/findings.ts';
import { renderFindingsMarkdown } from '../../lib/report/markdown/findings.ts';
import { findingsSection } from '../../lib/report/html/findings.ts';
import { renderResourcesMarkdown } from '../../lib/report/markdown/resources.ts';
import { resourcesSection } from '../../lib/report/html/resources.ts';
import { claimsSection, readClaimVerdicts, GATE_FILE, type ClaimVerdicts } from '../../lib/report/html/claims.ts';
import { axisNumber, chartModels, chartsSection, renderChartSvg, SERIES_COLORS } from '../../lib/report/html/charts.ts';
import { renderTerminalReport } from '../../lib/report/terminal/report.ts';
import { reportSections } from '../../lib/report/html/bench-report.ts';
import { renderHtmlReport } from '../../lib/report/html/report.ts';
import { renderMarkdownReport } from '../../lib/report/markdown/report.ts';
import { parseBenchArgs } from '../../lib/cli/bench-args.ts';
import { seedResults } from './fixtures/seed-results.ts';
import { cell } from './helpers/diagnostic-cells.ts';

const FINDING: Finding = {
  id: 'error-responses',
  severity: 'error',
  server: 'seed-async',
  cells: [{ group: 0, requests: 10, concurrency: 5 }],
  title: 'You measured a 404 page: 10 of 10 responses were 404 Not Found',
  evidence: ['Statuses: 404 Not Found: 10.', 'A <b>tag</b> & "quotes" stay text.'],
  cause: 'The request path (/) is not what the server serves.',
};

function withFindings(findings: Finding[] | undefined): RunResults {
  const run = seedResults();
  if (findings) run.findings = findings;
  return run;
}

describe('findings in the reports', () => {
  it('prints each finding after the tables, with its cells, evidence and cause', () => {
    const text = renderTerminalReport(withFindings([FINDING]));
    const block = text.slice(text.indexOf('Findings'));
    expect(text.indexOf('Findings')).toBeGreaterThan(text.lastIndexOf('Results for seed-async'));
    expect(text.indexOf('Findings')).toBeLessThan(text.indexOf('Comparison'));
    expect(block).toContain('  ERROR seed-async: You measured a 404 page: 10 of 10 responses were 404 Not Found');
    expect(block).toContain('      cells: n=10 c=5');
    expect(block).toContain('      - Statuses: 404 Not Found: 10.');
    expect(block).toContain('      Cause: The request path (/) is not what the server serves.');
    expect(block).toContain('      [error-responses]');
  });

  it('says what was looked for when nothing was found, and nothing for runs without diagnostics', () => {
    expect(renderFindingsText(withFindings([]))).toMatch(
      /^Findings\n\n {2}No finding: accept-queue overflow, delayed-ACK stalls, serialisation, coordinated omission, non-2xx responses, resets and timeouts, descriptor leaks were looked for in every cell\.$/,
    );
    expect(renderFindingsText(withFindings(undefined))).toBe('');
    expect(findingsSection(withFindings(undefined))).toBeNull();
    expect(renderFindingsMarkdown(withFindings(undefined))).toBe('');
  });

  it('escapes the data in HTML and markdown', () => {
    const html = findingsSection(withFindings([FINDING]))!.body;
    expect(html).toContain('data-finding="error-responses" data-server="seed-async"');
    expect(html).toContain('A &lt;b&gt;tag&lt;/b&gt; &amp; &quot;quotes&quot; stay text.');
    expect(html).not.toContain('<b>');
    const md = renderFindingsMarkdown(withFindings([FINDING]));
    expect(md).toContain('### ERROR seed-async: You measured a 404 page: 10 of 10 responses were 404 Not Found');
    expect(md).toContain('- A \\<b\\>tag\\</b\\> \\& "quotes" stay text.');
  });

  it('puts the findings after the tables in report.md, and the resources before the notes', () => {
    const run = withFindings([FINDING]);
    run.cells = run.cells.map((c) => ({
      ...c,
      resources: cell({ requests: c.requests, concurrency: c.concurrency }).resources!,
    }));
    const md = renderMarkdownReport(run, {
      afterTables: [renderFindingsMarkdown(run)],
      beforeNotes: [renderResourcesMarkdown(run)],
    });
    const at = (s: string) => md.indexOf(s);
    expect(at('## Results for seed-async')).toBeLessThan(at('## Findings'));
    expect(at('## Findings')).toBeLessThan(at('## Comparison'));
    expect(at('## Conclusion')).toBeLessThan(at('## Server resources'));
    expect(md).toContain('| 10 | 5 | 160 | 80 | 20.0 | 1 | 6 | 6 |');
  });
});

describe('server resources', () => {
  it("tabulates each server's cells, and bounds what is under one clock tick", () => {
    const run = seedResults();
    run.cells = run.cells.map((c) => ({
      ...c,
      resources: cell({
        requests: c.requests,
        concurrency: c.concurrency,
        seconds: 0.02,
        resources: { cpuUserUs: 0, cpuSysUs: 0, cpuUsPerRequest: 0 },
      }).resources!,
    }));
    const body = resourcesSection(run)!.body;
    expect(body).toContain('<h3>seed-threaded</h3>');
    expect(body).toContain('<h3>seed-async</h3>');
    // 0 ticks over 10 requests in 20 ms: under 10 ms / 10 = 1000 µs each, under 50% of a core.
    expect(body).toMatch(/<td[^>]*>10<\/td><td[^>]*>1<\/td><td[^>]*>&lt; 1000<\/td><td[^>]*>&lt; 50<\/td>/);
    expect(resourcesSection(seedResults())).toBeNull();
  });
});

describe('perf claims', () => {
  const gate: ClaimVerdicts = {
    passed: false,
    settings: { tolerance: 0.1 },
    claims: [
      {
        claim: 'a >= b at every c',
        kind: 'relative',
        status: 'fail',
        summary: 'Does not hold at 1 cell of 1.',
        cells: [
          {
            requests: 100,
            concurrency: 10,
            status: 'fail',
            outcome: 'slower',
            verdicts: [{ ratio: 0.78, interval: { lo: 0.74, hi: 0.82, confidence: 0.95 }, p: 0.0004 }],
          },
        ],
      },
      {
        claim: 'a: p(99) < 20ms at c=1',
        kind: 'absolute',
        status: 'pass',
        cells: [
          {
            server: 'a',
            requests: 100,
            concurrency: 1,
            status: 'pass',
            outcome: 'pass',
            bounds: [{ median: 3.25, interval: { lo: 3.1, hi: 3.4, confidence: 0.95 } }],
          },
        ],
      },
    ],
  };

  it('accepts what gauntlet gate writes', () => {
    // A compile-time check: the gate's results are a ClaimVerdicts.
    const fromGate = (r: GateResults): ClaimVerdicts => r;
    expect(typeof fromGate).toBe('function');
  });

  it('shows each claim with its verdict and, per cell, the figure and its interval', () => {
    const s = claimsSection(gate);
    expect(s.id).toBe('claims');
    expect(s.body).toContain('<strong>FAILED</strong> 1 of 2 claims held; differences under 10% count as noise.');
    expect(s.body).toContain('<code>a &gt;= b at every c</code>');
    expect(s.body).toMatch(
      /n=100 c=10<\/td><td[^>]*>0\.78x<\/td><td[^>]*>0\.74x - 0\.82x \(95%\)<\/td><td[^>]*>&lt;0\.001<\/td><td[^>]*>slower<\/td>/,
    );
    expect(s.body).toMatch(/a n=100 c=1<\/td><td[^>]*>3\.25<\/td><td[^>]*>3\.10 - 3\.40 \(95%\)/);
  });

  it('is read from gate.json in the report folder, when there is one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-gate-'));
    expect(await readClaimVerdicts(dir)).toBeNull();
    await writeFile(join(dir, GATE_FILE), JSON.stringify(gate));
    expect((await readClaimVerdicts(dir))?.claims).toHaveLength(2);
    const { extra } = await reportSections(seedResults(), { dir });
    expect(extra.map((x) => x.id)).toEqual(['claims']);
  });
});

describe('plots', () => {
  it('has three charts per matrix group, one series per server, gaps for cells not measured', () => {
    const run = seedResults();
    run.cells = run.cells.filter((c) => !(c.server === 'seed-async' && c.requests === 100 && c.concurrency === 50));
    const models = chartModels(run);
    expect(models.map((m) => m.id)).toEqual([
      'chart-rps-1',
      'chart-p50-1',
      'chart-p99-1',
      'chart-rps-2',
      'chart-p50-2',
      'chart-p99-2',
      'chart-rps-3',
      'chart-p50-3',
      'chart-p99-3',
    ]);
    const rps3 = models.find((m) => m.id === 'chart-rps-3')!;
    expect(rps3.concurrencies).toEqual([1, 10, 50, 100]);
    expect(rps3.series.map((s) => [s.name, s.color])).toEqual([
      ['seed-threaded', SERIES_COLORS[0]],
      ['seed-async', SERIES_COLORS[1]],
    ]);
    expect(rps3.series[1]!.values[2]).toBeNull();
    expect(rps3.yName).toBe('requests/s');
    expect(rps3.logScale).toBe(false);
  });

  it('draws an SVG with its title, axis names and a legend entry per server', () => {
    const svg = renderChartSvg(chartModels(seedResults())[0]!);
    expect(svg).toMatch(
      /^<svg role="img" aria-label="Requests per second, n=10: requests\/s against concurrency; seed-threaded, seed-async" width="380" height="\d+"/,
    );
    for (const text of ['Requests per second, n=10', 'requests/s', 'concurrency', 'seed-threaded', 'seed-async']) {
      expect(svg).toContain(`>${text}</text>`);
    }
    expect(svg).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('turns latency axes logarithmic when they span more than 30x', () => {
    const run = seedResults();
    const p50 = chartModels(run).filter((m) => m.metric === 'p50');
    // The seed's threaded server: 0.2 s per request at c > 1, against milliseconds at c = 1.
    expect(p50.some((m) => m.logScale)).toBe(true);
    expect(axisNumber(12_000)).toBe('12k');
    expect(axisNumber(0.25)).toBe('0.25');
  });

  it('goes into report.html after the findings, before the tables', async () => {
    const run = withFindings([FINDING]);
    const { lead } = await reportSections(run, { gate: null });
    expect(lead.map((s) => s.id)).toEqual(['findings', 'plots']);
    const html = renderHtmlReport(run, { leadSections: lead });
    const ids = [...html.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]);
    expect(ids.slice(0, 4)).toEqual(['run', 'findings', 'plots', 'server-seed-threaded']);
    expect(html.match(/<figure class="chart"/g)).toHaveLength(9);
    expect(chartsSection({ ...seedResults(), cells: [] })).toBeNull();
  });
});

describe('gauntlet bench --no-check', () => {
  it('is off by default, and skips the conformance cases when given', async () => {
    expect((await parseBenchArgs(['--server', 'x=python3 s.py {port}'])).noCheck).toBe(false);
    expect((await parseBenchArgs(['--server', 'x=python3 s.py {port}', '--no-check'])).noCheck).toBe(true);
  });
});
