/**
 * One case against one server: its exchange, then its verdict. The first response slot is
 * matched against the accepted outcomes, the case's own check reads the exchange, and a
 * liveness probe follows when the case asks for one. A miss fails a MUST or security case,
 * warns for a SHOULD case and is only reported for an informational one; a check that finds the situation
 * its requirement is about never arose makes the case `n/a`, never a pass; a server that stops answering or
 * runs into a limit of the client fails whatever the level, and a problem of the harness
 * itself is a harness error, never the server's fault.
 */
import { performance } from 'node:perf_hooks';
import type { Capability, CaseDefinition, CaseResult, Exchange, Level, NotApplicable, Verdict } from '../types.ts';
import { exchange, requestBytes, type ClientTls } from '../raw-client.ts';
import { describeAccepted, describeObserved, observedOutcome, outcomeMatches } from './outcomes.ts';
import { probeAlive } from './probes.ts';
import { requestMethods } from './request-methods.ts';

/** The server a case runs against. */
export interface CaseTarget {
  host: string;
  port: number;
  /** The document root the server was started with. */
  root: string;
  capabilities: readonly Capability[] | readonly string[];
  /** The server's name, for results (default host:port). */
  name?: string;
  /** The server talks TLS: every exchange, and the liveness probe after it, goes over TLS. */
  tls?: ClientTls;
}

/** The default wait for a server, ms, when a case states none. */
export const DEFAULT_CASE_TIMEOUT_MS = 2_000;

export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function missVerdict(level: Level): Verdict {
  if (level === 'MUST' || level === 'security') return 'fail';
  if (level === 'SHOULD') return 'warn';
  return 'info';
}

/** The name results give a target. */
export function targetName(target: Pick<CaseTarget, 'host' | 'port' | 'name'>): string {
  return target.name ?? `${target.host}:${target.port}`;
}

/** Whether a check's answer says the case's situation never arose. */
export function isNotApplicable(checked: string | null | NotApplicable): checked is NotApplicable {
  return typeof checked === 'object' && checked !== null;
}

/** What the case's accepted outcomes and its check found in one exchange. */
interface ExchangeFindings {
  problems: string[];
  /** The check threw: the harness's problem. */
  threw?: string;
  /** The check found nothing to test, and why. */
  notApplicable?: string;
}

/**
 * What is wrong with an exchange the server took part in, by the case's accepted outcomes and
 * its check; a check that throws is the harness's problem, returned as `threw`.
 */
function exchangeProblems(
  c: CaseDefinition,
  ex: Exchange,
  root: string,
  capabilities: readonly string[],
  timeoutMs: number,
): ExchangeFindings {
  // A limit reached is the server's failure whatever was accepted: it never finished answering.
  if (ex.limit) return { problems: [`${ex.limit.message}: ${describeObserved(ex, timeoutMs)}`] };
  if (!c.accept.some((o) => outcomeMatches(o, observedOutcome(ex)))) {
    return { problems: [`expected ${describeAccepted(c.accept, timeoutMs)}; ${describeObserved(ex, timeoutMs)}`] };
  }
  if (!c.check) return { problems: [] };
  try {
    const checked = c.check({ exchange: ex, root, capabilities });
    if (isNotApplicable(checked)) return { problems: [], notApplicable: checked.notApplicable };
    return { problems: checked ? [checked] : [] };
  } catch (err) {
    return { problems: [], threw: `the case's check threw ${errorText(err)}` };
  }
}

/**
 * Where a case's exchange comes from: made for it, or shared with the cases that send the same
 * bytes (SharedExchanges in shared-exchanges.ts).
 */
export type ExchangeSource = (c: CaseDefinition, perform: () => Promise<Exchange>) => Promise<Exchange>;

/**
 * Runs one case against one server. Never rejects: every problem is a verdict. With `source`,
 * the exchange may be one made for another case that sends the same bytes.
 */
export async function runCase(c: CaseDefinition, target: CaseTarget, source?: ExchangeSource): Promise<CaseResult> {
  const started = performance.now();
  const server = targetName(target);
  const result = (verdict: Verdict, reason: string, ex: Exchange | null, alive?: Exchange | null): CaseResult => ({
    caseId: c.id,
    server,
    verdict,
    reason,
    exchange: ex,
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    ...(alive === undefined ? {} : { aliveExchange: alive }),
  });

  const missing = (c.needs ?? []).filter((cap) => !(target.capabilities as readonly string[]).includes(cap));
  if (missing.length > 0) {
    return result('skip', `needs ${missing.join(', ')}, which ${server} does not declare`, null);
  }

  const timeoutMs = c.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  let ex: Exchange;
  try {
    const perform = () =>
      exchange(target.host, target.port, c.request, {
        timeoutMs,
        methods: c.methods ?? requestMethods(requestBytes(c.request)),
        ...(target.tls && { tls: target.tls }),
      });
    ex = await (source ? source(c, perform) : perform());
  } catch (err) {
    return result('harness-error', `the harness failed while exchanging: ${errorText(err)}`, null);
  }
  if (ex.harnessError) return result('harness-error', ex.harnessError, ex);
  if (ex.connectFailure) return result('fail', ex.connectFailure, ex);

  const { problems, threw, notApplicable } = exchangeProblems(
    c,
    ex,
    target.root,
    target.capabilities as readonly string[],
    timeoutMs,
  );
  if (threw !== undefined) return result('harness-error', threw, ex);

  let alive: Exchange | undefined;
  let died = false;
  if (c.thenAlive) {
    const probe = await probeAlive(target);
    alive = probe.exchange;
    if (probe.problem) {
      problems.push(probe.problem);
      died = true;
    }
  }

  if (problems.length === 0) {
    return notApplicable === undefined ? result('pass', '', ex, alive) : result('n/a', notApplicable, ex, alive);
  }
  // A server that stops answering after a case failed it, whatever the case's level.
  const verdict = died || ex.limit !== undefined ? 'fail' : missVerdict(c.level);
  return result(verdict, problems.join('; '), ex, alive);
}
