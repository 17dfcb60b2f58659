/**
 * Small builders that keep the case files declarative: requests as text, outcomes, the usual
 * checks, and the two ways a case about a request body is judged (with echo, without it).
 * Strings are latin1 on the wire (one char, one byte), so `\x00`-`\xff` are raw octets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CheckContext,
  CaseDefinition,
  Exchange,
  NotApplicable,
  Outcome,
  ParsedResponse,
  RequestPart,
} from '../types.ts';
import { headerValues } from '../response-parser.ts';
import { DEFAULT_CASE_TIMEOUT_MS } from '../runner/case.ts';
import { describeAccepted, describeObserved, observedOutcome, outcomeMatches } from '../runner/outcomes.ts';

export type Check = NonNullable<CaseDefinition['check']>;

export const CRLF = '\r\n';
/** The Host every well-formed request carries. */
export const HOST = 'localhost';

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

/** Field lines: a record (in order) or raw lines written exactly as given (without CRLF). */
export type Fields = Record<string, string | number> | string[];

function fieldLines(fields: Fields): string {
  if (Array.isArray(fields)) return fields.map((l) => l + CRLF).join('');
  return Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}${CRLF}`)
    .join('');
}

/** A request written exactly: the request line, the field lines, the empty line, the body. */
export function req(line: string, fields: Fields = {}, body = ''): string {
  return line + CRLF + fieldLines(fields) + CRLF + body;
}

/** `GET path HTTP/1.1` with Host, plus more fields. */
export function get(path: string, fields: Fields = {}): string {
  return req(`GET ${path} HTTP/1.1`, withHost(fields));
}

/** `GET path HTTP/1.1` with Host and `Connection: close`: the server ends the exchange. */
export function getClose(path: string, fields: Fields = {}): string {
  return req(`GET ${path} HTTP/1.1`, withHost(fields, { Connection: 'close' }));
}

/** `HEAD path HTTP/1.1` with Host (and `Connection: close` when asked). */
export function head(path: string, close = true): string {
  return req(`HEAD ${path} HTTP/1.1`, withHost({}, close ? { Connection: 'close' } : {}));
}

/** POST with Host and a Content-Length that matches the body. */
export function post(path: string, body: string, fields: Fields = {}): string {
  const extra = Array.isArray(fields)
    ? [...fields, `Content-Length: ${body.length}`]
    : { ...fields, 'Content-Length': body.length };
  return req(`POST ${path} HTTP/1.1`, withHost(extra), body);
}

function withHost(fields: Fields, tail: Record<string, string> = {}): Fields {
  if (Array.isArray(fields)) return [`Host: ${HOST}`, ...fields, ...Object.entries(tail).map(([k, v]) => `${k}: ${v}`)];
  return { Host: HOST, ...fields, ...tail };
}

/** A chunked body: each string one chunk (sizes in lower-case hex), then the last chunk and trailers. */
export function chunked(chunks: string[], trailers: string[] = []): string {
  const body = chunks.map((c) => `${c.length.toString(16)}${CRLF}${c}${CRLF}`).join('');
  return `${body}0${CRLF}${trailers.map((t) => t + CRLF).join('')}${CRLF}`;
}

/**
 * A request that follows a broken one in the same write. The server must never answer it: after
 * a framing error the connection is not usable (RFC 9112 §6.3), so an answer to it shows that the
 * server resynchronised on bytes an intermediary would have read differently.
 */
export const PROBE = get('/style.css');

// ---------------------------------------------------------------------------
// Parts
// ---------------------------------------------------------------------------

/** The whole request in one write. */
export function one(data: string | Uint8Array): RequestPart[] {
  return [{ data }];
}

/** Several writes, each after `delayMs` (the first is written at once). */
export function parts(datas: Array<string | Uint8Array>, delayMs = 50): RequestPart[] {
  return datas.map((data, i) => (i === 0 ? { data } : { data, delayMs }));
}

/** One byte per write, `delayMs` apart: the most fragmented a stream can be. */
export function bytewise(data: string, delayMs = 5): RequestPart[] {
  return parts([...data], delayMs);
}

/** Split at the given offsets, `delayMs` between the writes. */
export function splitAt(data: string, offsets: number[], delayMs = 50): RequestPart[] {
  const cuts = [0, ...offsets.filter((o) => o > 0 && o < data.length).sort((a, b) => a - b), data.length];
  const pieces: string[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) pieces.push(data.slice(cuts[i], cuts[i + 1]));
  return parts(pieces, delayMs);
}

/** Split right after the first occurrence of `marker` (plus `extra` more bytes). */
export function splitAfter(data: string, marker: string, extra = 0, delayMs = 50): RequestPart[] {
  const at = data.indexOf(marker);
  if (at < 0) throw new Error(`marker ${JSON.stringify(marker)} is not in the request`);
  return splitAt(data, [at + marker.length + extra], delayMs);
}

/** `n` bytes of a repeated pattern. */
export function filler(n: number, pattern = 'a'): string {
  return pattern.repeat(Math.ceil(n / pattern.length)).slice(0, n);
}

/** Deterministic pseudo-random bytes (xorshift32), so a failing case replays identically. */
export function noise(n: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// ---------------------------------------------------------------------------
// RFC sentences more than one group rests on, quoted as the RFC words them
// ---------------------------------------------------------------------------

/**
 * What RFC 9110 says of valid syntax in general: conformance, without a keyword. The recipient
 * MUST often quoted for it ("When a received protocol element is parsed, the recipient MUST be
 * able to parse any value of reasonable length ...") is RFC 7230 §2.5's and was dropped from
 * RFC 9110, so a MUST case needs the MUST of what it exercises (GET_MUST, CHUNKED_MUST, ...).
 */
export const PARSE_VALID =
  'RFC 9110 §2.2: "An implementation is considered conformant if it complies with all of the requirements associated with the roles it partakes in HTTP."';

/** The MUST behind every case whose response must be valid syntax, so that the next one can be found. */
export const SEND_VALID =
  'RFC 9110 §2.2: "A sender MUST NOT generate protocol elements that do not match the grammar defined by the corresponding ABNF rules."';

/** The MUST behind every case that reads what follows a body as the next request. */
export const READ_WHOLE_BODY =
  'RFC 9112 §9.3: "A server MUST read the entire request message body or close the connection after sending its response; otherwise, the remaining data on a persistent connection would be misinterpreted as the next request."';

/** The MUST behind cases that split a message across reads: the message is its octets, however they arrive. */
export const OCTETS =
  'RFC 9112 §2.2: "A recipient MUST parse an HTTP message as a sequence of octets in an encoding that is a superset of US-ASCII [USASCII]."';

/** The MUST of GET: a general-purpose server serves it. */
export const GET_MUST =
  'RFC 9110 §9.1: "All general-purpose servers MUST support the methods GET and HEAD." RFC 9110 §9.3.1: "The GET method requests transfer of a current selected representation for the target resource."';

/** The MUST of whitespace between a field name and its colon. */
export const SPACE_BEFORE_COLON =
  'RFC 9112 §5.1: "A server MUST reject, with a response status code of 400 (Bad Request), any received request message that contains whitespace between a header field name and colon."';

/** The MUST of a Content-Length that is not one valid number. */
export const CL_UNRECOVERABLE =
  'RFC 9112 §6.3: "If a message is received without Transfer-Encoding and with an invalid Content-Length header field, then the message framing is invalid and the recipient MUST treat it as an unrecoverable error, unless the field value can be successfully parsed as a comma-separated list (Section 5.6.1 of [HTTP]), all values in the list are valid, and all values in the list are the same (in which case, the message is processed with that single value used as the Content-Length field value)."';

/** The MUST of decoding chunked. */
export const CHUNKED_MUST =
  'RFC 9112 §7.1: "A recipient MUST be able to parse and decode the chunked transfer coding."';

/** The SHOULD of a request that does not match the grammar. */
export const GRAMMAR_SHOULD_400 =
  'RFC 9112 §2.2: "When a server listening only for HTTP request messages, or processing what appears from the start-line to be an HTTP request message, receives a sequence of octets that does not match the HTTP-message grammar aside from the robustness exceptions listed above, the server SHOULD respond with a 400 (Bad Request) response and close the connection."';

/** The SHOULD of keeping connections open. */
export const SUSTAIN_SHOULD =
  'RFC 9112 §9.5: "A server SHOULD sustain persistent connections, when possible, and allow the underlying transport\'s flow-control mechanisms to resolve temporary overloads rather than terminate connections with the expectation that clients will retry."';

// ---------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------

export function status(code: number): Outcome {
  return { kind: 'status', min: code, max: code };
}

export function statusRange(min: number, max: number): Outcome {
  return { kind: 'status', min, max };
}

export const CLOSE: Outcome = { kind: 'close' };
export const TIMEOUT: Outcome = { kind: 'timeout' };
/** An HTTP/2 SETTINGS or GOAWAY frame: a server speaking HTTP/2 with prior knowledge. */
export const HTTP2_FRAME: Outcome = { kind: 'http2-frame' };
export const OK: Outcome[] = [status(200)];
export const SUCCESS = statusRange(200, 299);
export const CLIENT_ERROR = statusRange(400, 499);
export const ANY_STATUS = statusRange(200, 599);

/** Rejected: 400, or a close without a response. */
export const rejected: Outcome[] = [status(400), CLOSE];

/**
 * A 400 and nothing else, for the rules that name it: "A server MUST respond with a 400 (Bad
 * Request) status code" (RFC 9112 §3.2, §6.3), "MUST reject, with a response status code of 400"
 * (RFC 9112 §5.1). A close without a response does not respond.
 */
export const answered400: Outcome[] = [status(400)];

/**
 * RFC 9112 §3.2: "Recipients of an invalid request-line SHOULD respond with either a 400 (Bad
 * Request) error or a 301 (Moved Permanently) redirect with the request-target properly encoded."
 * A close without a response is neither; a 301 is held to carrying its Location
 * (`redirectsToLocation`).
 */
export const badRequestLine: Outcome[] = [status(400), status(301)];

// ---------------------------------------------------------------------------
// Reading an exchange
// ---------------------------------------------------------------------------

const fileCache = new Map<string, Buffer>();

/** A file under the server's document root, read once. */
export function rootFile(ctx: CheckContext, file: string): Buffer {
  const path = join(ctx.root, file);
  let data = fileCache.get(path);
  if (!data) {
    data = readFileSync(path);
    fileCache.set(path, data);
  }
  return data;
}

export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The connection ended on the server's side (a close or a reset). */
function serverClosed(ex: Exchange): boolean {
  return ex.closedBy === 'server';
}

/** A response's Connection options, lower-cased. */
export function connectionOptions(r: ParsedResponse): string[] {
  return headerValues(r, 'connection')
    .flatMap((v) => v.split(','))
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

export function announcesClose(r: ParsedResponse): boolean {
  return connectionOptions(r).includes('close');
}

function nth(i: number): string {
  return ['first', 'second', 'third', 'fourth', 'fifth'][i] ?? `#${i + 1}`;
}

function show(bytes: Uint8Array, max = 60): string {
  const text = latin1(bytes.subarray(0, max)).replace(/[^\x20-\x7e]/g, (c) => {
    if (c === '\r') return '\\r';
    if (c === '\n') return '\\n';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return `"${text}${bytes.length > max ? '...' : ''}"`;
}

/** What the body of a response should be: a file of the root or literal bytes. */
export type BodySpec = { file: string } | { text: string };

function expectedBody(ctx: CheckContext, spec: BodySpec): Buffer {
  return 'file' in spec ? rootFile(ctx, spec.file) : Buffer.from(spec.text, 'latin1');
}

function describeBody(spec: BodySpec): string {
  return 'file' in spec ? `the bytes of ${spec.file}` : show(Buffer.from(spec.text, 'latin1'));
}

function bodyProblem(ctx: CheckContext, r: ParsedResponse, spec: BodySpec, which: string): string | null {
  const want = expectedBody(ctx, spec);
  if (r.incomplete) return `the ${which} response's body was cut short after ${r.body.length} of ${want.length} bytes`;
  if (Buffer.from(r.body).equals(want)) return null;
  return `the ${which} response's body should be ${describeBody(spec)} (${want.length} bytes) but was ${show(r.body)} (${r.body.length} bytes)`;
}

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

/** Every check in turn; the first problem is the answer. */
export function all(...checks: Check[]): Check {
  return (ctx) => {
    for (const c of checks) {
      const problem = c(ctx);
      if (problem) return problem;
    }
    return null;
  };
}

/**
 * A check's answer when the situation its requirement is about never arose: the case is `n/a`,
 * never a pass. The reason names what happened instead.
 */
export function notApplicable(reason: string): NotApplicable {
  return { notApplicable: reason };
}

/** What the first response slot held, for a reason: "answered 200", "closed the connection without a response". */
export function firstAnswer(exchange: Exchange): string {
  const first = exchange.responses[0];
  if (first) return `answered ${first.status}`;
  return exchange.closedBy === 'server' ? 'closed the connection without a response' : 'sent no response';
}

/**
 * A check about responses of one status: applied when the first response has it, `n/a` when it
 * has another or there is none ("the server answered 200, not 304: nothing to check").
 */
export function onStatus(code: number, check: Check): Check {
  return (ctx) => {
    const first = ctx.exchange.responses[0];
    if (first?.status === code) return check(ctx);
    return notApplicable(`the server ${firstAnswer(ctx.exchange)}, not ${code}: nothing to check`);
  };
}

/**
 * For a case judged by the answer to a request pipelined after the first: a server that answered
 * the first in HTTP/1.0 without keep-alive closes after it by its version (RFC 9112 §9.3), and never
 * reads the request after, so what the case is about cannot arise: `n/a`. An HTTP/1.1 answer that
 * closes is judged by `check`, since closing may be the very misreading the case looks for.
 */
export function afterPersistentFirst(check: Check): Check {
  return (ctx) => {
    const { responses, closedBy } = ctx.exchange;
    const first = responses[0];
    const closesByVersion =
      first?.version === '1.0' && !connectionOptions(first).includes('keep-alive') && responses.length === 1;
    if (closesByVersion && closedBy === 'server')
      return notApplicable(
        'the server answered the first request in HTTP/1.0 and closed, as that version does: the request after it was never read',
      );
    return check(ctx);
  };
}

/** Applies `check` only when the first response has a status in [min, max]. */
export function whenStatus(min: number, max: number, check: Check): Check {
  return (ctx) => {
    const first = ctx.exchange.responses[0];
    if (!first || first.status < min || first.status > max) return null;
    return check(ctx);
  };
}

export function responsesCount(n: number): Check {
  return ({ exchange }) => {
    const got = exchange.responses.length;
    return got === n ? null : `expected ${n} response${n === 1 ? '' : 's'} but got ${got}`;
  };
}

/**
 * At most one response came back: a second status line means bytes that belong to the first
 * request (or that follow an error the connection cannot survive) were answered as a request of
 * their own, which is what a smuggled request looks like.
 */
export const noSecondResponse: Check = ({ exchange }) => {
  const n = exchange.responses.length;
  if (n <= 1) return null;
  const extra = exchange.responses
    .slice(1)
    .map((r) => r.status)
    .join(', ');
  return `one request was sent but ${n} responses came back (then ${extra}): bytes after the first request were answered as another request`;
};

/** The server closed the connection (after answering, if it answered). */
export const closesConnection: Check = ({ exchange }) =>
  serverClosed(exchange) ? null : 'the server should close the connection after this request but left it open';

/**
 * How soon after its last response byte a server that was asked to close must have closed. The
 * RFC sets no time, but a server that "initiate[s] closure ... after it sends the final response"
 * (RFC 9112 §9.6) closes at once; one that closes only when its idle timeout fires (1 s under
 * CONFORMANCE_ENV) has ignored the close option.
 */
export const PROMPT_CLOSE_MS = 500;

/** The server closed the connection, and within PROMPT_CLOSE_MS of the last bytes it sent. */
export const closesPromptly: Check = ({ exchange }) => {
  if (!serverClosed(exchange)) return 'the server should close the connection after this request but left it open';
  const lastReceived = [...(exchange.timeline ?? [])].reverse().find((e) => e.direction === 'received');
  if (!lastReceived || exchange.closeAfterMs === null) return null;
  const waited = exchange.closeAfterMs - lastReceived.atMs;
  return waited <= PROMPT_CLOSE_MS
    ? null
    : `the server closed the connection ${Math.round(waited)} ms after its response, not at once: a close that waits for an idle timeout ignores the close option`;
};

/** Both: the usual demand after a framing error (RFC 9112 §6.3: "respond with a 400 ... and then close the connection"). */
export const rejectedAndClosed: Check = all(noSecondResponse, closesConnection);

export function hasHeader(name: string, index = 0): Check {
  return ({ exchange }) => {
    const r = exchange.responses[index];
    if (!r) return `no ${nth(index)} response to look for ${name} in`;
    return headerValues(r, name).length > 0 ? null : `the ${nth(index)} response has no ${name} header field`;
  };
}

export function noHeader(name: string, index = 0): Check {
  return ({ exchange }) => {
    const r = exchange.responses[index];
    if (!r) return null;
    return headerValues(r, name).length === 0
      ? null
      : `the ${nth(index)} response should not carry ${name} but has "${headerValues(r, name).join(', ')}"`;
  };
}

export function bodyEquals(text: string, index = 0): Check {
  return (ctx) => {
    const r = ctx.exchange.responses[index];
    if (!r) return `no ${nth(index)} response`;
    return bodyProblem(ctx, r, { text }, nth(index));
  };
}

export function bodyEqualsFile(file: string, index = 0): Check {
  return (ctx) => {
    const r = ctx.exchange.responses[index];
    if (!r) return `no ${nth(index)} response`;
    return bodyProblem(ctx, r, { file }, nth(index));
  };
}

/** No interim (1xx) response at all. */
export const noInterim: Check = ({ exchange }) => {
  if (exchange.interim.length === 0 && !/HTTP\/1\.\d 1\d\d/.test(latin1(exchange.received))) return null;
  const codes = exchange.interim.map((r) => r.status).join(', ') || '1xx';
  return `the server sent an interim ${codes} response`;
};

/** The received bytes, if any, begin with a status line (not an HTTP/0.9-style bare body). */
export const startsWithStatusLine: Check = ({ exchange }) => {
  if (exchange.received.length === 0) return null;
  return /^HTTP\/\d\.\d /.test(latin1(exchange.received.subarray(0, 16)))
    ? null
    : `the server answered with bytes that are not a status line: ${show(exchange.received)}`;
};

/**
 * Nothing follows the header section of the first response: checked on the raw bytes, so it
 * holds whatever the response parser made of them (the request ends with Connection: close).
 */
export const nothingAfterHead: Check = ({ exchange }) => {
  const text = latin1(exchange.received);
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return 'the response head never ended';
  const extra = text.length - (end + 4);
  return extra === 0
    ? null
    : `${extra} bytes followed the header section where no content is allowed: ${show(exchange.received.subarray(end + 4))}`;
};

/** The marker of fixtures/outside-root.txt never appears in what came back. */
export const OUTSIDE_MARKER = 'GAUNTLET-OUTSIDE-ROOT';
export const neverLeaksOutsideRoot: Check = ({ exchange }) =>
  latin1(exchange.received).includes(OUTSIDE_MARKER)
    ? 'the response contains the file that sits outside the document root (GAUNTLET-OUTSIDE-ROOT)'
    : null;

/** Every response has one valid Content-Length, or chunked, never both (RFC 9112 §6.2). */
export const framedResponses: Check = ({ exchange }) => {
  for (const [i, r] of exchange.responses.entries()) {
    const te = headerValues(r, 'transfer-encoding');
    const cl = headerValues(r, 'content-length');
    if (te.length > 0 && cl.length > 0)
      return `the ${nth(i)} response carries both Transfer-Encoding and Content-Length`;
    if (cl.length > 1 && new Set(cl.map((v) => v.trim())).size > 1)
      return `the ${nth(i)} response has differing Content-Length fields: ${cl.join(', ')}`;
    if (cl.length > 0 && !cl.every((v) => /^\d+$/.test(v.trim())))
      return `the ${nth(i)} response has an invalid Content-Length "${cl.join(', ')}"`;
    if (r.incomplete) return `the ${nth(i)} response's body was cut short: it announced more than the server sent`;
  }
  if (exchange.trailingGarbage > 0) {
    return `${exchange.trailingGarbage} bytes followed the last response that are not a response: a body longer than its Content-Length?`;
  }
  return null;
};

/** What one pipelined request should get back. */
export interface Expected {
  status: number;
  body?: BodySpec;
}

export function file(status: number, name: string): Expected {
  return { status, body: { file: name } };
}

/**
 * The responses answer the requests in order (RFC 9112 §9.3.2). A server may stop early only by
 * announcing it: "A server that does not support persistent connections MUST send the "close"
 * connection option in every response message that does not have a 1xx (Informational) status
 * code" (RFC 9112 §9.3), so fewer responses than requests pass only when the last one said close.
 */
export function inOrder(expected: Expected[], opts: { all?: boolean } = {}): Check {
  return (ctx) => {
    const rs = ctx.exchange.responses;
    for (const [i, r] of rs.entries()) {
      const want = expected[i];
      if (!want) return `${expected.length} requests were sent but ${rs.length} responses came back`;
      if (r.status !== want.status) return `the ${nth(i)} response should be ${want.status} but was ${r.status}`;
      if (want.body) {
        const problem = bodyProblem(ctx, r, want.body, nth(i));
        if (problem) return problem;
      }
    }
    if (rs.length < expected.length) {
      const missing = `only ${rs.length} of ${expected.length} requests were answered`;
      if (opts.all) return missing;
      const last = rs[rs.length - 1];
      if (!last || !announcesClose(last)) return `${missing}, and the last response did not announce Connection: close`;
    }
    return null;
  };
}

const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** One Date field in IMF-fixdate form (RFC 9110 §5.6.7), whose day name matches its date. */
export function dateIsImfFixdate(index = 0): Check {
  return ({ exchange }) => {
    const r = exchange.responses[index];
    if (!r) return `no ${nth(index)} response`;
    const dates = headerValues(r, 'date');
    if (dates.length === 0) return `the ${nth(index)} response has no Date`;
    if (dates.length > 1) return `the ${nth(index)} response has ${dates.length} Date fields`;
    const value = dates[0] ?? '';
    if (!IMF_FIXDATE.test(value)) return `Date "${value}" is not an IMF-fixdate like "Sun, 06 Nov 1994 08:49:37 GMT"`;
    const t = new Date(value);
    if (Number.isNaN(t.getTime())) return `Date "${value}" is not a real date`;
    const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][t.getUTCDay()];
    if (!value.startsWith(`${day},`)) return `Date "${value}" names the wrong day of the week (it is a ${day})`;
    return null;
  };
}

/** The Date is within `seconds` of this machine's clock (client and server share it). */
export function dateNearNow(seconds: number, index = 0): Check {
  return ({ exchange }) => {
    const r = exchange.responses[index];
    const value = r ? headerValues(r, 'date')[0] : undefined;
    if (value === undefined) return `the ${nth(index)} response has no Date`;
    const t = Date.parse(value);
    if (Number.isNaN(t)) return `Date "${value}" does not parse`;
    const off = Math.round((t - Date.now()) / 1000);
    return Math.abs(off) <= seconds
      ? null
      : `Date "${value}" is ${Math.abs(off)} s ${off < 0 ? 'behind' : 'ahead of'} this machine's clock`;
  };
}

/** The response version is HTTP/1.x (RFC 9110 §6.2: "A server MUST NOT send a version to which it is not conformant"). */
export function versionIs(pattern: RegExp, describe: string, index = 0): Check {
  return ({ exchange }) => {
    const r = exchange.responses[index];
    if (!r) return null;
    return pattern.test(r.version) ? null : `the response version should be ${describe} but was HTTP/${r.version}`;
  };
}

/**
 * A 301 names where to go: the redirect RFC 9112 §3.2 allows for an invalid request-line is one
 * "with the request-target properly encoded", which only a Location field can carry (RFC 9110
 * §15.4.2: "The server SHOULD generate a Location header field in the response containing a
 * preferred URI reference for the new permanent URI."). Any other status passes.
 */
export const redirectsToLocation: Check = ({ exchange }) => {
  const r = exchange.responses[0];
  if (r?.status !== 301) return null;
  return headerValues(r, 'location').length > 0
    ? null
    : 'the 301 has no Location field: a redirect must name the properly encoded target';
};

/** A 405 carries Allow (RFC 9110 §15.5.6); a case that got no 405 is `n/a`. */
export const allowOn405: Check = onStatus(405, ({ exchange }) => {
  const r = exchange.responses[0];
  if (!r) return null;
  return headerValues(r, 'allow').length > 0 ? null : 'the 405 response has no Allow header field';
});

/** Either a 100 arrived, or the first final response did, before the part at `partIndex` was written. */
export function answeredBeforePart(partIndex: number): Check {
  return ({ exchange }) => {
    const timeline = exchange.timeline ?? [];
    const sends = timeline.filter((e) => e.direction === 'sent');
    const bodySent = sends[partIndex]?.atMs ?? Infinity;
    const firstReceived = timeline.find((e) => e.direction === 'received')?.atMs ?? Infinity;
    if (firstReceived < bodySent) return null;
    if (firstReceived === Infinity) return 'nothing came back';
    return `nothing came back until the content was sent (${Math.round(bodySent)} ms): the server waited for the content instead of answering 100 Continue or a final status`;
  };
}

/**
 * Marks every case of a group of malformed-input cases with `thenAlive`: rejecting bad input with a
 * close is allowed, crashing on it is not, and from the client's side the two look alike until a
 * fresh connection is refused. RFC 9112 §2.2: the server "SHOULD respond with a 400 (Bad Request)
 * response and close the connection"; it does not stop serving everyone else.
 */
export function thenAlive(cases: CaseDefinition[]): CaseDefinition[] {
  return cases.map((c) => ({ ...c, thenAlive: true }));
}

// ---------------------------------------------------------------------------
// Request bodies: framing on every server, the echoed bytes on top
// ---------------------------------------------------------------------------

/*
 * A case about a request body sends it to POST /echo and, when it can, pipelines a request for a
 * file after it. Only a server with echo says what it read of the body, but every server says
 * where it thinks the body ended: the request after it must be answered as itself. A server that
 * mis-framed the body answers that request with garbage, a 400 or not at all, whatever it
 * answered the POST (a server without echo answers it 404, 405 or 413 without being wrong). So
 * each such case is judged in two ways, chosen by the capabilities the runner passes: without
 * echo, by what follows the body; with echo, by the outcomes and check it has always had, the
 * echoed bytes included, which are at least as strict.
 */

/** How a body case is judged on a server without echo: the first slot's outcomes and a check. */
export interface FramingJudgement {
  accept: Outcome[];
  check: Check;
}

/** The server answers POST /echo with the request body (declared by its manifest or probed). */
export function hasEcho(ctx: CheckContext): boolean {
  return ctx.capabilities?.includes('echo') ?? false;
}

/** Outcomes of either list, each once. */
function outcomeUnion(a: readonly Outcome[], b: readonly Outcome[]): Outcome[] {
  const union: Outcome[] = [];
  for (const o of [...a, ...b]) {
    if (!union.some((u) => JSON.stringify(u) === JSON.stringify(o))) union.push(o);
  }
  return union;
}

/**
 * One of the two judgements of a body case: its own accepted outcomes (the runner checked only
 * the union of both), then its check.
 */
function judge(
  accept: readonly Outcome[],
  check: Check | undefined,
  timeoutMs: number,
  ctx: CheckContext,
): ReturnType<Check> {
  if (!accept.some((o) => outcomeMatches(o, observedOutcome(ctx.exchange)))) {
    return `expected ${describeAccepted(accept, timeoutMs)}; ${describeObserved(ctx.exchange, timeoutMs)}`;
  }
  return check ? check(ctx) : null;
}

/**
 * A body case for every server: `echoCase` is the case as a server with echo is held to it
 * (POST /echo answered with the body's bytes), `withoutEcho` how a server without echo is, by
 * what follows the body. The case runs everywhere and `wants` echo.
 */
export function bodyCase(echoCase: CaseDefinition, withoutEcho: FramingJudgement): CaseDefinition {
  const timeoutMs = echoCase.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  return {
    ...echoCase,
    accept: outcomeUnion(echoCase.accept, withoutEcho.accept),
    check: (ctx) =>
      hasEcho(ctx)
        ? judge(echoCase.accept, echoCase.check, timeoutMs, ctx)
        : judge(withoutEcho.accept, withoutEcho.check, timeoutMs, ctx),
    wants: ['echo'],
  };
}

/** A well-formed body is not answered 400: a 400 says the server could not frame it. */
const bodyNotRefused: Check = ({ exchange }) =>
  exchange.responses[0]?.status === 400
    ? 'a well-formed request with a body was answered 400: the server could not read where its body ends'
    : null;

/**
 * A malformed body, then a request: any answer to the POST (a server without echo may answer
 * from the head), but nothing after it, since a second response is the server reading the body
 * or the request after it as a request of its own, and the connection is closed.
 */
export const bodyRefused: FramingJudgement = {
  accept: [ANY_STATUS, CLOSE],
  check: rejectedAndClosed,
};

/**
 * A valid body, then the `followUps` pipelined after it: the POST may get any status but 400,
 * and each follow-up must be answered as itself, in order (fewer only when the last response
 * announced Connection: close). With `mayRefuse`, a 400 or a close that answers none of the
 * follow-ups is accepted too (the body is one a server may refuse).
 */
export function followUpsAnswered(followUps: Expected[], opts: { mayRefuse?: boolean } = {}): FramingJudgement {
  return {
    accept: opts.mayRefuse ? [ANY_STATUS, CLOSE] : [ANY_STATUS],
    check: (ctx) => {
      const first = ctx.exchange.responses[0];
      if (opts.mayRefuse && (!first || first.status === 400)) return bodyRefused.check(ctx);
      const refused = bodyNotRefused(ctx);
      if (refused || !first) return refused;
      return inOrder([{ status: first.status }, ...followUps])(ctx);
    },
  };
}

/**
 * A body with nothing after it (the request asks to close, or the body is too large to follow):
 * one answer and no other, so that no byte of the body was read as a request. With `mayRefuse`
 * a 400 or a close is accepted too.
 */
export function answeredAlone(opts: { mayRefuse?: boolean } = {}): FramingJudgement {
  return {
    accept: opts.mayRefuse ? [ANY_STATUS, CLOSE] : [ANY_STATUS],
    check: opts.mayRefuse ? noSecondResponse : all(bodyNotRefused, noSecondResponse),
  };
}

/**
 * A body that never arrives whole: an answer from the head is allowed (a server without echo
 * need not read the body before answering), waiting or closing too, but the missing bytes are
 * never read as a request.
 */
export const bodyIncomplete: FramingJudgement = {
  accept: [ANY_STATUS, CLOSE, TIMEOUT],
  check: noSecondResponse,
};
