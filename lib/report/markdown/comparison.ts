/**
 * The comparison in report.md: a pipe table per pair under its bold title, the note on the
 * columns, the unpaired servers as a list, then the verdicts and caveats as paragraphs. Every
 * piece of data is escaped for inline markdown.
 */
import type { Comparison } from '../../compare/types.ts';
import { hasTables, isWordColumn, pairTable, pairTitle, tableNote, unpairedLine } from '../comparison-table.ts';
import { escapeMarkdown, inlineCodeSpans } from '../format.ts';

function markdownCell(text: string): string {
  return escapeMarkdown(text);
}

/** The per-cell tables of every pair (no heading). */
export function comparisonTablesMarkdown(comparison: Comparison): string {
  const blocks: string[] = [];
  for (const pair of comparison.pairs) {
    const { headers, rows } = pairTable(pair, comparison.rule);
    const lines = [`**${escapeMarkdown(pairTitle(pair))}**`];
    if (rows.length > 0) {
      lines.push('');
      lines.push(`| ${headers.map(markdownCell).join(' | ')} |`);
      lines.push(`|${headers.map((_, i) => (isWordColumn(i) ? ' --- ' : ' ---: ')).join('|')}|`);
      for (const row of rows) lines.push(`| ${row.cells.map(markdownCell).join(' | ')} |`);
    }
    blocks.push(lines.join('\n'));
  }
  if (hasTables(comparison)) blocks.push(escapeMarkdown(tableNote(comparison)));
  if (comparison.unpaired.length > 0) {
    blocks.push(comparison.unpaired.map((s) => `- ${escapeMarkdown(unpairedLine(s), { lineStart: true })}`).join('\n'));
  }
  return blocks.join('\n\n');
}

/** The verdicts and the caveats (no heading). */
export function conclusionMarkdown(comparison: Comparison): string {
  const verdicts = comparison.conclusion.map((v) => escapeMarkdown(v, { lineStart: true }));
  const caveats = comparison.caveats.length
    ? [`Caveats:\n\n${comparison.caveats.map((c) => `- ${inlineCodeSpans(c, 'markdown')}`).join('\n')}`]
    : [];
  return [...verdicts, ...caveats].join('\n\n');
}

/** Tables and conclusion under their headings. */
export function comparisonMarkdown(comparison: Comparison): string {
  return `## Comparison\n\n${comparisonTablesMarkdown(comparison)}\n\n## Conclusion\n\n${conclusionMarkdown(comparison)}`;
}
