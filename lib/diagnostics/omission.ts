/**
 * Coordinated omission: a closed-loop cell whose few stalled requests held the connections for a
 * large part of its time (lib/load/omission.ts decides it from the request records, and the
 * engine stores it as CellResult.omission). The percentiles of such a cell under-count the
 * stalls, since the load generator sent nothing while it waited; an open-model run (--rate)
 * times every request from when it was meant to be sent, and shows them in full.
 */
import type { CellRecord, Finding } from '../types.ts';
import { findingCell, firstOf, joinList, plural, where } from './common.ts';
import type { FindingKind } from './finding-kind.ts';

export const OMISSION_ID = 'coordinated-omission';

export function diagnoseOmission(server: string, cells: readonly CellRecord[]): Finding | null {
  const hit = cells.filter((c) => c.result.omission !== undefined);
  if (hit.length === 0) return null;
  const perCell = hit.map((c) => `${where(c)}: ${c.result.omission!.note}`);
  return {
    id: OMISSION_ID,
    severity: 'warning',
    server,
    cells: hit.map(findingCell),
    title: `Rare stalls held the connections for much of the time in ${plural(hit.length, 'cell')}: the closed-loop percentiles under-count them`,
    evidence: [joinList(firstOf(perCell))],
    cause:
      'The server stops answering now and then (a garbage collection, a lock, a flush) while it is fast otherwise. ' +
      'A closed loop waits with it and sends nothing, so each stall is one slow request per connection among ' +
      'thousands of quick ones. Measure with --rate R --duration D: requests are then sent on a schedule and timed ' +
      'from when they were meant to be sent, and the stalls weigh in the percentiles as long as they lasted.',
  };
}

export const omissionFinding: FindingKind = {
  id: OMISSION_ID,
  lookedFor: 'coordinated omission',
  looksAt: "each closed-loop cell's slowest requests against its median and its time",
  diagnose: ({ server, cells }) => diagnoseOmission(server.name, cells),
};
