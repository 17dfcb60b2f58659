/**
 * The comparison on a terminal: a boxed table per pair, coloured by tone when colour is on, the
 * note on the columns, the unpaired servers, then the verdicts and caveats. Data is sanitized:
 * a server name could carry escape sequences.
 */
import type { Comparison } from '../../compare/types.ts';
import {
  hasTables,
  isWordColumn,
  pairTable,
  pairTitle,
  tableNote,
  unpairedLine,
  type ComparisonRow,
} from '../comparison-table.ts';
import { sanitizeTerminal } from '../format.ts';
import { renderTextTable } from './text-table.ts';

/** Rows grouped by matrix group, so that the table rules off each group. */
function byGroup(rows: ComparisonRow[]): ComparisonRow[][] {
  const groups: ComparisonRow[][] = [];
  for (const row of rows) {
    const last = groups[groups.length - 1];
    if (last && last[0]?.group === row.group) last.push(row);
    else groups.push([row]);
  }
  return groups;
}

/** The per-cell tables of every pair (no heading). */
export function comparisonTablesText(comparison: Comparison, color: boolean): string {
  const blocks: string[] = [];
  for (const pair of comparison.pairs) {
    const { headers, rows } = pairTable(pair, comparison.rule);
    const groups = byGroup(rows);
    const lines = [sanitizeTerminal(pairTitle(pair))];
    if (rows.length > 0) {
      lines.push(
        renderTextTable({
          headers: headers.map(sanitizeTerminal),
          align: headers.map((_, i) => (isWordColumn(i) ? 'left' : 'right')),
          groups: groups.map((g) => g.map((r) => r.cells.map(sanitizeTerminal))),
          color,
          headerWidth: 16,
          tone: (g, r, c) => groups[g]?.[r]?.tones[c] ?? 'plain',
        }),
      );
    }
    blocks.push(lines.join('\n'));
  }
  if (hasTables(comparison)) blocks.push(tableNote(comparison));
  for (const s of comparison.unpaired) blocks.push(sanitizeTerminal(unpairedLine(s)));
  return blocks.join('\n\n');
}

/** The verdicts and the caveats (no heading). */
export function conclusionText(comparison: Comparison): string {
  const verdicts = comparison.conclusion.map(sanitizeTerminal);
  const caveats = comparison.caveats.length
    ? [`Caveats:\n${comparison.caveats.map((c) => `  - ${c}`).join('\n')}`]
    : [];
  return [...verdicts, ...caveats].join('\n\n');
}

/** Tables and conclusion under their headings, bold when colour is on. */
export function comparisonText(comparison: Comparison, color: boolean): string {
  const bold = (t: string): string => (color ? `\u001b[1m${t}\u001b[22m` : t);
  const parts = [
    bold('Comparison'),
    comparisonTablesText(comparison, color),
    bold('Conclusion'),
    conclusionText(comparison),
  ];
  return parts.filter((p) => p !== '').join('\n\n');
}
