/**
 * The group request-target: the four forms of RFC 9112 §3.2 each where it belongs. absolute-form
 * accepted in its variants (scheme case, port, empty path, query) and refused with another scheme
 * or with userinfo; authority-form only for CONNECT; asterisk-form only for OPTIONS, answered
 * without a file; the query never part of the path; a fragment never in a target. host.ts holds
 * the Host rules of absolute-form, request-line.ts a fragment after a path and `GET *`.
 */
import type { CaseDefinition } from '../types.ts';
import {
  CLIENT_ERROR,
  CLOSE,
  all,
  badRequestLine,
  bodyEqualsFile,
  file,
  getClose,
  inOrder,
  latin1,
  neverLeaksOutsideRoot,
  noSecondResponse,
  redirectsToLocation,
  one,
  req,
  rootFile,
  startsWithStatusLine,
  status,
  statusRange,
  thenAlive,
  whenStatus,
  type Check,
  GET_MUST,
} from './helpers.ts';

const INVALID_LINE =
  'RFC 9112 §3.2: "Recipients of an invalid request-line SHOULD respond with either a 400 (Bad Request) error or a 301 (Moved Permanently) redirect with the request-target properly encoded. A recipient SHOULD NOT attempt to autocorrect and then process the request without a redirect, since the invalid request-line might be deliberately crafted to bypass security filters along the request chain."';

const ACCEPT_ABSOLUTE =
  'RFC 9112 §3.2.2: "A server MUST accept the absolute-form in requests even though most HTTP/1.1 clients will only send the absolute-form to a proxy." 421 (Misdirected Request) is allowed for an authority the server does not serve (RFC 9110 §7.4).';

const FORMS = 'RFC 9112 §3.2: "request-target = origin-form / absolute-form / authority-form / asterisk-form".';

const AUTHORITY_ONLY_CONNECT =
  'RFC 9112 §3.2.3: "The authority-form of request-target is only used for CONNECT requests (Section 9.3.6 of [HTTP])."';

const ASTERISK_ONLY_OPTIONS =
  'RFC 9112 §3.2.4: "The asterisk-form of request-target is only used for a server-wide OPTIONS request (Section 9.3.7 of [HTTP])."';

const NO_FRAGMENT =
  'RFC 9112 §3.2.1: "origin-form = absolute-path [ "?" query ]" and RFC 9112 §3.2.2: "absolute-form = absolute-URI", and RFC 3986 §4.3: "absolute-URI = scheme ":" hier-part [ "?" query ]": neither has a fragment, and "#" is allowed in no part of them.';

/** A request line with Host and Connection: close. */
const line = (requestLine: string, host = 'localhost') => req(requestLine, { Host: host, Connection: 'close' });

/** An absolute-form request must be served (200 with `name`) or refused as misdirected (421). */
function servedOrMisdirected(name: string): Pick<CaseDefinition, 'accept' | 'check'> {
  return { accept: [status(200), status(421)], check: whenStatus(200, 200, bodyEqualsFile(name)) };
}

/** An invalid request line: 400 or 301 (RFC 9112 §3), and nothing that is not a status line. */
function invalid(id: string, name: string, requestLine: string, notes: string, rfc = 'RFC 9112 §3.2'): CaseDefinition {
  return {
    id: `request-target-${id}`,
    name,
    rfc,
    level: 'SHOULD',
    request: one(line(requestLine)),
    accept: badRequestLine,
    check: all(startsWithStatusLine, redirectsToLocation),
    notes: `${notes} ${INVALID_LINE}`,
  };
}

/** A 2xx answer to OPTIONS * is about the server: its content is not the index page. */
const notTheIndexFile: Check = (ctx) => {
  const first = ctx.exchange.responses[0];
  if (!first || first.body.length === 0) return null;
  return Buffer.from(first.body).equals(rootFile(ctx, 'index.html'))
    ? 'OPTIONS * was answered with the content of index.html: "*" was looked up as a file path'
    : null;
};

/** No 2xx response: a target the server cannot serve was not served as some file. */
const notServed: Check = ({ exchange }) => {
  const ok = exchange.responses.find((r) => r.status >= 200 && r.status < 300);
  return ok
    ? `the request was answered ${ok.status}, served as if the target named a file here: ${latin1(ok.body.subarray(0, 40))}`
    : null;
};

export const cases: CaseDefinition[] = thenAlive([
  {
    id: 'request-target-absolute-scheme-case-insensitive',
    name: 'An absolute-form target whose scheme and host are in upper case is accepted',
    rfc: 'RFC 9112 §3.2.2; RFC 9110 §4.2.3',
    level: 'MUST',
    request: one(line('GET HTTP://LOCALHOST/hello.txt HTTP/1.1')),
    ...servedOrMisdirected('hello.txt'),
    notes: `RFC 9110 §4.2.3: "The scheme and host are case-insensitive and normally provided in lowercase". ${ACCEPT_ABSOLUTE}`,
  },
  {
    id: 'request-target-absolute-with-port',
    name: 'An absolute-form target with an explicit port is accepted',
    rfc: 'RFC 9112 §3.2.2',
    level: 'MUST',
    request: one(line('GET http://localhost:80/hello.txt HTTP/1.1', 'localhost:80')),
    ...servedOrMisdirected('hello.txt'),
    notes: `The port may not be the one the server listens on, hence 421 too. ${ACCEPT_ABSOLUTE}`,
  },
  {
    id: 'request-target-absolute-empty-path',
    name: 'An absolute-form target with an empty path names "/"',
    rfc: 'RFC 9112 §3.2.2; RFC 9110 §4.2.3',
    level: 'MUST',
    request: one(line('GET http://localhost HTTP/1.1')),
    ...servedOrMisdirected('index.html'),
    notes: `RFC 9110 §4.2.3: "an empty path component is equivalent to an absolute path of "/"". ${ACCEPT_ABSOLUTE}`,
  },
  {
    id: 'request-target-absolute-query-without-path',
    name: 'An absolute-form target with a query and no path names "/" with that query',
    rfc: 'RFC 9112 §3.2.2; RFC 9110 §4.2.3',
    level: 'MUST',
    request: one(line('GET http://localhost?gauntlet=1 HTTP/1.1')),
    ...servedOrMisdirected('index.html'),
    notes: `RFC 3986 §3.3: the path ends at the first "?"; the path here is empty, so "/". RFC 9110 §4.2.3: "an empty path component is equivalent to an absolute path of "/"". ${ACCEPT_ABSOLUTE}`,
  },
  {
    id: 'request-target-absolute-other-scheme',
    name: 'An absolute-form target with a scheme other than http or https is not served as a local file',
    rfc: 'RFC 9112 §3.2.2; RFC 9110 §7.4',
    level: 'informational',
    request: one(line('GET ftp://localhost/hello.txt HTTP/1.1')),
    accept: [statusRange(400, 599), CLOSE],
    check: notServed,
    notes:
      'RFC 9110 §7.4: "Once a request is received by a server and parsed sufficiently to determine its target URI, the server decides whether to process the request itself, forward the request to another server, redirect the client to a different resource, respond with an error, or drop the connection." ftp://localhost/hello.txt is not a resource of an HTTP origin server; no sentence names the status, so this is reported only.',
  },
  {
    id: 'request-target-absolute-userinfo',
    name: 'An absolute-form target with userinfo ("http://user@localhost/") is treated as an error',
    rfc: 'RFC 9110 §4.2.4',
    level: 'SHOULD',
    request: one(line('GET http://gauntlet@localhost/hello.txt HTTP/1.1')),
    accept: [CLIENT_ERROR, CLOSE],
    check: notServed,
    notes:
      'RFC 9110 §4.2.4: "Before making use of an "http" or "https" URI reference received from an untrusted source, a recipient SHOULD parse for userinfo and treat its presence as an error; it is likely being used to obscure the authority for the sake of phishing attacks."',
  },
  invalid(
    'absolute-fragment',
    'An absolute-form target with a #fragment is answered 400',
    'GET http://localhost/hello.txt#gauntlet HTTP/1.1',
    NO_FRAGMENT,
  ),
  invalid(
    'query-then-fragment',
    'A target with a query and then a #fragment is answered 400',
    'GET /hello.txt?a=1#b HTTP/1.1',
    NO_FRAGMENT,
  ),
  invalid(
    'empty-fragment',
    'A target ending in an empty fragment ("/#") is answered 400',
    'GET /# HTTP/1.1',
    NO_FRAGMENT,
  ),
  invalid(
    'authority-form-get',
    'An authority-form target ("127.0.0.1:80") on GET is answered 400',
    'GET 127.0.0.1:80 HTTP/1.1',
    `${AUTHORITY_ONLY_CONNECT} ${FORMS}`,
    'RFC 9112 §3.2.3',
  ),
  invalid(
    'authority-form-options',
    'An authority-form target on OPTIONS is answered 400',
    'OPTIONS 127.0.0.1:80 HTTP/1.1',
    `${AUTHORITY_ONLY_CONNECT} ${FORMS}`,
    'RFC 9112 §3.2.3',
  ),
  {
    id: 'request-target-asterisk-for-post',
    name: 'The asterisk-form target is refused for POST with content, and the content is not read as a request',
    rfc: 'RFC 9112 §3.2.4',
    level: 'informational',
    request: one(req('POST * HTTP/1.1', { Host: 'localhost', 'Content-Length': 14 }, 'GET / HTTP/1.1')),
    accept: [status(400), status(404), status(405), status(501), CLOSE],
    check: noSecondResponse,
    notes: `${ASTERISK_ONLY_OPTIONS} The RFC names no status for the misuse, so any refusal passes.`,
  },
  {
    id: 'request-target-options-asterisk-not-a-file',
    name: 'OPTIONS * is answered about the server, not with the content of a file',
    rfc: 'RFC 9110 §9.3.7',
    level: 'informational',
    request: one(req('OPTIONS * HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: [statusRange(200, 299)],
    check: notTheIndexFile,
    notes:
      'RFC 9110 §9.3.7: "An OPTIONS request with an asterisk ("*") as the request-target (Section 7.1) applies to the server in general rather than to a specific resource." Supporting OPTIONS is optional, so this is reported only.',
  },
  {
    id: 'request-target-options-asterisk-then-pipelined',
    name: 'A request pipelined after OPTIONS * is answered as itself',
    rfc: 'RFC 9110 §9.3.7; RFC 9112 §9.3.2',
    level: 'MUST',
    request: one(req('OPTIONS * HTTP/1.1', { Host: 'localhost' }) + getClose('/style.css')),
    accept: [statusRange(200, 599)],
    check: (ctx) => inOrder([{ status: ctx.exchange.responses[0]?.status ?? 0 }, file(200, 'style.css')])(ctx),
    notes:
      'Any answer to OPTIONS * passes; the request after it must get the file. RFC 9112 §9.3.2: "A server MAY process a sequence of pipelined requests in parallel if they all have safe methods (Section 9.2.1 of [HTTP]), but it MUST send the corresponding responses in the same order that the requests were received."',
  },
  {
    id: 'request-target-query-is-not-path',
    name: 'The query is not part of the path: "/missing?/hello.txt" does not serve hello.txt',
    rfc: 'RFC 9112 §3.2.1',
    level: 'MUST',
    request: one(getClose('/gauntlet-no-such-file.txt?/hello.txt')),
    // The sentences name no status: the target is a missing file, so no 2xx can transfer "a current
    // selected representation" of it; 404 is usual, but a 400, 403 or 410 keeps the rule as well.
    accept: [statusRange(300, 599)],
    check: (ctx) => {
      const r = ctx.exchange.responses[0];
      return r && Buffer.from(r.body).equals(rootFile(ctx, 'hello.txt'))
        ? `the ${r.status} carries the bytes of hello.txt: the query was read as the path`
        : null;
    },
    notes: `RFC 9112 §3.2.1: "origin-form = absolute-path [ "?" query ]": the path ends at the first "?", and the target resource is the missing file. ${GET_MUST} No status is named: any answer but a 2xx (there is no representation to transfer) keeps the rule, and no answer may carry hello.txt.`,
  },
  {
    id: 'request-target-query-never-traverses',
    name: 'Dot segments in the query never reach the file system: nothing outside the root is served',
    rfc: 'RFC 9112 §3.2.1; RFC 9110 §17.3',
    level: 'security',
    request: one(getClose('/hello.txt?x=/../../outside-root.txt')),
    accept: [status(200), status(400), status(403), status(404)],
    check: all(neverLeaksOutsideRoot, whenStatus(200, 200, bodyEqualsFile('hello.txt'))),
    notes:
      'RFC 9110 §17.3: "Most file systems are not designed to protect against malicious file or path names. Therefore, an origin server needs to avoid accessing names that have a special significance to the system when mapping the target resource to files, folders, or directories." The query is no part of the path (RFC 9112 §3.2.1: "origin-form = absolute-path [ "?" query ]"): a server that joins it to the file name climbs out of the root.',
  },
]);
