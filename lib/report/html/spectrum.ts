/**
 * The "Latency distribution" section of report.html: for each server and matrix group, the
 * percentile spectrum of its cells, one line per concurrency (each cell's median run, as the
 * tables show), from the HDR percentiles results.json keeps.
 *
 * The x axis is the percentile on a logarithmic scale of 1 / (1 - p), the way HdrHistogram plots
 * a spectrum: 90, 99, 99.9, 99.99 and 99.999 are evenly spaced, so the tail gets as much room as
 * the body and a stall that touches one request in a thousand shows as a step, where a linear
 * axis would squeeze it against the right edge. The y axis (latency, ms) is logarithmic too, and
 * the same for every server of a group, so that charts side by side compare at a glance.
 *
 * Drawn as the other plots are (charts.ts): SVG made by ECharts when the report is written.
 */
import type { CellRecord, LatencyPercentiles, MatrixGroup, RunResults } from '../../types.ts';
import { escapeHtml } from '../format.ts';
import { medianRunsView } from '../cells.ts';
import {
  CHART_CSS,
  CHART_HEIGHT,
  CHART_WIDTH,
  SERIES_COLORS,
  axisNumber,
  chartFrame,
  echarts,
  serverNames,
} from './charts.ts';
import type { HtmlSection } from './page.ts';

type EChartsOption = import('echarts').EChartsOption;

/**
 * The points of a line: each percentile, its label and its place on the x axis, log10(1 / (1 - p)),
 * written out rather than computed, since 1 - 0.99999 is not exact in floating point.
 */
export const SPECTRUM_POINTS: ReadonlyArray<{ key: keyof LatencyPercentiles; label: string; x: number }> = [
  { key: 'p50', label: '50', x: Math.log10(2) },
  { key: 'p75', label: '75', x: Math.log10(4) },
  { key: 'p90', label: '90', x: 1 },
  { key: 'p99', label: '99', x: 2 },
  { key: 'p99_9', label: '99.9', x: 3 },
  { key: 'p99_99', label: '99.99', x: 4 },
  { key: 'p99_999', label: '99.999', x: 5 },
];

/** The percentiles the x axis names: p75 is drawn, unlabelled, as it would crowd p50 and p90. */
export const SPECTRUM_AXIS_LABELS: readonly string[] = ['50', '90', '99', '99.9', '99.99', '99.999'];

export interface SpectrumLine {
  /** "c=10": the cell's concurrency. */
  name: string;
  color: string;
  /** [x, latency in ms] for each percentile, in SPECTRUM_POINTS' order. */
  points: Array<[number, number]>;
}

export interface SpectrumModel {
  /** Element id, unique in the page. */
  id: string;
  server: string;
  /** Index of the matrix group. */
  group: number;
  title: string;
  lines: SpectrumLine[];
  /** The y axis' range, ms: powers of ten around every value of the group, all servers. */
  yMin: number;
  yMax: number;
}

/** "n=100", "10s", with " @1000/s" in the open model: how a group is named in a title. */
export function groupLabel(group: MatrixGroup, rate: number | undefined): string {
  const size = group.durationS !== undefined ? `${group.durationS}s` : `n=${group.requests}`;
  return `${size}${rate !== undefined ? ` @${rate}/s` : ''}`;
}

/** A cell's line, or null when it has no percentiles or completed nothing. */
function lineOf(cell: CellRecord | undefined, color: string): SpectrumLine | null {
  const p = cell?.result.percentilesUs;
  if (!cell || !p || cell.result.completeRequests === 0) return null;
  const points = SPECTRUM_POINTS.map(({ key, x }): [number, number] => [x, p[key] / 1000]).filter(([, ms]) => ms > 0);
  return points.length === 0 ? null : { name: `c=${cell.concurrency}`, color, points };
}

/** Powers of ten around the values: [10^floor(log10 min), 10^ceil(log10 max)], a decade at least. */
export function decadeRange(values: readonly number[]): { yMin: number; yMax: number } {
  if (values.length === 0) return { yMin: 0.1, yMax: 1 };
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  return { yMin, yMax: yMax > yMin ? yMax : yMin * 10 };
}

/**
 * The charts of a run: one per server and matrix group that has a cell with percentiles, in the
 * matrix's order then the servers' order; each line one concurrency, coloured by its place in
 * the group (the same colour for the same concurrency on every server's chart).
 */
export function spectrumModels(run: RunResults): SpectrumModel[] {
  const medians = medianRunsView(run);
  const names = serverNames(run);
  const models: SpectrumModel[] = [];
  run.matrix.groups.forEach((group, g) => {
    const charts = names.flatMap((server, s) => {
      const lines = group.concurrencies.flatMap((c, i) => {
        const cell = medians.find(
          (r) => r.server === server && r.group === g && r.concurrency === c && r.requests === group.requests,
        );
        return lineOf(cell, SERIES_COLORS[i % SERIES_COLORS.length]!) ?? [];
      });
      if (lines.length === 0) return [];
      return [
        {
          id: `spectrum-${g + 1}-${s + 1}`,
          server,
          group: g,
          title: `${server}, ${groupLabel(group, run.rate)}`,
          lines,
        },
      ];
    });
    const range = decadeRange(charts.flatMap((m) => m.lines.flatMap((l) => l.points.map(([, ms]) => ms))));
    for (const chart of charts) models.push({ ...chart, ...range });
  });
  return models;
}

/** The x axis' label at a place: the percentile it stands for, or nothing between them. */
function percentileAt(x: number): string {
  const point = SPECTRUM_POINTS.find((p) => Math.abs(p.x - x) < 1e-9);
  return point && SPECTRUM_AXIS_LABELS.includes(point.label) ? point.label : '';
}

/** Width kept right of the plot for the legend (one concurrency a line). */
const LEGEND_WIDTH = 70;

function spectrumOption(model: SpectrumModel): EChartsOption {
  const ticks = SPECTRUM_POINTS.filter((p) => SPECTRUM_AXIS_LABELS.includes(p.label)).map((p) => p.x);
  return {
    ...chartFrame(model.title, model.lines, { right: 6, top: 40 }),
    grid: { left: 64, right: LEGEND_WIDTH + 8, top: 40, bottom: 44 },
    xAxis: {
      type: 'value',
      name: 'percentile',
      nameLocation: 'middle',
      nameGap: 26,
      min: SPECTRUM_POINTS[0]!.x,
      max: SPECTRUM_POINTS[SPECTRUM_POINTS.length - 1]!.x,
      axisTick: { customValues: ticks },
      axisLabel: { customValues: ticks, formatter: (v: number) => percentileAt(v), fontSize: 11 },
      splitLine: { show: true, lineStyle: { color: '#e6e6e6' } },
    },
    yAxis: {
      type: 'log',
      name: 'latency (ms)',
      nameLocation: 'middle',
      nameGap: 46,
      min: model.yMin,
      max: model.yMax,
      axisLabel: { formatter: (v: number) => axisNumber(v) },
    },
    series: model.lines.map((l) => ({
      name: l.name,
      type: 'line',
      data: l.points.map(([x, ms]) => [x, Number(ms.toPrecision(6))]),
      symbol: 'circle',
      symbolSize: 5,
      lineStyle: { width: 2 },
    })),
  };
}

/** One chart as an SVG string, named for screen readers and tests by its title and lines. */
export function renderSpectrumSvg(model: SpectrumModel, width = CHART_WIDTH, height = CHART_HEIGHT): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(spectrumOption(model));
    const label = `${model.title}: latency (ms) against percentile; ${model.lines.map((l) => l.name).join(', ')}`;
    return chart.renderToSVGString().replace(/^<svg /, `<svg role="img" aria-label="${escapeHtml(label)}" `);
  } finally {
    chart.dispose();
  }
}

const NOTE =
  'Each cell\u2019s latency spectrum (its median run), one line per concurrency: x is the percentile on a ' +
  'logarithmic scale of 1/(1 - p), so 90, 99, 99.9, 99.99 and 99.999 are evenly spaced; y is the latency in ms, ' +
  'logarithmic, on the same range for every server of a group. A flat line is a steady server; a line that climbs ' +
  'at the right is a tail: a few requests far slower than the rest. In an open-model cell (a rate) each request ' +
  'is timed from when it was meant to be sent.';

/** The section: a row of charts (one per server) per matrix group; null when no cell has percentiles. */
export function spectrumSection(run: RunResults): HtmlSection | null {
  const models = spectrumModels(run);
  if (models.length === 0) return null;
  const rows = run.matrix.groups.flatMap((group, g) => {
    const figures = models
      .filter((m) => m.group === g)
      .map(
        (m) =>
          `<figure class="spectrum" id="${m.id}" data-chart-server="${escapeHtml(m.server)}" ` +
          `data-cells="${escapeHtml(m.lines.map((l) => l.name).join('|'))}" style="margin:0">\n${renderSpectrumSvg(m)}\n</figure>`,
      );
    if (figures.length === 0) return [];
    return [
      `<h3>${escapeHtml(groupLabel(group, run.rate))}</h3>\n<div class="charts" style="${CHART_CSS}">\n${figures.join('\n')}\n</div>`,
    ];
  });
  return {
    id: 'latency-distribution',
    title: 'Latency distribution',
    body: `<p class="note">${escapeHtml(NOTE)}</p>\n${rows.join('\n')}`,
  };
}
