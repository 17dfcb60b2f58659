/**
 * The latency spectrum of each cell on the terminal, under the seed tables: p50 to p99.99 and the
 * maximum (the median run of each cell), and for open-model cells the rate asked for beside the
 * rates sent and completed. ab's table keeps its columns; this is what it cannot show.
 */
import type { CellRecord, RunResults } from '../../types.ts';
import { medianRunsView } from '../cells.ts';
import { cellLabel, sanitizeTerminal } from '../format.ts';
import { renderTextTable } from './text-table.ts';

const ms = (us: number): string => (us / 1000).toFixed(2);
const perS = (rate: number): string => rate.toFixed(1);

function row(c: CellRecord, open: boolean): string[] {
  const p = c.result.percentilesUs!;
  const cells = [cellLabel(c), ms(p.p50), ms(p.p90), ms(p.p99), ms(p.p99_9), ms(p.p99_99), ms(p.max)];
  if (!open) return cells;
  const o = c.result.open;
  return [...cells, ...(o ? [perS(o.targetRate), perS(o.achievedRate), perS(o.completedRate)] : ['', '', ''])];
}

/** One table per server with percentiles, or '' when no cell has them (results written before them). */
export function renderPercentilesText(run: RunResults, options: { color?: boolean } = {}): string {
  const cells = medianRunsView(run).filter((c) => c.result.percentilesUs !== undefined);
  if (cells.length === 0) return '';
  const open = cells.some((c) => c.result.open !== undefined);
  const headers = ['cell', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'p99.99 ms', 'max ms'];
  if (open) headers.push('target /s', 'sent /s', 'completed /s');
  const blocks: string[] = [];
  for (const server of [...new Set(cells.map((c) => c.server))]) {
    const rows = cells.filter((c) => c.server === server).map((c) => row(c, open));
    const table = renderTextTable({
      headers,
      align: headers.map((_, i) => (i === 0 ? 'left' : 'right')),
      groups: [rows],
      color: options.color ?? false,
    });
    blocks.push(`${sanitizeTerminal(`Latency percentiles for ${server}`)}\n${table}`);
  }
  return blocks.join('\n\n');
}
