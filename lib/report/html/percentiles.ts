/**
 * The "Latency percentiles" section of report.html: a table per server (the rows are
 * lib/report/percentile-rows.ts), from an HDR histogram of each cell's complete requests.
 */
import type { RunResults } from '../../types.ts';
import { escapeHtml } from '../format.ts';
import { PERCENTILES_NOTE, engineNoteLines, percentileTables } from '../percentile-rows.ts';
import type { HtmlSection } from './page.ts';

const TABLE_CSS = 'border-collapse:collapse;margin:.4em 0 1em';
const CELL_CSS = 'border:1px solid #999;padding:3px 8px;text-align:right';

export function percentilesSection(run: RunResults): HtmlSection | null {
  const tables = percentileTables(run);
  if (tables.length === 0) return null;
  const body = tables.map((t) => {
    const head = `<tr>${t.headers.map((h) => `<th style="${CELL_CSS};background:#f0f0f0;text-align:center">${escapeHtml(h)}</th>`).join('')}</tr>`;
    const rows = t.rows.map(
      (r) =>
        `<tr>${r.map((v, i) => `<td style="${CELL_CSS}${i === 0 ? ';text-align:left' : ''}">${escapeHtml(v)}</td>`).join('')}</tr>`,
    );
    return `<h3>${escapeHtml(t.server)}</h3>\n<div class="table-wrap">\n<table class="percentiles" style="${TABLE_CSS}">\n${head}\n${rows.join('\n')}\n</table>\n</div>`;
  });
  // Cells of another engine (Locust) say how their figures differ from ab's definitions.
  const engines = engineNoteLines(run).map((line) => `<p class="note">${escapeHtml(line)}</p>\n`);
  return {
    id: 'percentiles',
    title: 'Latency percentiles',
    body: `<p class="note">${escapeHtml(PERCENTILES_NOTE)}</p>\n${engines.join('')}${body.join('\n')}`,
  };
}
