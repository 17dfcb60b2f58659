/**
 * The latency spectrum of each cell on the terminal, under the seed tables (the rows are
 * lib/report/percentile-rows.ts): what ab's table cannot show.
 */
import type { RunResults } from '../../types.ts';
import { sanitizeTerminal } from '../format.ts';
import { engineNoteLines, percentileTables } from '../percentile-rows.ts';
import { renderTextTable } from './text-table.ts';

/** One table per server with percentiles, or '' when no cell has them (results written before them). */
export function renderPercentilesText(run: RunResults, options: { color?: boolean } = {}): string {
  const notes = engineNoteLines(run).map((line) => sanitizeTerminal(line));
  const tables = percentileTables(run)
    .map((t) => {
      const table = renderTextTable({
        headers: t.headers,
        align: t.headers.map((_, i) => (i === 0 ? 'left' : 'right')),
        groups: [t.rows],
        color: options.color ?? false,
      });
      return `${sanitizeTerminal(`Latency percentiles for ${t.server}`)}\n${table}`;
    })
    .join('\n\n');
  return notes.length && tables ? `${tables}\n${notes.join('\n')}` : tables;
}
