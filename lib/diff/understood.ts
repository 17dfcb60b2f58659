/**
 * What a server understood of a request, as a small record two servers can be compared on: a
 * pure function of the exchange (the request, then a probe request on the same connection) and
 * of a fresh connection's GET / afterwards. Only what every correct server must agree on is kept:
 * status classes, not codes or reasons; bodies of 2xx responses only (an error page's words are
 * the server's own); how the connection ended, not when.
 *
 * The probe that follows the request in the same stream is what shows the framing: a server that
 * found the request's end where another did answers the probe where the other does, and one that
 * took part of the request for the next one, or part of the probe for the body, does not.
 */
import { createHash } from 'node:crypto';
import type { Exchange, ParsedResponse } from '../conformance/types.ts';

/** The fields of an understanding, in the order they are compared and shown. */
export const FIELDS = ['responses', 'status', 'body', 'connection', 'alive'] as const;
export type Field = (typeof FIELDS)[number];

/** What one server understood: each field a short text, equal between servers that agree. */
export type Understood = Record<Field, string>;

/** What the fields say, for the report and the help text. */
export const FIELD_MEANINGS: Record<Field, string> = {
  responses: 'how many responses came back on the connection, each whole or cut short, and bytes that parse as none',
  status: 'the status class of each response',
  body: 'the length and digest of the body of each 2xx response (an echo is the body the server parsed)',
  connection: 'how the connection ended: closed by the server, left open, or stopped by the client',
  alive: 'the status class a fresh connection got for GET / afterwards',
};

/** The status class of a response: 2xx, 4xx, ... */
export function statusClass(status: number): string {
  return status >= 100 && status <= 599 ? `${Math.floor(status / 100)}xx` : `status ${status}`;
}

function digest(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 12);
}

function responseShape(r: ParsedResponse): string {
  return r.incomplete ? 'cut short' : 'whole';
}

/** The connection's end when the server neither answered nor closed within the silence limit. */
export const SILENCE_CONNECTION = 'left open (silence)';
/** The fresh GET / when it got no answer within its limit. */
export const SILENCE_ALIVE = 'no answer (silence)';

/** Who ended the connection, without the timings that differ between correct servers. */
function connectionEnd(ex: Exchange): string {
  switch (ex.closedBy) {
    case 'server':
      // A reset or a FIN: either way the server closed, and which one races with the client's writes.
      return 'closed by the server';
    case 'client-timeout':
      return SILENCE_CONNECTION;
    case 'client-limit':
      return `stopped by the client (${ex.limit?.kind ?? 'limit'})`;
    case 'client':
      return 'stopped by the client';
  }
}

/** Why no request went out on an exchange, as every field says it: the server could not be reached. */
function unreachableText(ex: Exchange): string | null {
  if (ex.harnessError) return `harness error: ${ex.harnessError}`;
  if (ex.connectFailure) return 'unreachable';
  return null;
}

/** What a fresh connection's GET / got: a status class, or why none. */
export function aliveText(fresh: Exchange): string {
  const unreachable = unreachableText(fresh);
  if (unreachable) return unreachable;
  const r = fresh.responses[0];
  if (!r) return fresh.closedBy === 'client-timeout' ? SILENCE_ALIVE : 'no answer (closed)';
  return `${statusClass(r.status)}${r.incomplete ? ' cut short' : ''}`;
}

/**
 * Whether bytes after the last response frame anything. One place they do not: a HEAD request
 * refused with an error the server then closed on, before it knew the method (a head too bad to
 * read), so that the error page went out with its body while the client, reading the answer to
 * HEAD, expects none; no request can follow on that connection. Anywhere else, bytes that parse as
 * no response are a framing fault: after an error response they are an error page longer than its
 * Content-Length, whose rest a client would read as the next response.
 */
export function strayBytes(ex: Exchange, method: string): boolean {
  if (ex.trailingGarbage === 0) return false;
  const only = ex.responses.length === 1 ? ex.responses[0] : undefined;
  const refusedHead = method === 'HEAD' && only !== undefined && only.status >= 400 && ex.closedBy === 'server';
  return !refusedHead;
}

/**
 * The understanding of one server: pure over its exchange, its fresh GET /, and the method of the
 * request the exchange began with (whose response to HEAD carries no body).
 */
export function understood(ex: Exchange, fresh: Exchange, method: string): Understood {
  const unreachable = unreachableText(ex);
  if (unreachable) {
    return {
      responses: unreachable,
      status: unreachable,
      body: unreachable,
      connection: unreachable,
      alive: aliveText(fresh),
    };
  }
  const rs = ex.responses;
  const garbage = strayBytes(ex, method) ? ' + bytes that are no response' : '';
  const twoXx = rs
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.status >= 200 && r.status <= 299)
    .map(({ r, i }) =>
      // What was kept of a body longer than the client keeps depends on the length of each head.
      r.truncated
        ? `#${i + 1} longer than the client keeps`
        : `#${i + 1} ${r.body.length} bytes ${digest(r.body)}${r.incomplete ? ' (cut short)' : ''}`,
    );
  return {
    responses: `${rs.length}${rs.length ? ` (${rs.map(responseShape).join(', ')})` : ''}${garbage}`,
    status: rs.length ? rs.map((r) => statusClass(r.status)).join(' ') : 'none',
    body: twoXx.length ? twoXx.join('; ') : 'no 2xx body',
    connection: connectionEnd(ex),
    alive: aliveText(fresh),
  };
}
