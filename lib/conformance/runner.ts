/**
 * Runs conformance cases against a running server and decides each verdict: the entry point
 * that check runs, bench and the tests import. Each concept has its own module in runner/:
 *
 * - case.ts: one case's exchange and verdict;
 * - shared-exchanges.ts: one exchange for the cases that send the same bytes, each judged on it;
 * - outcomes.ts: what the first response slot held, and the sentences of a reason;
 * - request-methods.ts: which requests a case sends, for responses to HEAD;
 * - probes.ts: the liveness probe and the stop-answering probe;
 * - exits.ts: a server that exits, and the suspects run again to name the case that did it;
 * - run-cases.ts: a whole run against one server (retries, probes, restarts);
 * - schedule.ts: a plain pool, one promise per case, for test files.
 */
import type { Verdict } from './types.ts';

export { DEFAULT_CASE_TIMEOUT_MS, runCase, type CaseTarget } from './runner/case.ts';
export { describeAccepted, observedOutcome } from './runner/outcomes.ts';
export { requestMethods } from './runner/request-methods.ts';
export { type ServerExit, type ServerWatch } from './runner/exits.ts';
export { COMPACT_KEEP_BYTES, MAX_RESTARTS, RUN_RETAIN_BYTES, runCases, runCasesDetailed } from './runner/run-cases.ts';
export { scheduleCases } from './runner/schedule.ts';

/**
 * The environment servers are started with for conformance: short header and idle timeouts, so
 * that cases about timeouts (408, idle keep-alive connections) take a second, not five.
 */
export const CONFORMANCE_ENV: Readonly<Record<string, string>> = {
  GAUNTLET_HEADER_TIMEOUT_MS: '1000',
  GAUNTLET_IDLE_TIMEOUT_MS: '1000',
};

/** A verdict that fails the server: a MUST miss, or a server that stopped answering. */
export function isFailure(verdict: Verdict): boolean {
  return verdict === 'fail';
}
