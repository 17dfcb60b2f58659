/**
 * The group responses: what the server's answers must hold (status line, Date, Content-Length that
 * matches the body, the served file's bytes; RFC 9110 and RFC 9112 §4, §6).
 */
import type { CaseDefinition } from '../types.ts';
import { headerValues } from '../response-parser.ts';
import {
  ANY_STATUS,
  CLOSE,
  OK,
  all,
  bodyEqualsFile,
  dateIsImfFixdate,
  dateNearNow,
  framedResponses,
  getClose,
  hasHeader,
  nothingAfterHead,
  onStatus,
  one,
  req,
  status,
  statusRange,
  versionIs,
  whenStatus,
  type Check,
  GET_MUST,
  SEND_VALID,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const DATE_MUST =
  'RFC 9110 §6.6.1: "An origin server with a clock (as defined in Section 5.6.7) MUST generate a Date header field in all 2xx (Successful), 3xx (Redirection), and 4xx (Client Error) responses, and MAY generate a Date header field in 1xx (Informational) and 5xx (Server Error) responses."';

const FRAMING =
  'RFC 9112 §6.2: "A sender MUST NOT send a Content-Length header field in any message that contains a Transfer-Encoding header field." RFC 9110 §8.6: a Content-Length states the content\'s "data length as a decimal non-negative integer number of octets"; a wrong one desynchronises every later response on the connection.';

/** Every response of the exchange carries a Date, when its status is 2xx-4xx. */
const dateOnFirst: Check = ({ exchange }) => {
  const r = exchange.responses[0];
  if (!r || r.status < 200 || r.status > 499) return null;
  return headerValues(r, 'date').length > 0 ? null : `the ${r.status} response has no Date header field`;
};

/** A 204 has no Content-Length and no content; a case that got no 204 is `n/a`. */
const bodiless204: Check = onStatus(204, (ctx) => {
  const r = ctx.exchange.responses[0];
  if (!r) return null;
  if (headerValues(r, 'content-length').length > 0) return 'the 204 response carries Content-Length';
  if (headerValues(r, 'transfer-encoding').length > 0) return 'the 204 response carries Transfer-Encoding';
  return nothingAfterHead(ctx);
});

export const cases: CaseDefinition[] = [
  {
    id: 'responses-date-on-200',
    name: 'A 200 response carries a Date',
    rfc: 'RFC 9110 §6.6.1',
    level: 'MUST',
    request: one(getClose('/hello.txt')),
    accept: OK,
    check: hasHeader('Date'),
    notes: DATE_MUST,
  },
  {
    id: 'responses-date-on-404',
    name: 'A 404 response carries a Date',
    rfc: 'RFC 9110 §6.6.1',
    level: 'MUST',
    request: one(getClose('/gauntlet-no-such-file.txt')),
    accept: [status(404), status(410)],
    check: dateOnFirst,
    notes: DATE_MUST,
  },
  {
    id: 'responses-date-on-400',
    name: 'A 400 response carries a Date',
    rfc: 'RFC 9110 §6.6.1',
    level: 'MUST',
    request: one('GET /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n'),
    // No 400 (the request taken, or the connection closed): nothing to judge here; host-missing
    // judges the status of this same exchange.
    accept: [ANY_STATUS, CLOSE],
    check: onStatus(400, dateOnFirst),
    notes: `${DATE_MUST} The request lacks Host, so a 400 is due.`,
  },
  {
    id: 'responses-date-imf-fixdate',
    name: 'The Date is a single IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT")',
    rfc: 'RFC 9110 §5.6.7',
    level: 'MUST',
    request: one(getClose('/hello.txt')),
    accept: OK,
    check: dateIsImfFixdate(),
    notes:
      'RFC 9110 §5.6.7: "When a sender generates a field that contains one or more timestamps defined as HTTP-date, the sender MUST generate those timestamps in the IMF-fixdate format." Date is a singleton field, so one line (RFC 9110 §5.3).',
  },
  {
    id: 'responses-date-accurate',
    name: 'The Date is within 60 seconds of the real time',
    rfc: 'RFC 9110 §6.6.1',
    level: 'SHOULD',
    request: one(getClose('/hello.txt')),
    accept: OK,
    check: dateNearNow(60),
    notes:
      'RFC 9110 §6.6.1: "A sender that generates a Date header field SHOULD generate its field value as the best available approximation of the date and time of message generation." The server runs on the same machine as the client, so their clocks agree; a cached Date that is never refreshed drifts.',
  },
  {
    id: 'responses-server-header',
    name: 'Responses name the server software in Server',
    rfc: 'RFC 9110 §10.2.4',
    level: 'informational',
    request: one(getClose('/hello.txt')),
    accept: OK,
    check: hasHeader('Server'),
    notes:
      'RFC 9110 §10.2.4: "An origin server MAY generate a Server header field in its responses." Optional, reported only.',
  },
  {
    id: 'responses-content-type',
    name: 'A response with content names its media type in Content-Type',
    rfc: 'RFC 9110 §8.3',
    level: 'SHOULD',
    request: one(getClose('/index.html')),
    accept: OK,
    check: hasHeader('Content-Type'),
    notes:
      'RFC 9110 §8.3: "A sender that generates a message containing content SHOULD generate a Content-Type header field in that message unless the intended media type of the enclosed representation is unknown to the sender."',
  },
  {
    id: 'responses-content-length-matches',
    name: 'The content of a file response is exactly the file, framed exactly',
    rfc: 'RFC 9110 §8.6; RFC 9112 §6.2',
    level: 'MUST',
    request: one(getClose('/index.html')),
    accept: OK,
    check: all(framedResponses, bodyEqualsFile('index.html')),
    notes: FRAMING,
  },
  {
    id: 'responses-binary-file-exact',
    name: 'A binary file (PNG) is served byte for byte',
    rfc: 'RFC 9110 §8.6',
    level: 'MUST',
    request: one(getClose('/pixel.png')),
    accept: OK,
    check: all(framedResponses, bodyEqualsFile('pixel.png')),
    notes: GET_MUST + ' ' + 'Text-mode reads or charset conversion corrupt binary files.',
  },
  {
    id: 'responses-large-file-exact',
    name: 'A 256 KiB file is served whole and framed exactly',
    rfc: 'RFC 9110 §8.6; RFC 9112 §6.2',
    level: 'MUST',
    request: one(getClose('/large.bin')),
    accept: OK,
    check: all(framedResponses, bodyEqualsFile('large.bin')),
    timeoutMs: 4000,
    notes: `Partial writes are where short responses come from. ${FRAMING}`,
  },
  {
    id: 'responses-subdirectory-file',
    name: 'A file in a subdirectory is served',
    rfc: 'RFC 9110 §9.3.1',
    level: 'MUST',
    notes: GET_MUST,
    request: one(getClose('/sub/page.html')),
    accept: OK,
    check: bodyEqualsFile('sub/page.html'),
  },
  {
    id: 'responses-404-framed',
    name: 'A 404 response is framed exactly (Content-Length equals its content)',
    rfc: 'RFC 9110 §8.6; RFC 9112 §6.2',
    level: 'MUST',
    request: one(getClose('/gauntlet-no-such-file.txt')),
    accept: [status(404), status(410)],
    check: framedResponses,
    notes: FRAMING,
  },
  {
    id: 'responses-400-framed',
    name: 'A 400 response is framed exactly',
    rfc: 'RFC 9110 §8.6; RFC 9112 §6.2',
    level: 'MUST',
    request: one('GET /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n'),
    // No 400 (the request taken, or the connection closed): nothing to judge here; host-missing
    // judges the status of this same exchange.
    accept: [ANY_STATUS, CLOSE],
    check: onStatus(400, framedResponses),
    notes: FRAMING,
  },
  {
    id: 'responses-no-cl-with-te',
    name: 'No response carries both Content-Length and Transfer-Encoding',
    rfc: 'RFC 9112 §6.2',
    level: 'MUST',
    request: one(
      req('GET /large.bin HTTP/1.1', { Host: 'localhost' }) +
        req('GET / HTTP/1.1', { Host: 'localhost' }) +
        getClose('/gauntlet-no-such-file.txt'),
    ),
    accept: OK,
    check: framedResponses,
    timeoutMs: 4000,
    notes: FRAMING,
  },
  {
    id: 'responses-status-line-version',
    name: 'The status line carries version HTTP/1.x',
    rfc: 'RFC 9110 §6.2; RFC 9112 §4',
    level: 'MUST',
    request: one(getClose('/hello.txt')),
    accept: OK,
    check: versionIs(/^1\.[01]$/, 'HTTP/1.0 or HTTP/1.1'),
    notes: 'RFC 9110 §6.2: "A server MUST NOT send a version to which it is not conformant."',
  },
  {
    id: 'responses-head-no-content-raw',
    name: 'Nothing follows the head of a response to HEAD',
    rfc: 'RFC 9110 §9.3.2',
    level: 'MUST',
    request: one(req('HEAD /large.bin HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: OK,
    check: nothingAfterHead,
    methods: ['HEAD'],
    notes:
      'RFC 9110 §9.3.2: "the server MUST NOT send content in the response." Checked on the raw bytes, with a large file.',
  },
  {
    id: 'responses-head-same-fields-as-get',
    name: 'A HEAD response has the same Content-Type and Content-Length as the GET response',
    rfc: 'RFC 9110 §9.3.2',
    level: 'SHOULD',
    request: one(req('HEAD /style.css HTTP/1.1', { Host: 'localhost' }) + getClose('/style.css')),
    accept: OK,
    check: ({ exchange }) => {
      const [h, g] = exchange.responses;
      if (!h || !g) return 'the GET after the HEAD was not answered';
      for (const name of ['content-type', 'content-length']) {
        const hv = headerValues(h, name).join(', ');
        const gv = headerValues(g, name).join(', ');
        if (hv !== gv) return `${name} differs: HEAD "${hv}", GET "${gv}"`;
      }
      return null;
    },
    methods: ['HEAD', 'GET'],
    notes:
      'RFC 9110 §9.3.2: "The server SHOULD send the same header fields in response to a HEAD request as it would have sent if the request method had been GET."',
  },
  {
    id: 'responses-204-no-content-length',
    name: 'A 204 response carries no Content-Length and no content',
    rfc: 'RFC 9110 §8.6; RFC 9110 §15.3.5',
    level: 'MUST',
    request: one(req('OPTIONS /hello.txt HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: [statusRange(200, 599), CLOSE],
    check: bodiless204,
    notes:
      'OPTIONS is where a static server usually answers 204. RFC 9110 §8.6: "A server MUST NOT send a Content-Length header field in any response with a status code of 1xx (Informational) or 204 (No Content)." RFC 9110 §15.3.5: "A 204 response is terminated by the end of the header section; it cannot contain content or trailers." Any other status is n/a: nothing was tested.',
  },
  {
    id: 'responses-304-no-content',
    name: 'A 304 response carries no content',
    rfc: 'RFC 9110 §15.4.5',
    level: 'MUST',
    request: one(req('GET /hello.txt HTTP/1.1', { Host: 'localhost', 'If-None-Match': '*', Connection: 'close' })),
    accept: [status(200), status(304)],
    check: onStatus(304, nothingAfterHead),
    notes:
      SEND_VALID +
      ' ' +
      'RFC 9110 §13.1.2: with If-None-Match: * "the condition is false if the origin server has a current representation for the target resource", so a server that evaluates it answers 304; one that does not serves 200, and the case is n/a. RFC 9110 §15.4.5: "A 304 response is terminated by the end of the header section; it cannot contain content or trailers."',
  },
  {
    id: 'responses-range-206',
    name: 'A byte range request is answered 206 with the range, or 200 with the whole file',
    rfc: 'RFC 9110 §14.2; RFC 9110 §15.3.7',
    level: 'informational',
    request: one(req('GET /hello.txt HTTP/1.1', { Host: 'localhost', Range: 'bytes=0-4', Connection: 'close' })),
    accept: [status(206), status(200)],
    check: (ctx) => {
      const r = ctx.exchange.responses[0];
      if (!r) return null;
      if (r.status === 200) return 'Range is not supported (the whole file came back)';
      if (Buffer.from(r.body).toString('latin1') !== 'plain')
        return `the 206 content should be "plain" but was "${Buffer.from(r.body).toString('latin1')}"`;
      const cr = headerValues(r, 'content-range')[0];
      return cr === 'bytes 0-4/16' ? null : `Content-Range should be "bytes 0-4/16" but was "${cr ?? ''}"`;
    },
    notes: 'RFC 9110 §14.2: "A server MAY ignore the Range header field." Reported only.',
  },
  {
    id: 'responses-range-unsatisfiable',
    name: 'A range past the end of the file is answered 416 (or 200 with the whole file)',
    rfc: 'RFC 9110 §15.5.17',
    level: 'informational',
    request: one(req('GET /hello.txt HTTP/1.1', { Host: 'localhost', Range: 'bytes=100-200', Connection: 'close' })),
    accept: [status(416), status(200)],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    notes:
      'RFC 9110 §15.5.17: "The 416 (Range Not Satisfiable) status code indicates that the set of ranges in the request\'s Range header field has been rejected". Reported only.',
  },
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'responses-date-on-200': ['COMP-DATE-HEADER'],
  'responses-date-imf-fixdate': ['COMP-DATE-FORMAT'],
  'responses-204-no-content-length': ['COMP-NO-CL-IN-204'],
  'responses-content-type': ['COMP-CONTENT-TYPE'],
});
