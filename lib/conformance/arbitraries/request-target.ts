/**
 * request-target in origin-form (RFC 9112 §3.2.1, RFC 9110 §4.1, RFC 3986 §2, §3.3, §3.4):
 *
 *     origin-form    = absolute-path [ "?" query ]
 *     absolute-path  = 1*( "/" segment )
 *     segment        = *pchar
 *     pchar          = unreserved / pct-encoded / sub-delims / ":" / "@"
 *     query          = *( pchar / "/" / "?" )
 *     unreserved     = ALPHA / DIGIT / "-" / "." / "_" / "~"
 *     pct-encoded    = "%" HEXDIG HEXDIG
 *     sub-delims     = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
 *
 * Two kinds of targets come out. Arbitrary ones, whose segments may be anything the grammar
 * allows (percent-encoded octets of any value included, so some name no file or are refused).
 * And, given the paths of files known to exist, targets that name one of them in a spelling
 * RFC 3986 says is equivalent: "." and "name/.." segments, which remove_dot_segments (§5.2.4)
 * takes out, and unreserved characters percent-encoded, since "URIs that differ in the
 * replacement of an unreserved character with its corresponding percent-encoded US-ASCII octet
 * are equivalent" (§2.3). Empty segments ("//") are not generated there: they are not
 * equivalent to a single "/".
 */
import fc from 'fast-check';

export interface RequestTarget {
  /** The target as sent: absolute-path [ "?" query ]. */
  target: string;
  /** The absolute-path part, as sent. */
  path: string;
  /** The query without its "?", or null when there is none. */
  query: string | null;
  /** The entry of `files` the target names, for a target generated from one; null otherwise. */
  names: string | null;
}

export interface RequestTargetOptions {
  /**
   * Paths of resources known to exist ("/", "/index.html", "/sub/page.html"): most targets then
   * name one of them in an equivalent spelling. Without it every target is arbitrary.
   */
  files?: readonly string[];
  /** Share of arbitrary targets when `files` is given, 0-1 (default 0.25). */
  arbitraryShare?: number;
  /** Generate queries (default true). */
  query?: boolean;
  /** Most segments of an arbitrary path (default 4). */
  maxSegments?: number;
}

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIGIT = '0123456789';
export const UNRESERVED = `${ALPHA}${DIGIT}-._~`;
export const SUB_DELIMS = "!$&'()*+,;=";

/** "%" HEXDIG HEXDIG for one octet, upper or lower case hex (both are HEXDIG in URIs, RFC 3986 §2.1). */
export function pctEncode(octet: number, lower = false): string {
  const hex = octet.toString(16).padStart(2, '0');
  return `%${lower ? hex : hex.toUpperCase()}`;
}

const pctEncoded = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.boolean()).map(([b, lower]) => pctEncode(b, lower));

/** pchar, weighted towards unreserved. */
function pchar(): fc.Arbitrary<string> {
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constantFrom(...UNRESERVED), weight: 12 },
    { arbitrary: fc.constantFrom(...SUB_DELIMS, ':', '@'), weight: 2 },
    { arbitrary: pctEncoded, weight: 2 },
  );
}

function segment(maxLength = 12): fc.Arbitrary<string> {
  return fc.string({ unit: pchar(), maxLength });
}

/** query = *( pchar / "/" / "?" ) */
export function query(maxLength = 24): fc.Arbitrary<string> {
  return fc.string({
    unit: fc.oneof(
      { withCrossShrink: true },
      { arbitrary: pchar(), weight: 8 },
      { arbitrary: fc.constantFrom('/', '?'), weight: 1 },
    ),
    maxLength,
  });
}

/** absolute-path = 1*( "/" segment ) */
export function absolutePath(maxSegments = 4): fc.Arbitrary<string> {
  return fc
    .array(segment(), { minLength: 1, maxLength: Math.max(1, maxSegments) })
    .map((segs) => segs.map((s) => `/${s}`).join(''));
}

/**
 * remove_dot_segments (RFC 3986 §5.2.4), on a path whose percent-encodings are already
 * decoded where they matter. Dot segments above the top are dropped, as the algorithm does.
 */
export function removeDotSegments(path: string): string {
  let input = path;
  let output = '';
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../')) {
      input = input.slice(3);
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '/..') {
      input = '/';
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', input.startsWith('/') ? 1 : 0);
      const end = next < 0 ? input.length : next;
      output += input.slice(0, end);
      input = input.slice(end);
    }
  }
  return output;
}

/** A segment that is neither "." nor "..": letters and digits only, so it needs no decoding. */
const plainSegment = fc.string({ unit: fc.constantFrom(...ALPHA, ...DIGIT), minLength: 1, maxLength: 6 });

interface Detour {
  /** Before which segment of the file's path (taken modulo the count). */
  at: number;
  /** "." or "name/..": both vanish under remove_dot_segments. */
  kind: 'dot' | 'up';
  name: string;
}

/** Spells a name segment with some unreserved characters percent-encoded (flag i for char i). */
function encodeSome(seg: string, flags: readonly boolean[], lower: boolean, offset: number): string {
  let out = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    out +=
      flags[(offset + i) % Math.max(1, flags.length)] === true && UNRESERVED.includes(c)
        ? pctEncode(c.charCodeAt(0), lower)
        : c;
  }
  return out;
}

/** A path equivalent to `file` under RFC 3986 normalization. */
function spellFile(file: string, detours: readonly Detour[], flags: readonly boolean[], lower: boolean): string {
  const segs = file.split('/').slice(1);
  // "/" is one empty segment; a directory path "/sub/" ends in one.
  const spelled = segs.map((s, i) => encodeSome(s, flags, lower, i * 7));
  const out: string[] = [...spelled];
  // Detours go before a segment, never after the last: "/a.html/." would name a directory.
  const sorted = [...detours].sort((a, b) => (b.at % segs.length) - (a.at % segs.length));
  for (const d of sorted) {
    const at = d.at % segs.length;
    out.splice(at, 0, ...(d.kind === 'dot' ? ['.'] : [d.name, '..']));
  }
  return `/${out.join('/')}`;
}

/** An origin-form request-target. */
export function requestTarget(opts: RequestTargetOptions = {}): fc.Arbitrary<RequestTarget> {
  const withQuery = opts.query ?? true;
  const q = withQuery ? fc.option(query(), { freq: 3 }) : fc.constant(null);
  const arbitrary = fc.tuple(absolutePath(opts.maxSegments ?? 4), q).map(([path, qs]) => ({
    target: qs === null ? path : `${path}?${qs}`,
    path,
    query: qs,
    names: null,
  }));
  const files = opts.files ?? [];
  if (files.length === 0) return arbitrary;
  const detour = fc.record({ at: fc.nat(), kind: fc.constantFrom<'dot' | 'up'>('dot', 'up'), name: plainSegment });
  const known = fc
    .record({
      file: fc.constantFrom(...files),
      detours: fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constant([] as Detour[]), weight: 2 },
        { arbitrary: fc.array(detour, { maxLength: 3 }), weight: 3 },
      ),
      flags: fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constant([] as boolean[]), weight: 2 },
        { arbitrary: fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }), weight: 1 },
      ),
      lower: fc.boolean(),
      query: q,
    })
    .map(({ file, detours, flags, lower, query: qs }) => {
      const path = spellFile(file, detours, flags, lower);
      return { target: qs === null ? path : `${path}?${qs}`, path, query: qs, names: file };
    });
  const share = Math.min(1, Math.max(0, opts.arbitraryShare ?? 0.25));
  if (share === 0) return known;
  if (share === 1) return arbitrary;
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: known, weight: Math.round((1 - share) * 100) },
    { arbitrary: arbitrary, weight: Math.round(share * 100) },
  );
}
