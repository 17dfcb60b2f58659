/**
 * The "Latency percentiles" section of report.md: a pipe table per server (the rows are
 * lib/report/percentile-rows.ts), from an HDR histogram of each cell's complete requests.
 */
import type { RunResults } from '../../types.ts';
import { escapeMarkdown } from '../format.ts';
import { PERCENTILES_NOTE, engineNoteLines, percentileTables } from '../percentile-rows.ts';

export function renderPercentilesMarkdown(run: RunResults): string {
  const tables = percentileTables(run);
  if (tables.length === 0) return '';
  const row = (cells: string[]): string => `| ${cells.map((c) => escapeMarkdown(c)).join(' | ')} |`;
  const blocks = tables.map((t) =>
    [
      `### ${escapeMarkdown(t.server)}`,
      '',
      row(t.headers),
      `|${t.headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
      ...t.rows.map(row),
    ].join('\n'),
  );
  const notes = engineNoteLines(run).map((line) => `- ${escapeMarkdown(line)}`);
  const engines = notes.length ? `\n\n${notes.join('\n')}` : '';
  return `## Latency percentiles\n\n${escapeMarkdown(PERCENTILES_NOTE)}${engines}\n\n${blocks.join('\n\n')}`;
}
