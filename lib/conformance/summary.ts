/**
 * What every conformance report shares: verdict counts per server, and the details of a result
 * that did not pass (its wire log and the commands that replay it).
 */
import type { CaseInfo, CaseResult, CheckRun, CheckServerRecord, Verdict } from './types.ts';
import { gauntletReplay, renderWireLog } from './wire-log.ts';

/** Verdicts in the order summaries list them. */
export const VERDICTS: readonly Verdict[] = ['pass', 'warn', 'fail', 'info', 'skip', 'harness-error', 'not-run', 'n/a'];

/** Verdicts a counts line names only when some result has them: a run without them reads as it always did. */
const SHOWN_WHEN_PRESENT: ReadonlySet<Verdict> = new Set<Verdict>(['not-run', 'n/a']);

export type VerdictCounts = Record<Verdict, number>;

export function countVerdicts(results: readonly CaseResult[]): VerdictCounts {
  const counts: VerdictCounts = {
    pass: 0,
    warn: 0,
    fail: 0,
    info: 0,
    skip: 0,
    'harness-error': 0,
    'not-run': 0,
    'n/a': 0,
  };
  for (const r of results) counts[r.verdict] += 1;
  return counts;
}

/**
 * "40 pass, 2 warn, 1 fail, 3 info, 2 skip, 0 harness-error", then ", 120 not-run" when cases
 * were not run and ", 4 n/a" when cases found nothing to test: never counted as passes.
 */
export function countsLine(counts: VerdictCounts): string {
  return VERDICTS.filter((v) => !SHOWN_WHEN_PRESENT.has(v) || counts[v] > 0)
    .map((v) => `${counts[v]} ${v}`)
    .join(', ');
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}

/**
 * What happened to a server during the check, as clauses for its summary line: its exits and
 * restarts, and whether it stopped answering. Empty for a server that ran throughout.
 */
export function serverNotes(server: CheckServerRecord): string[] {
  const notes: string[] = [];
  const deaths = server.deaths ?? [];
  if (deaths.length > 0) {
    const restarted = deaths.filter((d) => d.restarted).length;
    const killers = [...new Set(deaths.map((d) => d.caseId).filter((id): id is string => id !== undefined))];
    const exits = [...new Set(deaths.map((d) => d.exit))].join(', ');
    const by =
      killers.length > 0 ? ` during ${killers.join(', ')}` : ' (no case in flight made it exit when run alone)';
    notes.push(`exited ${times(deaths.length)} (${exits})${by}; restarted ${times(restarted)}`);
  }
  if (server.stoppedAnswering) notes.push(server.stoppedAnswering);
  return notes;
}

/** The results of one server, in case order. */
export function serverResults(run: CheckRun, server: string): CaseResult[] {
  return run.results.filter((r) => r.server === server);
}

/** A server's one-line summary: its counts, or why it has none. */
export function serverSummary(run: CheckRun, server: CheckServerRecord): string {
  const results = serverResults(run, server.name);
  const counts = [countsLine(countVerdicts(results)), ...serverNotes(server)].join('; ');
  if (!server.error) return `${server.name}: ${counts}`;
  const firstLine = server.error.split('\n')[0] ?? server.error;
  return results.length > 0
    ? `${server.name}: ${counts}; FAILED: ${firstLine}`
    : `${server.name}: FAILED: ${firstLine}`;
}

/**
 * Whether the run holds a failure: a MUST miss, a server that did not start, exited during the
 * check (restarted or not) or stopped answering.
 */
export function runFailed(run: CheckRun): boolean {
  return (
    run.servers.some((s) => s.error || (s.deaths?.length ?? 0) > 0 || s.stoppedAnswering) ||
    run.results.some((r) => r.verdict === 'fail')
  );
}

export interface ResultDetail {
  /** The wire log of the exchange, then of the liveness probe when it matters. */
  log: string;
  /** `npx gauntlet check --server NAME --case ID` */
  replay: string;
  /** The request by hand with printf and nc, when it fits on a command line. */
  printf: string | null;
}

export function caseById(run: CheckRun, id: string): CaseInfo | undefined {
  return run.cases.find((c) => c.id === id);
}

/** The wire logs and replay commands of one result. */
export function resultDetail(run: CheckRun, result: CaseResult): ResultDetail {
  const info = caseById(run, result.caseId);
  const server = run.servers.find((s) => s.name === result.server);
  const replay = gauntletReplay(server?.serverFlag ?? `--server ${result.server}`, result.caseId);
  const recorded = result.recorded;
  if (recorded)
    return {
      log: recorded.wireLog ?? `(the wire log of this exchange is in ${recorded.from}/check.junit.xml)`,
      replay: recorded.replay ?? replay,
      printf: recorded.printfReplay !== undefined ? recorded.printfReplay : (info?.printfReplay ?? null),
    };
  const parts: string[] = [];
  if (result.exchange)
    parts.push(renderWireLog(result.exchange, info?.timeoutMs === undefined ? {} : { timeoutMs: info.timeoutMs }));
  else parts.push('(no exchange)');
  if (result.aliveExchange && result.verdict !== 'pass') {
    parts.push(`liveness probe on a fresh connection:\n${renderWireLog(result.aliveExchange)}`);
  }
  return {
    log: parts.join('\n\n'),
    replay,
    printf: info?.printfReplay ?? null,
  };
}
