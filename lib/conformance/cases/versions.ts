/**
 * The group versions: HTTP/1.0 and HTTP/1.1 requests answered in a version the client understands, and
 * versions the server does not speak rejected (RFC 9110 §6.2, RFC 9112 §2.3).
 */
import type { CaseDefinition } from '../types.ts';
import {
  CLOSE,
  OK,
  all,
  bodyEqualsFile,
  noHeader,
  one,
  req,
  startsWithStatusLine,
  status,
  versionIs,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const INVALID_LINE =
  'RFC 9112 §3.2: "Recipients of an invalid request-line SHOULD respond with either a 400 (Bad Request) error or a 301 (Moved Permanently) redirect". RFC 9112 §2.3: "HTTP-version = HTTP-name "/" DIGIT "." DIGIT" and "HTTP-name = %s"HTTP"" (case-sensitive).';

const MAJOR_505 =
  'RFC 9110 §6.2: "A server can send a 505 (HTTP Version Not Supported) response if it wishes, for any reason, to refuse service of the client\'s major protocol version." RFC 9110 §15.6.6: "The 505 (HTTP Version Not Supported) status code indicates that the server does not support, or refuses to support, the major version of HTTP that was used in the request message."';

/** A malformed version: 400 (the request line is invalid) or 505; never served. */
function malformed(id: string, name: string, version: string, why: string): CaseDefinition {
  return {
    id: `versions-${id}`,
    name,
    rfc: 'RFC 9112 §2.3',
    level: 'SHOULD',
    request: one(req(`GET /hello.txt ${version}`, { Host: 'localhost', Connection: 'close' })),
    accept: [status(400), status(505), status(301), CLOSE],
    check: startsWithStatusLine,
    notes: `${why} ${INVALID_LINE}`,
  };
}

/**
 * A well-formed version with a major number other than 1: refused, never served as HTTP/1.1.
 * Informational, since the only sentence about it says a server "can" send 505.
 */
function otherMajor(id: string, name: string, version: string, why: string): CaseDefinition {
  return {
    id: `versions-${id}`,
    name,
    rfc: 'RFC 9110 §6.2; RFC 9110 §15.6.6',
    level: 'informational',
    request: one(req(`GET /hello.txt ${version}`, { Host: 'localhost', Connection: 'close' })),
    accept: [status(505), status(400), CLOSE],
    check: startsWithStatusLine,
    notes: `${why} ${MAJOR_505} The RFC says "can", so a miss is reported, never warned; 400 is also a fair answer to an HTTP/1 request line claiming another major version; what the case flags is serving it as HTTP/1.1.`,
  };
}

export const cases: CaseDefinition[] = [
  {
    id: 'versions-http10-served',
    name: 'An HTTP/1.0 request is served',
    rfc: 'RFC 9110 §6.2',
    level: 'SHOULD',
    request: one('GET /hello.txt HTTP/1.0\r\nHost: localhost\r\n\r\n'),
    accept: OK,
    check: all(bodyEqualsFile('hello.txt'), versionIs(/^1\.\d$/, 'HTTP/1.x')),
    notes:
      'RFC 9110 §6.2: "A server SHOULD send a response version equal to the highest version to which the server is conformant that has a major version less than or equal to the one received in the request."' +
      ' ' +
      'HTTP/1.1 is designed to interoperate with HTTP/1.0 recipients and senders (RFC 9112 Appendix C.2).',
  },
  {
    id: 'versions-http10-no-transfer-encoding',
    name: 'A response to an HTTP/1.0 request never uses Transfer-Encoding',
    rfc: 'RFC 9112 §6.1',
    level: 'MUST',
    request: one('GET /large.bin HTTP/1.0\r\nHost: localhost\r\n\r\n'),
    accept: OK,
    check: all(noHeader('Transfer-Encoding'), bodyEqualsFile('large.bin')),
    timeoutMs: 4000,
    notes:
      'RFC 9112 §6.1: "A server MUST NOT send a response containing Transfer-Encoding unless the corresponding request indicates HTTP/1.1 (or later minor revisions)." A 256 KiB file is where a server is most tempted to stream chunked.',
  },
  {
    id: 'versions-response-version-11',
    name: 'An HTTP/1.1 server answers with version HTTP/1.1',
    rfc: 'RFC 9110 §6.2',
    level: 'SHOULD',
    request: one(req('GET /hello.txt HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: OK,
    check: versionIs(/^1\.1$/, 'HTTP/1.1'),
    notes:
      'RFC 9110 §6.2: "A server SHOULD send a response version equal to the highest version to which the server is conformant that has a major version less than or equal to the one received in the request." RFC 9110 §6.2: "A server MUST NOT send a version to which it is not conformant."',
  },
  {
    id: 'versions-response-version-to-http10',
    name: 'An HTTP/1.1 server answers an HTTP/1.0 request with version HTTP/1.1',
    rfc: 'RFC 9110 §6.2',
    level: 'SHOULD',
    request: one('GET /hello.txt HTTP/1.0\r\nHost: localhost\r\n\r\n'),
    accept: OK,
    check: versionIs(/^1\.1$/, 'HTTP/1.1'),
    notes:
      'RFC 9110 §6.2: "A server SHOULD send a response version equal to the highest version to which the server is conformant that has a major version less than or equal to the one received in the request." For an HTTP/1.0 request that is 1.1; echoing 1.0 is a common, tolerated habit.',
  },
  {
    id: 'versions-http12-served-as-11',
    name: 'An HTTP/1.2 request is processed as HTTP/1.1',
    rfc: 'RFC 9110 §6.2',
    level: 'SHOULD',
    request: one(req('GET /hello.txt HTTP/1.2', { Host: 'localhost', Connection: 'close' })),
    accept: OK,
    check: all(bodyEqualsFile('hello.txt'), versionIs(/^1\.1$/, 'HTTP/1.1')),
    notes:
      'RFC 9110 §6.2: "A recipient that receives a message with a major version number that it implements and a minor version number higher than what it implements SHOULD process the message as if it were in the highest minor version within that major version to which the recipient is conformant."',
  },
  {
    id: 'versions-http19-served-as-11',
    name: 'An HTTP/1.9 request is processed as HTTP/1.1',
    rfc: 'RFC 9110 §6.2',
    level: 'SHOULD',
    request: one(req('GET /hello.txt HTTP/1.9', { Host: 'localhost', Connection: 'close' })),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes:
      'RFC 9110 §6.2: "A recipient that receives a message with a major version number that it implements and a minor version number higher than what it implements SHOULD process the message as if it were in the highest minor version within that major version to which the recipient is conformant."' +
      ' ' +
      'RFC 9110 §6.2 (minor versions are backwards-compatible). A server that compares the version string to "HTTP/1.1" exactly fails here.',
  },
  otherMajor(
    'http20-request-line',
    'A text request line claiming HTTP/2.0 is refused (505)',
    'HTTP/2.0',
    'HTTP/2 has no text request line; this is a client confused about the protocol.',
  ),
  otherMajor(
    'http30-request-line',
    'A text request line claiming HTTP/3.0 is refused (505)',
    'HTTP/3.0',
    'HTTP/3 has no text request line either.',
  ),
  otherMajor(
    'http90',
    'A request claiming HTTP/9.0 is refused (505)',
    'HTTP/9.0',
    'A major version nobody implements.',
  ),
  malformed(
    'lowercase-name',
    'A lower-case "http/1.1" version is answered 400',
    'http/1.1',
    'HTTP-name is case-sensitive.',
  ),
  malformed(
    'two-digit-minor',
    'Version "HTTP/1.32" is answered 400',
    'HTTP/1.32',
    'Each version number is one DIGIT; a parser reading "1.3" and ignoring the rest accepts junk.',
  ),
  malformed('two-digit-major', 'Version "HTTP/11.1" is answered 400', 'HTTP/11.1', 'Each version number is one DIGIT.'),
  malformed('leading-zero', 'Version "HTTP/01.1" is answered 400', 'HTTP/01.1', 'Each version number is one DIGIT.'),
  malformed(
    'huge-major',
    'Version "HTTP/4294967297.1" is answered 400, not wrapped to 1.1',
    'HTTP/4294967297.1',
    '4294967297 is 1 in 32 bits.',
  ),
  malformed('missing-minor', 'Version "HTTP/1" is answered 400', 'HTTP/1', 'The minor version is required.'),
  malformed('three-parts', 'Version "HTTP/1.1.1" is answered 400', 'HTTP/1.1.1', 'Two numbers, not three.'),
  malformed('missing-slash', 'Version "HTTP1.1" is answered 400', 'HTTP1.1', 'The "/" is required.'),
  malformed(
    'other-protocol',
    'A version that is not HTTP ("FTP/1.1") is answered 400',
    'FTP/1.1',
    'HTTP-name is "HTTP".',
  ),
  malformed(
    'http09-style',
    'Version "HTTP/0.9" is refused, never answered with an HTTP/0.9 body',
    'HTTP/0.9',
    'HTTP/0.9 responses have no status line; RFC 9112 does not define 0.9 at all.',
  ),
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'versions-http90': ['RFC9112-2.3-INVALID-VERSION'],
  'versions-missing-minor': ['COMP-VERSION-MISSING-MINOR'],
  'versions-leading-zero': ['COMP-VERSION-LEADING-ZEROS'],
  'versions-http12-served-as-11': ['COMP-HTTP12-VERSION'],
  'versions-lowercase-name': ['COMP-VERSION-CASE'],
});
