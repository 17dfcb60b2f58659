/**
 * Holds the explanations to the results (pure): every failure of a MUST or security case needs
 * an entry, and every entry needs a failure. A failure without one is unexplained; an entry for
 * a case that does not exist, a server the matrix does not have, or a case its server no longer
 * fails is stale. Either makes the matrix exit 1, so that the table cannot drift from its text.
 */
import type { CaseInfo, CaseResult } from '../conformance/types.ts';
import { deviationKey, type Deviation } from './deviations.ts';

/** A failure with no explanation. */
export interface Unexplained {
  server: string;
  caseId: string;
  level: string;
  /** The verdict's reason, as the run gave it. */
  reason: string;
}

/** An explanation that explains nothing now. */
export interface Stale {
  deviation: Deviation;
  /** Why it is stale: "no case has this id", "lighttpd now passes it". */
  problem: string;
}

export interface Audit {
  /** The explanation of each failure that has one, by deviationKey. */
  explained: Map<string, Deviation>;
  unexplained: Unexplained[];
  stale: Stale[];
}

/** What the audit knows about the servers: every name of the matrix, and those that ran this time. */
export interface AuditServers {
  /** Every server the matrix has, run or not (an entry for another name is stale). */
  known: readonly string[];
  /** The servers whose cases ran this time: only their entries can be judged by results. */
  ran: readonly string[];
}

/** The verdicts a server shows for a case it does not fail, in words for a stale entry. */
function nowSays(verdict: CaseResult['verdict'] | undefined): string {
  if (verdict === undefined) return 'has no result for it';
  if (verdict === 'pass') return 'now passes it';
  return `now gets "${verdict}" for it, not a fail`;
}

/** Matches the results of the servers that ran with the explanations. */
export function auditDeviations(
  cases: readonly CaseInfo[],
  results: readonly CaseResult[],
  deviations: readonly Deviation[],
  servers: AuditServers,
): Audit {
  const caseIds = new Set(cases.map((c) => c.id));
  const levels = new Map(cases.map((c) => [c.id, c.level] as const));
  const verdicts = new Map(results.map((r) => [deviationKey(r.server, r.caseId), r] as const));
  const byKey = new Map(deviations.map((d) => [deviationKey(d.server, d.caseId), d] as const));
  const explained = new Map<string, Deviation>();
  const unexplained: Unexplained[] = [];
  for (const r of results) {
    if (r.verdict !== 'fail') continue;
    const key = deviationKey(r.server, r.caseId);
    const d = byKey.get(key);
    if (d) explained.set(key, d);
    else unexplained.push({ server: r.server, caseId: r.caseId, level: levels.get(r.caseId) ?? '?', reason: r.reason });
  }
  const stale: Stale[] = [];
  for (const d of deviations) {
    if (!caseIds.has(d.caseId)) stale.push({ deviation: d, problem: 'no case has this id (renamed or removed?)' });
    else if (!servers.known.includes(d.server))
      stale.push({ deviation: d, problem: `no server of the matrix is named ${d.server}` });
    else if (servers.ran.includes(d.server) && !explained.has(deviationKey(d.server, d.caseId)))
      stale.push({
        deviation: d,
        problem: `${d.server} ${nowSays(verdicts.get(deviationKey(d.server, d.caseId))?.verdict)}`,
      });
  }
  return { explained, unexplained, stale };
}
