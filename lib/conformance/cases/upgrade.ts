/**
 * The group upgrade: requests that ask the server to stop speaking HTTP/1.1 on the connection or
 * to become something else. Upgrade to a protocol the server does not speak (RFC 9110 §7.8), the
 * h2c upgrade, TRACE (RFC 9110 §9.3.8) and CONNECT (RFC 9110 §9.3.6) sent to an origin server:
 * each is served as plain HTTP or refused, and the connection stays HTTP/1.1 for what follows.
 */
import type { CaseDefinition } from '../types.ts';
import { headerValues } from '../response-parser.ts';
import {
  ANY_STATUS,
  CLIENT_ERROR,
  CLOSE,
  OK,
  TIMEOUT,
  all,
  badRequestLine,
  bodyEqualsFile,
  file,
  getClose,
  inOrder,
  latin1,
  noSecondResponse,
  redirectsToLocation,
  notApplicable,
  one,
  req,
  startsWithStatusLine,
  status,
  statusRange,
  bodyCase,
  chunked,
  followUpsAnswered,
  whenStatus,
  type Check,
  READ_WHOLE_BODY,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const MUST_NOT_SWITCH =
  'RFC 9110 §7.8: "A server MUST NOT switch to a protocol that was not indicated by the client in the corresponding request\'s Upgrade header field." and "A server MUST NOT switch protocols unless the received message semantics can be honored by the new protocol; an OPTIONS request can be honored by any protocol." A server cannot honor anything in a protocol it does not implement, so gauntlet/1 is never switched to.';

const MAY_IGNORE =
  'RFC 9110 §7.8: "A server MAY ignore a received Upgrade header field if it wishes to continue using the current protocol on that connection."';

const CONNECTION_OPTION =
  'RFC 9110 §7.8: "A sender of Upgrade MUST also send an "Upgrade" connection option in the Connection header field (Section 7.6.1) to inform intermediaries not to forward this field."';

const HTTP10_IGNORE =
  'RFC 9110 §7.8: "A server that receives an Upgrade header field in an HTTP/1.0 request MUST ignore that Upgrade field."';

const H2_PREFACE =
  'RFC 9113 §3.4: "The server connection preface consists of a potentially empty SETTINGS frame (Section 6.5) that MUST be the first frame the server sends in the HTTP/2 connection." RFC 9110 §7.8: "A server that sends a 101 (Switching Protocols) response MUST send an Upgrade header field to indicate the new protocol(s) to which the connection is being switched".';

const TRACE_SENSITIVE =
  'RFC 9110 §9.3.8: "A client MUST NOT generate fields in a TRACE request containing sensitive data that might be disclosed by the response. For example, it would be foolish for a user agent to send stored user credentials (Section 11) or cookies [COOKIE] in a TRACE request. The final recipient of the request SHOULD exclude any request fields that are likely to contain sensitive data when that recipient generates the response content."';

const TRACE_NO_CONTENT =
  'RFC 9110 §9.3.8: "A client MUST NOT send content in a TRACE request." The client broke that rule; the server still frames the request by its Content-Length or chunked coding (RFC 9112 §6.3), whatever it answers.';

const CONNECT_RISK =
  'RFC 9110 §9.3.6: "The CONNECT method requests that the recipient establish a tunnel to the destination origin server identified by the request target and, if successful, thereafter restrict its behavior to blind forwarding of data, in both directions, until the tunnel is closed." and "There are significant risks in establishing a tunnel to arbitrary servers, particularly when the destination is a well-known or reserved TCP port that is not intended for Web traffic." An origin server that is not a proxy refuses it (405 or 501, RFC 9110 §9.1); a 2xx turns the connection into a tunnel, and the bytes after it are relayed instead of read as requests.';

const CONNECT_FORM =
  'RFC 9112 §3.2.3: "The authority-form of request-target is only used for CONNECT requests". RFC 9110 §9.3.6: "CONNECT uses a special form of request target, unique to this method, consisting of only the host and port number of the tunnel destination, separated by a colon." RFC 9112 §3.2: "Recipients of an invalid request-line SHOULD respond with either a 400 (Bad Request) error or a 301 (Moved Permanently) redirect with the request-target properly encoded."';

/** A request for /hello.txt that invites an upgrade with the given fields. */
const upgradeGet = (version: string, fields: Record<string, string>, close = true) =>
  req(`GET /hello.txt ${version}`, { Host: 'localhost', ...fields, ...(close ? { Connection: 'close' } : {}) });

/** Connection options that keep the upgrade invitation valid and ask to close afterwards. */
const UPGRADE_CLOSE = 'Upgrade, close';

/** The fields of a WebSocket opening handshake (RFC 6455 §4.1), without Connection. */
const WEBSOCKET = {
  Upgrade: 'websocket',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version': '13',
};

/** HTTP2-Settings of the h2c upgrade (RFC 7540 §3.2.1): SETTINGS_MAX_CONCURRENT_STREAMS 100, base64url. */
const H2C = { Upgrade: 'h2c', 'HTTP2-Settings': 'AAMAAABkAARAAAAAAAIAAAAA' };

/** The first response is the file, served as if no Upgrade had been sent. */
const servedPlainly: Check = bodyEqualsFile('hello.txt');

/** A 101 must name what it switches to, and what follows it must be an HTTP/2 SETTINGS frame. */
const h2cSwitchedProperly: Check = ({ exchange }) => {
  const first = exchange.responses[0];
  if (!first || first.status !== 101) return null;
  const upgrade = headerValues(first, 'upgrade').map((v) => v.trim().toLowerCase());
  if (!upgrade.includes('h2c')) return `the 101 response names Upgrade "${upgrade.join(', ')}", not h2c`;
  const after = exchange.received.subarray(first.end);
  // A frame header: 24-bit length, then the type; SETTINGS is type 0x4 (RFC 9113 §4.1, §6.5).
  if (after.length < 9) return 'the 101 response was not followed by an HTTP/2 frame';
  if (after[3] !== 0x04)
    return `the first bytes after the 101 are not an HTTP/2 SETTINGS frame: ${latin1(after.subarray(0, 9))}`;
  return null;
};

/** What a TRACE reflection must not contain: the credential and the cookie the request carried. */
const SECRET_AUTH = 'Basic Z2F1bnRsZXQ6czNjcmV0LXBhc3N3b3Jk';
const SECRET_COOKIE = 'gauntlet-session=s3cret-cookie-value';
const SECRET_PROXY_AUTH = 'Basic cHJveHk6czNjcmV0LXByb3h5';

function traceLeaks(secrets: string[]): Check {
  return ({ exchange }) => {
    const first = exchange.responses[0];
    if (!first || first.status !== 200) {
      return notApplicable(
        `the server answered TRACE with ${first ? first.status : 'no response'}, not 200: nothing was reflected`,
      );
    }
    const body = latin1(first.body);
    const leaked = secrets.filter((s) => body.includes(s));
    return leaked.length === 0 ? null : `the TRACE response reflects sensitive request fields: ${leaked.join('; ')}`;
  };
}

/**
 * After a refused CONNECT, the request behind it is answered as itself, or the server closed the
 * connection. A server that refused, kept the connection open and never answered the request
 * behind has swallowed it, which is what a half-opened tunnel looks like.
 */
const connectRefusedThenHttp: Check = (ctx) => {
  const { responses: rs, closedBy } = ctx.exchange;
  const first = rs[0];
  if (first && first.status >= 200 && first.status < 300)
    return `CONNECT was answered ${first.status}: the origin server opened a tunnel`;
  if (rs.length < 2)
    return closedBy === 'server'
      ? null
      : 'the request after the refused CONNECT was never answered, yet the server kept the connection open: it was swallowed';
  return inOrder([{ status: first?.status ?? 0 }, file(200, 'style.css')])(ctx);
};

/** No response in the exchange has a 2xx status: nothing was tunnelled. */
const never2xx: Check = ({ exchange }) => {
  const ok = exchange.responses.find((r) => r.status >= 200 && r.status < 300);
  return ok ? `a CONNECT was answered ${ok.status}: the connection became a tunnel` : null;
};

const REFUSED = [statusRange(400, 599), CLOSE];

/**
 * "MUST NOT switch" forbids a 101 and nothing else: any final status is allowed (a 4xx refusing
 * the request too). A 200 must be the file, served as if no Upgrade had been sent.
 */
const NOT_SWITCHED = [ANY_STATUS];
const servedPlainlyIf200: Check = whenStatus(200, 200, servedPlainly);

export const cases: CaseDefinition[] = [
  {
    id: 'upgrade-unknown-protocol-ignored',
    name: 'An Upgrade to a protocol the server does not implement is not switched to: no 101 (a 200 serves the file)',
    rfc: 'RFC 9110 §7.8',
    level: 'MUST',
    request: one(upgradeGet('HTTP/1.1', { Upgrade: 'gauntlet/1', Connection: UPGRADE_CLOSE }, false)),
    accept: NOT_SWITCHED,
    check: servedPlainlyIf200,
    notes: `${MUST_NOT_SWITCH} ${MAY_IGNORE}`,
  },
  {
    id: 'upgrade-several-unknown-protocols-ignored',
    name: 'An Upgrade listing only protocols the server does not implement is not switched to: no 101',
    rfc: 'RFC 9110 §7.8',
    level: 'MUST',
    request: one(
      upgradeGet('HTTP/1.1', { Upgrade: 'gauntlet/1, gauntlet/2, GAUNTLET/3.0', Connection: UPGRADE_CLOSE }, false),
    ),
    accept: NOT_SWITCHED,
    check: servedPlainlyIf200,
    notes: `${MUST_NOT_SWITCH} RFC 9110 §7.8: "Upgrade = #protocol".`,
  },
  {
    id: 'upgrade-unknown-then-pipelined',
    name: 'After an ignored Upgrade the connection is still HTTP/1.1: a pipelined request is answered as itself',
    rfc: 'RFC 9110 §7.8; RFC 9112 §9.3.2',
    level: 'MUST',
    request: one(
      upgradeGet('HTTP/1.1', { Upgrade: 'gauntlet/1', Connection: 'Upgrade' }, false) + getClose('/style.css'),
    ),
    accept: OK,
    check: inOrder([file(200, 'hello.txt'), file(200, 'style.css')]),
    notes: `${MUST_NOT_SWITCH} RFC 9112 §9.3.2: "it MUST send the corresponding responses in the same order that the requests were received."`,
  },
  {
    id: 'upgrade-without-connection-option',
    name: 'An Upgrade that Connection does not list is not switched to: no 101 (a 200 serves the file)',
    rfc: 'RFC 9110 §7.8; RFC 9110 §7.6.1',
    level: 'MUST',
    request: one(upgradeGet('HTTP/1.1', { Upgrade: 'gauntlet/1' })),
    accept: NOT_SWITCHED,
    check: servedPlainlyIf200,
    notes: `${CONNECTION_OPTION} That rule binds the client and gives the server none; the MUST judged here is the server's: ${MUST_NOT_SWITCH} Without the option the field may have been forwarded by an intermediary that did not know it.`,
  },
  {
    id: 'upgrade-websocket-without-connection-option',
    name: 'A WebSocket handshake without "Connection: Upgrade" is not switched: it is served as GET or refused',
    rfc: 'RFC 6455 §4.2.1; RFC 9110 §7.8',
    level: 'MUST',
    request: one(upgradeGet('HTTP/1.1', WEBSOCKET)),
    // A close is no "HTTP response with an appropriate error code"; 426 (Upgrade Required) is one.
    accept: [status(200), CLIENT_ERROR],
    check: servedPlainlyIf200,
    notes: `RFC 6455 §4.2.1: the handshake must include "A |Connection| header field that includes the token "Upgrade", treated as an ASCII case-insensitive value.", and "If the server, while reading the handshake, finds that the client did not send a handshake that matches the description below ..., the server MUST stop processing the client's handshake and return an HTTP response with an appropriate error code (such as 400 Bad Request)." A server without WebSocket serves the GET. ${CONNECTION_OPTION}`,
  },
  {
    id: 'upgrade-http10-ignored',
    name: 'An Upgrade in an HTTP/1.0 request is ignored: the request is served, no 101',
    rfc: 'RFC 9110 §7.8',
    level: 'MUST',
    request: one(upgradeGet('HTTP/1.0', { ...WEBSOCKET, Connection: 'Upgrade' }, false)),
    accept: OK,
    check: servedPlainly,
    notes: `${HTTP10_IGNORE} The WebSocket handshake is used because a server that implements it is the one tempted to switch.`,
  },
  {
    id: 'upgrade-http10-h2c-ignored',
    name: 'An h2c upgrade in an HTTP/1.0 request is ignored: the request is served, no 101',
    rfc: 'RFC 9110 §7.8',
    level: 'MUST',
    request: one(upgradeGet('HTTP/1.0', { ...H2C, Connection: 'Upgrade, HTTP2-Settings' }, false)),
    accept: OK,
    check: servedPlainly,
    notes: HTTP10_IGNORE,
  },
  {
    id: 'upgrade-h2c-ignored-or-switched',
    name: 'An h2c upgrade is either ignored (the file is served) or answered 101 then HTTP/2',
    rfc: 'RFC 9110 §7.8; RFC 9113 §3.4',
    level: 'MUST',
    request: one(upgradeGet('HTTP/1.1', { ...H2C, Connection: 'Upgrade, HTTP2-Settings' }, false)),
    accept: [status(200), status(101), TIMEOUT, CLOSE],
    check: (ctx) => {
      const first = ctx.exchange.responses[0];
      if (!first) return 'no response came back';
      return first.status === 101 ? h2cSwitchedProperly(ctx) : servedPlainly(ctx);
    },
    notes: `${MAY_IGNORE} ${H2_PREFACE} RFC 9113 deprecates h2c ("This usage was never widely deployed and is deprecated by this document."), so ignoring it is the usual answer; a switch must really switch.`,
  },
  {
    id: 'upgrade-h2c-ignored-then-pipelined',
    name: 'After an ignored h2c upgrade, a pipelined request is answered as itself',
    rfc: 'RFC 9110 §7.8; RFC 9112 §9.3.2',
    level: 'MUST',
    request: one(
      upgradeGet('HTTP/1.1', { ...H2C, Connection: 'Upgrade, HTTP2-Settings' }, false) + getClose('/style.css'),
    ),
    accept: [status(200), status(101), TIMEOUT, CLOSE],
    check: (ctx) => {
      const first = ctx.exchange.responses[0];
      if (!first) return 'no response came back';
      if (first.status === 101) return h2cSwitchedProperly(ctx);
      return inOrder([file(200, 'hello.txt'), file(200, 'style.css')])(ctx);
    },
    notes: `A server that switched answers in HTTP/2 (checked as in upgrade-h2c-ignored-or-switched); one that did not must go on reading HTTP/1.1. ${MAY_IGNORE} RFC 9112 §9.3.2: "it MUST send the corresponding responses in the same order that the requests were received."`,
  },
  bodyCase(
    {
      id: 'upgrade-unknown-with-body',
      name: 'A POST with content and an ignored Upgrade is read whole: the content is echoed and the next request answered',
      rfc: 'RFC 9110 §7.8; RFC 9112 §9.3',
      level: 'MUST',
      request: one(
        req(
          'POST /echo HTTP/1.1',
          { Host: 'localhost', Upgrade: 'gauntlet/1', Connection: 'Upgrade', 'Content-Length': 5 },
          'hello',
        ) + getClose('/style.css'),
      ),
      accept: OK,
      check: inOrder([{ status: 200, body: { text: 'hello' } }, file(200, 'style.css')]),
      notes: `${MUST_NOT_SWITCH} An ignored Upgrade leaves the content to be read as HTTP/1.1 content. ${READ_WHOLE_BODY}`,
    },
    followUpsAnswered([file(200, 'style.css')]),
  ),
  {
    id: 'upgrade-trace-with-content-framed',
    name: 'TRACE with a Content-Length body is refused or answered, and its content is never read as the next request',
    rfc: 'RFC 9110 §9.3.8; RFC 9112 §9.3',
    level: 'MUST',
    request: one(
      req('TRACE /hello.txt HTTP/1.1', { Host: 'localhost', 'Content-Length': 14 }, 'GET / HTTP/1.1') +
        getClose('/style.css'),
    ),
    ...followUpsAnswered([file(200, 'style.css')], { mayRefuse: true }),
    notes: `${TRACE_NO_CONTENT} ${READ_WHOLE_BODY} The content looks like a request line: a server that skips it answers it.`,
  },
  {
    id: 'upgrade-trace-with-chunked-content-framed',
    name: 'TRACE with a chunked body is refused or answered, and its content is never read as the next request',
    rfc: 'RFC 9110 §9.3.8; RFC 9112 §9.3',
    level: 'MUST',
    request: one(
      req('TRACE /hello.txt HTTP/1.1', { Host: 'localhost', 'Transfer-Encoding': 'chunked' }, chunked(['hello'])) +
        getClose('/style.css'),
    ),
    ...followUpsAnswered([file(200, 'style.css')], { mayRefuse: true }),
    notes: `${TRACE_NO_CONTENT} ${READ_WHOLE_BODY}`,
  },
  {
    id: 'upgrade-trace-excludes-credentials',
    name: 'A 200 answer to TRACE does not reflect Authorization, Proxy-Authorization or Cookie',
    rfc: 'RFC 9110 §9.3.8',
    level: 'SHOULD',
    request: one(
      req('TRACE /hello.txt HTTP/1.1', {
        Host: 'localhost',
        Authorization: SECRET_AUTH,
        'Proxy-Authorization': SECRET_PROXY_AUTH,
        Cookie: SECRET_COOKIE,
        Connection: 'close',
      }),
    ),
    accept: [statusRange(200, 599), CLOSE],
    check: traceLeaks([SECRET_AUTH, SECRET_PROXY_AUTH, SECRET_COOKIE]),
    notes: `${TRACE_SENSITIVE} A reflected credential is what cross-site tracing reads. Only a 200 is tested; a server that refuses TRACE is n/a.`,
  },
  {
    id: 'upgrade-connect-refused',
    name: 'CONNECT to an origin server is refused, and the request behind it is answered as HTTP',
    rfc: 'RFC 9110 §9.3.6',
    level: 'security',
    request: one(req('CONNECT 127.0.0.1:25 HTTP/1.1', { Host: '127.0.0.1:25' }) + getClose('/style.css')),
    accept: REFUSED,
    check: connectRefusedThenHttp,
    notes: `${CONNECT_RISK} RFC 9110 §9.3.6: "A CONNECT request message does not have content.", so after a refusal the next bytes are the next request.`,
  },
  {
    id: 'upgrade-connect-bytes-after-not-relayed',
    name: 'Bytes sent after a CONNECT are never tunnelled: the CONNECT is refused and the bytes are not answered as a success',
    rfc: 'RFC 9110 §9.3.6',
    level: 'security',
    request: one(req('CONNECT localhost:22 HTTP/1.1', { Host: 'localhost:22' }) + 'SSH-2.0-gauntlet\r\n\r\n'),
    accept: REFUSED,
    check: all(never2xx, startsWithStatusLine),
    notes: `${CONNECT_RISK} The bytes after the head open an SSH session: relayed, they reach whatever listens on the port; read as HTTP, they are a malformed request.`,
  },
  {
    id: 'upgrade-connect-without-port-refused',
    name: 'CONNECT with a target that has no port is refused',
    rfc: 'RFC 9110 §9.3.6',
    level: 'security',
    request: one(req('CONNECT localhost HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: REFUSED,
    check: noSecondResponse,
    notes: `RFC 9110 §9.3.6: "There is no default port; a client MUST send the port number even if the CONNECT request is based on a URI reference that contains an authority component with an elided port". ${CONNECT_RISK}`,
  },
  {
    id: 'upgrade-connect-origin-form-400',
    name: 'CONNECT with an origin-form target ("CONNECT / HTTP/1.1") is answered 400',
    rfc: 'RFC 9112 §3.2.3; RFC 9110 §9.3.6',
    level: 'SHOULD',
    request: one(req('CONNECT / HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: badRequestLine,
    check: all(startsWithStatusLine, redirectsToLocation),
    notes: CONNECT_FORM,
  },
  {
    id: 'upgrade-connect-absolute-form-400',
    name: 'CONNECT with an absolute-form target is answered 400',
    rfc: 'RFC 9112 §3.2.3; RFC 9110 §9.3.6',
    level: 'SHOULD',
    request: one(req('CONNECT http://localhost:80/ HTTP/1.1', { Host: 'localhost:80', Connection: 'close' })),
    accept: badRequestLine,
    check: all(startsWithStatusLine, redirectsToLocation),
    notes: CONNECT_FORM,
  },
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'upgrade-websocket-without-connection-option': ['COMP-UPGRADE-MISSING-CONN'],
  'upgrade-unknown-protocol-ignored': ['COMP-UPGRADE-UNKNOWN'],
  'upgrade-connect-refused': ['COMP-METHOD-CONNECT'],
  'upgrade-http10-ignored': ['COMP-UPGRADE-HTTP10'],
  'upgrade-trace-excludes-credentials': ['COMP-TRACE-SENSITIVE'],
});
