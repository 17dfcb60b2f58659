/**
 * Which cells a report shows, in which order, which run stands for a cell measured several
 * times, and why a cell has no figures. Shared by the tables, the comparison, the plots and the
 * diagnostics so that they agree on the layout and on the run they read.
 */
import type { CellRecord, RunResults, ServerRecord } from '../types.ts';
import { slotKey, type CellSlot } from './cell-slot.ts';

export { slotKey, type CellSlot } from './cell-slot.ts';

/**
 * The run's cells in report order: the matrix's groups and concurrencies in the order
 * the matrix lists them, then any recorded cell the matrix does not list (a results
 * file edited by hand, or merged from another matrix), so that no measurement is
 * silently dropped from a report.
 */
export function cellSlots(run: RunResults): CellSlot[] {
  const slots: CellSlot[] = [];
  const seen = new Set<string>();
  run.matrix.groups.forEach((group, index) => {
    for (const concurrency of group.concurrencies) {
      const slot = { group: index, requests: group.requests, concurrency };
      const key = slotKey(slot);
      if (!seen.has(key)) {
        seen.add(key);
        slots.push(slot);
      }
    }
  });
  const extra: CellSlot[] = [];
  for (const record of run.cells) {
    const slot = { group: record.group, requests: record.requests, concurrency: record.concurrency };
    const key = slotKey(slot);
    if (!seen.has(key)) {
      seen.add(key);
      extra.push(slot);
    }
  }
  extra.sort((a, b) => a.group - b.group || a.requests - b.requests || a.concurrency - b.concurrency);
  if (extra.length === 0) return slots;
  // Keep each extra cell next to its group's cells.
  const all = [...slots, ...extra];
  return all
    .map((slot, order) => ({ slot, order }))
    .sort((a, b) => a.slot.group - b.slot.group || a.order - b.order)
    .map(({ slot }) => slot);
}

/** Slots grouped by matrix group, in order; a group is the seed's "No Test" minus one. */
export function groupSlots(slots: CellSlot[]): { group: number; slots: CellSlot[] }[] {
  const groups: { group: number; slots: CellSlot[] }[] = [];
  for (const slot of slots) {
    const last = groups[groups.length - 1];
    if (last && last.group === slot.group) last.slots.push(slot);
    else groups.push({ group: slot.group, slots: [slot] });
  }
  return groups;
}

/**
 * A server's runs by slot, in the order they were measured (by round, then by finish time).
 * A cell measured in several rounds has one record per round.
 */
export function runsByServer(run: RunResults, server: string): Map<string, CellRecord[]> {
  const map = new Map<string, CellRecord[]>();
  for (const record of run.cells) {
    if (record.server !== server) continue;
    const key = slotKey(record);
    map.set(key, [...(map.get(key) ?? []), record]);
  }
  for (const list of map.values()) list.sort(byRound);
  return map;
}

function byRound(a: CellRecord, b: CellRecord): number {
  return (a.round ?? 0) - (b.round ?? 0) || (a.finishedAt < b.finishedAt ? -1 : a.finishedAt > b.finishedAt ? 1 : 0);
}

/** requests per second as a number (results.json turns a non-finite figure into null). */
export function rpsOf(record: CellRecord): number {
  const rps = record.result.requestsPerSecond;
  return Number.isFinite(rps) ? rps : 0;
}

/**
 * The median run of a cell by requests per second: a real run, so that the row it fills has
 * figures that belong together (ab's figures of one run). With an even count, the lower of the
 * two middle runs: the report never rounds a cell up.
 */
export function medianRun(runs: readonly CellRecord[]): CellRecord | null {
  if (runs.length === 0) return null;
  const sorted = [...runs].sort((a, b) => rpsOf(a) - rpsOf(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? null;
}

/**
 * A server's record standing for each slot: the median run (see medianRun), the only run for
 * a cell measured once. Every table and the comparison's figures show this run.
 */
export function recordsByServer(run: RunResults, server: string): Map<string, CellRecord> {
  const map = new Map<string, CellRecord>();
  for (const [key, runs] of runsByServer(run, server)) {
    const median = medianRun(runs);
    if (median) map.set(key, median);
  }
  return map;
}

/** The run with only the median run of each cell of each server: what the diagnostics and plots read. */
export function medianRunsView(run: RunResults): CellRecord[] {
  const keep = new Set<CellRecord>();
  const names = new Set(run.cells.map((c) => c.server));
  for (const name of names) for (const record of recordsByServer(run, name).values()) keep.add(record);
  return run.cells.filter((c) => keep.has(c));
}

/** The reason a server's cell was skipped, when it was. */
export function skippedReason(server: ServerRecord | undefined, slot: CellSlot): string | null {
  const hit = server?.skippedCells?.find((s) => slotKey(s) === slotKey(slot));
  return hit ? hit.reason : null;
}

/** The largest number of records any single cell of any server has. */
export function runsPerCell(run: RunResults): number {
  const counts = new Map<string, number>();
  for (const record of run.cells) {
    const key = `${record.server}\u0000${slotKey(record)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}

/** Why a server has no figures for a cell, in words a reader can act on. */
export function missingReason(run: RunResults, server: ServerRecord): string {
  if (server.stoppedAnswering)
    return `skipped: ${server.name} had stopped answering (${firstLine(server.stoppedAnswering)})`;
  if (server.error) return `not measured: ${server.name} failed (${firstLine(server.error)})`;
  switch (run.status) {
    case 'interrupted':
      return 'not measured: the run was interrupted before this cell';
    case 'failed':
      return 'not measured: the run ended with an error before this cell';
    case 'running':
      return 'not measured yet: the run is still in progress';
    default:
      return 'not measured: no result was recorded for this cell';
  }
}

/** The first non-empty line of a possibly long, multi-line message. */
export function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const trimmed = line.trim();
  return trimmed.length > 200 ? `${trimmed.slice(0, 199)}…` : trimmed;
}
