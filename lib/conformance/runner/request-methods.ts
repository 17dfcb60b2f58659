/**
 * The methods of the requests a case sends, read from its bytes. The response parser needs them
 * to know which responses answer HEAD and so carry no body; a case whose bytes are ambiguous on
 * purpose states its methods instead.
 */

/** Where the body of the request whose request line ends at `lineEnd` starts, or -1 when its head never ends. */
function bodyStart(text: string, lineEnd: number): number {
  const crlf = text.indexOf('\r\n\r\n', lineEnd - 1);
  const lf = text.indexOf('\n\n', lineEnd);
  const ends = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((e) => e >= 0);
  return ends.length === 0 ? -1 : Math.min(...ends);
}

/** Where the request after a chunked body starting at `from` starts, or null when the body cannot be read. */
function afterChunkedBody(text: string, from: number): number | null {
  let p = from;
  for (;;) {
    const nl = text.indexOf('\n', p);
    if (nl < 0) return null;
    // Only plain hex digits: a "-1" read as a number would walk backwards forever.
    const hex = /^([0-9A-Fa-f]{1,12})(?:[;\s]|$)/.exec(text.slice(p, nl));
    if (!hex?.[1]) return null;
    const size = parseInt(hex[1], 16);
    p = nl + 1;
    if (size === 0) {
      const end = text.indexOf('\r\n\r\n', p - 2);
      return end < 0 ? text.length : end + 4;
    }
    p += size;
    if (text.startsWith('\r\n', p)) p += 2;
    else if (text.startsWith('\n', p)) p += 1;
  }
}

/**
 * The methods of the requests in some bytes, in order, read as leniently as possible: request
 * lines separated by their heads and bodies (Content-Length or chunked). It only has to tell
 * the response parser which responses answer HEAD; it stops at the first thing it cannot read.
 */
export function requestMethods(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const methods: string[] = [];
  let pos = 0;
  while (pos < text.length && methods.length < 1000) {
    while (text.startsWith('\r\n', pos) || text.startsWith('\n', pos)) pos += text.startsWith('\r\n', pos) ? 2 : 1;
    const lineEnd = text.indexOf('\n', pos);
    if (lineEnd < 0) break;
    const line = text.slice(pos, lineEnd).replace(/\r$/, '');
    const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) \S+ HTTP\/\d\.\d$/.exec(line);
    if (!m || m[1] === undefined) break;
    methods.push(m[1]);
    const start = bodyStart(text, lineEnd);
    if (start < 0) break;
    const head = text.slice(lineEnd + 1, start);
    if (/^transfer-encoding:.*chunked/im.test(head)) {
      const next = afterChunkedBody(text, start);
      if (next === null) return methods;
      pos = next;
    } else {
      const cl = /^content-length:[ \t]*(\d+)[ \t]*\r?$/im.exec(head);
      pos = start + (cl?.[1] ? Number(cl[1]) : 0);
    }
  }
  return methods;
}
