/**
 * The group request-line: the request line's syntax (method, target, version, single spaces;
 * RFC 9112 §3), rejected with 400 when malformed.
 */
import type { CaseDefinition } from '../types.ts';
import {
  afterPersistentFirst,
  CLOSE,
  OK,
  all,
  badRequestLine,
  bodyEqualsFile,
  redirectsToLocation,
  getClose,
  one,
  rejected,
  req,
  startsWithStatusLine,
  status,
  thenAlive,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const INVALID_LINE =
  'RFC 9112 §3.2: "Recipients of an invalid request-line SHOULD respond with either a 400 (Bad Request) error or a 301 (Moved Permanently) redirect with the request-target properly encoded. A recipient SHOULD NOT attempt to autocorrect and then process the request without a redirect, since the invalid request-line might be deliberately crafted to bypass security filters along the request chain."';

const LENIENT_WHITESPACE =
  'RFC 9112 §3: "recipients MAY instead parse on whitespace-delimited word boundaries and, aside from the CRLF terminator, treat any form of whitespace as the SP separator while ignoring preceding or trailing whitespace; such whitespace includes one or more of the following octets: SP, HTAB, VT (%x0B), FF (%x0C), or bare CR. However, lenient parsing can result in request smuggling security vulnerabilities". Leniency is allowed, so this case only reports whether the server is strict.';

/** A request line followed by a normal, closing header section. */
const line = (requestLine: string) => req(requestLine, { Host: 'localhost', Connection: 'close' });

function invalid(id: string, name: string, requestLine: string, notes: string): CaseDefinition {
  return {
    id: `request-line-${id}`,
    name,
    rfc: 'RFC 9112 §3',
    level: 'SHOULD',
    request: one(line(requestLine)),
    accept: badRequestLine,
    check: all(startsWithStatusLine, redirectsToLocation),
    notes: `${notes} ${INVALID_LINE}`,
  };
}

function lenient(id: string, name: string, requestLine: string, notes: string): CaseDefinition {
  return {
    id: `request-line-${id}`,
    name,
    rfc: 'RFC 9112 §3',
    level: 'informational',
    request: one(line(requestLine)),
    accept: badRequestLine,
    check: redirectsToLocation,
    notes: `${notes} ${LENIENT_WHITESPACE}`,
  };
}

export const cases: CaseDefinition[] = thenAlive([
  {
    id: 'request-line-empty-line-before',
    name: 'An empty line (CRLF) before the request line is ignored',
    rfc: 'RFC 9112 §2.2',
    level: 'SHOULD',
    request: one('\r\n' + getClose('/hello.txt')),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes:
      'RFC 9112 §2.2: "In the interest of robustness, a server that is expecting to receive and parse a request-line SHOULD ignore at least one empty line (CRLF) received prior to the request-line." Clients that add a CRLF after a POST body (as old browsers did) rely on it.',
  },
  {
    id: 'request-line-two-empty-lines-before',
    name: 'Two empty lines before the request line are ignored',
    rfc: 'RFC 9112 §2.2',
    level: 'informational',
    request: one('\r\n\r\n' + getClose('/hello.txt')),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes:
      'RFC 9112 §2.2 asks a server to ignore "at least one empty line (CRLF)"; more than one is left to the server, so this is reported only.',
  },
  {
    id: 'request-line-lf-only-line-ends',
    name: 'A request whose lines end in a bare LF is either read (LF as line end) or rejected',
    rfc: 'RFC 9112 §2.2',
    level: 'informational',
    request: one('GET /hello.txt HTTP/1.1\nHost: localhost\nConnection: close\n\n'),
    accept: [status(200), ...rejected],
    notes:
      'RFC 9112 §2.2: "Although the line terminator for the start-line and fields is the sequence CRLF, a recipient MAY recognize a single LF as a line terminator and ignore any preceding CR." Both answers are allowed; the report shows which one the server chose.',
  },
  lenient(
    'double-space',
    'A request line with two spaces after the method is rejected (strict parsing)',
    'GET  /hello.txt HTTP/1.1',
    'The grammar is `method SP request-target SP HTTP-version`, one SP each.',
  ),
  lenient(
    'tab-separator',
    'A request line separated by HTAB is rejected (strict parsing)',
    'GET\t/hello.txt\tHTTP/1.1',
    'HTAB is not SP.',
  ),
  lenient(
    'vt-separator',
    'A request line separated by VT is rejected (strict parsing)',
    'GET\x0b/hello.txt HTTP/1.1',
    'VT (0x0b) is not SP.',
  ),
  lenient(
    'trailing-space',
    'A request line with a space after the version is rejected (strict parsing)',
    'GET /hello.txt HTTP/1.1 ',
    'Nothing may follow HTTP-version but CRLF.',
  ),
  invalid(
    'trailing-junk',
    'A request line with a fourth word after the version is answered 400',
    'GET /hello.txt HTTP/1.1 junk',
    'A fourth word is invalid under strict and lenient parsing alike.',
  ),
  invalid(
    'lf-separators',
    'A request line whose words are separated by bare LF is answered 400',
    'GET\n/hello.txt\nHTTP/1.1',
    'LF is never a word separator; read as a line end it leaves "GET" alone on the request line.',
  ),
  invalid(
    'missing-target',
    'A request line without a request-target is answered 400',
    'GET HTTP/1.1',
    'Two words instead of three.',
  ),
  invalid(
    'missing-version',
    'A request line without an HTTP version is answered 400, not with an HTTP/0.9 body',
    'GET /hello.txt',
    'HTTP/0.9 requests are not part of HTTP/1.1; a server that answers them with a bare body (no status line) is checked too.',
  ),
  invalid('method-only', 'A request line that is only a method is answered 400', 'GET', 'One word instead of three.'),
  invalid(
    'nul-in-method',
    'A NUL in the method is answered 400',
    'G\x00ET /hello.txt HTTP/1.1',
    'RFC 9112 §3.1: "method = token"; NUL is not a tchar. A parser stopping at NUL may see "G".',
  ),
  invalid(
    'quote-in-method',
    'A double quote in the method is answered 400',
    'G"ET /hello.txt HTTP/1.1',
    'RFC 9112 §3.1: "method = token"; `"` is a delimiter, not a tchar (RFC 9110 §5.6.2).',
  ),
  invalid(
    'empty-method',
    'A request line starting with a space (empty method) is answered 400',
    ' /hello.txt HTTP/1.1',
    'The method is empty; even ignoring the leading space leaves only two words.',
  ),
  invalid(
    'slash-in-method',
    'A method containing "/" is answered 400',
    'GET/1 /hello.txt HTTP/1.1',
    '"/" is a delimiter, not a tchar (RFC 9110 §5.6.2).',
  ),
  invalid(
    'space-in-target',
    'A request-target containing a space is answered 400',
    'GET /hello .txt HTTP/1.1',
    'RFC 9112 §3.2: "No whitespace is allowed in the request-target."',
  ),
  invalid(
    'nul-in-target',
    'A NUL in the request-target is answered 400',
    'GET /hello.txt\x00.html HTTP/1.1',
    'A C string ends at NUL: a server that truncates there serves a different resource than a filter saw.',
  ),
  invalid(
    'control-in-target',
    'A control character in the request-target is answered 400',
    'GET /hello\x01.txt HTTP/1.1',
    'Controls are not allowed in a URI (RFC 3986 §2).',
  ),
  invalid(
    'del-in-target',
    'A DEL (0x7f) in the request-target is answered 400',
    'GET /hello\x7f.txt HTTP/1.1',
    'DEL is not allowed in a URI (RFC 3986 §2).',
  ),
  invalid(
    'raw-utf8-in-target',
    'Raw non-ASCII octets in the request-target are answered 400',
    'GET /h\xc3\xa9llo.txt HTTP/1.1',
    'A URI is ASCII; non-ASCII must be percent-encoded (RFC 3986 §2.1). Many servers accept raw UTF-8, which the RFC asks them not to process without a redirect.',
  ),
  invalid(
    'fragment-in-target',
    'A request-target with a #fragment is answered 400',
    'GET /hello.txt#frag HTTP/1.1',
    'RFC 9112 §3.2.1: "origin-form = absolute-path [ "?" query ]"; a fragment is never sent (RFC 9110 §7.1) and "#" is not allowed in path or query.',
  ),
  invalid(
    'relative-target',
    'A request-target that is neither origin-form, absolute-form, authority-form nor "*" is answered 400',
    'GET hello.txt HTTP/1.1',
    'RFC 9112 §3.2 lists the four forms; "hello.txt" is none of them.',
  ),
  {
    id: 'request-line-asterisk-for-get',
    name: 'The asterisk-form request-target is refused for a method other than OPTIONS',
    rfc: 'RFC 9112 §3.2.4',
    level: 'informational',
    request: one(line('GET * HTTP/1.1')),
    accept: [status(400), status(404), status(405), status(501), CLOSE],
    notes:
      'RFC 9112 §3.2.4: "The asterisk-form of request-target is only used for a server-wide OPTIONS request". The RFC names no status for the misuse, so any refusal passes.',
  },
  {
    id: 'request-line-whitespace-before-first-field',
    name: 'A whitespace-prefixed line between the request line and the first field is rejected or ignored, never read as a field',
    rfc: 'RFC 9112 §2.2',
    level: 'MUST',
    request: one('GET /hello.txt HTTP/1.1\r\n Host: localhost\r\nConnection: close\r\n\r\n'),
    accept: rejected,
    notes:
      'RFC 9112 §2.2: "A recipient that receives whitespace between the start-line and the first header field MUST either reject the message as invalid or consume each whitespace-preceded line without further processing of it". Here the only Host is on that line: rejecting the message and ignoring the line both end in 400 (ignored, the HTTP/1.1 request has no Host); a 200 means the line was read as a Host field.',
  },
  {
    id: 'request-line-whitespace-line-ignored-or-rejected',
    name: 'A whitespace-prefixed Content-Length before the first field never frames the body',
    rfc: 'RFC 9112 §2.2',
    level: 'MUST',
    request: one('GET /hello.txt HTTP/1.1\r\n Content-Length: 23\r\nHost: localhost\r\n\r\n' + getClose('/style.css')),
    accept: [status(200), ...rejected],
    check: afterPersistentFirst((ctx) => {
      const first = ctx.exchange.responses[0];
      if (!first || first.status !== 200) return null;
      // Ignored, the line has no effect: the next request is answered as one.
      return all(bodyEqualsFile('hello.txt', 0), bodyEqualsFile('style.css', 1))(ctx);
    }),
    notes:
      'RFC 9112 §2.2: "A recipient that receives whitespace between the start-line and the first header field MUST either reject the message as invalid or consume each whitespace-preceded line without further processing of it (i.e., ignore the entire line, along with any subsequent lines preceded by whitespace, until a properly formed header field is received or the header section is terminated)."' +
      ' ' +
      'RFC 9112 §2.2: the whitespace-preceded line is to be consumed "without further processing of it" (or the message rejected). A server that reads it as Content-Length: 23 swallows the start of the next request as a body.',
  },
]);

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'request-line-double-space': ['RFC9112-3-MULTI-SP-REQUEST-LINE'],
  'request-line-missing-target': ['RFC9112-3-MISSING-TARGET'],
  'request-line-fragment-in-target': ['RFC9112-3.2-FRAGMENT-IN-TARGET'],
  'request-line-missing-version': ['RFC9112-2.3-HTTP09-REQUEST'],
  'request-line-whitespace-before-first-field': ['COMP-WHITESPACE-BEFORE-HEADERS'],
  'request-line-asterisk-for-get': ['COMP-ASTERISK-WITH-GET'],
  'request-line-two-empty-lines-before': ['COMP-LEADING-CRLF'],
  'request-line-tab-separator': ['COMP-REQUEST-LINE-TAB'],
  'request-line-space-in-target': ['COMP-SPACE-IN-TARGET'],
  'request-line-nul-in-target': ['MAL-NUL-IN-URL'],
  'request-line-raw-utf8-in-target': ['MAL-NON-ASCII-URL'],
});
