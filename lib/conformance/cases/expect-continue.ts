/**
 * The group expect-continue: "Expect: 100-continue" answered with 100 or a final status before the
 * body (RFC 9110 §10.1.1), so clients that wait for it are neither stalled nor misread.
 */
import type { CaseDefinition } from '../types.ts';
import {
  ANY_STATUS,
  CLOSE,
  OK,
  all,
  answeredBeforePart,
  bodyEquals,
  bodyEqualsFile,
  noInterim,
  one,
  parts,
  req,
  status,
  whenStatus,
  answeredAlone,
  bodyCase,
  noSecondResponse,
  firstAnswer,
  notApplicable,
  type Check,
  READ_WHOLE_BODY,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const ORIGIN_MUST =
  'RFC 9110 §10.1.1: "Upon receiving an HTTP/1.1 (or later) request that has a method, target URI, and complete header section that contains a 100-continue expectation and an indication that request content will follow, an origin server MUST send either: an immediate response with a final status code, if that status can be determined by examining just the method, target URI, and header fields, or an immediate 100 (Continue) response to encourage the client to send the request content. The origin server MUST NOT wait for the content before sending the 100 (Continue) response."';

const HTTP10_NO_1XX =
  'RFC 9110 §15.2: "Since HTTP/1.0 did not define any 1xx status codes, a server MUST NOT send a 1xx response to an HTTP/1.0 client." RFC 9110 §10.1.1: "A server that receives a 100-continue expectation in an HTTP/1.0 request MUST ignore that expectation."';

/** The body is written this long after the head: well under the servers' 1 s body timeout. */
const BODY_DELAY_MS = 600;

const expectHead = (version: string, expect = '100-continue', path = '/echo', extra: Record<string, string> = {}) =>
  req(`POST ${path} ${version}`, {
    Host: 'localhost',
    Expect: expect,
    'Content-Length': 5,
    Connection: 'close',
    ...extra,
  });

/** The only interim response an expectation of 100-continue may get is 100. */
const onlyContinue: Check = ({ exchange }) =>
  exchange.interim.every((r) => r.status === 100) ? null : 'an interim response other than 100 came back';

export const cases: CaseDefinition[] = [
  {
    id: 'expect-continue-answered-before-content',
    name: 'Expect: 100-continue gets a 100 (or a final status) before the content is sent',
    rfc: 'RFC 9110 §10.1.1',
    level: 'MUST',
    request: parts([expectHead('HTTP/1.1'), 'hello'], BODY_DELAY_MS),
    accept: [ANY_STATUS, CLOSE],
    check: all(answeredBeforePart(1), whenStatus(200, 200, bodyEquals('hello'))),
    notes: `The content follows ${BODY_DELAY_MS} ms after the head; something must have come back by then. ${ORIGIN_MUST}`,
  },
  bodyCase(
    {
      id: 'expect-continue-echo',
      name: 'A request with Expect: 100-continue whose content follows at once is answered normally',
      rfc: 'RFC 9110 §10.1.1',
      level: 'MUST',
      request: one(expectHead('HTTP/1.1') + 'hello'),
      accept: OK,
      check: all(bodyEquals('hello'), onlyContinue),
      notes:
        READ_WHOLE_BODY +
        ' ' +
        'RFC 9110 §10.1.1: "A client that sends a 100-continue expectation is not required to wait for any specific length of time; such a client MAY proceed to send the content even if it has not yet received a response." and "A server MAY omit sending a 100 (Continue) response if it has already received some or all of the content for the corresponding request".',
    },
    { accept: [ANY_STATUS], check: all(onlyContinue, noSecondResponse) },
  ),
  bodyCase(
    {
      id: 'expect-continue-then-content-echoed',
      name: 'After a 100 Continue the content sent later is read and answered',
      rfc: 'RFC 9110 §10.1.1',
      level: 'MUST',
      request: parts([expectHead('HTTP/1.1'), 'hello'], BODY_DELAY_MS),
      accept: OK,
      check: bodyEquals('hello'),
      notes:
        'RFC 9110 §10.1.1: "A server that sends a 100 (Continue) response MUST ultimately send a final status code, once it receives and processes the request content, unless the connection is closed prematurely."',
    },
    answeredAlone(),
  ),
  {
    id: 'expect-continue-case-insensitive',
    name: 'The expectation "100-Continue" is recognised in any case',
    rfc: 'RFC 9110 §10.1.1',
    level: 'MUST',
    request: parts([expectHead('HTTP/1.1', '100-Continue'), 'hello'], BODY_DELAY_MS),
    accept: [ANY_STATUS, CLOSE],
    check: answeredBeforePart(1),
    notes: `RFC 9110 §10.1.1: "The Expect field value is case-insensitive." ${ORIGIN_MUST}`,
  },
  {
    id: 'expect-continue-final-status-instead',
    name: 'When the head alone decides the answer (POST to a static file) the server may answer it at once instead of 100',
    rfc: 'RFC 9110 §10.1.1',
    level: 'MUST',
    request: parts([expectHead('HTTP/1.1', '100-continue', '/hello.txt'), 'hello'], BODY_DELAY_MS),
    accept: [ANY_STATUS, CLOSE],
    check: answeredBeforePart(1),
    notes: ORIGIN_MUST,
  },
  {
    id: 'expect-continue-http10-no-interim',
    name: 'An HTTP/1.0 request with Expect: 100-continue never gets a 1xx response',
    rfc: 'RFC 9110 §15.2; RFC 9110 §10.1.1',
    level: 'MUST',
    request: parts([expectHead('HTTP/1.0'), 'hello'], 300),
    accept: [ANY_STATUS, CLOSE],
    check: all(noInterim, whenStatus(200, 200, bodyEquals('hello'))),
    notes: `The content follows 300 ms later: a server that honours the expectation sends 100 in that gap. ${HTTP10_NO_1XX}`,
  },
  bodyCase(
    {
      id: 'expect-continue-http10-one-write',
      name: 'An HTTP/1.0 request with Expect: 100-continue and its content in one write gets no 1xx',
      rfc: 'RFC 9110 §15.2',
      level: 'MUST',
      request: one(expectHead('HTTP/1.0') + 'hello'),
      accept: OK,
      check: all(noInterim, bodyEquals('hello')),
      notes: HTTP10_NO_1XX,
    },
    { accept: [ANY_STATUS], check: all(noInterim, noSecondResponse) },
  ),
  {
    id: 'expect-continue-without-content',
    name: 'Expect: 100-continue on a GET without content is answered normally',
    rfc: 'RFC 9110 §10.1.1',
    level: 'informational',
    request: one(req('GET /hello.txt HTTP/1.1', { Host: 'localhost', Expect: '100-continue', Connection: 'close' })),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes:
      'RFC 9110 §10.1.1: "A client MUST NOT generate a 100-continue expectation in a request that does not include content." The server\'s answer to the client\'s mistake is not specified; serving the file is the friendly one.',
  },
  {
    id: 'expect-unknown-expectation',
    name: 'An unknown expectation may be answered 417',
    rfc: 'RFC 9110 §10.1.1',
    level: 'informational',
    request: one(req('GET /hello.txt HTTP/1.1', { Host: 'localhost', Expect: 'gauntlet-magic', Connection: 'close' })),
    accept: [status(417), status(200)],
    notes:
      'RFC 9110 §10.1.1: "A server that receives an Expect field value containing a member other than 100-continue MAY respond with a 417 (Expectation Failed) status code to indicate that the unexpected expectation cannot be met." Both answers are allowed.',
  },
  {
    id: 'expect-continue-100-has-no-content-length',
    name: 'A 100 Continue response carries no Content-Length',
    rfc: 'RFC 9110 §8.6',
    level: 'MUST',
    request: parts([expectHead('HTTP/1.1'), 'hello'], BODY_DELAY_MS),
    accept: [ANY_STATUS, CLOSE],
    check: ({ exchange }) => {
      if (exchange.interim.length === 0) {
        return notApplicable(`the server sent no 100 Continue (it ${firstAnswer(exchange)}): nothing to check`);
      }
      const bad = exchange.interim.find((r) => r.headers.some(([n]) => n.toLowerCase() === 'content-length'));
      return bad ? `the ${bad.status} response carries Content-Length` : null;
    },
    notes:
      'RFC 9110 §8.6: "A server MUST NOT send a Content-Length header field in any response with a status code of 1xx (Informational) or 204 (No Content)." A server that sends no interim response is n/a: nothing was tested.',
  },
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'expect-unknown-expectation': ['COMP-EXPECT-UNKNOWN'],
  'expect-continue-http10-one-write': ['COMP-NO-1XX-HTTP10'],
  'expect-continue-echo': ['SMUG-EXPECT-100-CL'],
});
