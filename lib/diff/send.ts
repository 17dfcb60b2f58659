/**
 * One request against one server: the request's writes with a probe request after them on the
 * same connection, then GET / on a fresh connection. Both exchanges are bounded (raw-client.ts:
 * a silence limit, a deadline, the bytes kept), so a server that hangs or streams costs a few
 * seconds at most; the run's signal ends them at once.
 */
import { exchange, partBytes, type ClientTls } from '../conformance/raw-client.ts';
import type { Exchange, RequestPart } from '../conformance/types.ts';
import type { DiffRequest } from './generator.ts';

/** A server as the run reaches it. */
export interface DiffTarget {
  name: string;
  host: string;
  port: number;
  tls?: ClientTls;
}

/**
 * The request that follows the generated one on its connection. "Connection: close" makes a
 * server close once it has answered it, so the exchange ends without waiting for silence.
 */
export const PROBE_REQUEST = 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';

/**
 * How long silence ends the exchange, ms: below the 1 s header and body timeouts that
 * CONFORMANCE_ENV gives the servers, so that a server waiting for bytes that will not come is
 * seen waiting, and not answering 408 at a time that depends on the machine's load. A loaded
 * machine can still keep a sound server silent this long: the search sends a disagreement that
 * rests on a silence once more before it believes it (search.ts, restsOnSilence).
 */
export const SILENCE_MS = 400;
/** How long the fresh GET / may take, ms. */
const FRESH_TIMEOUT_MS = 2_000;

/** The writes of a request with the probe after its last byte, in the same write. */
export function withProbe(parts: readonly RequestPart[]): RequestPart[] {
  const probe = Buffer.from(PROBE_REQUEST, 'latin1');
  if (parts.length === 0) return [{ data: probe }];
  const last = parts[parts.length - 1]!;
  return [...parts.slice(0, -1), { ...last, data: Uint8Array.from(Buffer.concat([partBytes(last), probe])) }];
}

/** The method of each response a server may send: the request's, then GETs (the probe, and any request the body turns into). */
function methodsFor(req: DiffRequest): string[] {
  return [req.original.method, 'GET', 'GET', 'GET'];
}

export interface Sent {
  exchange: Exchange;
  /** GET / on a fresh connection, afterwards. */
  fresh: Exchange;
  /** The silence limit of the exchange, for its wire log. */
  timeoutMs: number;
}

/** Sends a request (and its probe) to one server, then GET / on a fresh connection. */
export async function sendTo(target: DiffTarget, req: DiffRequest, signal?: AbortSignal): Promise<Sent> {
  const tls = target.tls ? { tls: target.tls } : {};
  const main = await exchange(target.host, target.port, withProbe(req.parts), {
    timeoutMs: SILENCE_MS,
    methods: methodsFor(req),
    ...(signal && { signal }),
    ...tls,
  });
  const fresh = await exchange(target.host, target.port, [{ data: PROBE_REQUEST }], {
    timeoutMs: FRESH_TIMEOUT_MS,
    methods: ['GET'],
    expectResponses: 1,
    settleMs: 0,
    ...(signal && { signal }),
    ...tls,
  });
  return { exchange: main, fresh, timeoutMs: SILENCE_MS };
}
