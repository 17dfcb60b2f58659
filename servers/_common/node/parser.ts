/**
 * Incremental HTTP/1.1 request parser (RFC 9112), fed Buffers as they arrive.
 *
 * The parser is a pull-model state machine: `push()` hands it bytes, `next()` returns the
 * next event the buffered bytes allow, or null when it needs more. Events:
 *   - `head`: a request head whose body has still to arrive (the caller may answer
 *     `Expect: 100-continue` or refuse the request before reading the body);
 *   - `message`: a complete request (for a bodyless request, the only event);
 *   - `error`: the request is malformed or over a limit. The parser then stops for good:
 *     after a framing error the only safe thing is to answer and close, never to resync
 *     ("the server MUST respond with a 400 (Bad Request) status code and then close the
 *     connection", RFC 9112 §6.3).
 *
 * Nothing here does I/O, so the same parser runs on an event loop or in a worker thread.
 */

export interface ParserLimits {
  /** Longest request line (without CRLF); longer ones are answered 414 or 400. */
  maxRequestLine: number;
  /** Longest request target; longer ones are answered 414. */
  maxTarget: number;
  /** Largest header section (field lines with their CRLFs); larger is 431. */
  maxHeaderBytes: number;
  /** Most field lines in a header section; more is 431. */
  maxHeaderFields: number;
  /** Longest single field line; longer is 431. */
  maxFieldLine: number;
  /** Largest request body; larger is 413. */
  maxBody: number;
  /** Longest chunk-size line, extensions included; longer is 400. */
  maxChunkLine: number;
  /** Empty lines tolerated before a request line. */
  maxLeadingEmptyLines: number;
}

export const DEFAULT_LIMITS: Readonly<ParserLimits> = Object.freeze({
  // An 8000-octet target must still be accepted, so the line has room for it plus method and version.
  maxRequestLine: 8192,
  maxTarget: 8000,
  maxHeaderBytes: 16 * 1024,
  maxHeaderFields: 100,
  maxFieldLine: 8 * 1024,
  maxBody: 1024 * 1024,
  maxChunkLine: 4096,
  maxLeadingEmptyLines: 64,
});

export interface RequestHead {
  method: string;
  /** The request target exactly as received. */
  target: string;
  /** The version as received, e.g. "HTTP/1.1". */
  version: string;
  /** 0 for HTTP/1.0; 1 for HTTP/1.1 and for the later 1.x minors, which are handled as 1.1. */
  minor: 0 | 1;
  /** Field lines in order, names lower-cased, values trimmed of SP/HTAB. */
  headers: Array<[name: string, value: string]>;
  host: string | null;
  /** -1 when there is no Content-Length. */
  contentLength: number;
  chunked: boolean;
  hasBody: boolean;
  /** Whether the client lets the connection persist after this request. */
  keepAlive: boolean;
  /** HTTP/1.1 request with a body and `Expect: 100-continue`. */
  expectContinue: boolean;
}

export interface HeadEvent {
  kind: 'head';
  head: RequestHead;
}
export interface MessageEvent {
  kind: 'message';
  head: RequestHead;
  body: Buffer;
}
export interface ErrorEvent {
  kind: 'error';
  status: number;
  reason: string;
}
export type ParseEvent = HeadEvent | MessageEvent | ErrorEvent;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const SEMI = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const HASH = 0x23;

/** tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA (RFC 9110 §5.6.2) */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

const HEXVAL = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEXVAL[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEXVAL[0x41 + c] = 10 + c;
  HEXVAL[0x61 + c] = 10 + c;
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Host = uri-host [ ":" port ] (RFC 9110 §7.2), reg-name or IP-literal. Empty is allowed. */
const HOST_RE =
  /^(?:\[[0-9A-Fa-f:.]+\]|\[v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?$/;
/** absolute-form: a scheme followed by "://" (RFC 9112 §3.2.2). */
const ABSOLUTE_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const HTTP_SCHEME_RE = /^https?:\/\//i;
/** An absolute-form target whose authority holds userinfo ("user@host"). */
const USERINFO_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/;
/** authority-form, for CONNECT only: uri-host ":" port (RFC 9112 §3.2.3). */
const AUTHORITY_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+):[0-9]+$/;

const EMPTY = Buffer.alloc(0);

const S_LINE = 0;
const S_HEADERS = 1;
const S_BODY = 2;
const S_CHUNK_SIZE = 3;
const S_CHUNK_DATA = 4;
const S_CHUNK_CRLF = 5;
const S_TRAILERS = 6;
const S_ERROR = 7;

export class RequestParser {
  private readonly limits: ParserLimits;
  private state = S_LINE;
  /** Buffered input; bytes before `pos` are consumed. */
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Chunks pushed since the last `next()`, merged lazily so a blocked caller does not pay a copy per chunk. */
  private queue: Buffer[] = [];
  private emptyLines = 0;

  // The request being parsed.
  private head: RequestHead | null = null;
  private method = '';
  private target = '';
  private version = '';
  private minor: 0 | 1 = 1;
  private headers: Array<[string, string]> = [];
  private headerBytes = 0;
  private hostCount = 0;
  private host: string | null = null;
  private contentLengths: string[] = [];
  private transferEncodings: string[] = [];
  private connectionValues: string[] = [];
  private expectValues: string[] = [];

  // Body.
  private remaining = 0;
  private bodyLength = 0;
  /** A Content-Length body: views of the input, which is all body until the end. */
  private pieces: Buffer[] = [];
  /**
   * A chunked body is copied out instead: views of many small chunks would each keep a whole
   * input buffer alive, so a body of tiny chunks could hold far more memory than its size.
   */
  private chunkedBody: Buffer | null = null;
  private chunkedLength = 0;
  /** Chunk-size lines and CRLFs of the current body: bounded too, or framing alone could be endless. */
  private framingBytes = 0;
  private trailerBytes = 0;
  private trailerFields = 0;

  private failure: ErrorEvent | null = null;

  constructor(limits: Partial<ParserLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  push(chunk: Buffer): void {
    if (this.state === S_ERROR || chunk.length === 0) return;
    this.queue.push(chunk);
  }

  /** Whether any byte of a request that is not yet complete has arrived. */
  get hasPartialRequest(): boolean {
    return this.state !== S_LINE || this.pos < this.buf.length || this.queue.length > 0;
  }

  /** Whether the head is parsed and the body is being read. */
  get inBody(): boolean {
    return this.state >= S_BODY && this.state <= S_TRAILERS;
  }

  get failed(): ErrorEvent | null {
    return this.failure;
  }

  next(): ParseEvent | null {
    if (this.state === S_ERROR) return null;
    if (this.queue.length > 0) this.absorb();
    for (;;) {
      switch (this.state) {
        case S_LINE: {
          const r = this.requestLine();
          if (r !== undefined) return r;
          if (this.state === S_LINE) return null;
          break;
        }
        case S_HEADERS: {
          const r = this.headerLines();
          if (r !== undefined) return r;
          return null;
        }
        case S_BODY: {
          const avail = this.buf.length - this.pos;
          if (avail === 0) return null;
          const n = avail < this.remaining ? avail : this.remaining;
          this.pieces.push(this.buf.subarray(this.pos, this.pos + n));
          this.pos += n;
          this.remaining -= n;
          if (this.remaining > 0) return null;
          return this.complete();
        }
        case S_CHUNK_SIZE: {
          const r = this.chunkSizeLine();
          if (r !== undefined) return r;
          if (this.state === S_CHUNK_SIZE) return null;
          break;
        }
        case S_CHUNK_DATA: {
          const avail = this.buf.length - this.pos;
          if (avail === 0) return null;
          const n = avail < this.remaining ? avail : this.remaining;
          this.appendChunkData(this.pos, n);
          this.pos += n;
          this.remaining -= n;
          if (this.remaining > 0) return null;
          this.state = S_CHUNK_CRLF;
          break;
        }
        case S_CHUNK_CRLF: {
          // chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF (RFC 9112 §7.1)
          const avail = this.buf.length - this.pos;
          if (avail >= 1 && this.buf[this.pos] !== CR) return this.fail(400, 'chunk data not followed by CRLF');
          if (avail < 2) return null;
          if (this.buf[this.pos + 1] !== LF) return this.fail(400, 'chunk data not followed by CRLF');
          this.pos += 2;
          this.framingBytes += 2;
          this.state = S_CHUNK_SIZE;
          break;
        }
        case S_TRAILERS: {
          const r = this.trailerLines();
          if (r !== undefined) return r;
          return null;
        }
        default:
          return null;
      }
    }
  }

  private absorb(): void {
    const rest = this.buf.length - this.pos;
    if (rest === 0 && this.queue.length === 1) {
      this.buf = this.queue[0]!;
    } else {
      const parts = rest > 0 ? [this.buf.subarray(this.pos), ...this.queue] : this.queue;
      this.buf = Buffer.concat(parts);
    }
    this.pos = 0;
    this.queue = [];
  }

  private fail(status: number, reason: string): ErrorEvent {
    this.state = S_ERROR;
    this.buf = EMPTY;
    this.pos = 0;
    this.queue = [];
    this.pieces = [];
    this.chunkedBody = null;
    this.failure = { kind: 'error', status, reason };
    return this.failure;
  }

  /**
   * Finds the end of the line starting at `pos`: the index of its CR, -1 when the line is
   * incomplete, or -2 for a bare LF. "a recipient MAY recognize a single LF as a line
   * terminator" (RFC 9112 §2.2) is a MAY; this server does not, so a bare LF is an error.
   */
  private lineEnd(): number {
    const lf = this.buf.indexOf(LF, this.pos);
    if (lf < 0) return -1;
    if (lf === this.pos || this.buf[lf - 1] !== CR) return -2;
    return lf - 1;
  }

  private requestLine(): ErrorEvent | undefined {
    const buf = this.buf;
    for (;;) {
      const end = this.lineEnd();
      if (end === -2) return this.fail(400, 'bare LF in request line');
      if (end === -1) {
        const pending = buf.length - this.pos;
        if (pending > this.limits.maxRequestLine) return this.overlongRequestLine();
        return undefined;
      }
      if (end === this.pos) {
        // "a server that is expecting to receive and parse a request-line SHOULD ignore at least
        // one empty line (CRLF) received prior to the request-line" (RFC 9112 §2.2)
        this.pos += 2;
        if (++this.emptyLines > this.limits.maxLeadingEmptyLines) return this.fail(400, 'too many empty lines');
        continue;
      }
      const start = this.pos;
      this.pos = end + 2;
      this.emptyLines = 0;
      const err = this.parseRequestLine(start, end);
      if (err) return err;
      this.state = S_HEADERS;
      return undefined;
    }
  }

  /** A request line longer than the limit and still without CRLF: 414 if the target is what is long. */
  private overlongRequestLine(): ErrorEvent {
    const buf = this.buf;
    const sp1 = buf.indexOf(SP, this.pos);
    if (sp1 > this.pos && sp1 < this.pos + 64) {
      const sp2 = buf.indexOf(SP, sp1 + 1);
      if (sp2 < 0 || sp2 - sp1 - 1 > this.limits.maxTarget) return this.fail(414, 'request target too long');
    }
    return this.fail(400, 'request line too long');
  }

  /** request-line = method SP request-target SP HTTP-version (RFC 9112 §3) */
  private parseRequestLine(start: number, end: number): ErrorEvent | undefined {
    const buf = this.buf;
    let i = start;
    while (i < end && TCHAR[buf[i]!] === 1) i++;
    if (i === start || i === end || buf[i] !== SP) return this.fail(400, 'malformed method');
    const method = buf.toString('latin1', start, i);
    const tStart = i + 1;
    const sp2 = buf.indexOf(SP, tStart);
    if (sp2 < 0 || sp2 >= end) {
      if (end - tStart > this.limits.maxTarget) return this.fail(414, 'request target too long');
      return this.fail(400, 'malformed request line');
    }
    if (sp2 - tStart > this.limits.maxTarget) return this.fail(414, 'request target too long');
    if (end - start > this.limits.maxRequestLine) return this.fail(400, 'request line too long');
    if (sp2 === tStart) return this.fail(400, 'empty request target');
    for (let j = tStart; j < sp2; j++) {
      const c = buf[j]!;
      // The target is ASCII without controls (RFC 3986 has no raw octet above 0x7e nor any CTL),
      // and a fragment is never sent: "#" cannot appear in a request target.
      if (c <= SP || c >= 0x7f || c === HASH) return this.fail(400, 'invalid character in request target');
    }
    // HTTP-version = HTTP-name "/" DIGIT "." DIGIT (RFC 9112 §2.3)
    const v = sp2 + 1;
    if (
      end - v !== 8 ||
      buf[v] !== 0x48 ||
      buf[v + 1] !== 0x54 ||
      buf[v + 2] !== 0x54 ||
      buf[v + 3] !== 0x50 ||
      buf[v + 4] !== 0x2f ||
      buf[v + 6] !== 0x2e ||
      !isDigit(buf[v + 5]!) ||
      !isDigit(buf[v + 7]!)
    ) {
      return this.fail(400, 'malformed HTTP version');
    }
    const major = buf[v + 5]! - 0x30;
    const minor = buf[v + 7]! - 0x30;
    if (major !== 1) return this.fail(505, 'HTTP version not supported');
    const target = buf.toString('latin1', tStart, sp2);
    // request-target forms (RFC 9112 §3.2): "*" is for OPTIONS only, authority-form for CONNECT only,
    // and CONNECT takes nothing else: "CONNECT / HTTP/1.1" is an invalid request-line (RFC 9112 §3).
    if (method === 'CONNECT' && !AUTHORITY_RE.test(target)) {
      return this.fail(400, 'CONNECT needs an authority-form target');
    }
    if (target.charCodeAt(0) !== 0x2f) {
      if (target === '*') {
        if (method !== 'OPTIONS') return this.fail(400, 'asterisk-form is only for OPTIONS');
      } else if (ABSOLUTE_RE.test(target)) {
        if (!HTTP_SCHEME_RE.test(target)) return this.fail(400, 'unsupported URI scheme');
        // "a recipient SHOULD parse for userinfo and treat its presence as an error" (RFC 9110 §4.2.4)
        if (USERINFO_RE.test(target)) return this.fail(400, 'userinfo in the request target');
      } else if (!(method === 'CONNECT' && AUTHORITY_RE.test(target))) {
        return this.fail(400, 'malformed request target');
      }
    }
    this.method = method;
    this.target = target;
    this.version = buf.toString('latin1', v, end);
    // "A recipient that receives a message with a major version number that it implements and a
    // minor version number higher than what it implements SHOULD process the message as if it
    // were in the highest minor version within that major version" (RFC 9110 §2.5)
    this.minor = minor === 0 ? 0 : 1;
    return undefined;
  }

  private headerLines(): ParseEvent | undefined {
    const limits = this.limits;
    for (;;) {
      const end = this.lineEnd();
      if (end === -2) return this.fail(400, 'bare LF in header section');
      if (end === -1) {
        const pending = this.buf.length - this.pos;
        if (pending > limits.maxFieldLine + 1) return this.fail(431, 'header field too large');
        if (this.headerBytes + pending > limits.maxHeaderBytes) return this.fail(431, 'header section too large');
        return undefined;
      }
      const start = this.pos;
      this.pos = end + 2;
      if (end === start) return this.finishHead();
      this.headerBytes += end - start + 2;
      if (end - start > limits.maxFieldLine) return this.fail(431, 'header field too large');
      if (this.headerBytes > limits.maxHeaderBytes) return this.fail(431, 'header section too large');
      if (this.headers.length >= limits.maxHeaderFields) return this.fail(431, 'too many header fields');
      const field = this.fieldLine(start, end);
      if (field === null) return this.failure!;
      const [name, value] = field;
      this.headers.push(field);
      switch (name) {
        case 'host':
          this.hostCount++;
          this.host = value;
          break;
        case 'content-length':
          this.contentLengths.push(value);
          break;
        case 'transfer-encoding':
          this.transferEncodings.push(value);
          break;
        case 'connection':
          this.connectionValues.push(value);
          break;
        case 'expect':
          this.expectValues.push(value);
          break;
      }
    }
  }

  /**
   * field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). Returns null after failing.
   */
  private fieldLine(start: number, end: number): [string, string] | null {
    const buf = this.buf;
    const first = buf[start]!;
    if (first === SP || first === HTAB) {
      // "A server that receives an obs-fold in a request message ... MUST either reject the message
      // by sending a 400 (Bad Request) ... or replace each received obs-fold with one or more SP" (RFC 9112 §5.2)
      this.fail(400, 'obsolete line folding');
      return null;
    }
    let i = start;
    while (i < end && TCHAR[buf[i]!] === 1) i++;
    if (i === start || i === end || buf[i] !== COLON) {
      // "No whitespace is allowed between the field name and colon. ... A server MUST reject, with
      // a response status code of 400 (Bad Request), any received request message that contains
      // whitespace between a header field name and colon." (RFC 9112 §5.1)
      this.fail(400, 'malformed header field name');
      return null;
    }
    const name = buf.toString('latin1', start, i).toLowerCase();
    let vs = i + 1;
    let ve = end;
    for (let j = vs; j < ve; j++) {
      const c = buf[j]!;
      // "Field values containing CR, LF, or NUL characters are invalid and dangerous" (RFC 9110 §5.5)
      if (c === CR || c === 0) {
        this.fail(400, 'invalid character in header field value');
        return null;
      }
    }
    // OWS is SP / HTAB only: other whitespace (VT, FF, NBSP) is part of the value.
    while (vs < ve && (buf[vs] === SP || buf[vs] === HTAB)) vs++;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--;
    return [name, buf.toString('latin1', vs, ve)];
  }

  private finishHead(): ParseEvent {
    const minor = this.minor;
    // "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message
    // that lacks a Host header field and to any request message that contains more than one Host
    // header field line or a Host header field with an invalid field value." (RFC 9112 §3.2)
    if (this.hostCount > 1) return this.fail(400, 'more than one Host field');
    if (this.hostCount === 0 && minor === 1) return this.fail(400, 'missing Host field');
    if (this.host !== null && !HOST_RE.test(this.host)) return this.fail(400, 'invalid Host field');

    let chunked = false;
    let contentLength = -1;
    if (this.transferEncodings.length > 0) {
      // "A server that receives a request message with a transfer coding it does not understand
      // SHOULD respond with 501 (Not Implemented)." (RFC 9112 §6.1) — and a request whose final
      // coding is not chunked cannot be delimited: 400, then close (RFC 9112 §6.3).
      if (minor === 0) return this.fail(400, 'Transfer-Encoding in an HTTP/1.0 request');
      // "A server MAY reject a request that contains both Content-Length and Transfer-Encoding or
      // process such a request in accordance with the Transfer-Encoding alone." (RFC 9112 §6.1)
      if (this.contentLengths.length > 0) return this.fail(400, 'both Content-Length and Transfer-Encoding');
      const codings: string[] = [];
      for (const value of this.transferEncodings) {
        for (const part of value.split(',')) {
          const coding = trimOws(part);
          if (coding === '') continue;
          codings.push(coding.toLowerCase());
        }
      }
      if (codings.length === 0) return this.fail(400, 'empty Transfer-Encoding');
      let chunkedCount = 0;
      let unknown = false;
      for (const coding of codings) {
        if (coding === 'chunked') chunkedCount++;
        else if (TOKEN_RE.test(coding.split(';')[0]!.trim())) unknown = true;
        else return this.fail(400, 'malformed Transfer-Encoding');
      }
      if (chunkedCount > 1) return this.fail(400, 'chunked applied more than once');
      if (chunkedCount === 1 && codings[codings.length - 1] !== 'chunked')
        return this.fail(400, 'chunked is not the final coding');
      if (unknown) return this.fail(501, 'unsupported transfer coding');
      chunked = true;
    } else if (this.contentLengths.length > 0) {
      // Content-Length = 1*DIGIT. An invalid one is "an unrecoverable error, unless the field
      // value can be successfully parsed as a comma-separated list ..., all values in the list
      // are valid, and all values in the list are the same" (RFC 9112 §6.3). Repeated fields are
      // treated as one list; "the same" is taken literally, so "5, 05" is refused.
      let seen: string | null = null;
      for (const value of this.contentLengths) {
        for (const part of value.split(',')) {
          const digits = trimOws(part);
          if (!isDigits(digits)) return this.fail(400, 'invalid Content-Length');
          if (seen === null) seen = digits;
          else if (seen !== digits) return this.fail(400, 'conflicting Content-Length values');
        }
      }
      const normal = seen!.replace(/^0+(?=\d)/, '');
      // More digits than fit a double exactly are certainly over any limit.
      contentLength = normal.length > 15 ? Number.MAX_SAFE_INTEGER : Number(normal);
      if (contentLength > this.limits.maxBody) return this.fail(413, 'request body too large');
    }

    let close = false;
    let keepAliveToken = false;
    for (const value of this.connectionValues) {
      for (const part of value.split(',')) {
        const option = trimOws(part).toLowerCase();
        if (option === 'close') close = true;
        else if (option === 'keep-alive') keepAliveToken = true;
      }
    }
    const hasBody = chunked || contentLength > 0;
    let expectContinue = false;
    if (minor === 1 && hasBody) {
      for (const value of this.expectValues) {
        if (trimOws(value).toLowerCase() === '100-continue') expectContinue = true;
      }
    }

    const head: RequestHead = {
      method: this.method,
      target: this.target,
      version: this.version,
      minor,
      headers: this.headers,
      host: this.host,
      contentLength,
      chunked,
      hasBody,
      // HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive" (RFC 9112 §9.3).
      keepAlive: !close && (minor === 1 || keepAliveToken),
      expectContinue,
    };
    this.head = head;
    if (chunked) {
      this.state = S_CHUNK_SIZE;
      return { kind: 'head', head };
    }
    if (contentLength > 0) {
      this.state = S_BODY;
      this.remaining = contentLength;
      return { kind: 'head', head };
    }
    return this.complete();
  }

  /** chunk-size [ chunk-ext ] CRLF, or last-chunk (RFC 9112 §7.1). */
  private chunkSizeLine(): ErrorEvent | undefined {
    const end = this.lineEnd();
    if (end === -2) return this.fail(400, 'bare LF in chunk line');
    if (end === -1) {
      if (this.buf.length - this.pos > this.limits.maxChunkLine) return this.fail(400, 'chunk line too long');
      return undefined;
    }
    const buf = this.buf;
    const start = this.pos;
    if (end - start > this.limits.maxChunkLine) return this.fail(400, 'chunk line too long');
    this.pos = end + 2;
    this.framingBytes += end - start + 2;
    if (this.framingBytes > this.limits.maxBody) return this.fail(413, 'chunked framing too large');
    let i = start;
    let size = 0;
    // chunk-size = 1*HEXDIG; 16 digits already exceed any body this server accepts.
    while (i < end && HEXVAL[buf[i]!]! >= 0) {
      size = size * 16 + HEXVAL[buf[i]!]!;
      i++;
    }
    if (i === start) return this.fail(400, 'invalid chunk size');
    if (i - start > 16) return this.fail(400, 'chunk size too long');
    if (!validChunkExtensions(buf, i, end)) return this.fail(400, 'malformed chunk extension');
    if (size === 0) {
      this.state = S_TRAILERS;
      return undefined;
    }
    if (this.bodyLength + size > this.limits.maxBody) return this.fail(413, 'request body too large');
    this.bodyLength += size;
    this.remaining = size;
    this.state = S_CHUNK_DATA;
    return undefined;
  }

  /** trailer-section = *( field-line CRLF ), then CRLF: parsed for syntax, then discarded. */
  private trailerLines(): ParseEvent | undefined {
    const limits = this.limits;
    for (;;) {
      const end = this.lineEnd();
      if (end === -2) return this.fail(400, 'bare LF in trailer section');
      if (end === -1) {
        const pending = this.buf.length - this.pos;
        if (pending > limits.maxFieldLine + 1 || this.trailerBytes + pending > limits.maxHeaderBytes) {
          return this.fail(431, 'trailer section too large');
        }
        return undefined;
      }
      const start = this.pos;
      this.pos = end + 2;
      if (end === start) return this.complete();
      this.trailerBytes += end - start + 2;
      if (
        end - start > limits.maxFieldLine ||
        this.trailerBytes > limits.maxHeaderBytes ||
        ++this.trailerFields > limits.maxHeaderFields
      ) {
        return this.fail(431, 'trailer section too large');
      }
      if (this.fieldLine(start, end) === null) return this.failure!;
    }
  }

  private appendChunkData(start: number, n: number): void {
    const need = this.chunkedLength + n;
    let body = this.chunkedBody;
    if (body === null || need > body.length) {
      // Doubling keeps the copying linear; the declared sizes already passed the body limit.
      const grown = Buffer.allocUnsafe(
        Math.max(need, Math.min(this.limits.maxBody, Math.max(4096, (body?.length ?? 0) * 2))),
      );
      if (body !== null) body.copy(grown, 0, 0, this.chunkedLength);
      body = grown;
      this.chunkedBody = grown;
    }
    this.buf.copy(body, this.chunkedLength, start, start + n);
    this.chunkedLength = need;
  }

  private complete(): MessageEvent {
    const head = this.head!;
    const pieces = this.pieces;
    let body: Buffer;
    if (head.chunked) body = this.chunkedBody === null ? EMPTY : this.chunkedBody.subarray(0, this.chunkedLength);
    else body = pieces.length === 0 ? EMPTY : pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    this.chunkedBody = null;
    this.chunkedLength = 0;
    this.framingBytes = 0;
    this.state = S_LINE;
    this.head = null;
    this.headers = [];
    this.headerBytes = 0;
    this.hostCount = 0;
    this.host = null;
    if (this.contentLengths.length) this.contentLengths = [];
    if (this.transferEncodings.length) this.transferEncodings = [];
    if (this.connectionValues.length) this.connectionValues = [];
    if (this.expectValues.length) this.expectValues = [];
    this.remaining = 0;
    this.bodyLength = 0;
    if (pieces.length) this.pieces = [];
    this.trailerBytes = 0;
    this.trailerFields = 0;
    return { kind: 'message', head, body };
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Strips OWS (SP / HTAB) only. */
export function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === SP || s.charCodeAt(a) === HTAB)) a++;
  while (b > a && (s.charCodeAt(b - 1) === SP || s.charCodeAt(b - 1) === HTAB)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function skipBws(buf: Buffer, i: number, end: number): number {
  while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
  return i;
}

/**
 * chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 * chunk-ext-val = token / quoted-string (RFC 9112 §7.1.1). Well-formed extensions are ignored.
 */
function validChunkExtensions(buf: Buffer, i: number, end: number): boolean {
  while (i < end) {
    i = skipBws(buf, i, end);
    if (i >= end || buf[i] !== SEMI) return false;
    i = skipBws(buf, i + 1, end);
    const nameStart = i;
    while (i < end && TCHAR[buf[i]!] === 1) i++;
    if (i === nameStart) return false;
    const afterName = skipBws(buf, i, end);
    if (afterName < end && buf[afterName] === EQUALS) {
      i = skipBws(buf, afterName + 1, end);
      if (i < end && buf[i] === DQUOTE) {
        i++;
        let closed = false;
        while (i < end) {
          const c = buf[i]!;
          if (c === DQUOTE) {
            closed = true;
            i++;
            break;
          }
          if (c === BACKSLASH) {
            const q = buf[i + 1];
            if (i + 1 >= end || q === undefined || (q < SP && q !== HTAB) || q === 0x7f) return false;
            i += 2;
            continue;
          }
          if ((c < SP && c !== HTAB) || c === 0x7f) return false;
          i++;
        }
        if (!closed) return false;
      } else {
        const valueStart = i;
        while (i < end && TCHAR[buf[i]!] === 1) i++;
        if (i === valueStart) return false;
      }
    }
  }
  return true;
}
