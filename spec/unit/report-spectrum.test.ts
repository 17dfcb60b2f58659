/**
 * report.html's latency distribution: the percentile spectrum of each server's cells per matrix
 * group, as data (the models) and as the SVG drawn from them.
 */
import { describe, it, expect } from 'vitest';
import type { LatencyPercentiles, RunResults } from '../../lib/types.ts';
import {
  SPECTRUM_POINTS,
  decadeRange,
  groupLabel,
  renderSpectrumSvg,
  spectrumModels,
  spectrumSection,
} from '../../lib/report/html/spectrum.ts';
import { SERIES_COLORS } from '../../lib/report/html/charts.ts';
import { reportSections } from '../../lib/report/html/bench-report.ts';
import { renderHtmlReport } from '../../lib/report/html/report.ts';
import { seedResults } from './fixtures/seed-results.ts';

/** A spectrum that starts at `p50Us` and doubles at every point after p90: a tail. */
function spectrum(p50Us: number): LatencyPercentiles {
  return {
    p50: p50Us,
    p75: p50Us * 1.2,
    p90: p50Us * 1.5,
    p99: p50Us * 3,
    p99_9: p50Us * 6,
    p99_99: p50Us * 12,
    p99_999: p50Us * 24,
    max: p50Us * 24,
  };
}

/** The seed's run with percentiles on every cell: 1 ms at the median per unit of concurrency. */
function withPercentiles(): RunResults {
  const run = seedResults();
  for (const c of run.cells) c.result.percentilesUs = spectrum(1000 * c.concurrency);
  return run;
}

describe('the percentile spectrum: models', () => {
  it('places each percentile at log10(1 / (1 - p)), so that 90, 99, 99.9 ... are a decade apart', () => {
    for (const { label, x } of SPECTRUM_POINTS) {
      const p = Number(label) / 100;
      expect(x, label).toBeCloseTo(Math.log10(1 / (1 - p)), 6);
    }
    expect(SPECTRUM_POINTS.map((p) => p.key)).toEqual(['p50', 'p75', 'p90', 'p99', 'p99_9', 'p99_99', 'p99_999']);
  });

  it('has one chart per server and matrix group, one line per concurrency in the group\u2019s colours', () => {
    const models = spectrumModels(withPercentiles());
    expect(models.map((m) => m.id)).toEqual([
      'spectrum-1-1',
      'spectrum-1-2',
      'spectrum-2-1',
      'spectrum-2-2',
      'spectrum-3-1',
      'spectrum-3-2',
    ]);
    const threaded3 = models.find((m) => m.id === 'spectrum-3-1')!;
    expect(threaded3.server).toBe('seed-threaded');
    expect(threaded3.title).toBe('seed-threaded, n=100');
    expect(threaded3.lines.map((l) => [l.name, l.color])).toEqual([
      ['c=1', SERIES_COLORS[0]],
      ['c=10', SERIES_COLORS[1]],
      ['c=50', SERIES_COLORS[2]],
      ['c=100', SERIES_COLORS[3]],
    ]);
    // Milliseconds at each percentile, p50 first.
    expect(threaded3.lines[1]!.points.map(([, ms]) => ms)).toEqual([10, 12, 15, 30, 60, 120, 240]);
  });

  it('gives every server of a group the same y range, in whole decades around all their values', () => {
    const models = spectrumModels(withPercentiles()).filter((m) => m.group === 2);
    // c=1 at 1 ms up to c=100 at 2400 ms.
    expect(models.map((m) => [m.yMin, m.yMax])).toEqual([
      [1, 10_000],
      [1, 10_000],
    ]);
    expect(decadeRange([0.12, 0.5])).toEqual({ yMin: 0.1, yMax: 1 });
    expect(decadeRange([1, 1])).toEqual({ yMin: 1, yMax: 10 });
    expect(decadeRange([])).toEqual({ yMin: 0.1, yMax: 1 });
  });

  it('leaves out cells without percentiles or without a complete request, and charts left empty', () => {
    const run = withPercentiles();
    for (const c of run.cells) {
      if (c.server === 'seed-async') delete c.result.percentilesUs;
      if (c.server === 'seed-threaded' && c.concurrency === 10) c.result.completeRequests = 0;
    }
    const models = spectrumModels(run);
    expect(new Set(models.map((m) => m.server))).toEqual(new Set(['seed-threaded']));
    expect(models.find((m) => m.group === 1)!.lines.map((l) => l.name)).toEqual(['c=1', 'c=30', 'c=50']);
    // Results written before the percentiles: no section at all.
    expect(spectrumSection(seedResults())).toBeNull();
  });

  it.each([
    [{ requests: 100, concurrencies: [1] }, undefined, 'n=100'],
    [{ requests: 0, concurrencies: [1], durationS: 10 }, undefined, '10s'],
    [{ requests: 0, concurrencies: [1], durationS: 6 }, 1000, '6s @1000/s'],
  ])('names the group %j (rate %j) %j', (group, rate, label) => {
    expect(groupLabel(group, rate)).toBe(label);
  });
});

describe('the percentile spectrum: SVG and section', () => {
  it('draws an SVG with its title, both axis names, the percentile labels and a legend entry per line', () => {
    const model = spectrumModels(withPercentiles()).find((m) => m.id === 'spectrum-2-2')!;
    const svg = renderSpectrumSvg(model);
    expect(svg).toMatch(
      /^<svg role="img" aria-label="seed-async, n=50: latency \(ms\) against percentile; c=1, c=10, c=30, c=50" width="380" height="250"/,
    );
    const texts = [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    for (const text of ['seed-async, n=50', 'percentile', 'latency (ms)', 'c=1', 'c=10', 'c=30', 'c=50']) {
      expect(texts).toContain(text);
    }
    for (const label of ['50', '90', '99', '99.9', '99.99', '99.999']) expect(texts).toContain(label);
    // p75 is drawn but not named: it would crowd 50 and 90.
    expect(texts).not.toContain('75');
    // One line per concurrency, each in its colour.
    const lineColours = [...svg.matchAll(/<path d="M[^"]*L[^"]*"[^>]*\bstroke="([^"]+)"[^>]*stroke-width="2"/g)].map(
      (m) => m[1],
    );
    expect(new Set(lineColours)).toEqual(new Set(SERIES_COLORS.slice(0, 4)));
    expect(svg).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('goes into report.html after the plots, one figure per chart under a heading per group', async () => {
    const run = withPercentiles();
    const { lead } = await reportSections(run, { gate: null });
    expect(lead.map((s) => s.id)).toEqual(['plots', 'latency-distribution']);
    const html = renderHtmlReport(run, { leadSections: lead });
    const ids = [...html.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]);
    expect(ids.slice(0, 3)).toEqual(['run', 'plots', 'latency-distribution']);
    const figures = [
      ...html.matchAll(/<figure class="spectrum" id="([^"]+)" data-chart-server="([^"]+)" data-cells="([^"]+)"/g),
    ];
    expect(figures).toHaveLength(6);
    expect(figures[0]!.slice(1)).toEqual(['spectrum-1-1', 'seed-threaded', 'c=1|c=5|c=10']);
    expect(html).toContain('<h2>Latency distribution</h2>');
    for (const label of ['n=10', 'n=50', 'n=100']) expect(html).toContain(`<h3>${label}</h3>`);
  });
});
