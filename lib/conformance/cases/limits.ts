/**
 * The group limits: requests too long in their line, fields or body answered with the status codes
 * for it (414, a 4xx such as 431, 413), or served when the server takes them; a close only where
 * the rule leaves room for one; never a crash or an unbounded read.
 */
import type { CaseDefinition } from '../types.ts';
import {
  CLIENT_ERROR,
  CLOSE,
  SUCCESS,
  bodyEqualsFile,
  chunked,
  filler,
  getClose,
  one,
  req,
  status,
  whenStatus,
  ANY_STATUS,
  answeredAlone,
  bodyCase,
  type Check,
  CHUNKED_MUST,
  READ_WHOLE_BODY,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const FIELD_LIMITS =
  'RFC 9110 §5.4: "A server that receives a request header field line, field value, or set of fields larger than it wishes to process MUST respond with an appropriate 4xx (Client Error) status code. Ignoring such header fields would increase the server\'s vulnerability to request smuggling attacks". 431 (Request Header Fields Too Large, RFC 6585 §5) is the specific code. A server that processes the fields answers the request (200 with the file); a close without a response, or a 5xx, is not the 4xx response RFC 9110 §5.4 requires.';

const URI_414 =
  'RFC 9112 §3: "A server that receives a request-target longer than any URI it wishes to parse MUST respond with a 414 (URI Too Long) status code". The MUST binds only targets the server does not wish to parse: one that parses this target answers it as any other (a 2xx, or 404 for a path it lacks). A refusal other than 414 (400, 431) or a close without a response is not "respond with a 414".';

/** What a server may do with content too large for it: refuse with 413 and, in HTTP/1.1, close. No keyword obliges either. */
const TOO_LARGE =
  'RFC 9110 §15.5.14: "The 413 (Content Too Large) status code indicates that the server is refusing to process a request because the request content is larger than the server is willing or able to process. The server MAY terminate the request, if the protocol version in use allows it; otherwise, the server MAY close the connection."';

/** The robustness sentence behind the large-body cases whose only keyword is the MAY of 413. */
const LONG_STREAMS =
  'RFC 9110 §17.5: "Because HTTP uses mostly textual, character-delimited fields, parsers are often vulnerable to attacks based on sending very long (or very slow) streams of data, particularly where an implementation is expecting a protocol element with no predefined length."';

/** A GET of /hello.txt whose request line is exactly `length` octets (without CRLF). */
function requestLineOf(length: number): string {
  const base = 'GET /hello.txt? HTTP/1.1';
  return `GET /hello.txt?${filler(length - base.length, 'q')} HTTP/1.1`;
}

const MIB = 1024 * 1024;
const BIG_BODY = filler(1.5 * MIB, '0123456789abcdef');

/**
 * The body of limits-body-1-5mb-then-request ends with something that looks like a request: only
 * a server that stopped framing the body answers it (with style.css, or a 400 for the bytes
 * before it). The check reads only what follows the POST, so it is the same with echo or without.
 */
const bodyNotReadAsRequests: Check = (ctx) => {
  const rest = ctx.exchange.responses.slice(1);
  if (rest.length > 1) return `${rest.length + 1} responses came back for 2 requests: the body was parsed as requests`;
  const second = rest[0];
  if (!second) return null;
  if (second.status !== 200) return `the second response was ${second.status}: the body was parsed as a request`;
  return bodyEqualsFile('hello.txt', 1)(ctx);
};

export const cases: CaseDefinition[] = [
  {
    id: 'limits-request-line-8000',
    name: 'A request line of 8000 octets is accepted',
    rfc: 'RFC 9112 §3',
    level: 'SHOULD',
    request: one(requestLineOf(8000) + '\r\nHost: localhost\r\nConnection: close\r\n\r\n'),
    accept: [SUCCESS, status(404)],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    notes:
      'RFC 9112 §3: "It is RECOMMENDED that all HTTP senders and recipients support, at a minimum, request-line lengths of 8000 octets." The query is ignored by a static server (200) or makes the target unknown (404).',
  },
  {
    id: 'limits-target-9000',
    name: 'A 9000-octet request-target is served (2xx, or 404) or refused with 414',
    rfc: 'RFC 9112 §3',
    level: 'MUST',
    request: one(`GET /hello.txt?${filler(9000 - 11, 'q')} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`),
    accept: [status(414), SUCCESS, status(404)],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    thenAlive: true,
    notes: `${URI_414} The query of /hello.txt?qqq... is ignored by a static server (200 with the file) or makes the target unknown (404).`,
  },
  {
    id: 'limits-target-64k',
    name: 'A 64 KiB request-target is refused with 414 or served (2xx, or 404), and the server keeps serving',
    rfc: 'RFC 9112 §3',
    level: 'MUST',
    request: one(`GET /${filler(64 * 1024, 'a')} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`),
    accept: [status(414), SUCCESS, status(404)],
    thenAlive: true,
    notes: URI_414,
  },
  {
    id: 'limits-request-line-unterminated-1mb',
    name: 'A request-target of 1 MiB without an end is refused with 414, or timed out (408 or a close), and the server keeps serving',
    rfc: 'RFC 9112 §3',
    level: 'MUST',
    request: one(`GET /${filler(MIB, 'a')}`),
    accept: [status(414), status(408), CLOSE],
    timeoutMs: 3000,
    thenAlive: true,
    notes: `A server that buffers until it sees CRLF grows without bound. ${URI_414} Here the target never ends, so a server willing to parse it may wait for the rest and give up at its timeout: with a 408 (RFC 9110 §15.5.9: "The 408 (Request Timeout) status code indicates that the server did not receive a complete request message within the time that it was prepared to wait.") or with a close, which is not a refusal of the length.`,
  },
  {
    id: 'limits-header-field-20k',
    name: 'A 20 KiB header field is either processed (200 with the file) or refused with a 4xx',
    rfc: 'RFC 9110 §5.4',
    level: 'MUST',
    request: one(
      `GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nX-Gauntlet-Big: ${filler(20 * 1024, 'b')}\r\nConnection: close\r\n\r\n`,
    ),
    accept: [status(200), CLIENT_ERROR],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    thenAlive: true,
    notes: FIELD_LIMITS,
  },
  {
    id: 'limits-header-field-20k-431',
    name: 'A header field larger than the server takes is refused with 431',
    rfc: 'RFC 6585 §5; RFC 9110 §5.4',
    level: 'informational',
    request: one(
      `GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nX-Gauntlet-Big: ${filler(64 * 1024, 'b')}\r\nConnection: close\r\n\r\n`,
    ),
    accept: [status(431), status(200)],
    notes: `RFC 6585 §5: "The 431 status code indicates that the server is unwilling to process the request because its header fields are too large." Any 4xx satisfies RFC 9110 §5.4, so the exact code is reported only. ${FIELD_LIMITS}`,
  },
  {
    id: 'limits-many-header-fields',
    name: '2000 header fields are processed (200 with the file) or refused with a 4xx',
    rfc: 'RFC 9110 §5.4',
    level: 'MUST',
    request: one(
      `GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n${Array.from({ length: 2000 }, (_, i) => `X-Gauntlet-${i}: ${i}\r\n`).join('')}Connection: close\r\n\r\n`,
    ),
    accept: [status(200), CLIENT_ERROR],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    thenAlive: true,
    notes: FIELD_LIMITS,
  },
  {
    id: 'limits-header-section-1mb',
    name: 'A 1 MiB header section is processed (200 with the file) or refused with a 4xx, and the server keeps serving',
    rfc: 'RFC 9110 §5.4',
    level: 'MUST',
    request: one(
      `GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n${Array.from({ length: 1024 }, (_, i) => `X-Gauntlet-${i}: ${filler(1000, 'c')}\r\n`).join('')}Connection: close\r\n\r\n`,
    ),
    accept: [status(200), CLIENT_ERROR],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    timeoutMs: 3000,
    thenAlive: true,
    notes: FIELD_LIMITS,
  },
  bodyCase(
    {
      id: 'limits-body-1-5mb',
      name: 'A 1.5 MiB body is echoed whole or refused (413 or a close), and the server keeps serving',
      rfc: 'RFC 9110 §17.5; RFC 9110 §15.5.14',
      level: 'security',
      request: one(
        req(
          'POST /echo HTTP/1.1',
          { Host: 'localhost', 'Content-Length': BIG_BODY.length, Connection: 'close' },
          BIG_BODY,
        ),
      ),
      accept: [status(200), status(413), CLOSE],
      check: whenStatus(200, 200, ({ exchange }) => {
        const r = exchange.responses[0];
        if (!r) return null;
        if (r.body.length !== BIG_BODY.length) return `the echo holds ${r.body.length} bytes, not ${BIG_BODY.length}`;
        return Buffer.from(r.body).equals(Buffer.from(BIG_BODY, 'latin1'))
          ? null
          : 'the echo differs from the body sent';
      }),
      timeoutMs: 5000,
      thenAlive: true,
      notes: `No keyword obliges a server to take a large body or to refuse it in one way: the only one near is the MAY of 413. What is required is robustness: ${LONG_STREAMS} ${TOO_LARGE}`,
    },
    answeredAlone({ mayRefuse: true }),
  ),
  bodyCase(
    {
      id: 'limits-body-1-5mb-then-request',
      name: 'After refusing a 1.5 MiB body, the server never reads the body as requests',
      rfc: 'RFC 9112 §9.3; RFC 9110 §15.5.14',
      level: 'MUST',
      request: one(
        req(
          'POST /echo HTTP/1.1',
          { Host: 'localhost', 'Content-Length': BIG_BODY.length },
          filler(BIG_BODY.length - 40, 'x') + 'GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n\r\n\r\n',
        ) + getClose('/hello.txt'),
      ),
      accept: [status(200), status(413), CLOSE],
      check: bodyNotReadAsRequests,
      timeoutMs: 5000,
      notes: `${READ_WHOLE_BODY} ${TOO_LARGE} So a server that answers 413 without reading the body must close; one that keeps the connection has to read past the whole body first.`,
    },
    { accept: [ANY_STATUS, CLOSE], check: bodyNotReadAsRequests },
  ),
  bodyCase(
    {
      id: 'limits-chunked-body-1-5mb',
      name: 'A 1.5 MiB chunked body is echoed whole (every chunk decoded) or refused with 413 (or a close)',
      rfc: 'RFC 9112 §7.1; RFC 9110 §15.5.14',
      level: 'MUST',
      request: one(
        req(
          'POST /echo HTTP/1.1',
          { Host: 'localhost', 'Transfer-Encoding': 'chunked', Connection: 'close' },
          chunked(Array.from({ length: 24 }, () => filler(64 * 1024, 'z'))),
        ),
      ),
      accept: [status(200), status(413), CLOSE],
      check: whenStatus(200, 200, ({ exchange }) => {
        const r = exchange.responses[0];
        return r && r.body.length === 24 * 64 * 1024
          ? null
          : `the echo holds ${r?.body.length ?? 0} bytes, not ${24 * 64 * 1024}`;
      }),
      timeoutMs: 5000,
      thenAlive: true,
      notes: `${CHUNKED_MUST} A 200 that echoes fewer bytes did not decode every chunk. ${TOO_LARGE}`,
    },
    answeredAlone({ mayRefuse: true }),
  ),
  bodyCase(
    {
      id: 'limits-body-64k-echoed',
      name: 'A 64 KiB body is echoed whole or refused with 413 (or a close), never cut short',
      rfc: 'RFC 9112 §6.3; RFC 9112 §11.2',
      level: 'security',
      request: one(
        req(
          'POST /echo HTTP/1.1',
          { Host: 'localhost', 'Content-Length': 64 * 1024, Connection: 'close' },
          filler(64 * 1024, '0123456789abcdef-gauntlet-64k-'),
        ),
      ),
      accept: [status(200), status(413), CLOSE],
      check: whenStatus(200, 200, ({ exchange }) => {
        const r = exchange.responses[0];
        if (!r) return null;
        const sent = Buffer.from(filler(64 * 1024, '0123456789abcdef-gauntlet-64k-'), 'latin1');
        if (r.body.length !== sent.length) return `the echo holds ${r.body.length} bytes, not ${sent.length}`;
        return Buffer.from(r.body).equals(sent) ? null : 'the echo differs from the body sent';
      }),
      timeoutMs: 3000,
      notes: `A body between the small ones of methods-post-echo and the 1.5 MiB ones above: a server that reads the content into one fixed buffer (a single recv(8192)) answers it cut short. RFC 9112 §6.3: "If a valid Content-Length header field is present without Transfer-Encoding, its decimal value defines the expected message body length in octets." No keyword goes with that definition; what is at stake is framing: a server that reads fewer octets than the Content-Length leaves the rest to be read as a request. RFC 9112 §11.2: "Request smuggling ([Linhart]) is a technique that exploits differences in protocol parsing among various recipients to hide additional requests (which might otherwise be blocked or disabled by policy) within an apparently harmless request." ${TOO_LARGE}`,
    },
    answeredAlone({ mayRefuse: true }),
  ),
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'limits-request-line-8000': ['COMP-LONG-URL-OK'],
  'limits-target-64k': ['MAL-LONG-URL'],
  'limits-header-field-20k': ['MAL-LONG-HEADER-VALUE'],
});
