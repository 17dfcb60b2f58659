/**
 * Descriptor leaks: the server's open file descriptors grow across cells.
 *
 * Descriptors are counted in /proc/<pid>/fd for every process of the server's group, before
 * each cell and once the count has settled after it. A healthy server returns to about where
 * it started once its connections are closed (some open a few descriptors on first use: a
 * cache, a log, a thread pool); a leaking one keeps a descriptor for some or every request.
 * It is a finding when, from the first cell's "before" to the last cell's "after", the count
 * grew by at least 32 and by at least 5% of the requests answered in between, and at least
 * half of the cells ended with more descriptors than they began with.
 */
import type { CellRecord, Finding } from '../types.ts';
import { findingCell, firstOf, joinList, where } from './common.ts';
import type { FindingKind } from './finding-kind.ts';

export const FD_LEAK_ID = 'fd-leak';

export const MIN_FD_GROWTH = 32;
export const MIN_FD_PER_REQUEST = 0.05;

export function diagnoseFdLeak(server: string, cells: readonly CellRecord[]): Finding | null {
  const measured = cells.filter((c) => c.resources);
  if (measured.length < 2) return null;
  const first = measured[0]!.resources!;
  const last = measured[measured.length - 1]!.resources!;
  const growth = last.fdsAfter - first.fdsBefore;
  const requests = measured.reduce((n, c) => n + c.result.completeRequests, 0);
  if (growth < MIN_FD_GROWTH || growth < MIN_FD_PER_REQUEST * requests) return null;
  const grew = measured.filter((c) => c.resources!.fdsAfter > c.resources!.fdsBefore);
  if (grew.length < measured.length / 2) return null;

  const perRequest = growth / Math.max(1, requests);
  const perCell = measured.map((c) => {
    const r = c.resources!;
    const d = r.fdsAfter - r.fdsBefore;
    return `${where(c)}: ${r.fdsBefore} -> ${r.fdsAfter} (${d >= 0 ? '+' : ''}${d})`;
  });
  return {
    id: FD_LEAK_ID,
    severity: perRequest >= 0.5 ? 'error' : 'warning',
    server,
    cells: grew.map(findingCell),
    title: `Open file descriptors grew from ${first.fdsBefore} to ${last.fdsAfter} over ${measured.length} cells: a descriptor leak (about ${perRequest >= 0.095 ? perRequest.toFixed(1) : perRequest.toFixed(2)} per request)`,
    evidence: [
      `Descriptors before and after each cell (all processes of the server, once the count had settled): ${joinList(firstOf(perCell, 8))}.`,
      `${grew.length} of ${measured.length} cells ended with more descriptors than they began with; ${requests} requests were answered in between.`,
    ],
    cause:
      'Something opened for a request is never closed: a file, a socket, a pipe. The server will fail once it reaches its ' +
      'limit (ulimit -n): accept() and open() then fail with EMFILE ("Too many open files"). Close what you open ' +
      '(with / try-finally), including on error paths.',
  };
}

export const fdLeakFinding: FindingKind = {
  id: FD_LEAK_ID,
  lookedFor: 'descriptor leaks',
  looksAt:
    "the server's open file descriptors (every process of its group, from /proc) before each cell and once settled after it, against the requests answered",
  diagnose: ({ server, cells }) => diagnoseFdLeak(server.name, cells),
};
