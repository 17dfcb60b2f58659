/**
 * The "Latency percentiles" section of report.md: a pipe table per server (the rows are
 * lib/report/percentile-rows.ts), from an HDR histogram of each cell's complete requests.
 */
import type { RunResults } from '../../types.ts';
import { escapeMarkdown } from '../format.ts';
import { percentileTables } from '../percentile-rows.ts';

const NOTE =
  'Milliseconds, from an HDR histogram of the complete requests of each cell (its median run). ' +
  'In an open-model cell (a rate), each request is timed from when it was meant to be sent.';

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
  return `## Latency percentiles\n\n${escapeMarkdown(NOTE)}\n\n${blocks.join('\n\n')}`;
}
