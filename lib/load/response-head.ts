/**
 * A response head, read in place: where it ends, its status, its Server token and the three
 * fields that decide the framing (Transfer-Encoding, Content-Length, Connection). Used by the
 * load engine's scanner (response-scan.ts) on every response, so it works on the bytes in loops of
 * JavaScript (one for the blank line, one for the field lines): a search through Buffer.indexOf is
 * a call into C++, and a string per line or per value is an allocation; only values out of the
 * common shape become strings.
 */

const LF = 0x0a;
const COLON = 0x3a;
const HTTP10 = Buffer.from('HTTP/1.0 ', 'latin1');
/** A Content-Length value: digits, at most 15 of them (exact as a double). */
const DIGITS = /^\d{1,15}$/;
const HTTP = Buffer.from('HTTP', 'latin1');
const SERVER_RE = /server:/i;

/**
 * Index of the first occurrence of `needle` in buf[0, len). `buf` may hold stale bytes beyond len
 * (a shared read buffer): the first occurrence in the whole buffer is genuine exactly when it ends
 * within len, since any occurrence wholly inside [0, len) would start earlier than one that does not.
 */
function indexWithin(buf: Buffer, len: number, needle: Buffer): number {
  const i = buf.indexOf(needle);
  return i >= 0 && i + needle.length <= len ? i : -1;
}

/**
 * Where the head's blank line starts in buf[0, len): the first "\r\n\r\n", or when there is none
 * the first "\n\n" (ab's order of the two searches); -1 when there is neither. A loop over the bytes:
 * a head is short, and a search through Buffer.indexOf costs a call into C++ per search.
 */
export function blankLine(buf: Buffer, len: number): number {
  let lflf = -1;
  for (let i = nextLf(buf, 0, len); i >= 0;) {
    const next = i + 1 < len ? buf[i + 1] : -1;
    if (next === LF) {
      if (lflf < 0) lflf = i;
    } else if (next === 0x0d && i >= 1 && buf[i - 1] === 0x0d && i + 2 < len && buf[i + 2] === LF) {
      return i - 1;
    }
    i = nextLf(buf, i + 1, len);
  }
  return lflf;
}

/** The index of the next LF in buf[from, len), or -1. */
function nextLf(buf: Buffer, from: number, len: number): number {
  for (let i = from; i < len; i++) if (buf[i] === LF) return i;
  return -1;
}

function isDigit(b: number | undefined): b is number {
  return b !== undefined && b >= 48 && b <= 57;
}

/** What readFields gathers from a head's field lines for the scanner's frame(). */
export class HeadFields {
  /** Transfer-Encoding's values, joined as one list, or null. */
  te: string | null = null;
  /** Content-Length: its value, and how many digits it was written with (0 until one is seen). */
  cl = 0;
  clDigits = 0;
  /** A Content-Length value was not digits, or differed from another (even in leading zeros). */
  clBad = false;
  /** Connection's tokens (all its fields together) include close, or keep-alive. */
  hasClose = false;
  hasKeepAlive = false;

  /** Takes the field line region[start, lineEnd), whose name ends at `colon`, if it is one of the three. */
  field(region: Buffer, start: number, colon: number, lineEnd: number): void {
    const name = fieldAt(region, start, colon);
    if (name === null) return;
    // The value without its surrounding spaces, tabs and CR.
    let vs = colon + 1;
    let ve = lineEnd;
    while (vs < ve && isOws(region[vs]!)) vs++;
    while (ve > vs && isOws(region[ve - 1]!)) ve--;
    if (name === 'content-length') this.contentLength(region, vs, ve);
    else if (name === 'connection') this.connection(region, vs, ve);
    else {
      const value = region.toString('latin1', vs, ve).trim();
      this.te = this.te === null ? value : `${this.te}, ${value}`;
    }
  }

  /** One value, or a list of values that must all be equal (RFC 9110 section 8.6). */
  private contentLength(region: Buffer, vs: number, ve: number): void {
    const n = digitsValue(region, vs, ve);
    if (n >= 0) {
      this.lengthValue(n, ve - vs);
      return;
    }
    for (const part of region.toString('latin1', vs, ve).trim().split(',')) {
      const v = part.trim();
      if (DIGITS.test(v)) this.lengthValue(Number(v), v.length);
      else this.clBad = true;
    }
  }

  private lengthValue(n: number, digits: number): void {
    if (this.clDigits > 0 && (this.cl !== n || this.clDigits !== digits)) this.clBad = true;
    else {
      this.cl = n;
      this.clDigits = digits;
    }
  }

  private connection(region: Buffer, vs: number, ve: number): void {
    if (isToken(region, vs, ve)) {
      if (equalsLower(region, vs, ve, 'close')) this.hasClose = true;
      else if (equalsLower(region, vs, ve, 'keep-alive')) this.hasKeepAlive = true;
      return;
    }
    for (const t of region.toString('latin1', vs, ve).toLowerCase().split(',')) {
      const token = t.trim();
      if (token === 'close') this.hasClose = true;
      else if (token === 'keep-alive') this.hasKeepAlive = true;
    }
  }
}

/** The framing's fields of the head region[0, end) (without its blank line), its status line skipped. */
export function readFields(region: Buffer, end: number): HeadFields {
  const f = new HeadFields();
  // Field lines after the status line; CR LF or a bare LF (ab accepts "\n\n" heads).
  let i = 0;
  while (i < end && region[i] !== LF) i++;
  i++;
  while (i < end) {
    const lineStart = i;
    let colon = -1;
    while (i < end) {
      const b = region[i]!;
      if (b === LF) break;
      if (b === COLON && colon < 0) colon = i;
      i++;
    }
    if (colon > lineStart) f.field(region, lineStart, colon, i);
    i++;
  }
  return f;
}

/** Optional whitespace around a value as String.prototype.trim sees it in a latin1 head: SP, HT, CR, VT, FF, NBSP. */
function isOws(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0b || b === 0x0c || b === 0xa0;
}

/** region[vs, ve) as a number when it is 1 to 15 digits, else -1. */
function digitsValue(region: Buffer, vs: number, ve: number): number {
  if (ve <= vs || ve - vs > 15) return -1;
  let n = 0;
  for (let k = vs; k < ve; k++) {
    const b = region[k]!;
    if (b < 48 || b > 57) return -1;
    n = n * 10 + (b - 48);
  }
  return n;
}

/** Whether region[vs, ve) is one token of letters, digits and hyphens (so one Connection option). */
function isToken(region: Buffer, vs: number, ve: number): boolean {
  if (ve <= vs) return false;
  for (let k = vs; k < ve; k++) {
    const b = region[k]!;
    const letter = (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a);
    if (!letter && !(b >= 0x30 && b <= 0x39) && b !== 0x2d) return false;
  }
  return true;
}

/** Whether region[vs, ve) is `lower` (lower case, ASCII), compared case-insensitively. */
function equalsLower(region: Buffer, vs: number, ve: number, lower: string): boolean {
  if (ve - vs !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) {
    let b = region[vs + k]!;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (b !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/** Whether region[0, end) starts with "HTTP/1.0 ". */
export function startsWithHttp10(region: Buffer, end: number): boolean {
  if (end < HTTP10.length) return false;
  for (let k = 0; k < HTTP10.length; k++) if (region[k] !== HTTP10[k]) return false;
  return true;
}

/** The fields the framing reads, by the length of their names. */
const FIELDS: ReadonlyMap<number, string> = new Map([
  [10, 'connection'],
  [14, 'content-length'],
  [17, 'transfer-encoding'],
]);

/** Which of the framing's fields region[start, colon) names (case-insensitively), or null. */
function fieldAt(region: Buffer, start: number, colon: number): string | null {
  const name = FIELDS.get(colon - start);
  if (name === undefined) return null;
  return equalsLower(region, start, colon, name) ? name : null;
}

/** An interim response: 1xx, except 101 (Switching Protocols), which is final for this connection. */
export function isInterim(status: number | null): boolean {
  return status !== null && status >= 100 && status < 200 && status !== 101;
}

/** ab: strstr(cbuff, "HTTP"), then the three characters after "HTTP/1.x ". */
export function readStatus(region: Buffer, len: number): number {
  // A response starts with "HTTP": that is the first one, without a search.
  const atStart = len >= 4 && region[0] === 0x48 && region[1] === 0x54 && region[2] === 0x54 && region[3] === 0x50;
  const p = atStart ? 0 : indexWithin(region, len, HTTP);
  if (p < 0 || len - p <= 9) return 500;
  const a = region[p + 9];
  const b = p + 10 < len ? region[p + 10] : undefined;
  const c = p + 11 < len ? region[p + 11] : undefined;
  if (!isDigit(a) || !isDigit(b) || !isDigit(c)) return 0;
  return (a - 48) * 100 + (b - 48) * 10 + (c - 48);
}

/**
 * ab: xstrcasestr(cbuff, "Server:"), skip 8 characters (the name, its colon and one space), then
 * copy characters above 32: the first word of the value ("Apache/2.4.57 (Debian)" gives
 * "Apache/2.4.57"). ab looks in the whole buffer, body bytes read so far included.
 */
export function readServer(region: Buffer, len: number): string | null {
  const text = region.toString('latin1', 0, len);
  const m = SERVER_RE.exec(text);
  if (!m) return null;
  let i = m.index + 8;
  let out = '';
  while (i < text.length && text.charCodeAt(i) > 32 && out.length < 1023) out += text[i++];
  return out;
}
