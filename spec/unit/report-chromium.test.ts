/**
 * report.html as a browser sees it: a small real run (three purpose-built servers, one of them
 * answering 404 and one serialising its requests), the conformance cases of one group against
 * the same servers and a perf gate's verdicts, rendered to report.html and opened in headless
 * Chromium. The checks read the DOM Chromium parsed (the plots and the latency distribution drawn,
 * the sections in place); the screenshot is left in test-output/.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT, DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import { readManifest } from '../../lib/manifest.ts';
import { parseMatrix } from '../../lib/matrix.ts';
import { runBench } from '../../lib/bench.ts';
import { ResultsStore } from '../../lib/results-store.ts';
import { writeReportFiles } from '../../lib/report/files.ts';
import { SERIES_COLORS } from '../../lib/report/html/charts.ts';
import { GATE_FILE, type ClaimVerdicts } from '../../lib/report/html/claims.ts';
import { loadCases, selectCases } from '../../lib/conformance/registry.ts';
import { runCheck } from '../../lib/conformance/check-run.ts';
import { CHROMIUM, chromiumAvailable, dumpDom, screenshot } from './helpers/chromium.ts';

const OUT = join(PROJECT_ROOT, 'test-output', 'report-chromium');
const REPORT = join(OUT, 'report.html');
const SCREENSHOT = join(OUT, 'report.png');
const SERVERS = ['healthy', 'not-found', 'global-lock'].map((n) =>
  join(PROJECT_ROOT, 'fixtures', 'pathological', n, 'server.json'),
);

const GATE: ClaimVerdicts = {
  passed: false,
  settings: { tolerance: 0.1, modes: ['close'] },
  claims: [
    {
      claim: 'pathological-healthy >= pathological-global-lock at every c',
      kind: 'relative',
      status: 'pass',
      summary: 'Holds in all 3 cells (pathological-healthy faster in 3).',
      cells: [
        {
          requests: 20,
          concurrency: 1,
          status: 'pass',
          outcome: 'faster',
          verdicts: [{ ratio: 61.2, interval: { lo: 55.1, hi: 66.9, confidence: 0.95 }, p: 0.0002 }],
        },
        {
          requests: 20,
          concurrency: 10,
          status: 'pass',
          outcome: 'faster',
          verdicts: [{ ratio: 70.4, interval: { lo: 64.0, hi: 77.7, confidence: 0.95 }, p: 0.0002 }],
        },
      ],
    },
    {
      claim: 'pathological-global-lock: p(99) < 50ms at c=10',
      kind: 'absolute',
      status: 'fail',
      summary: 'Does not hold at 1 cell of 1.',
      cells: [
        {
          server: 'pathological-global-lock',
          requests: 20,
          concurrency: 10,
          status: 'fail',
          outcome: 'fail',
          bounds: [{ median: 203.1, interval: { lo: 201.9, hi: 204.6, confidence: 0.95 } }],
        },
      ],
    },
  ],
};

/** The <figure class="chart"> elements of a DOM, with their attributes and content. */
function charts(dom: string): Array<{ id: string; metric: string; servers: string[]; body: string }> {
  return [
    ...dom.matchAll(
      /<figure class="chart" id="([^"]+)" data-metric="([^"]+)" data-servers="([^"]*)"[^>]*>([\s\S]*?)<\/figure>/g,
    ),
  ].map((m) => ({
    id: m[1]!,
    metric: m[2]!,
    servers: m[3]!.split('|'),
    body: m[4]!,
  }));
}

/** The <figure class="spectrum"> elements of a DOM: the latency distribution, one per server and group. */
function spectra(dom: string): Array<{ id: string; server: string; cells: string[]; body: string }> {
  return [
    ...dom.matchAll(
      /<figure class="spectrum" id="([^"]+)" data-chart-server="([^"]+)" data-cells="([^"]*)"[^>]*>([\s\S]*?)<\/figure>/g,
    ),
  ].map((m) => ({ id: m[1]!, server: m[2]!, cells: m[3]!.split('|'), body: m[4]! }));
}

/** The texts of an SVG's <text> elements. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

const skipReason = chromiumAvailable()
  ? ''
  : ` (SKIPPED: ${CHROMIUM} is not installed; Debian package "chromium", which .ci/run installs)`;

describe.skipIf(!chromiumAvailable())(`report.html in headless Chromium${skipReason}`, () => {
  let dom = '';
  let servers: string[] = [];

  beforeAll(async () => {
    await rm(OUT, { recursive: true, force: true });
    const specs = await Promise.all(SERVERS.map((f) => readManifest(f)));
    servers = specs.map((s) => s.name);
    const store = await ResultsStore.create(OUT);
    const run = await runBench({
      servers: specs,
      matrix: parseMatrix('20:1,5,10'),
      mode: 'close',
      path: '/',
      root: DEFAULT_DOC_ROOT,
      warmup: 0,
      store,
    });
    expect(run.status).toBe('complete');
    const cases = selectCases(await loadCases(), { groups: ['versions'] });
    const check = await runCheck({ servers: specs, cases, root: DEFAULT_DOC_ROOT, concurrency: 8 });
    await writeFile(join(OUT, GATE_FILE), JSON.stringify(GATE));
    await writeReportFiles(store, run, { check });
    [dom] = await Promise.all([dumpDom(REPORT), screenshot(REPORT, SCREENSHOT, 1280, 4600)]);
  }, 120_000);

  it('draws requests/s, p50 and p99 against concurrency: non-empty SVGs with both axis names', () => {
    const found = charts(dom);
    expect(found.map((c) => c.id)).toEqual(['chart-rps-1', 'chart-p50-1', 'chart-p99-1']);
    const yNames = { rps: 'requests/s', p50: 'p50 latency (ms)', p99: 'p99 latency (ms)' } as Record<string, string>;
    for (const c of found) {
      const svg = /<svg\b[^>]*>[\s\S]*<\/svg>/.exec(c.body)?.[0] ?? '';
      expect(svg, c.id).toMatch(/^<svg\b[^>]*\bwidth="380"[^>]*\bheight="\d{3}"/);
      expect(svg.match(/<path\b/g)?.length ?? 0, c.id).toBeGreaterThan(10);
      const texts = svgTexts(svg);
      expect(texts, c.id).toContain('concurrency');
      expect(texts, c.id).toContain(yNames[c.metric]);
      // The x axis: one label per concurrency of the group.
      for (const conc of ['1', '5', '10']) expect(texts, c.id).toContain(conc);
    }
  });

  it('draws one series per server on every chart, each in the colour of its legend entry', () => {
    for (const c of charts(dom)) {
      expect(c.servers).toEqual(servers);
      const svg = c.body;
      const texts = svgTexts(svg);
      servers.forEach((name, i) => {
        // One legend entry per server...
        expect(
          texts.filter((t) => t === name),
          `${c.id} legend ${name}`,
        ).toHaveLength(1);
        // ...and one line through the three cells, drawn in that server's colour.
        const color = SERIES_COLORS[i]!;
        const lines = [
          ...svg.matchAll(/<path d="M[^"]*L[^"]*L[^"]*"[^>]*\bstroke="([^"]+)"[^>]*stroke-width="2"/g),
        ].filter((m) => m[1] === color);
        expect(lines.length, `${c.id} line of ${name} (${color})`).toBeGreaterThanOrEqual(1);
      });
      const lineColors = new Set(
        [...svg.matchAll(/<path d="M[^"]*L[^"]*L[^"]*"[^>]*\bstroke="([^"]+)"[^>]*stroke-width="2"/g)].map((m) => m[1]),
      );
      expect([...lineColors].sort(), c.id).toEqual(SERIES_COLORS.slice(0, servers.length).sort());
    }
  });

  it('draws the latency distribution: per server, the percentile spectrum of each concurrency on log axes', () => {
    const found = spectra(dom);
    expect(found.map((f) => [f.id, f.server])).toEqual(servers.map((name, i) => [`spectrum-1-${i + 1}`, name]));
    for (const f of found) {
      expect(f.cells, f.id).toEqual(['c=1', 'c=5', 'c=10']);
      const svg = /<svg\b[^>]*>[\s\S]*<\/svg>/.exec(f.body)?.[0] ?? '';
      expect(svg, f.id).toMatch(/^<svg\b[^>]*\bwidth="380"[^>]*\bheight="250"/);
      const texts = svgTexts(svg);
      // The title, both axis names, the percentiles on the x axis and a legend entry per cell.
      expect(texts, f.id).toContain(`${f.server}, n=20`);
      expect(texts, f.id).toContain('percentile');
      expect(texts, f.id).toContain('latency (ms)');
      for (const label of ['50', '90', '99', '99.9', '99.99', '99.999']) expect(texts, f.id).toContain(label);
      for (const cell of f.cells)
        expect(
          texts.filter((t) => t === cell),
          `${f.id} legend ${cell}`,
        ).toHaveLength(1);
      // One line of seven points (p50 to p99.999) per concurrency, in its colour.
      const lines = [...svg.matchAll(/<path d="M[^"]*(?:L[^"]*){6}"[^>]*\bstroke="([^"]+)"[^>]*stroke-width="2"/g)].map(
        (m) => m[1],
      );
      expect(new Set(lines), f.id).toEqual(new Set(SERIES_COLORS.slice(0, 3)));
    }
  });

  it('holds the findings, the seed tables, the claims and the conformance grid', () => {
    const ids = [...dom.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]);
    expect(ids.slice(0, 4)).toEqual(['run', 'findings', 'plots', 'latency-distribution']);
    expect(ids).toEqual(expect.arrayContaining(['resources', 'claims', 'conformance', 'comparison', 'conclusion']));
    expect(dom.match(/<table class="tg">/g)).toHaveLength(3);
    expect(dom).toContain('data-finding="error-responses" data-server="pathological-not-found"');
    expect(dom).toContain('You measured a 404 page');
    expect(dom).toContain('data-finding="serialised" data-server="pathological-global-lock"');
    expect(dom).not.toContain('data-server="pathological-healthy"');
    expect(dom).toContain('pathological-global-lock: p(99) &lt; 50ms at c=10');
    expect(dom).toContain('55.10x - 66.90x (95%)');
    // Each non-pass of the grid expands to its wire log and a replay command.
    expect(dom).toMatch(
      /<details id="r-pathological-[a-z-]+--[a-z0-9-]+">[\s\S]*?Replay: <code>[^<]*gauntlet check[^<]*<\/code>/,
    );
  });

  it('saves a screenshot into test-output/', async () => {
    const png = await readFile(SCREENSHOT);
    expect(png.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(50_000);
  });
});
