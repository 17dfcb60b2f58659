/**
 * The comparison in report.html: a table of class "cmp" per pair under its title, each cell's
 * tone as its class (REPORT_CSS colours them), the note on the columns, the unpaired servers as a
 * list, then the verdicts and caveats. Every piece of data is escaped.
 */
import type { Comparison } from '../../compare/types.ts';
import { hasTables, pairTable, pairTitle, tableNote, unpairedLine, type ComparisonRow } from '../comparison-table.ts';
import { escapeHtml, inlineCodeSpans } from '../format.ts';

function rowHtml(row: ComparisonRow): string {
  const tds = row.cells.map((text, i) => {
    const tone = row.tones[i] ?? 'plain';
    const cls = tone === 'plain' ? '' : ` class="${tone}"`;
    return `<td${cls}>${escapeHtml(text)}</td>`;
  });
  return `  <tr>${tds.join('')}</tr>`;
}

/** The per-cell tables of every pair (no heading). */
export function comparisonTablesHtml(comparison: Comparison): string {
  const blocks: string[] = [];
  for (const pair of comparison.pairs) {
    const { headers, rows } = pairTable(pair, comparison.rule);
    const lines = [`<h3>${escapeHtml(pairTitle(pair))}</h3>`];
    if (rows.length > 0) {
      lines.push('<table class="cmp">');
      lines.push(`  <tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`);
      for (const row of rows) lines.push(rowHtml(row));
      lines.push('</table>');
    }
    blocks.push(lines.join('\n'));
  }
  if (hasTables(comparison)) blocks.push(`<p class="note">${escapeHtml(tableNote(comparison))}</p>`);
  if (comparison.unpaired.length > 0) {
    blocks.push(
      `<ul class="unpaired">\n${comparison.unpaired.map((s) => `  <li>${escapeHtml(unpairedLine(s))}</li>`).join('\n')}\n</ul>`,
    );
  }
  return blocks.join('\n');
}

/** The verdicts and the caveats (no heading). */
export function conclusionHtml(comparison: Comparison): string {
  const verdicts = comparison.conclusion.map((v) => `<p class="verdict">${escapeHtml(v)}</p>`);
  const caveats = comparison.caveats.length
    ? [
        `<ul class="caveats">\n${comparison.caveats.map((c) => `  <li>${inlineCodeSpans(c, 'html')}</li>`).join('\n')}\n</ul>`,
      ]
    : [];
  return [...verdicts, ...caveats].join('\n');
}

/** Tables and conclusion under their headings. */
export function comparisonHtml(comparison: Comparison): string {
  return `<h2>Comparison</h2>\n${comparisonTablesHtml(comparison)}\n<h2>Conclusion</h2>\n${conclusionHtml(comparison)}`;
}
