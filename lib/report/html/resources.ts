/**
 * The "Server resources" section of report.html: a table per server of what it used per cell,
 * under the note that says how the figures were sampled.
 */
import type { RunResults } from '../../types.ts';
import { escapeHtml } from '../format.ts';
import { RESOURCE_HEADERS, RESOURCES_NOTE, resourceRow, serversWithResources } from '../resources.ts';
import type { HtmlSection } from './page.ts';

const TABLE_CSS = 'border-collapse:collapse;margin:.4em 0 1em';
const CELL_CSS = 'border:1px solid #999;padding:3px 8px;text-align:right';

export function resourcesSection(run: RunResults): HtmlSection | null {
  const servers = serversWithResources(run);
  if (servers.length === 0) return null;
  const head = `<tr>${RESOURCE_HEADERS.map((h) => `<th style="${CELL_CSS};background:#f0f0f0;text-align:center">${escapeHtml(h)}</th>`).join('')}</tr>`;
  const tables = servers.map(({ name, cells }) => {
    const rows = cells.map(
      (c) =>
        `<tr>${resourceRow(c)
          .map((v) => `<td style="${CELL_CSS}">${escapeHtml(v)}</td>`)
          .join('')}</tr>`,
    );
    return `<h3>${escapeHtml(name)}</h3>\n<div class="table-wrap">\n<table class="resources" style="${TABLE_CSS}">\n${head}\n${rows.join('\n')}\n</table>\n</div>`;
  });
  return {
    id: 'resources',
    title: 'Server resources',
    body: `<p class="note">${escapeHtml(RESOURCES_NOTE)}</p>\n${tables.join('\n')}`,
  };
}
