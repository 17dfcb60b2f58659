/**
 * Plots for report.html: requests per second, p50 and p99 latency against concurrency, every
 * server on the same chart, one row of charts per matrix group (the same N at rising C).
 *
 * The charts are drawn by Apache ECharts on the server side, as SVG strings inlined in the page:
 * the report stays one file that needs no network and no script to view. ECharts is loaded
 * through require(), which picks its single-file CommonJS bundle: the ES module build is a few
 * hundred small files, several times slower to load for the same result.
 */
import { createRequire } from 'node:module';
import type { CellRecord, RunResults } from '../../types.ts';
import { escapeHtml } from '../format.ts';
import { medianRunsView } from '../cells.ts';
import type { HtmlSection } from './page.ts';

type ECharts = typeof import('echarts');
type EChartsOption = import('echarts').EChartsOption;

let echartsModule: ECharts | null = null;
/** ECharts, loaded on first use (the latency-distribution charts draw with it too). */
export function echarts(): ECharts {
  echartsModule ??= createRequire(import.meta.url)('echarts') as ECharts;
  return echartsModule;
}

/** Series colours, in server order: distinct in hue and lightness, readable on white. */
export const SERIES_COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];

export const CHART_WIDTH = 380;
/** Height of a chart without its legend, px. */
export const CHART_HEIGHT = 250;

export type ChartMetric = 'rps' | 'p50' | 'p99';

const METRICS: Record<ChartMetric, { title: string; axis: string; value: (c: CellRecord) => number }> = {
  rps: { title: 'Requests per second', axis: 'requests/s', value: (c) => c.result.requestsPerSecond },
  p50: { title: 'p50 latency', axis: 'p50 latency (ms)', value: (c) => c.result.latencyUs.p50 / 1000 },
  p99: { title: 'p99 latency', axis: 'p99 latency (ms)', value: (c) => c.result.latencyUs.p99 / 1000 },
};

export interface ChartSeries {
  name: string;
  color: string;
  /** One value per concurrency of the chart; null where the cell was not measured. */
  values: Array<number | null>;
}

export interface ChartModel {
  /** Element id, unique in the page. */
  id: string;
  metric: ChartMetric;
  title: string;
  xName: string;
  yName: string;
  concurrencies: number[];
  series: ChartSeries[];
  /** A logarithmic value axis, for latencies that span orders of magnitude. */
  logScale: boolean;
}

/** The servers of a run in report order. */
export function serverNames(run: RunResults): string[] {
  return [...new Set([...run.servers.map((s) => s.name), ...run.cells.map((c) => c.server)])];
}

function finitePositive(v: number | null): v is number {
  return v !== null && Number.isFinite(v) && v > 0;
}

/** The charts of a run: for each matrix group, requests/s, p50 and p99 against concurrency. */
export function chartModels(run: RunResults): ChartModel[] {
  const names = serverNames(run).filter((n) => run.cells.some((c) => c.server === n));
  const medians = medianRunsView(run);
  const models: ChartModel[] = [];
  run.matrix.groups.forEach((group, g) => {
    const concurrencies = group.concurrencies;
    for (const metric of ['rps', 'p50', 'p99'] as const) {
      const spec = METRICS[metric];
      const series = names.map((name, i) => ({
        name,
        color: SERIES_COLORS[i % SERIES_COLORS.length]!,
        values: concurrencies.map((c) => {
          // The median run of a cell measured in rounds, as the tables show.
          const cell = medians.find(
            (r) => r.server === name && r.group === g && r.concurrency === c && r.requests === group.requests,
          );
          if (!cell || cell.result.completeRequests === 0) return null;
          const v = spec.value(cell);
          return Number.isFinite(v) ? v : null;
        }),
      }));
      const values = series.flatMap((s) => s.values).filter(finitePositive);
      const logScale = metric !== 'rps' && values.length > 1 && Math.max(...values) / Math.min(...values) > 30;
      models.push({
        id: `chart-${metric}-${g + 1}`,
        metric,
        title: `${spec.title}, n=${group.requests}`,
        xName: 'concurrency',
        yName: spec.axis,
        concurrencies,
        series,
        logScale,
      });
    }
  });
  return models;
}

/** Short axis numbers: 12,000 -> "12k", 0.25 -> "0.25". */
export function axisNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (a >= 1) return `${Number(v.toPrecision(4))}`;
  return `${Number(v.toPrecision(2))}`;
}

/**
 * What every chart of the report shares: no animation, the lines' colours, the font, the title
 * on top, and a legend of one entry per line where `place` puts it (the widths a browser gives
 * the names are not known here, and entries side by side would overlap when its font is wider
 * than the estimate).
 */
export function chartFrame(
  title: string,
  lines: ReadonlyArray<{ name: string; color: string }>,
  place: { left?: number; right?: number; top?: number; bottom?: number },
): EChartsOption {
  return {
    animation: false,
    color: lines.map((l) => l.color),
    textStyle: { fontFamily: 'Arial, sans-serif' },
    title: { text: title, left: 'center', top: 6, textStyle: { fontSize: 14, fontWeight: 'bold' } },
    legend: {
      orient: 'vertical',
      ...place,
      itemWidth: 18,
      itemHeight: 10,
      itemGap: 4,
      textStyle: { fontSize: 11 },
      data: lines.map((l) => l.name),
    },
  };
}

function chartOption(model: ChartModel): EChartsOption {
  return {
    ...chartFrame(model.title, model.series, { bottom: 6, left: 64 }),
    grid: { left: 64, right: 18, top: 40, bottom: legendHeight(model.series.length) + 44 },
    xAxis: {
      type: 'category',
      name: model.xName,
      nameLocation: 'middle',
      nameGap: 26,
      boundaryGap: false,
      data: model.concurrencies.map(String),
    },
    yAxis: {
      type: model.logScale ? 'log' : 'value',
      name: model.yName,
      nameLocation: 'middle',
      nameGap: 46,
      scale: false,
      axisLabel: { formatter: (v: number) => axisNumber(v) },
    },
    series: model.series.map((s) => ({
      name: s.name,
      type: 'line',
      data: s.values.map((v) => (v === null || (model.logScale && !(v > 0)) ? null : Number(v.toPrecision(6)))),
      connectNulls: false,
      symbol: 'circle',
      symbolSize: 6,
      lineStyle: { width: 2 },
    })),
  };
}

/** Height of a vertical legend of n entries, px. */
function legendHeight(n: number): number {
  return n * 16 + 6;
}

/** A chart's height: the plot area, plus a line of legend per series. */
export function chartHeight(model: ChartModel): number {
  return CHART_HEIGHT + legendHeight(model.series.length);
}

/** One chart as an SVG string. */
export function renderChartSvg(model: ChartModel, width = CHART_WIDTH, height = chartHeight(model)): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(chartOption(model));
    // A name for screen readers and for tests: the chart's title and its series.
    const label = `${model.title}: ${model.yName} against ${model.xName}; ${model.series.map((s) => s.name).join(', ')}`;
    return chart.renderToSVGString().replace(/^<svg /, `<svg role="img" aria-label="${escapeHtml(label)}" `);
  } finally {
    chart.dispose();
  }
}

export const CHART_CSS =
  'display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:12px;margin:.5em 0 1em;';

/** The plots, one row of three charts per matrix group; null when nothing was measured. */
export function chartsSection(run: RunResults): HtmlSection | null {
  const models = chartModels(run);
  if (models.length === 0 || models.every((m) => m.series.length === 0)) return null;
  const rows: string[] = [];
  for (let g = 0; g < run.matrix.groups.length; g++) {
    const figures = models
      .filter((m) => m.id.endsWith(`-${g + 1}`))
      .map((m) => {
        const names = m.series.map((s) => s.name).join('|');
        return (
          `<figure class="chart" id="${escapeHtml(m.id)}" data-metric="${m.metric}" data-servers="${escapeHtml(names)}" style="margin:0">\n` +
          `${renderChartSvg(m)}\n</figure>`
        );
      });
    rows.push(`<div class="charts" style="${CHART_CSS}">\n${figures.join('\n')}\n</div>`);
  }
  const note =
    '<p class="note">One line per server. Latency axes turn logarithmic when the values span more than 30x. ' +
    'A missing point is a cell that was not measured or completed nothing.</p>';
  return { id: 'plots', title: 'Plots', body: `${note}\n${rows.join('\n')}` };
}
