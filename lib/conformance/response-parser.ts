/**
 * Parses the bytes a server sent back into HTTP/1.x responses. Pure: bytes in, responses out.
 *
 * The parser is a lenient observer, not a validator: it accepts what a client would accept
 * (bare LF line ends, a missing reason phrase) so that a case sees what the server meant, and
 * it never skips bytes to resynchronise: whatever follows the last response that parses is
 * reported as trailing bytes. Counting status lines exactly matters, because "two responses to
 * one request" is the signal of a request smuggled past a front end.
 *
 * A head is read up to MAX_HEAD_BYTES: a server that sends an endless status line or header
 * section is a failure to report, not a reason to keep reading (or keeping) its bytes.
 */
import type { ParsedResponse } from './types.ts';

export interface ParseOptions {
  /**
   * The method of each request, in the order of the final responses that answer them (1xx
   * responses take no slot). A response to HEAD has no body whatever its Content-Length says.
   * Missing entries count as GET.
   */
  methods?: readonly string[];
  /**
   * The server closed the connection, so the bytes are all there will be: a body delimited by
   * the close is then complete. When false, such a body is what had arrived so far.
   */
  ended?: boolean;
  /**
   * The bytes are only the start of what the server sent (the client keeps a bounded prefix):
   * a response reaching the end of them is marked `truncated`, and is never complete.
   */
  truncated?: boolean;
}

/** The longest response head read, bytes: status line, fields and the blank line. */
export const MAX_HEAD_BYTES = 64 * 1024;

/** Why parsing stops at a head longer than MAX_HEAD_BYTES. */
export const HEAD_TOO_LARGE = `the response head exceeds ${MAX_HEAD_BYTES} bytes without its blank line`;

export interface ParseOutcome {
  /** Final responses in order. */
  responses: ParsedResponse[];
  /** 1xx responses (except 101, which ends HTTP on the connection and counts as final). */
  interim: ParsedResponse[];
  /** Bytes after the last response that parses, counted from `garbageStart`. */
  trailingGarbage: number;
  /** Where the bytes that do not parse begin (the length of the input when there are none). */
  garbageStart: number;
  /** Why parsing stopped early, when it did ("no status line", "the header section never ended"). */
  stoppedBecause?: string;
  /** A response head ran past MAX_HEAD_BYTES (`stoppedBecause` is HEAD_TOO_LARGE). */
  headTooLarge?: boolean;
}

const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([^\r\n]*))?$/;

/** The bytes as a string with one char per byte, so that string offsets are byte offsets. */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The line starting at `from`: its text without CR LF or LF, and where the next line starts; null if no LF yet. */
function lineAt(text: string, from: number): { line: string; next: number } | null {
  const nl = text.indexOf('\n', from);
  if (nl < 0) return null;
  const end = nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
  return { line: text.slice(from, end), next: nl + 1 };
}

/** All values of a field (case-insensitive name), in order. */
export function headerValues(response: Pick<ParsedResponse, 'headers'>, name: string): string[] {
  const wanted = name.toLowerCase();
  return response.headers.filter(([n]) => n.toLowerCase() === wanted).map(([, v]) => v);
}

/** The first value of a field (case-insensitive name), or undefined. */
export function headerValue(response: Pick<ParsedResponse, 'headers'>, name: string): string | undefined {
  return headerValues(response, name)[0];
}

/**
 * The body length a Content-Length field states, following RFC 9112 §6.3: "a comma-separated
 * list ... all values in the list are valid, and all values in the list are the same" is one
 * length; anything else is invalid (null).
 */
export function contentLength(values: readonly string[]): number | null {
  let seen: string | null = null;
  for (const value of values) {
    for (const item of value.split(',')) {
      const digits = item.trim();
      if (!/^\d+$/.test(digits)) return null;
      const normal = digits.replace(/^0+(?=\d)/, '');
      if (seen === null) seen = normal;
      else if (seen !== normal) return null;
    }
  }
  if (seen === null) return null;
  const n = Number(seen);
  return Number.isSafeInteger(n) ? n : null;
}

type HeadResult =
  | {
      kind: 'head';
      version: string;
      status: number;
      reason: string;
      headers: Array<[string, string]>;
      bodyStart: number;
    }
  | { kind: 'partial'; why: string }
  | { kind: 'garbage'; why: string }
  | { kind: 'too-large'; why: string };

function parseHead(text: string, start: number): HeadResult {
  const head = parseHeadUnbounded(text, start);
  if (
    head.kind === 'head'
      ? head.bodyStart - start > MAX_HEAD_BYTES
      : head.kind === 'partial' && text.length - start > MAX_HEAD_BYTES
  ) {
    return { kind: 'too-large', why: HEAD_TOO_LARGE };
  }
  return head;
}

/** Reads a head from `start`, however long. Only ever given the bounded bytes the client kept. */
function parseHeadUnbounded(text: string, start: number): HeadResult {
  const first = lineAt(text, start);
  if (!first) {
    // Not a whole line yet: it is a response only if it could still become a status line.
    const rest = text.slice(start, start + 16);
    const prefix = 'HTTP/';
    const looksLikeStatus = rest.length <= prefix.length ? prefix.startsWith(rest) : rest.startsWith(prefix);
    return looksLikeStatus
      ? { kind: 'partial', why: 'the status line never ended' }
      : { kind: 'garbage', why: 'the bytes are not a status line' };
  }
  const m = STATUS_LINE.exec(first.line);
  if (!m) return { kind: 'garbage', why: 'the bytes are not a status line' };
  const headers: Array<[string, string]> = [];
  let pos = first.next;
  for (;;) {
    const l = lineAt(text, pos);
    if (!l) return { kind: 'partial', why: 'the header section never ended' };
    pos = l.next;
    if (l.line === '') break;
    const lead = l.line.charCodeAt(0);
    const last = headers[headers.length - 1];
    if ((lead === 32 || lead === 9) && last) {
      // obs-fold: a continuation of the previous field's value (RFC 9112 §5.2).
      last[1] = `${last[1]} ${l.line.trim()}`;
      continue;
    }
    const colon = l.line.indexOf(':');
    if (colon <= 0) continue; // not a field line; a lenient client ignores it
    headers.push([l.line.slice(0, colon), l.line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')]);
  }
  return {
    kind: 'head',
    version: `${m[1]}.${m[2]}`,
    status: Number(m[3]),
    reason: m[4] ?? '',
    headers,
    bodyStart: pos,
  };
}

interface BodyResult {
  body: Uint8Array;
  end: number;
  framing: ParsedResponse['framing'];
  incomplete: boolean;
  /** Where bytes that broke the chunked framing begin, if they did. */
  brokenAt?: number;
}

function chunkedBody(bytes: Uint8Array, text: string, start: number): BodyResult {
  const parts: Uint8Array[] = [];
  let pos = start;
  const done = (incomplete: boolean, end: number, brokenAt?: number): BodyResult => ({
    body: Buffer.concat(parts),
    end,
    framing: 'chunked',
    incomplete,
    ...(brokenAt === undefined ? {} : { brokenAt }),
  });
  for (;;) {
    const sizeLine = lineAt(text, pos);
    if (!sizeLine) return done(true, text.length);
    // chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF (RFC 9112 §7.1)
    const sizeText = (sizeLine.line.split(';')[0] ?? '').trim();
    if (!/^[0-9A-Fa-f]{1,13}$/.test(sizeText)) return done(true, pos, pos);
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      // last-chunk, then trailer-section, then CRLF
      let p = sizeLine.next;
      for (;;) {
        const t = lineAt(text, p);
        if (!t) return done(true, text.length);
        p = t.next;
        if (t.line === '') return done(false, p);
      }
    }
    const dataStart = sizeLine.next;
    const dataEnd = dataStart + size;
    if (dataEnd > bytes.length) {
      parts.push(bytes.subarray(dataStart));
      return done(true, bytes.length);
    }
    parts.push(bytes.subarray(dataStart, dataEnd));
    if (text.startsWith('\r\n', dataEnd)) pos = dataEnd + 2;
    else if (text.startsWith('\n', dataEnd)) pos = dataEnd + 1;
    else if (dataEnd === text.length || (dataEnd + 1 === text.length && text[dataEnd] === '\r'))
      return done(true, text.length);
    else return done(true, dataEnd, dataEnd);
  }
}

/** Status codes whose responses never have a body (RFC 9110 §6.4.1, RFC 9112 §6.3). */
function bodiless(status: number, method: string): boolean {
  return method === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304;
}

/**
 * Splits received bytes into responses, framing each body as RFC 9112 §6.3 tells a client to:
 * no body for HEAD, 1xx, 204 and 304; chunked when chunked is the final transfer coding; read
 * to the close for any other Transfer-Encoding; Content-Length otherwise; else to the close.
 */
export function parseResponses(bytes: Uint8Array, opts: ParseOptions = {}): ParseOutcome {
  const text = latin1(bytes);
  const methods = opts.methods ?? [];
  const responses: ParsedResponse[] = [];
  const interim: ParsedResponse[] = [];
  let pos = 0;
  let stoppedBecause: string | undefined;
  let headTooLarge = false;
  while (pos < bytes.length) {
    const head = parseHead(text, pos);
    if (head.kind !== 'head') {
      stoppedBecause = head.why;
      headTooLarge = head.kind === 'too-large';
      break;
    }
    const method = (methods[responses.length] ?? 'GET').toUpperCase();
    const isInterim = head.status >= 100 && head.status < 200 && head.status !== 101;
    let body: BodyResult;
    if (bodiless(head.status, method)) {
      body = { body: new Uint8Array(0), end: head.bodyStart, framing: 'none', incomplete: false };
    } else {
      const codings = headerValues(head, 'transfer-encoding')
        .flatMap((v) => v.split(','))
        .map((c) => c.trim().toLowerCase())
        .filter((c) => c !== '');
      const lengths = headerValues(head, 'content-length');
      if (codings.length > 0 && codings[codings.length - 1] === 'chunked') {
        body = chunkedBody(bytes, text, head.bodyStart);
      } else if (codings.length === 0 && lengths.length > 0 && contentLength(lengths) !== null) {
        const n = contentLength(lengths) ?? 0;
        const end = Math.min(bytes.length, head.bodyStart + n);
        body = {
          body: bytes.subarray(head.bodyStart, end),
          end,
          framing: 'content-length',
          incomplete: head.bodyStart + n > bytes.length,
        };
      } else {
        // Read until the server closes: the rule for a final coding other than chunked, for
        // an invalid Content-Length, and for a response with neither field.
        body = {
          body: bytes.subarray(head.bodyStart),
          end: bytes.length,
          framing: 'close',
          incomplete: !opts.ended || Boolean(opts.truncated),
        };
      }
    }
    const response: ParsedResponse = {
      version: head.version,
      status: head.status,
      reason: head.reason,
      headers: head.headers,
      body: Uint8Array.from(body.body),
      framing: body.framing,
      start: pos,
      end: body.end,
    };
    if (body.incomplete) response.incomplete = true;
    if (opts.truncated && body.end === bytes.length && body.incomplete) response.truncated = true;
    (isInterim ? interim : responses).push(response);
    pos = body.end;
    if (body.brokenAt !== undefined) {
      stoppedBecause = 'a chunked body broke off at bytes that are not chunked syntax';
      break;
    }
    if (body.incomplete) break;
  }
  return {
    responses,
    interim,
    trailingGarbage: bytes.length - pos,
    garbageStart: pos,
    ...(stoppedBecause && pos < bytes.length ? { stoppedBecause } : {}),
    ...(headTooLarge ? { headTooLarge } : {}),
  };
}

/** "200 OK", "400 Bad Request", "204" */
export function statusText(r: Pick<ParsedResponse, 'status' | 'reason'>): string {
  return r.reason ? `${r.status} ${r.reason}` : String(r.status);
}
