/**
 * From request target to a path under the served root.
 *
 * Decoding is done once, segment by segment, and anything that could make one path name a
 * different file than it appears to is refused: an encoded "/" or "\" (it would merge or split
 * segments after decoding), a NUL (it truncates names in system calls), a backslash, bytes that
 * are not UTF-8 (the overlong "%c0%ae" spelling of "." among them). Dot segments are then
 * resolved; one that climbs above the root is refused outright instead of being clamped, since
 * no legitimate client sends it. The file layer finally checks the realpath against the root's,
 * which also catches symbolic links that lead out.
 */

export type DecodedPath =
  { ok: true; segments: string[]; trailingSlash: boolean } | { ok: false; status: 400 | 403 | 404; reason: string };

/**
 * The path part of a request target, without the query: origin-form as is, absolute-form
 * (`http://host/path?q`) reduced to its path, "/" when it has none. Returns null for forms that
 * name no path (asterisk-form, authority-form).
 */
export function targetPath(target: string): string | null {
  let path: string;
  if (target.charCodeAt(0) === 0x2f) {
    path = target;
  } else {
    const scheme = target.indexOf('://');
    if (scheme < 0) return null;
    const authorityStart = scheme + 3;
    let slash = target.indexOf('/', authorityStart);
    const query = target.indexOf('?', authorityStart);
    if (query >= 0 && (slash < 0 || query < slash)) slash = -1;
    path = slash < 0 ? '/' : target.slice(slash);
  }
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Percent-decodes one segment; returns a status on refusal. */
function decodeSegment(raw: string): string | 400 | 403 | 404 {
  if (raw.indexOf('%') < 0) {
    return raw.indexOf('\\') < 0 ? raw : 403;
  }
  const bytes = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return 400;
      const b = hi * 16 + lo;
      if (b === 0x00 || b === 0x2f || b === 0x5c) return 403;
      bytes[n++] = b;
      i += 2;
    } else {
      if (c === 0x5c) return 403;
      bytes[n++] = c;
    }
  }
  try {
    return utf8.decode(bytes.subarray(0, n));
  } catch {
    // Not UTF-8 (overlong forms included): no file can be named by it.
    return 404;
  }
}

/** Decodes and normalises an origin-form path ("/a/b/../c") into segments under the root. */
export function decodePath(path: string): DecodedPath {
  if (path.charCodeAt(0) !== 0x2f) return { ok: false, status: 400, reason: 'path must start with /' };
  const raw = path.split('/');
  const segments: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < raw.length; i++) {
    const decoded = decodeSegment(raw[i]!);
    if (typeof decoded === 'number') {
      const reason =
        decoded === 400
          ? 'malformed percent-encoding'
          : decoded === 403
            ? 'forbidden character in path'
            : 'path is not UTF-8';
      return { ok: false, status: decoded, reason };
    }
    const last = i === raw.length - 1;
    if (decoded === '' || decoded === '.') {
      if (last) trailingSlash = true;
      continue;
    }
    if (decoded === '..') {
      if (segments.length === 0) return { ok: false, status: 403, reason: 'path leaves the root' };
      segments.pop();
      if (last) trailingSlash = true;
      continue;
    }
    segments.push(decoded);
  }
  return { ok: true, segments, trailingSlash };
}
