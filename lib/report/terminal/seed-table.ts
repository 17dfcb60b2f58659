/**
 * The seed's table for one server on a terminal: the model of ../seed-table.ts drawn as a boxed
 * (or ASCII) table, failed and non-2xx figures coloured, with the server's title above and the
 * notes on its cells below.
 */
import type { RunResults } from '../../types.ts';
import { sanitizeTerminal } from '../format.ts';
import {
  NOT_MEASURED,
  seedTableModel,
  serverTitle,
  type SeedTableModel,
  type SeedTableOptions,
} from '../seed-table.ts';
import { renderTextTable, type Align, type Tone } from './text-table.ts';

export interface TerminalTableOptions extends SeedTableOptions {
  /** ANSI colour; off by default so that output piped to a file stays plain. */
  color?: boolean;
  /** Box-drawing characters (default) or plain ASCII. */
  style?: 'box' | 'ascii';
  /** Print "Results for <name> (<model>, <language>)" above the table (default true). */
  title?: boolean;
  /** Wrap headers longer than this many characters (default 10, which keeps the table within 120 columns). */
  headerWidth?: number;
}

/** How a cell of the table stands out: dim when not measured, failures bad, non-2xx a warning. */
function cellTone(model: SeedTableModel): (g: number, r: number, column: number, text: string) => Tone {
  const failedColumn = model.columns.findIndex((c) => c.key === 'failed');
  const non2xxColumn = model.columns.findIndex((c) => c.key === 'non2xx');
  return (g, r, column, text) => {
    if (text === NOT_MEASURED) return 'dim';
    const row = model.groups[g]?.rows[r];
    if (!row?.record) return 'plain';
    if (column === failedColumn && row.record.result.failedRequests > 0) return 'bad';
    if (column === non2xxColumn && row.record.result.non2xx > 0) return 'warn';
    return 'plain';
  };
}

/** The seed's table for one server, for a terminal. */
export function renderSeedTable(run: RunResults, serverName: string, options: TerminalTableOptions = {}): string {
  const model = seedTableModel(run, serverName, options);
  const color = options.color ?? false;
  const align: Align[] = model.columns.map((c) => (c.key === 'no' ? 'center' : 'right'));
  const table = renderTextTable({
    headers: model.columns.map((c) => c.header),
    align,
    groups: model.groups.map((group) => group.rows.map((row) => row.cells)),
    style: options.style ?? 'box',
    color,
    headerWidth: options.headerWidth ?? 10,
    tone: cellTone(model),
  });

  const lines: string[] = [];
  if (options.title ?? true) {
    const title = sanitizeTerminal(serverTitle(model.server));
    lines.push(color ? `\u001b[1m${title}\u001b[22m` : title);
  }
  lines.push(table);
  for (const note of model.notes) lines.push(sanitizeTerminal(note));
  return lines.join('\n');
}
