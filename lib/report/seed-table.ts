/**
 * The seed's results table for one server: the same columns, rows and grouping as
 * the tables of "Tugas 7", so a run can be read side by side with the original.
 * The model built here is drawn by each output: terminal/seed-table.ts as a boxed table,
 * html/tg-table.ts as the seed's own HTML table (report.html and report.md).
 */
import type { CellRecord, RunResults, ServerRecord } from '../types.ts';
import {
  cellSlots,
  groupSlots,
  medianRun,
  missingReason,
  rpsOf,
  runsByServer,
  skippedReason,
  slotKey,
  type CellSlot,
} from './cells.ts';
import { cellLabel, fixed, integer, plural } from './format.ts';

/** Shown in place of a figure that was not measured. */
export const NOT_MEASURED = '—';

/** The seed's column names, verbatim. */
export const SEED_COLUMNS = [
  'No Test',
  'Concurrency Level',
  'Time Taken a Test (second)',
  'Complete Request',
  'Failed Request',
  'Total Transferred (bytes)',
  'Request per Second (#/sec)',
  'Time per Request (ms)',
  'Transfer Rate (Kbytes/sec)',
] as const;

export const NON_2XX_COLUMN = 'Non-2xx Responses';
export const P50_COLUMN = 'Latency p50 (ms)';
export const P99_COLUMN = 'Latency p99 (ms)';
/** With several runs per cell: the range of requests per second over them, beside the median run's figures. */
export const SPREAD_COLUMN = 'Request per Second min-max (#/sec)';

export type SeedColumnKey =
  | 'no'
  | 'concurrency'
  | 'time'
  | 'complete'
  | 'failed'
  | 'non2xx'
  | 'total'
  | 'rps'
  | 'tpr'
  | 'rate'
  | 'p50'
  | 'p99'
  | 'spread';

export interface SeedColumn {
  key: SeedColumnKey;
  header: string;
}

export interface SeedTableOptions {
  /** Add p50 and p99 latency columns, in ms. Off by default: the seed has none. */
  latency?: boolean;
}

export interface SeedTableRow {
  slot: CellSlot;
  /** The row's texts, one per column; "No Test" is empty except on a group's first row. */
  cells: string[];
  /** The run the row shows: the median run by requests per second (the only run of a one-run cell). */
  record: CellRecord | null;
  /** Every run of the cell, in round order. */
  runs: CellRecord[];
  /** Set when the row has no figures. */
  missing: string | null;
}

export interface SeedTableGroup {
  /** The seed's "No Test": the matrix group index plus one. */
  no: number;
  rows: SeedTableRow[];
}

export interface SeedTableModel {
  server: ServerRecord;
  columns: SeedColumn[];
  groups: SeedTableGroup[];
  /** One line per reason some cells show "—", naming the cells. */
  notes: string[];
}

function findServer(run: RunResults, name: string): ServerRecord {
  const found = run.servers.find((s) => s.name === name);
  if (found) return found;
  if (run.cells.some((c) => c.server === name)) {
    return { name, model: 'unknown', language: 'unknown', command: '', source: 'results.json' };
  }
  throw new RangeError(`no server named "${name}" in these results`);
}

function columnsFor(records: CellRecord[], options: SeedTableOptions, manyRuns: boolean): SeedColumn[] {
  const [no, concurrency, time, complete, failed, total, rps, tpr, rate] = SEED_COLUMNS;
  const columns: SeedColumn[] = [
    { key: 'no', header: no },
    { key: 'concurrency', header: concurrency },
    { key: 'time', header: time },
    { key: 'complete', header: complete },
    { key: 'failed', header: failed },
  ];
  // ab prints non-2xx responses on their own line, apart from failures. A table that
  // drops them would hide that the benchmark measured an error page.
  if (records.some((r) => r.result.non2xx > 0)) columns.push({ key: 'non2xx', header: NON_2XX_COLUMN });
  columns.push(
    { key: 'total', header: total },
    { key: 'rps', header: rps },
    { key: 'tpr', header: tpr },
    { key: 'rate', header: rate },
  );
  if (options.latency) columns.push({ key: 'p50', header: P50_COLUMN }, { key: 'p99', header: P99_COLUMN });
  // After the seed's columns, so that its layout stays as it was.
  if (manyRuns) columns.push({ key: 'spread', header: SPREAD_COLUMN });
  return columns;
}

/** A rate with about three significant figures, and no fewer than the integer part: 1520, 45.2, 4.04. */
function compactRate(value: number): string {
  return fixed(value, value >= 100 ? 0 : value >= 10 ? 1 : 2);
}

/**
 * "1520-1811", the range of requests per second over a cell's runs, compact so that the table
 * with this column stays about as wide as the seed's.
 */
export function spreadText(runs: readonly CellRecord[]): string {
  if (runs.length === 0) return NOT_MEASURED;
  const rps = runs.map(rpsOf);
  return `${compactRate(Math.min(...rps))}-${compactRate(Math.max(...rps))}`;
}

function cellText(key: SeedColumnKey, slot: CellSlot, record: CellRecord | null, runs: readonly CellRecord[]): string {
  if (key === 'no') return String(slot.group + 1);
  if (key === 'concurrency') return String(record?.result.concurrencyLevel ?? slot.concurrency);
  if (!record) return NOT_MEASURED;
  const r = record.result;
  switch (key) {
    case 'time':
      return fixed(r.timeTakenS, 3);
    case 'complete':
      return integer(r.completeRequests);
    case 'failed':
      return integer(r.failedRequests);
    case 'non2xx':
      return integer(r.non2xx);
    case 'total':
      return integer(r.totalTransferred);
    case 'rps':
      return fixed(r.requestsPerSecond, 2);
    case 'tpr':
      // The seed's "Time per Request" is ab's second line, "(mean, across all concurrent
      // requests)" = time * 1000 / complete: its 202.080 ms at C = 5 for 10 requests in
      // 2.021 s is that figure, where ab's first line would read 1010.4 ms.
      return fixed(r.timePerRequestAcrossMs, 3);
    case 'rate':
      return fixed(r.transferRateKBps, 2);
    case 'p50':
      return fixed(r.latencyUs?.p50 / 1000, 3);
    case 'p99':
      return fixed(r.latencyUs?.p99 / 1000, 3);
    case 'spread':
      return spreadText(runs);
  }
}

/** "n=10 c=1, n=10 c=5": the cells a note is about. */
function cells(slots: readonly CellSlot[]): string {
  return slots.map(cellLabel).join(', ');
}

/** Notes on rows whose figures need a word: runs that failed beside the median shown, runs stopped early. */
function runNotesFor(rows: readonly SeedTableRow[], manyRuns: boolean, rounds: number): string[] {
  const notes: string[] = [];
  const measured = rows.filter((r) => r.record);
  if (manyRuns) {
    const most = Math.max(...measured.map((r) => r.runs.length));
    notes.push(
      `Each row is the median of up to ${most} runs of the cell by requests per second; the last column is the range over them.`,
    );
  }
  for (const row of measured) {
    const failed = row.runs.reduce((n, r) => n + r.result.failedRequests, 0);
    const requested = row.runs.reduce((n, r) => n + r.result.requested, 0);
    if (manyRuns && failed > (row.record?.result.failedRequests ?? 0)) {
      notes.push(
        `${cellLabel(row.slot)}: ${integer(failed)} of ${integer(requested)} requests failed over its ${row.runs.length} runs (the median run shown: ${integer(row.record!.result.failedRequests)}).`,
      );
    }
    const stopped = row.runs.flatMap((r) => (r.result.stopped ? [r.result.stopped] : []));
    if (stopped.length > 0) {
      const first = stopped[0]!;
      const times = row.runs.length > 1 ? ` (${stopped.length} of ${row.runs.length} runs)` : '';
      // bench runs no more rounds of a cell once a run of it stopped: it is failed, never ranked.
      const rest =
        row.runs.length < rounds
          ? `; its other ${plural(rounds - row.runs.length, 'run')} ${rounds - row.runs.length === 1 ? 'was' : 'were'} not made`
          : '';
      notes.push(`${cellLabel(row.slot)} stopped early${times}: ${first.reason}${rest}.`);
    }
  }
  return notes;
}

/** The seed table's content for one server, independent of how it is drawn. */
export function seedTableModel(run: RunResults, serverName: string, options: SeedTableOptions = {}): SeedTableModel {
  const server = findServer(run, serverName);
  const runs = runsByServer(run, serverName);
  const manyRuns = [...runs.values()].some((list) => list.length > 1);
  const records = [...runs.values()].flatMap((list) => list);
  const columns = columnsFor(records, options, manyRuns);
  const fallback = missingReason(run, server);
  const missing = new Map<string, CellSlot[]>();

  const groups = groupSlots(cellSlots(run)).map(({ group, slots }) => ({
    no: group + 1,
    rows: slots.map((slot, index): SeedTableRow => {
      const list = runs.get(slotKey(slot)) ?? [];
      const record = medianRun(list);
      const reason = record ? null : (skippedReason(server, slot) ?? fallback);
      if (reason) missing.set(reason, [...(missing.get(reason) ?? []), slot]);
      const texts = columns.map((column) =>
        column.key === 'no' && index > 0 ? '' : cellText(column.key, slot, record, list),
      );
      return { slot, cells: texts, record, runs: list, missing: reason };
    }),
  }));

  const notes = [
    ...runNotesFor(
      groups.flatMap((g) => g.rows),
      manyRuns,
      run.rounds ?? 1,
    ),
    ...[...missing].map(([reason, slots]) => `${NOT_MEASURED} ${cells(slots)}: ${reason}`),
  ];
  return { server, columns, groups, notes };
}

/** The heading the reports use for a server: "Results for <name> (<model>, <language>)". */
export function serverTitle(server: ServerRecord): string {
  return `Results for ${server.name} (${server.model}, ${server.language})`;
}
