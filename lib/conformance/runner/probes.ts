/**
 * The probes that ask whether a server still answers: GET / on a fresh connection. A
 * `thenAlive` case makes one after its exchange (a 200 is required); a run makes one after a
 * series of unanswered cases (any complete response will do) to tell a server that has stopped
 * answering from one whose cases are slow on purpose.
 */
import type { CaseResult, Exchange } from '../types.ts';
import { exchange, type ClientTls } from '../raw-client.ts';
import { describeObserved } from './outcomes.ts';

/** How long a liveness probe waits for its answer, ms. */
export const ALIVE_TIMEOUT_MS = 3_000;

/** The most a liveness probe takes, ms: a server dripping its answer cannot stretch it. */
export const ALIVE_DEADLINE_MS = ALIVE_TIMEOUT_MS + 1_000;

/** Where a probe goes. */
export interface ProbeTarget {
  host: string;
  port: number;
  /** The server talks TLS. */
  tls?: ClientTls;
}

function getRoot(target: ProbeTarget, settleMs?: number): Promise<Exchange> {
  const request = `GET / HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nConnection: close\r\n\r\n`;
  return exchange(target.host, target.port, [{ data: request }], {
    timeoutMs: ALIVE_TIMEOUT_MS,
    deadlineMs: ALIVE_DEADLINE_MS,
    methods: ['GET'],
    expectResponses: 1,
    ...(target.tls && { tls: target.tls }),
    ...(settleMs === undefined ? {} : { settleMs }),
  });
}

/**
 * After a case, a fresh connection must still get 200 for GET /. Returns null when it did, or
 * what happened instead; a refused connection here means the server died.
 */
export async function probeAlive(target: ProbeTarget): Promise<{ problem: string | null; exchange: Exchange }> {
  const ex = await getRoot(target);
  const unreached = ex.connectFailure ?? ex.harnessError;
  if (unreached) {
    return { problem: `the server stopped answering: afterwards, ${unreached}`, exchange: ex };
  }
  const first = ex.responses[0];
  if (first?.status === 200) return { problem: null, exchange: ex };
  return {
    problem: `afterwards, GET / on a fresh connection should get 200 but ${describeObserved(ex, ALIVE_TIMEOUT_MS)}`,
    exchange: ex,
  };
}

/**
 * Whether the server answers at all: GET / on a fresh connection, any complete response
 * within ALIVE_TIMEOUT_MS. Null when it does, else what happened instead.
 */
export async function probeAnswering(target: ProbeTarget): Promise<string | null> {
  const ex = await getRoot(target, 0);
  if (ex.responses.some((r) => !r.incomplete)) return null;
  return describeObserved(ex, ALIVE_TIMEOUT_MS);
}

/**
 * A case the server did not answer: no connection, not a byte within the silence limit, or
 * a response never finished by the deadline. A healthy server has a few (cases about
 * timeouts wait on purpose), never a long run of them and then a failed probe.
 */
export function unanswered(r: CaseResult): boolean {
  const ex = r.exchange;
  if (!ex || ex.harnessError) return false;
  if (ex.connectFailure) return true;
  if (ex.limit?.kind === 'deadline') return true;
  return ex.received.length === 0 && ex.closedBy === 'client-timeout';
}
