/**
 * The latency spectrum of a run as rows, for the terminal and report.md: per server, each cell's
 * median run with p50 to p99.99 and the maximum in milliseconds, and for a run with open-model
 * cells the rate asked for beside the rates sent and completed. Pure.
 */
import type { CellRecord, RunResults } from '../types.ts';
import { medianRunsView } from './cells.ts';
import { cellLabel } from './format.ts';

/** What the tables hold, said once under their title (report.md, report.html). */
export const PERCENTILES_NOTE =
  'Milliseconds, from an HDR histogram of the complete requests of each cell (its median run). ' +
  'In an open-model cell (a rate), each request is timed from when it was meant to be sent.';

export interface PercentileTable {
  server: string;
  headers: string[];
  rows: string[][];
}

const ms = (us: number): string => (us / 1000).toFixed(2);
const perS = (rate: number): string => rate.toFixed(1);

function row(c: CellRecord, open: boolean): string[] {
  const p = c.result.percentilesUs!;
  const cells = [cellLabel(c), ms(p.p50), ms(p.p90), ms(p.p99), ms(p.p99_9), ms(p.p99_99), ms(p.max)];
  if (!open) return cells;
  const o = c.result.open;
  return [...cells, ...(o ? [perS(o.targetRate), perS(o.achievedRate), perS(o.completedRate)] : ['', '', ''])];
}

/** One table per server, in run order; none when no cell has percentiles (results written before them). */
export function percentileTables(run: RunResults): PercentileTable[] {
  const cells = medianRunsView(run).filter((c) => c.result.percentilesUs !== undefined);
  const open = cells.some((c) => c.result.open !== undefined);
  const headers = ['cell', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'p99.99 ms', 'max ms'];
  if (open) headers.push('target /s', 'sent /s', 'completed /s');
  return [...new Set(cells.map((c) => c.server))].map((server) => ({
    server,
    headers,
    rows: cells.filter((c) => c.server === server).map((c) => row(c, open)),
  }));
}
