/**
 * The group host: the Host field an HTTP/1.1 request must carry exactly once and well formed
 * (RFC 9112 §3.2, RFC 9110 §7.2), which routing and caches trust.
 */
import type { CaseDefinition } from '../types.ts';
import { OK, SUCCESS, answered400, bodyEqualsFile, one, req, status, whenStatus, GET_MUST } from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const HOST_400 =
  'RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host header field and to any request message that contains more than one Host header field line or a Host header field with an invalid field value."';

const HOST_GRAMMAR = 'RFC 9110 §7.2: "Host = uri-host [ ":" port ]" with uri-host and port from RFC 3986 §3.2.2-3.2.3.';

/** GET /hello.txt with the given raw field lines (Host among them, or not). */
const withFields = (lines: string[], version = 'HTTP/1.1') =>
  `GET /hello.txt ${version}\r\n${lines.map((l) => l + '\r\n').join('')}Connection: close\r\n\r\n`;

function badHost(id: string, name: string, lines: string[], why: string): CaseDefinition {
  return {
    id: `host-${id}`,
    name,
    rfc: 'RFC 9112 §3.2',
    level: 'MUST',
    request: one(withFields(lines)),
    accept: answered400,
    notes: `${why} ${HOST_400}`,
  };
}

export const cases: CaseDefinition[] = [
  badHost(
    'missing',
    'An HTTP/1.1 request without Host is answered 400',
    [],
    'Most real servers accept a missing Host and pick a default; the RFC does not allow it for HTTP/1.1.',
  ),
  badHost(
    'duplicate-same',
    'Two Host fields, even with the same value, are answered 400',
    ['Host: localhost', 'Host: localhost'],
    'The rule is about field lines: "more than one Host header field line".',
  ),
  badHost(
    'duplicate-different',
    'Two Host fields with different values are answered 400',
    ['Host: localhost', 'Host: example.com'],
    'Front ends that route by the first Host and back ends that use the last are a classic cache-poisoning pair.',
  ),
  badHost(
    'comma-list',
    'A Host value that is a list of two hosts is answered 400',
    ['Host: localhost, example.com'],
    `Host is a singleton; "a, b" with a space is not a uri-host. ${HOST_GRAMMAR}`,
  ),
  badHost('space-inside', 'A Host value containing a space is answered 400', ['Host: local host'], HOST_GRAMMAR),
  badHost(
    'slash',
    'A Host value containing "/" is answered 400',
    ['Host: localhost/evil'],
    `"/" ends the authority in a URI. ${HOST_GRAMMAR}`,
  ),
  badHost(
    'userinfo',
    'A Host value with userinfo ("user@host") is answered 400',
    ['Host: user@localhost'],
    `Host carries no userinfo. ${HOST_GRAMMAR}`,
  ),
  badHost(
    'bad-port',
    'A Host value with a non-numeric port is answered 400',
    ['Host: localhost:80a'],
    `"port = *DIGIT" (RFC 3986 §3.2.3). ${HOST_GRAMMAR}`,
  ),
  badHost(
    'unclosed-ipv6',
    'A Host value with an unclosed IPv6 literal is answered 400',
    ['Host: [::1'],
    `"IP-literal = "[" ( IPv6address / IPvFuture ) "]"" (RFC 3986 §3.2.2). ${HOST_GRAMMAR}`,
  ),
  badHost(
    'nul',
    'A Host value containing NUL is answered 400',
    ['Host: local\x00host'],
    'NUL is not allowed in a field value (RFC 9110 §5.5), and replaced by SP the value is not a uri-host either.',
  ),
  {
    id: 'host-with-port',
    name: 'A Host with a port is valid',
    rfc: 'RFC 9110 §7.2',
    level: 'MUST',
    request: one(withFields(['Host: localhost:8080'])),
    accept: [SUCCESS, status(421)],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    notes: `${GET_MUST} ${HOST_GRAMMAR} The Host matches that grammar, so this is a valid GET. A server that does not serve that authority may answer 421 (RFC 9110 §15.5.20).`,
  },
  {
    id: 'host-ipv6-literal',
    name: 'A Host that is an IPv6 literal with a port is valid',
    rfc: 'RFC 9110 §7.2',
    level: 'MUST',
    request: one(withFields(['Host: [::1]:8080'])),
    accept: [SUCCESS, status(421)],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    notes: `${GET_MUST} ${HOST_GRAMMAR} The Host matches that grammar, so this is a valid GET.`,
  },
  {
    id: 'host-http10-optional',
    name: 'An HTTP/1.0 request without Host is served',
    rfc: 'RFC 9112 §3.2',
    level: 'informational',
    request: one('GET /hello.txt HTTP/1.0\r\n\r\n'),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes:
      'The 400 for a missing Host is required only "to any HTTP/1.1 request message" (RFC 9112 §3.2); HTTP/1.0 predates Host. The RFC does not oblige the server to serve it, so this is reported only.',
  },
  {
    id: 'host-absolute-form',
    name: 'A request-target in absolute-form is accepted',
    rfc: 'RFC 9112 §3.2.2',
    level: 'MUST',
    request: one(req('GET http://localhost/hello.txt HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: [status(200), status(421)],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    notes:
      'RFC 9112 §3.2.2: "A server MUST accept the absolute-form in requests even though most HTTP/1.1 clients will only send the absolute-form to a proxy." 421 is allowed for an authority the server does not serve.',
  },
  {
    id: 'host-absolute-form-overrides-host',
    name: 'With an absolute-form target the Host field is ignored',
    rfc: 'RFC 9112 §3.2.2',
    level: 'MUST',
    request: one(req('GET http://localhost/hello.txt HTTP/1.1', { Host: 'other.invalid', Connection: 'close' })),
    accept: [status(200), status(421)],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    notes:
      'RFC 9112 §3.2.2: "When an origin server receives a request with an absolute-form of request-target, the origin server MUST ignore the received Host header field (if any) and instead use the host information of the request-target."',
  },
  {
    id: 'host-absolute-form-without-host',
    name: 'An HTTP/1.1 request in absolute-form still needs a Host field',
    rfc: 'RFC 9112 §3.2',
    level: 'MUST',
    request: one(req('GET http://localhost/hello.txt HTTP/1.1', { Connection: 'close' })),
    accept: answered400,
    notes: `RFC 9112 §3.2.2: "A client MUST send a Host header field in an HTTP/1.1 request even if the request-target is in the absolute-form". ${HOST_400}`,
  },
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'host-missing': ['RFC9112-7.1-MISSING-HOST'],
  'host-duplicate-different': ['RFC9110-5.4-DUPLICATE-HOST'],
  'host-duplicate-same': ['COMP-DUPLICATE-HOST-SAME'],
  'host-userinfo': ['COMP-HOST-WITH-USERINFO'],
  'host-slash': ['COMP-HOST-WITH-PATH'],
  'host-absolute-form': ['COMP-ABSOLUTE-FORM'],
  'host-http10-optional': ['COMP-HTTP10-NO-HOST'],
  'host-absolute-form-overrides-host': ['SMUG-ABSOLUTE-URI-HOST-MISMATCH'],
  'host-comma-list': ['SMUG-MULTIPLE-HOST-COMMA'],
});
