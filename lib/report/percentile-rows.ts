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

/**
 * One line per distinct engine and note among the cells of another engine than Gauntlet's own
 * (a Locust cell: bucketed percentiles, no header bytes, a paced rate), shown under the
 * percentiles so that the figures are not read with ab's definitions.
 */
export function engineNoteLines(run: RunResults): string[] {
  const lines = new Set<string>();
  for (const c of run.cells) {
    const r = c.result;
    if (r.engine === undefined) continue;
    const who = `${r.engine}${r.workers === undefined ? '' : ` (${r.workers} worker${r.workers === 1 ? '' : 's'})`}`;
    for (const note of r.engineNotes ?? []) lines.add(`${who}: ${note}`);
  }
  return [...lines];
}

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
