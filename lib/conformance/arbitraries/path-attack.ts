/**
 * Hostile request-targets aimed at a file next to the document root ("../outside-root.txt"):
 * the path traversal attacks of RFC 9110 §17.3 ("an origin server needs to avoid accessing
 * names that have a special significance to the system when mapping the target resource to
 * files, folders, or directories").
 *
 * The grammar they abuse is that of request-target.ts (RFC 3986 §3.3):
 *
 *     absolute-path  = 1*( "/" segment )
 *     segment        = *pchar
 *     pct-encoded    = "%" HEXDIG HEXDIG
 *
 * and the dot segments that remove_dot_segments (RFC 3986 §5.2.4) resolves: ".." climbs one
 * level. Each attack spells ".." and "/" in ways a careless server decodes into them: literal,
 * percent-encoded in either case, half-encoded (".%2e"), double-encoded ("%252e", for a server
 * that decodes twice), as overlong UTF-8 ("%c0%ae" is a forbidden two-byte spelling of ".",
 * RFC 3629 §3: "Implementations of the decoding algorithm above MUST protect against decoding
 * invalid sequences"), as IIS-style "%u002e", with a ";" path parameter after it ("..;"), and
 * with backslashes as separators. The file name may itself be encoded, or followed by "%00"
 * and a harmless extension for servers that hand the name to C.
 *
 * Every target generated resolves exactly to <root>/../outside-root.txt under `naiveResolve`:
 * the interpretation of a server doing all of these mistakes at once. A correct server never
 * serves it.
 */
import fc from 'fast-check';
import { dirname, basename } from 'node:path';
import { removeDotSegments } from './request-target.ts';

/** The file the attacks aim at, relative to the root's parent. */
export const OUTSIDE_FILE = 'outside-root.txt';
/** What that file contains: it must never appear in a response. */
export const OUTSIDE_MARKER = 'GAUNTLET-OUTSIDE-ROOT';

export interface PathAttack {
  /** The request-target as sent. */
  target: string;
  /** How many rounds of percent-decoding `naiveResolve` needs to reach the file (1 or 2). */
  decodeTimes: 1 | 2;
  /** The tricks used, for reports ("double-encoding", "overlong-utf8", ...). */
  techniques: string[];
}

export interface PathAttackOptions {
  /**
   * The document root's absolute path. With it, attacks may climb above the root's parent and
   * come back down through the real directory names; without it they climb exactly one level
   * above the root.
   */
  root?: string;
}

type Spelling = readonly [text: string, technique: string];

/** ".." once percent-decoded (and overlong forms folded, %u decoded, path parameters dropped). */
const DOTDOT: readonly Spelling[] = [
  ['..', 'dot-segment'],
  ['%2e%2e', 'percent-encoding'],
  ['%2E%2E', 'percent-encoding'],
  ['.%2e', 'percent-encoding'],
  ['%2e.', 'percent-encoding'],
  ['%c0%ae%c0%ae', 'overlong-utf8'],
  ['%e0%80%ae%e0%80%ae', 'overlong-utf8'],
  ['%c0%ae.', 'overlong-utf8'],
  ['..;', 'path-parameter'],
  ['%2e%2e;x=1', 'path-parameter'],
  ['%u002e%u002e', 'u-encoding'],
];
/** ".." only after two rounds of percent-decoding. */
const DOTDOT_TWICE: readonly Spelling[] = [
  ['%252e%252e', 'double-encoding'],
  ['%252E%252E', 'double-encoding'],
  ['.%252e', 'double-encoding'],
  ['%25c0%25ae%25c0%25ae', 'double-encoding'],
];
/** "/" once decoded. */
const SLASH: readonly Spelling[] = [
  ['/', 'slash'],
  ['/', 'slash'],
  ['\\', 'backslash'],
  ['%2f', 'encoded-slash'],
  ['%2F', 'encoded-slash'],
  ['%5c', 'encoded-backslash'],
  ['%5C', 'encoded-backslash'],
  ['%c0%af', 'overlong-utf8'],
  ['%e0%80%af', 'overlong-utf8'],
  ['/./', 'dot-segment'],
];
const SLASH_TWICE: readonly Spelling[] = [
  ['%252f', 'double-encoding'],
  ['%255c', 'double-encoding'],
];
/** outside-root.txt once decoded (NUL-truncated, parameters dropped). */
const FILE_NAME: readonly Spelling[] = [
  ['outside-root.txt', 'plain-name'],
  ['outside-root.txt', 'plain-name'],
  ['outside-root%2etxt', 'encoded-name'],
  ['%6Futside-root.txt', 'encoded-name'],
  ['outside-root%c0%aetxt', 'overlong-utf8'],
  ['outside-root.txt%00.html', 'nul-truncation'],
  ['outside-root.txt;.css', 'path-parameter'],
];
const FILE_NAME_TWICE: readonly Spelling[] = [['outside-root%252etxt', 'double-encoding']];
/** Names to go down into first (each costs one more climb). */
const DOWN = ['sub', 'a', 'no-such-dir', 'index.html'];

/** The directories from the filesystem root down to `dir`'s parent, nearest first: what an over-climb can come back through. */
function ancestors(dir: string): string[] {
  const names: string[] = [];
  let d = dirname(dir);
  while (dirname(d) !== d) {
    names.push(basename(d));
    d = dirname(d);
  }
  return names;
}

/** A path traversal attempt at <root>/../outside-root.txt. */
export function pathAttack(opts: PathAttackOptions = {}): fc.Arbitrary<PathAttack> {
  // Over-climbing needs the names to come back down through: root=/srv/www/site has /srv/www
  // as parent, and climbing to /srv means coming back through "www".
  const above = opts.root ? ancestors(opts.root) : [];
  const maxExtra = Math.min(2, above.length);
  return fc
    .record({
      // The plainest attack ("/../outside-root.txt") beats the commonest mistake, a server that
      // joins the path to the root unchecked; spelled at random among the tricks below it comes
      // up in a few runs in a hundred, so a third of the attacks are the plain one. Listed first,
      // it is also what a failing attack shrinks to.
      plain: fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constant(true), weight: 1 },
        { arbitrary: fc.constant(false), weight: 2 },
      ),
      twice: fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constant(false), weight: 4 },
        { arbitrary: fc.constant(true), weight: 1 },
      ),
      downs: fc.array(fc.constantFrom(...DOWN), { maxLength: 2 }),
      extra: fc.integer({ min: 0, max: maxExtra }),
      dotdots: fc.array(fc.nat(), { minLength: 5, maxLength: 5 }),
      slashes: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
      name: fc.nat(),
      absolute: fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constant(false), weight: 5 },
        { arbitrary: fc.constant(true), weight: 1 },
      ),
      query: fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constant(''), weight: 4 },
        { arbitrary: fc.constantFrom('?x=1', '?../../etc'), weight: 1 },
      ),
    })
    .map(({ plain, twice, downs, extra, dotdots, slashes, name, absolute, query }): PathAttack => {
      if (plain)
        return { target: `/../${OUTSIDE_FILE}`, decodeTimes: 1, techniques: ['dot-segment', 'plain-name', 'slash'] };
      // With two decodings, every spelling is allowed (a once-encoded piece is just decoded
      // earlier); with one, the double-encoded ones would name "%2e%2e" literally.
      const dd = twice ? [...DOTDOT, ...DOTDOT_TWICE] : DOTDOT;
      const sl = twice ? [...SLASH, ...SLASH_TWICE] : SLASH;
      const fn = twice ? [...FILE_NAME, ...FILE_NAME_TWICE] : FILE_NAME;
      const used = new Set<string>();
      const pick = (list: readonly Spelling[], n: number): string => {
        const [text, technique] = list[n % list.length]!;
        used.add(technique);
        return text;
      };
      const climbs = downs.length + 1 + extra;
      const pieces: string[] = [...downs];
      for (let i = 0; i < climbs; i++) pieces.push(pick(dd, dotdots[i % dotdots.length]!));
      // Back down through the real names: climbing `extra` levels above the root's parent.
      for (let i = extra - 1; i >= 0; i--) pieces.push(above[i]!);
      // A path parameter or NUL in the name must end the path, so the name goes last.
      pieces.push(pick(fn, name));
      let path = '/';
      pieces.forEach((p, i) => {
        path += p;
        if (i < pieces.length - 1) path += pick(sl, slashes[i % slashes.length]!);
      });
      if (absolute) used.add('absolute-form');
      if (query) used.add('query');
      return {
        target: `${absolute ? 'http://localhost' : ''}${path}${query}`,
        decodeTimes: twice && [...used].includes('double-encoding') ? 2 : 1,
        techniques: [...used].sort(),
      };
    });
}

/** Percent-decodes to octets (as a latin1 string); "%u" + 4 hex digits gives that code point's low octet. */
function percentDecode(s: string, uEncoding: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (
      c === '%' &&
      uEncoding &&
      (s[i + 1] === 'u' || s[i + 1] === 'U') &&
      /^[0-9A-Fa-f]{4}$/.test(s.slice(i + 2, i + 6))
    ) {
      out += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16) & 0xff);
      i += 5;
    } else if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

/** Reads octets as UTF-8 the lax way: overlong 2- and 3-octet forms give the character they spell. */
function laxUtf8(octets: string): string {
  let out = '';
  for (let i = 0; i < octets.length; i++) {
    const b0 = octets.charCodeAt(i);
    const b1 = octets.charCodeAt(i + 1);
    const b2 = octets.charCodeAt(i + 2);
    if (b0 >= 0xc0 && b0 < 0xe0 && b1 >= 0x80 && b1 < 0xc0) {
      out += String.fromCharCode(((b0 & 0x1f) << 6) | (b1 & 0x3f));
      i += 1;
    } else if (b0 >= 0xe0 && b0 < 0xf0 && b1 >= 0x80 && b1 < 0xc0 && b2 >= 0x80 && b2 < 0xc0) {
      out += String.fromCharCode(((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f));
      i += 2;
    } else {
      out += octets[i];
    }
  }
  return out;
}

/**
 * Where a maximally careless server would look for `target` under `root`: the query dropped,
 * percent-decoded `decodeTimes` times (%u too), overlong UTF-8 accepted, cut at the first NUL,
 * backslashes taken as separators, ";" parameters dropped from segments, then appended to the
 * root and resolved with remove_dot_segments (RFC 3986 §5.2.4).
 */
export function naiveResolve(target: string, root: string, decodeTimes: 1 | 2 = 1): string {
  let path = target.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/, '');
  const q = path.indexOf('?');
  if (q >= 0) path = path.slice(0, q);
  for (let i = 0; i < decodeTimes; i++) path = percentDecode(path, true);
  path = laxUtf8(path);
  const nul = path.indexOf('\0');
  if (nul >= 0) path = path.slice(0, nul);
  path = path.replaceAll('\\', '/');
  path = path
    .split('/')
    .map((seg) => (seg.includes(';') ? seg.slice(0, seg.indexOf(';')) : seg))
    .join('/');
  return removeDotSegments(`${root.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`);
}
