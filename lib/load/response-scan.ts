/**
 * Reads a response the way ab's read_connection() does, without copying in the common case.
 *
 * ab copies the first bytes of a response into an 8 KB buffer (cbuff, CBUFFSIZE 8192, one byte
 * kept for the terminating NUL) and, after every read, looks in it for the end of the header:
 * "\r\n\r\n" anywhere in what it has, or failing that "\n\n" (for NCSA 1.5). Once found:
 * - the status is the three characters 9 bytes after the first "HTTP" (where "HTTP/1.x " ends),
 *   or "500" when there is no "HTTP" followed by at least 10 bytes;
 * - the body is everything after the header's blank line, in that read and every later one.
 * When 8191 bytes hold no blank line, ab gives up on the request (it counts it as non-2xx and
 * failed without naming a kind, and never completes it). Here the response is then read to EOF and
 * treated as one without a header: all its bytes count as transferred, none as body, no status.
 *
 * The scanner is reused from request to request (reset()); it allocates its 8 KB copy only for
 * a slot whose header arrives split over several reads.
 */

const CBUFFSIZE = 8192;
/** Bytes ab can hold of a header: one byte of cbuff is kept for the NUL. */
const HEADER_SPACE = CBUFFSIZE - 1;

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const LFLF = Buffer.from('\n\n', 'latin1');
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

function isDigit(b: number | undefined): b is number {
  return b !== undefined && b >= 48 && b <= 57;
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

  private cbuff: Buffer | null = null;
  private cbx = 0;
  private gaveUp = false;

  reset(): void {
    this.bytesRead = 0;
    this.headerLen = -1;
    this.status = null;
    this.cbx = 0;
    this.gaveUp = false;
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

  /**
   * Takes the bytes buf[0, n) just read. Returns true when this read completed the header.
   * `buf` is only read during the call (it may be a buffer shared by every socket).
   */
  push(buf: Buffer, n: number): boolean {
    this.bytesRead += n;
    if (this.headerLen >= 0 || this.gaveUp) return false;

    const space = HEADER_SPACE - this.cbx;
    const tocopy = n < space ? n : space;
    let region: Buffer;
    let len: number;
    if (this.cbx === 0) {
      // First read of this response: look in place.
      region = buf;
      len = tocopy;
    } else {
      region = this.cbuff!;
      buf.copy(region, this.cbx, 0, tocopy);
      this.cbx += tocopy;
      len = this.cbx;
    }

    let s = indexWithin(region, len, CRLFCRLF);
    let l = 4;
    if (s < 0) {
      s = indexWithin(region, len, LFLF);
      l = 2;
    }
    if (s < 0) {
      if (this.cbx === 0) {
        this.cbuff ??= Buffer.allocUnsafe(CBUFFSIZE);
        buf.copy(this.cbuff, 0, 0, tocopy);
        this.cbx = tocopy;
      }
      if (this.cbx >= HEADER_SPACE) this.gaveUp = true;
      return false;
    }

    this.headerLen = s + l;
    this.status = readStatus(region, len);
    if (this.captureServer) this.server = readServer(region, len);
    return true;
  }
}

/** ab: strstr(cbuff, "HTTP"), then the three characters after "HTTP/1.x ". */
function readStatus(region: Buffer, len: number): number {
  const p = indexWithin(region, len, HTTP);
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
function readServer(region: Buffer, len: number): string | null {
  const text = region.toString('latin1', 0, len);
  const m = SERVER_RE.exec(text);
  if (!m) return null;
  let i = m.index + 8;
  let out = '';
  while (i < text.length && text.charCodeAt(i) > 32 && out.length < 1023) out += text[i++];
  return out;
}
