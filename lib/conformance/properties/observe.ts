/**
 * What the properties judge in an exchange: a response's framing (RFC 9112 §6.3, RFC 9110 §8.6,
 * from the sender's side), a response reduced to what two exchanges are compared on, and the
 * words a failure uses for what the server did.
 */
import { unreachable, type ExchangeOptions } from '../raw-client.ts';
import { contentLength, headerValues, statusText } from '../response-parser.ts';
import { escapedLines } from '../wire-log.ts';
import type { Exchange, ParsedResponse } from '../types.ts';

export function observed(ex: Exchange): string {
  if (ex.harnessError) return `the harness could not reach the server: ${ex.harnessError}`;
  if (ex.connectFailure) return `no connection: ${ex.connectFailure}`;
  if (ex.limit) return `the client stopped reading: ${ex.limit.message}`;
  const rs = ex.responses.map((r) => `${statusText(r)}${r.incomplete ? ' (cut short)' : ''}`);
  const end =
    ex.closedBy === 'server'
      ? ex.reset
        ? 'the connection was reset'
        : 'the server closed the connection'
      : ex.closedBy === 'client-timeout'
        ? 'the server went silent'
        : 'the server kept the connection open';
  return `${rs.length === 0 ? 'no response' : rs.join(', ')}; ${end}`;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}

/** Where two byte strings first differ, in words. */
export function bytesDiffer(what: string, got: Uint8Array, want: Uint8Array): string {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  return `${what}: ${got.length} bytes where ${want.length} were expected, first difference at offset ${i}`;
}

/** The connection options of a response's Connection fields, lower-cased. */
export function connectionOptions(r: Pick<ParsedResponse, 'headers'>): string[] {
  return headerValues(r, 'connection').flatMap((v) => v.split(',').map((t) => t.trim().toLowerCase()));
}

/** A response in the form results are compared in: status and body. */
export function outcomeKey(ex: Exchange): string {
  const r = ex.responses[0];
  if (!r) return ex.closedBy === 'client-timeout' ? 'no response (silence)' : 'no response (closed)';
  return `${r.status} with a ${r.body.length}-byte body${r.incomplete ? ' (cut short)' : ''} ${Buffer.from(r.body).toString('base64')}`;
}

export function outcomeText(ex: Exchange): string {
  const r = ex.responses[0];
  if (!r) return observed(ex);
  return `${statusText(r)} with a ${r.body.length}-byte body${r.incomplete ? ' (cut short)' : ''}`;
}

/**
 * What is wrong with the framing of the one response to a request, or null: RFC 9112 §6.3
 * and RFC 9110 §8.6 from the sender's side.
 */
export function framingProblem(ex: Exchange, method: string, version: string): string | null {
  if (unreachable(ex)) return `could not exchange: ${unreachable(ex)}`;
  const n = ex.responses.length;
  if (n === 0) return `expected exactly one response, got ${observed(ex)}`;
  if (n > 1) return `expected exactly one response, got ${n}: ${observed(ex)}`;
  const r = ex.responses[0]!;
  if (ex.limit) return `the client stopped reading: ${ex.limit.message}`;
  if (r.incomplete)
    return `the response ${statusText(r)} was cut short: its ${r.framing} framing promised more bytes than arrived before ${ex.closedBy === 'server' ? 'the close' : 'the server went silent'}`;
  if (ex.trailingGarbage > 0) {
    const extra = ex.received.subarray(
      ex.received.length - ex.trailingGarbage,
      ex.received.length - ex.trailingGarbage + 60,
    );
    return `${ex.trailingGarbage} bytes followed the response that belong to no response ("${escapedLines(extra).join('')}"): its framing did not delimit it`;
  }
  if (!/^1\.\d$/.test(r.version)) return `the response is HTTP/${r.version}, not HTTP/1.x`;
  // "Since HTTP/1.0 did not define any 1xx status codes, a server MUST NOT send a 1xx response to an HTTP/1.0 client." (RFC 9110 §15.2)
  if (version === 'HTTP/1.0' && ex.interim.length > 0)
    return `an HTTP/1.0 request got a ${statusText(ex.interim[0]!)} interim response`;
  const lengths = headerValues(r, 'content-length');
  const codings = headerValues(r, 'transfer-encoding');
  // "A sender MUST NOT send a Content-Length header field in any message that contains a Transfer-Encoding header field." (RFC 9112 §6.2)
  if (lengths.length > 0 && codings.length > 0)
    return `the response has both Content-Length (${lengths.join(', ')}) and Transfer-Encoding (${codings.join(', ')})`;
  // "A server MUST NOT send a response containing Transfer-Encoding unless the corresponding request indicates HTTP/1.1 (or later minor revisions)." (RFC 9112 §6.1)
  if (codings.length > 0 && version === 'HTTP/1.0')
    return `an HTTP/1.0 request got a response with Transfer-Encoding: ${codings.join(', ')}`;
  // "A server MUST NOT send a Content-Length header field in any response with a status code of 1xx (Informational) or 204 (No Content)." (RFC 9110 §8.6)
  if (r.status === 204 && lengths.length > 0) return `a 204 response carries Content-Length: ${lengths.join(', ')}`;
  if (lengths.length > 0) {
    const n = contentLength(lengths);
    if (n === null)
      return `the response's Content-Length is not one valid length: ${lengths.map((v) => JSON.stringify(v)).join(', ')}`;
    // A HEAD response states the length a GET would have had, over no body; 304 likewise.
    if (method !== 'HEAD' && r.status !== 304 && n !== r.body.length)
      return `Content-Length says ${n} but the body has ${r.body.length} bytes`;
  }
  return null;
}

/** The exchange options for one request expected to get one response. */
export function oneResponse(method: string, timeoutMs = 2_000): ExchangeOptions {
  return { timeoutMs, methods: [method], expectResponses: 1, settleMs: 25 };
}
