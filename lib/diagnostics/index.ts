/**
 * Diagnostics: why a server is slow, from what a bench run observed.
 *
 * Each kind of finding has its own module and is a pure function of the run's cells (their
 * figures, the per-cell signals kept from the request records and kernel counters, and the
 * server's resource use), so findings can be recomputed from results.json and tested on data.
 * The thresholds are in each module with the reason for each: on a noisy two-core machine a
 * healthy server must get no finding over the seed and tugas9 matrices.
 */
import type { CellRecord, Finding, RunResults, ServerRecord } from '../types.ts';
import { diagnoseAcceptQueue } from './accept-queue.ts';
import { diagnoseDelayedAck } from './delayed-ack.ts';
import { diagnoseErrorResponses } from './error-responses.ts';
import { diagnoseFailures } from './failures.ts';
import { diagnoseFdLeak } from './fd-leak.ts';
import { diagnoseSerialisation } from './serialisation.ts';
import { SEVERITY_ORDER } from './common.ts';

export { ACCEPT_QUEUE_ID, acceptDrops } from './accept-queue.ts';
export { DELAYED_ACK_ID } from './delayed-ack.ts';
export { ERROR_RESPONSES_ID } from './error-responses.ts';
export { FAILURES_ID } from './failures.ts';
export { FD_LEAK_ID } from './fd-leak.ts';
export { SERIALISED_ID } from './serialisation.ts';
export { CellObserver, type CellObservation, type ObserverOptions } from './observe.ts';
export { cellSignals } from './signals.ts';
export { listenBacklog, readTcpCounters } from './netstat.ts';

/** What the diagnostics look for, in words, for "nothing found" messages. */
export const CHECKED = [
  'accept-queue overflow',
  'delayed-ACK stalls',
  'serialisation',
  'non-2xx responses',
  'resets and timeouts',
  'descriptor leaks',
];

/** The findings about one server, worst first. */
export function diagnoseServer(server: ServerRecord, cells: readonly CellRecord[]): Finding[] {
  const found = [
    diagnoseAcceptQueue(server, cells),
    diagnoseFailures(server.name, cells),
    diagnoseErrorResponses(server.name, cells),
    diagnoseDelayedAck(server.name, cells),
    diagnoseSerialisation(server, cells),
    diagnoseFdLeak(server.name, cells),
  ].filter((f): f is Finding => f !== null);
  return found.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

/** The findings of a whole run, server by server in run order. */
export function diagnoseRun(run: Pick<RunResults, 'servers' | 'cells'>): Finding[] {
  const out: Finding[] = [];
  const names = [...new Set([...run.servers.map((s) => s.name), ...run.cells.map((c) => c.server)])];
  for (const name of names) {
    const server = run.servers.find((s) => s.name === name) ?? { name, model: 'unknown', language: 'unknown', command: '', source: '' };
    const cells = run.cells.filter((c) => c.server === name);
    if (cells.length > 0) out.push(...diagnoseServer(server, cells));
  }
  return out;
}
