/**
 * Reads a response the way ab's read_connection() finds its header, then follows the body's
 * framing to tell a response received whole from one cut short. Nothing of the body is kept.
 *
 * The header, as ab finds it: ab copies the first bytes of a response into an 8 KB buffer (cbuff,
 * CBUFFSIZE 8192, one byte kept for the terminating NUL) and, after every read, looks in it for
 * the end of the header: "\r\n\r\n" anywhere in what it has, or failing that "\n\n" (for NCSA 1.5).
 * Once found:
 * - the status is the three characters 9 bytes after the first "HTTP" (where "HTTP/1.x " ends),
 *   or "500" when there is no "HTTP" followed by at least 10 bytes;
 * - the body is everything after the header's blank line, in that read and every later one
 *   (HTML transferred counts these raw bytes, chunk framing included, as ab does).
 * When 8191 bytes hold no blank line, ab gives up on the request ("header is invalid or too big",
 * counted as a failure and a non-2xx response). Here it is the failure 'oversized', decided at
 * once: the request ends there, so an endless head costs 8 KB and no more.
 *
 * The body's framing (RFC 9112 section 6.3), which ab does not look at (it reads to EOF and
 * calls whatever arrived good):
 * - an interim 1xx status (not 101): its head is skipped (counted as header bytes), and the
 *   final response's head is looked for after it (RFC 9110 section 15.2);
 * - a 101, 204 or 304 status: no body;
 * - Transfer-Encoding whose last coding is chunked: chunked, parsed incrementally (chunk sizes,
 *   extensions, trailers), the data itself only counted;
 * - other Transfer-Encoding: the body ends at EOF;
 * - Content-Length (one value, or equal repeated values): exactly that many bytes;
 *   a malformed or conflicting value is the failure 'malformed';
 * - otherwise the body ends at EOF (what a close-mode HTTP/1.0 exchange allows).
 * A byte after the framed end (more than Content-Length, or after the last chunk) is the failure
 * 'overrun', decided at once; a bad chunk-size line is 'malformed'. At EOF, endAtEof() says
 * whether the response was whole ('truncated' when not).
 *
 * The scanner is reused from request to request (reset()); it allocates its 8 KB copy only for
 * a slot whose header arrives split over several reads.
 */

import { blankLine, isInterim, readFields, readServer, readStatus, startsWithHttp10 } from './response-head.ts';

const CBUFFSIZE = 8192;
/** Bytes ab can hold of a header: one byte of cbuff is kept for the NUL. */
export const HEADER_SPACE = CBUFFSIZE - 1;
const LF = 0x0a;

/** A chunk size above this (16 TiB) is treated as malformed: no real body is that large, and it keeps sizes exact. */
const MAX_CHUNK_SIZE = 2 ** 44;
/** Longest chunk-size line (extensions included) or trailer line accepted; beyond it the body is malformed. */
const MAX_CHUNK_LINE = 4096;

/** How a response failed the framing rules, decided while reading or at EOF. */
export type FramingFailure = 'truncated' | 'overrun' | 'oversized' | 'malformed';

/** How the body ends. */
type Framing = 'none' | 'length' | 'chunked' | 'eof';

// Chunked-body states.
const C_SIZE = 0; // reading hex digits of a chunk size
const C_EXT = 1; // after the size: extension or whitespace up to the line end
const C_SIZE_LF = 2; // saw CR after the size line
const C_DATA = 3; // counting chunk data
const C_DATA_CR = 4; // expecting CR after the data
const C_DATA_LF = 5; // expecting LF after the data's CR
const C_TRAILER = 6; // at the start of a trailer line (or the final blank line)
const C_TRAILER_LINE = 7; // inside a trailer field line
const C_TRAILER_LF = 8; // saw CR at the start of a line: the final LF ends the body
const C_DONE = 9;

function hexValue(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  if (b >= 97 && b <= 102) return b - 87;
  if (b >= 65 && b <= 70) return b - 55;
  return -1;
}

export class ResponseScanner {
  /** All bytes read for the current response. */
  bytesRead = 0;
  /** Length of the header including its blank line; -1 until found. */
  headerLen = -1;
  /** Status code once the header is complete (0 if unreadable, 500 if no "HTTP"); null before. */
  status: number | null = null;
  /** Set when this response's header held a Server field and capture was asked for. */
  server: string | null = null;
  /** Ask for the Server token of the next header found (ab reads it from the first responses). */
  captureServer = false;
  /** Set as soon as the response is known to be bad while reading (the request should end now). */
  failure: FramingFailure | null = null;
  /**
   * Once the header is complete: whether the server closes the connection after this response
   * (`Connection: close`, or HTTP/1.0 without `keep-alive`; RFC 9112 section 9.3), so that a
   * keep-alive client does not send its next request into a closing connection.
   */
  closes = false;
  /**
   * The cell's requests are HEAD: every response ends with its head, whatever its Content-Length
   * or Transfer-Encoding says (RFC 9112 section 6.3, rule 1), and a body byte is an overrun. Set
   * once per cell by the client; reset() keeps it.
   */
  headOnly = false;

  private cbuff: Buffer | null = null;
  private cbx = 0;
  /** Where the current head starts in the response: after the interim (1xx) heads, if any. */
  private headStart = 0;
  private framing: Framing = 'eof';
  /** Body bytes still expected ('length'), or bytes left in the current chunk ('chunked'). */
  private remaining = 0;
  private chunkState = C_SIZE;
  private chunkDigits = 0;
  private lineBytes = 0;

  reset(): void {
    this.bytesRead = 0;
    this.headerLen = -1;
    this.headStart = 0;
    this.status = null;
    this.cbx = 0;
    this.failure = null;
    this.closes = false;
    this.framing = 'eof';
    this.remaining = 0;
    this.chunkState = C_SIZE;
    this.chunkDigits = 0;
    this.lineBytes = 0;
  }

  /** Bytes counted as header: up to the blank line, or everything when no header was found. */
  get headerBytes(): number {
    return this.headerLen >= 0 ? this.headerLen : this.bytesRead;
  }

  /** Bytes counted as body (ab's bread). */
  get bodyBytes(): number {
    return this.headerLen >= 0 ? this.bytesRead - this.headerLen : 0;
  }

  get gotHeader(): boolean {
    return this.headerLen >= 0;
  }

  /** Whether the framed end of the body has been reached (nothing more is owed). */
  get framedEnd(): boolean {
    if (this.headerLen < 0) return false;
    if (this.framing === 'none') return true;
    if (this.framing === 'length') return this.remaining === 0;
    if (this.framing === 'chunked') return this.chunkState === C_DONE;
    return false;
  }

  /**
   * The connection ended (EOF) after what was pushed: null when the response is whole, else how
   * it failed (a failure found while reading stays the answer).
   */
  endAtEof(): FramingFailure | null {
    if (this.failure) return this.failure;
    if (this.headerLen < 0) return 'truncated';
    if (this.framing === 'eof') return null;
    return this.framedEnd ? null : 'truncated';
  }

  /**
   * Takes the bytes buf[0, n) just read. Returns true when this read completed the header.
   * `buf` is only read during the call (it may be a buffer shared by every socket). After the
   * call, a non-null `failure` means the response is bad and reading it further is pointless.
   */
  push(buf: Buffer, n: number): boolean {
    let before = this.bytesRead;
    this.bytesRead += n;
    if (this.failure) return false;
    if (this.headerLen >= 0) {
      this.body(buf, 0, n);
      return false;
    }
    // Interim (1xx) responses come before the final one (RFC 9110 section 15.2: a client "MUST be
    // able to parse one or more 1xx responses received prior to a final response"): their heads
    // are skipped, counted as header bytes, and the next head is looked for in what follows.
    let rest = buf;
    let left = n;
    for (;;) {
      const from = this.findHead(rest, left, before);
      if (from < 0) return false;
      if (!isInterim(this.status)) {
        if (from < left) this.body(rest, from, left);
        return true;
      }
      this.headStart = this.headerLen;
      this.headerLen = -1;
      this.status = null;
      this.cbx = 0;
      if (from >= left) return false;
      rest = rest.subarray(from);
      left -= from;
      before = this.headStart;
    }
  }

  /**
   * Looks for the end of the current head in buf[0, n), whose first byte is byte `before` of the
   * response; a head split over reads is gathered in cbuff (ab's copy). Found: sets the head's
   * fields and returns where its body starts in buf; otherwise -1 (failure set when oversized).
   */
  private findHead(buf: Buffer, n: number, before: number): number {
    const space = HEADER_SPACE - this.cbx;
    const tocopy = n < space ? n : space;
    let region: Buffer;
    let len: number;
    if (this.cbx === 0) {
      // First read of this head: look in place.
      region = buf;
      len = tocopy;
    } else {
      region = this.cbuff!;
      buf.copy(region, this.cbx, 0, tocopy);
      this.cbx += tocopy;
      len = this.cbx;
    }

    const s = blankLine(region, len);
    if (s < 0) {
      if (this.cbx === 0) {
        this.cbuff ??= Buffer.allocUnsafe(CBUFFSIZE);
        buf.copy(this.cbuff, 0, 0, tocopy);
        this.cbx = tocopy;
      }
      if (this.cbx >= HEADER_SPACE) this.failure = 'oversized';
      return -1;
    }

    const l = region[s] === LF ? 2 : 4;
    this.headerLen = this.headStart + s + l;
    this.status = readStatus(region, len);
    if (this.captureServer) this.server = readServer(region, len);
    this.frame(region, s);
    // The body bytes of this read start where the header ends, counted from this read's start.
    return this.headerLen - before;
  }

  /**
   * Decides the framing, and whether the server closes after it, from the head: region[0, end),
   * without its blank line. It is one pass over the head's bytes in JavaScript: field names are
   * compared byte by byte, and the common values (a Content-Length of digits, a Connection of one
   * token) are read in place; only other values of the three fields that decide become strings
   * (see HeadFields).
   */
  private frame(region: Buffer, end: number): void {
    const f = readFields(region, end);
    this.closes = f.hasClose || (startsWithHttp10(region, end) && !f.hasKeepAlive);
    const st = this.status;
    if (this.headOnly || (st !== null && ((st >= 100 && st < 200) || st === 204 || st === 304))) {
      this.framing = 'none';
      return;
    }
    if (f.te !== null) {
      const codings = f.te.toLowerCase().split(',');
      this.framing = codings[codings.length - 1]!.trim() === 'chunked' ? 'chunked' : 'eof';
      return;
    }
    if (f.clBad) {
      this.failure = 'malformed';
      return;
    }
    if (f.clDigits > 0) {
      this.framing = 'length';
      this.remaining = f.cl;
      return;
    }
    this.framing = 'eof';
  }

  /** Takes body bytes buf[from, to). */
  private body(buf: Buffer, from: number, to: number): void {
    switch (this.framing) {
      case 'eof':
        return;
      case 'none':
        if (to > from) this.failure = 'overrun';
        return;
      case 'length': {
        const got = to - from;
        if (got > this.remaining) {
          this.remaining = 0;
          this.failure = 'overrun';
        } else {
          this.remaining -= got;
        }
        return;
      }
      case 'chunked':
        this.chunked(buf, from, to);
        return;
    }
  }

  /** The chunked-body state machine over buf[from, to); chunk data is skipped by count. */
  private chunked(buf: Buffer, from: number, to: number): void {
    let i = from;
    while (i < to) {
      const state = this.chunkState;
      if (state === C_DATA) {
        const take = Math.min(this.remaining, to - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.chunkState = C_DATA_CR;
        continue;
      }
      if (state === C_DONE) {
        this.failure = 'overrun';
        return;
      }
      const b = buf[i++]!;
      switch (state) {
        case C_SIZE: {
          const h = hexValue(b);
          if (h >= 0) {
            this.remaining = this.remaining * 16 + h;
            this.chunkDigits++;
            if (this.remaining > MAX_CHUNK_SIZE) return this.malformed();
          } else if (this.chunkDigits === 0) {
            return this.malformed();
          } else if (b === 0x3b || b === 0x20 || b === 0x09) {
            this.chunkState = C_EXT;
          } else if (b === 0x0d) {
            this.chunkState = C_SIZE_LF;
          } else if (b === 0x0a) {
            this.sizeLineEnd();
          } else {
            return this.malformed();
          }
          break;
        }
        case C_EXT:
          if (b === 0x0d) this.chunkState = C_SIZE_LF;
          else if (b === 0x0a) this.sizeLineEnd();
          else if (++this.lineBytes > MAX_CHUNK_LINE) return this.malformed();
          break;
        case C_SIZE_LF:
          if (b !== 0x0a) return this.malformed();
          this.sizeLineEnd();
          break;
        case C_DATA_CR:
          if (b === 0x0d) this.chunkState = C_DATA_LF;
          else if (b === 0x0a) this.nextChunk();
          else return this.malformed();
          break;
        case C_DATA_LF:
          if (b !== 0x0a) return this.malformed();
          this.nextChunk();
          break;
        case C_TRAILER:
          if (b === 0x0d) this.chunkState = C_TRAILER_LF;
          else if (b === 0x0a) this.chunkState = C_DONE;
          else {
            this.chunkState = C_TRAILER_LINE;
            this.lineBytes = 1;
          }
          break;
        case C_TRAILER_LINE:
          if (b === 0x0a) this.chunkState = C_TRAILER;
          else if (++this.lineBytes > MAX_CHUNK_LINE) return this.malformed();
          break;
        case C_TRAILER_LF:
          if (b !== 0x0a) return this.malformed();
          this.chunkState = C_DONE;
          break;
      }
    }
  }

  private sizeLineEnd(): void {
    this.lineBytes = 0;
    this.chunkState = this.remaining === 0 ? C_TRAILER : C_DATA;
  }

  private nextChunk(): void {
    this.chunkState = C_SIZE;
    this.chunkDigits = 0;
    this.remaining = 0;
    this.lineBytes = 0;
  }

  private malformed(): void {
    this.failure = 'malformed';
  }
}
