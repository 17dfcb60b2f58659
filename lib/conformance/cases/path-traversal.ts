/**
 * The group path-traversal: request targets with dot segments or their encodings never serve a file
 * outside the document root (RFC 3986 §5.2.4).
 */
import type { CaseDefinition } from '../types.ts';
import {
  CLOSE,
  all,
  bodyEqualsFile,
  neverLeaksOutsideRoot,
  one,
  req,
  status,
  statusRange,
  whenStatus,
} from './helpers.ts';

const TRAVERSAL =
  'RFC 9110 §17.3: "Most file systems are not designed to protect against malicious file or path names. Therefore, an origin server needs to avoid accessing names that have a special significance to the system when mapping the target resource to files, folders, or directories." RFC 3986 §5.2.4 removes dot-segments before a path is resolved, and never above the root. fixtures/outside-root.txt sits next to the document root; its marker must never come back.';

/** A GET of a raw request-target that tries to reach fixtures/outside-root.txt. */
function escape(id: string, name: string, target: string, why: string): CaseDefinition {
  return {
    id: `path-traversal-${id}`,
    name,
    rfc: 'RFC 9110 §17.3; RFC 3986 §5.2.4',
    // §17.3 states this without a keyword: missing it fails a run, without calling it a MUST.
    level: 'security',
    request: one(req(`GET ${target} HTTP/1.1`, { Host: 'localhost', Connection: 'close' })),
    accept: [statusRange(400, 499), statusRange(300, 399), CLOSE],
    check: neverLeaksOutsideRoot,
    notes: `${why} Any refusal (400, 403, 404) or a redirect passes; the file itself never may. ${TRAVERSAL}`,
  };
}

export const cases: CaseDefinition[] = [
  escape('dot-dot', 'A "/../" path never reaches a file above the root', '/../outside-root.txt', 'The plain form.'),
  escape(
    'dot-dot-deep',
    'Climbing two levels above the root and back down never reaches a file outside it',
    '/../../fixtures/outside-root.txt',
    'With the default layout (root = fixtures/www) this names fixtures/outside-root.txt through the project directory; with another layout it names nothing and passes.',
  ),
  escape(
    'sub-dot-dot',
    'A "/sub/../../" path never reaches a file above the root',
    '/sub/../../outside-root.txt',
    'Starting inside a real subdirectory.',
  ),
  escape(
    'dot-dot-double-slash',
    'A "//../" path never reaches a file above the root',
    '//../outside-root.txt',
    'An empty segment first.',
  ),
  escape(
    'dot-then-dot-dot',
    'A "/./../" path never reaches a file above the root',
    '/./../outside-root.txt',
    'A "." segment first.',
  ),
  escape(
    'encoded-dots',
    'A "/%2e%2e/" path never reaches a file above the root',
    '/%2e%2e/outside-root.txt',
    'Decoding after the ".." check lets this through.',
  ),
  escape(
    'encoded-dots-upper',
    'A "/%2E%2E/" path never reaches a file above the root',
    '/%2E%2E/outside-root.txt',
    'Upper-case percent-encoding.',
  ),
  escape(
    'half-encoded-dots',
    'A "/.%2e/" path never reaches a file above the root',
    '/.%2e/outside-root.txt',
    'One dot encoded.',
  ),
  escape(
    'encoded-slash',
    'A "/..%2f" path never reaches a file above the root',
    '/..%2foutside-root.txt',
    'An encoded "/" becomes a separator after decoding.',
  ),
  escape(
    'fully-encoded',
    'A "/%2e%2e%2f" path never reaches a file above the root',
    '/%2e%2e%2foutside-root.txt',
    'Both the dots and the slash encoded.',
  ),
  escape(
    'sub-encoded-slashes',
    'A "/sub/..%2f..%2f" path never reaches a file above the root',
    '/sub/..%2f..%2foutside-root.txt',
    'Encoded separators inside a real subdirectory.',
  ),
  escape(
    'encoded-backslash',
    'A "/..%5c" path never reaches a file above the root',
    '/..%5coutside-root.txt',
    'A backslash is a separator on Windows and in some path libraries.',
  ),
  escape(
    'raw-backslash',
    'A "/..\\" path never reaches a file above the root',
    '/..\\outside-root.txt',
    'A raw backslash (not valid in a URI, so 400 is the expected answer).',
  ),
  escape(
    'encoded-dots-backslash',
    'A "/%2e%2e%5c" path never reaches a file above the root',
    '/%2e%2e%5coutside-root.txt',
    'Encoded dots and backslash.',
  ),
  escape(
    'overlong-utf8-dots',
    'Overlong UTF-8 dots ("%c0%ae%c0%ae") never reach a file above the root',
    '/%c0%ae%c0%ae/outside-root.txt',
    '0xC0 0xAE is an invalid, overlong encoding of "."; lenient UTF-8 decoders turn it into one.',
  ),
  escape(
    'overlong-utf8-slash',
    'Overlong UTF-8 dots and slash never reach a file above the root',
    '/%c0%ae%c0%ae%c0%afoutside-root.txt',
    '0xC0 0xAF is an overlong "/".',
  ),
  escape(
    'double-encoded',
    'A double-encoded "/%252e%252e/" path never reaches a file above the root',
    '/%252e%252e/outside-root.txt',
    'Decoding twice turns %252e into "."',
  ),
  escape(
    'nul-truncation',
    'A path with an encoded NUL ("%00") never reaches a file above the root',
    '/../outside-root.txt%00.html',
    'C file APIs stop at NUL, so "outside-root.txt%00.html" can pass an extension check and open outside-root.txt.',
  ),
  escape(
    'semicolon-segment',
    'A "/..;/" path never reaches a file above the root',
    '/..;/outside-root.txt',
    'Path-parameter stripping (as in servlet containers) turns "..;" into "..".',
  ),
  escape(
    'iis-unicode',
    'An IIS-style "%u002e" path never reaches a file above the root',
    '/%u002e%u002e/outside-root.txt',
    '%uXXXX is not percent-encoding (RFC 3986 §2.1) and must not be decoded.',
  ),
  escape(
    'absolute-form',
    'An absolute-form target with "/../" never reaches a file above the root',
    'http://localhost/../outside-root.txt',
    'The path of an absolute-form target is resolved like any other.',
  ),
  {
    id: 'path-traversal-trailing-dot-dot',
    name: 'A path ending in "/.." above the root resolves to the root itself, never its parent',
    rfc: 'RFC 3986 §5.2.4; RFC 9110 §17.3',
    level: 'security',
    request: one(req('GET /sub/../.. HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: [statusRange(200, 499), CLOSE],
    check: all(neverLeaksOutsideRoot, whenStatus(200, 200, bodyEqualsFile('index.html'))),
    notes: `remove_dot_segments turns "/sub/../.." into "/", so serving the root index is correct; listing or serving the directory above the root is not. ${TRAVERSAL}`,
  },
  {
    id: 'path-traversal-dot-segments-inside-root',
    name: 'Dot-segments that stay inside the root resolve to the file they name',
    rfc: 'RFC 3986 §5.2.4',
    level: 'informational',
    request: one(req('GET /sub/../hello.txt HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: [status(200), statusRange(300, 399), status(400), status(404)],
    check: all(neverLeaksOutsideRoot, whenStatus(200, 200, bodyEqualsFile('hello.txt'))),
    notes:
      'RFC 3986 §5.2.4 (remove_dot_segments) makes "/sub/../hello.txt" equal to "/hello.txt". Refusing every ".." is a safe simplification, so this is reported only.',
  },
  {
    id: 'path-traversal-encoded-unreserved',
    name: 'A percent-encoded unreserved character ("%68ello.txt") names the same file',
    rfc: 'RFC 3986 §2.3; RFC 9110 §4.2.3',
    level: 'informational',
    request: one(req('GET /%68ello.txt HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: [status(200)],
    check: bodyEqualsFile('hello.txt'),
    notes:
      'RFC 3986 §2.3: "URIs that differ in the replacement of an unreserved character with its corresponding percent-encoded US-ASCII octet are equivalent". A server that never decodes serves 404; reported only.',
  },
];
