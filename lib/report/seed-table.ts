/**
 * The seed's results table for one server: the same columns, rows and grouping as
 * the tables of "Tugas 7", so a run can be read side by side with the original.
 * The model built here feeds the terminal table below and the HTML layout in tg-table.ts.
 */
import type { CellRecord, RunResults, ServerRecord } from '../types.ts';
import { cellSlots, groupSlots, missingReason, recordsByServer, slotKey, type CellSlot } from './cells.ts';
import { cellLabel, fixed, integer, sanitizeTerminal } from './format.ts';
import { renderTextTable, type Align, type Tone } from './text-table.ts';

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
  | 'p99';

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
  record: CellRecord | null;
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

function columnsFor(records: CellRecord[], options: SeedTableOptions): SeedColumn[] {
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
  return columns;
}

function cellText(key: SeedColumnKey, slot: CellSlot, record: CellRecord | null): string {
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
  }
}

/** The seed table's content for one server, independent of how it is drawn. */
export function seedTableModel(run: RunResults, serverName: string, options: SeedTableOptions = {}): SeedTableModel {
  const server = findServer(run, serverName);
  const records = recordsByServer(run, serverName);
  const columns = columnsFor([...records.values()], options);
  const reason = missingReason(run, server);
  const missingCells: CellSlot[] = [];

  const groups = groupSlots(cellSlots(run)).map(({ group, slots }) => ({
    no: group + 1,
    rows: slots.map((slot, index): SeedTableRow => {
      const record = records.get(slotKey(slot)) ?? null;
      if (!record) missingCells.push(slot);
      const cells = columns.map((column) =>
        column.key === 'no' && index > 0 ? '' : cellText(column.key, slot, record),
      );
      return { slot, cells, record, missing: record ? null : reason };
    }),
  }));

  const notes =
    missingCells.length === 0 ? [] : [`${NOT_MEASURED} ${missingCells.map(cellLabel).join(', ')}: ${reason}`];
  return { server, columns, groups, notes };
}

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

/** The heading the reports use for a server: "Results for <name> (<model>, <language>)". */
export function serverTitle(server: ServerRecord): string {
  return `Results for ${server.name} (${server.model}, ${server.language})`;
}

/** The seed's table for one server, for a terminal. */
export function renderSeedTable(run: RunResults, serverName: string, options: TerminalTableOptions = {}): string {
  const model = seedTableModel(run, serverName, options);
  const color = options.color ?? false;
  const align: Align[] = model.columns.map((c) => (c.key === 'no' ? 'center' : 'right'));
  const failedColumn = model.columns.findIndex((c) => c.key === 'failed');
  const non2xxColumn = model.columns.findIndex((c) => c.key === 'non2xx');

  const tone = (g: number, r: number, column: number, text: string): Tone => {
    if (text === NOT_MEASURED) return 'dim';
    const row = model.groups[g]?.rows[r];
    if (!row?.record) return 'plain';
    if (column === failedColumn && row.record.result.failedRequests > 0) return 'bad';
    if (column === non2xxColumn && row.record.result.non2xx > 0) return 'warn';
    return 'plain';
  };

  const table = renderTextTable({
    headers: model.columns.map((c) => c.header),
    align,
    groups: model.groups.map((group) => group.rows.map((row) => row.cells)),
    style: options.style ?? 'box',
    color,
    headerWidth: options.headerWidth ?? 10,
    tone,
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
