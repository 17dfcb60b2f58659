/**
 * Resets, timeouts and failed connections, counted per cell.
 *
 * ab's "Failed requests" mixes its kinds (a reset counts under Receive and Exceptions, and a
 * complete response of another length under Length), so its total says little about what
 * happened. The engine knows how each failed request ended, each once (FailureKind in
 * lib/load/ab-figures.ts); this finding gives those counts, per cell.
 */
import { emptyFailureTally } from '../load/ab-figures.ts';
import type { CellRecord, FailureTally, Finding } from '../types.ts';
import { findingCell, firstOf, joinList, plural, where } from './common.ts';
import type { FindingKind } from './finding-kind.ts';

export const FAILURES_ID = 'resets-timeouts';

function total(f: FailureTally): number {
  return f.connect + f.reset + f.timeout + f.truncated + (f.overrun ?? 0) + (f.oversized ?? 0) + (f.malformed ?? 0);
}

function describe(f: FailureTally): string[] {
  return [
    f.reset ? `${f.reset} reset` : '',
    f.timeout ? `${f.timeout} timed out` : '',
    f.connect ? `${f.connect} could not connect` : '',
    f.truncated ? `${f.truncated} cut short (connection closed mid-response)` : '',
    f.overrun ? `${f.overrun} longer than framed (bytes past Content-Length or the last chunk)` : '',
    f.oversized ? `${f.oversized} with a head over 8 KB` : '',
    f.malformed ? `${f.malformed} with a framing that cannot be followed` : '',
  ].filter(Boolean);
}

export function diagnoseFailures(server: string, cells: readonly CellRecord[]): Finding | null {
  const hit = cells.filter((c) => c.signals && total(c.signals.failures) > 0);
  if (hit.length === 0) return null;
  const sum = emptyFailureTally();
  for (const c of hit) {
    const f = c.signals!.failures;
    sum.connect += f.connect;
    sum.reset += f.reset;
    sum.timeout += f.timeout;
    sum.truncated += f.truncated;
    sum.overrun += f.overrun ?? 0;
    sum.oversized += f.oversized ?? 0;
    sum.malformed += f.malformed ?? 0;
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
  if (sum.connect)
    causes.push(
      'A failed connect means nothing accepted it: the server stopped listening, or the machine ran out of ports or descriptors.',
    );
  if (sum.truncated)
    causes.push(
      'A response cut short means the server closed the connection in the middle of an answer, or without one.',
    );
  if (sum.overrun || sum.malformed) {
    causes.push(
      'A response longer than its framing, or framed in a way that cannot be followed, means the server got Content-Length or chunked encoding wrong.',
    );
  }
  if (sum.oversized)
    causes.push(
      'A head over 8 KB without its blank line means the server never ended its header, or sent something other than HTTP.',
    );
  return {
    id: FAILURES_ID,
    severity: 'error',
    server,
    cells: hit.map(findingCell),
    title: `${plural(n, 'request')} failed: ${joinList(describe(sum))}`,
    evidence: [
      `Per cell: ${joinList(firstOf(perCell))}.`,
      'ab\'s "Failed requests" line counts a reset twice (Receive, Exceptions) and complete responses of another length under Length; these are requests, each once.',
    ],
    cause: causes.join(' '),
  };
}

export const failuresFinding: FindingKind = {
  id: FAILURES_ID,
  lookedFor: 'resets and timeouts',
  looksAt:
    'how each failed request of each cell ended: refused or failed connect, reset, timeout, cut short, longer than framed, head too large, unframeable',
  diagnose: ({ server, cells }) => diagnoseFailures(server.name, cells),
};
