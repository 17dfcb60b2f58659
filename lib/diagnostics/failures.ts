/**
 * Resets, timeouts and failed connections, counted per cell.
 *
 * ab's "Failed requests" mixes its kinds (a reset counts under Receive and Exceptions, and
 * under Length too when its body differs), so its total says little about what happened. The
 * engine knows how each request ended; this finding gives those counts, per cell.
 */
import type { CellRecord, FailureTally, Finding } from '../types.ts';
import { findingCell, firstOf, joinList, plural, where } from './common.ts';

export const FAILURES_ID = 'resets-timeouts';

function total(f: FailureTally): number {
  return f.connect + f.reset + f.timeout + f.truncated;
}

function describe(f: FailureTally): string[] {
  return [
    f.reset ? `${f.reset} reset` : '',
    f.timeout ? `${f.timeout} timed out` : '',
    f.connect ? `${f.connect} could not connect` : '',
    f.truncated ? `${f.truncated} cut short (connection closed mid-response)` : '',
  ].filter(Boolean);
}

export function diagnoseFailures(server: string, cells: readonly CellRecord[]): Finding | null {
  const hit = cells.filter((c) => c.signals && total(c.signals.failures) > 0);
  if (hit.length === 0) return null;
  const sum: FailureTally = { connect: 0, reset: 0, timeout: 0, truncated: 0 };
  for (const c of hit) {
    const f = c.signals!.failures;
    sum.connect += f.connect;
    sum.reset += f.reset;
    sum.timeout += f.timeout;
    sum.truncated += f.truncated;
  }
  const n = total(sum);
  const perCell = hit.map((c) => `${where(c)}: ${joinList(describe(c.signals!.failures))} of ${c.requests}`);
  const causes: string[] = [];
  if (sum.reset) {
    causes.push(
      'A reset means the server aborted the connection: a crash of the process or worker handling it, closing a socket ' +
        'with unread request bytes, a connection limit, or an accept queue overflow with net.ipv4.tcp_abort_on_overflow set.',
    );
  }
  if (sum.timeout) {
    causes.push(
      'A timeout means no complete answer came in time: the server hung or stalled on that request, lost it, or its ' +
        'connection was stuck in a full accept queue.',
    );
  }
  if (sum.connect) causes.push('A failed connect means nothing accepted it: the server stopped listening, or the machine ran out of ports or descriptors.');
  if (sum.truncated) causes.push('A response cut short means the server closed a kept-alive connection in the middle of an answer, or without one.');
  return {
    id: FAILURES_ID,
    severity: 'error',
    server,
    cells: hit.map(findingCell),
    title: `${plural(n, 'request')} failed: ${joinList(describe(sum))}`,
    evidence: [
      `Per cell: ${joinList(firstOf(perCell))}.`,
      'ab\'s "Failed requests" column counts a reset up to three times (Receive, Exceptions, Length); these are requests, each once.',
    ],
    cause: causes.join(' '),
  };
}
