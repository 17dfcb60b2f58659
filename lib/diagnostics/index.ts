/**
 * Diagnostics: why a server is slow, from what a bench run observed.
 *
 * Each kind of finding has its own module and is a pure function of the run's cells (their
 * figures, the per-cell signals kept from the request records and kernel counters, and the
 * server's resource use), so findings can be recomputed from results.json and tested on data.
 * The thresholds are in each module with the reason for each: on a noisy two-core machine a
 * healthy server must get no finding over the seed and tugas9 matrices.
 *
 * FINDING_KINDS lists every kind once: a new finding is its module, exporting its FindingKind,
 * and one line here.
 */
import type { Finding, RunResults, ServerRecord, CellRecord } from '../types.ts';
import { acceptQueueFinding } from './accept-queue.ts';
import { delayedAckFinding } from './delayed-ack.ts';
import { errorResponsesFinding } from './error-responses.ts';
import { failuresFinding } from './failures.ts';
import { fdLeakFinding } from './fd-leak.ts';
import { serialisationFinding } from './serialisation.ts';
import { omissionFinding } from './omission.ts';
import { SEVERITY_ORDER } from './common.ts';
import type { DiagnosisContext, FindingKind } from './finding-kind.ts';

export type { DiagnosisContext, FindingKind } from './finding-kind.ts';
export { ACCEPT_QUEUE_ID, acceptDrops } from './accept-queue.ts';
export { DELAYED_ACK_ID } from './delayed-ack.ts';
export { ERROR_RESPONSES_ID } from './error-responses.ts';
export { FAILURES_ID } from './failures.ts';
export { FD_LEAK_ID } from './fd-leak.ts';
export { SERIALISED_ID } from './serialisation.ts';
export { OMISSION_ID } from './omission.ts';
export { CellObserver, type CellObservation, type ObserverOptions } from './observe.ts';
export { cellSignals } from './signals.ts';
export { listenBacklog, readTcpCounters } from './netstat.ts';

/** Every kind of finding, in the order findings of one severity are reported for a server. */
export const FINDING_KINDS: readonly FindingKind[] = [
  acceptQueueFinding,
  failuresFinding,
  errorResponsesFinding,
  delayedAckFinding,
  serialisationFinding,
  omissionFinding,
  fdLeakFinding,
];

/**
 * The order the reports name what was looked for: what makes a server slow, then what makes the
 * figures measure something else, then leaks. A kind not named here follows in registry order.
 */
const LOOKED_FOR_ORDER = [
  acceptQueueFinding,
  delayedAckFinding,
  serialisationFinding,
  omissionFinding,
  errorResponsesFinding,
  failuresFinding,
  fdLeakFinding,
].map((kind) => kind.id);

function lookedForRank(kind: FindingKind): number {
  const rank = LOOKED_FOR_ORDER.indexOf(kind.id);
  return rank === -1 ? LOOKED_FOR_ORDER.length + FINDING_KINDS.indexOf(kind) : rank;
}

/** What the diagnostics look for, in words, for "nothing found" messages. */
export const LOOKED_FOR: readonly string[] = [...FINDING_KINDS]
  .sort((a, b) => lookedForRank(a) - lookedForRank(b))
  .map((kind) => kind.lookedFor);

/** The findings of one context, worst first (registry order within a severity). */
function diagnose(context: DiagnosisContext): Finding[] {
  const found = FINDING_KINDS.map((kind) => kind.diagnose(context)).filter((f): f is Finding => f !== null);
  return found.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

/** The findings about one server, worst first. */
export function diagnoseServer(server: ServerRecord, cells: readonly CellRecord[]): Finding[] {
  return diagnose({ run: { servers: [server], cells: [...cells] }, server, cells });
}

/** The findings of a whole run, server by server in run order. */
export function diagnoseRun(run: Pick<RunResults, 'servers' | 'cells'>): Finding[] {
  const out: Finding[] = [];
  const names = [...new Set([...run.servers.map((s) => s.name), ...run.cells.map((c) => c.server)])];
  for (const name of names) {
    const server = run.servers.find((s) => s.name === name) ?? {
      name,
      model: 'unknown',
      language: 'unknown',
      command: '',
      source: '',
    };
    const cells = run.cells.filter((c) => c.server === name);
    if (cells.length > 0) out.push(...diagnose({ run, server, cells }));
  }
  return out;
}
