/**
 * The group persistence: keep-alive and pipelining (RFC 9112 §9.3): several requests on one connection
 * answered in order, each exactly once.
 */
import type { CaseDefinition } from '../types.ts';
import {
  OK,
  all,
  closesConnection,
  connectionOptions,
  file,
  get,
  getClose,
  inOrder,
  bodyEqualsFile,
  one,
  parts,
  req,
  responsesCount,
  status,
  type Expected,
  bodyCase,
  followUpsAnswered,
  SEND_VALID,
  SUSTAIN_SHOULD,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const PIPELINE =
  'RFC 9112 §9.3.2: "A client that supports persistent connections MAY "pipeline" its requests (i.e., send multiple requests without waiting for each response). A server MAY process a sequence of pipelined requests in parallel if they all have safe methods (Section 9.2.1 of [HTTP]), but it MUST send the corresponding responses in the same order that the requests were received."';

const PERSIST =
  'RFC 9112 §9.3: "HTTP/1.1 defaults to the use of "persistent connections", allowing multiple requests and responses to be carried over a single connection." and "A server that does not support persistent connections MUST send the "close" connection option in every response message that does not have a 1xx (Informational) status code."';

const FILES = ['hello.txt', 'style.css', 'data.json', 'app.js', 'index.html', 'sub/page.html'];

/** n GETs of the fixture files, in order; the last asks to close. */
function pipeline(n: number): { data: string; expected: Expected[] } {
  const names = Array.from({ length: n }, (_, i) => FILES[i % FILES.length] ?? 'hello.txt');
  const data = names.map((name, i) => (i === n - 1 ? getClose(`/${name}`) : get(`/${name}`))).join('');
  return { data, expected: names.map((name) => file(200, name)) };
}

function pipelined(n: number): CaseDefinition {
  const p = pipeline(n);
  return {
    id: `persistence-pipeline-${n}`,
    name: `${n} requests pipelined in one write get ${n} responses in request order`,
    rfc: 'RFC 9112 §9.3.2',
    level: 'MUST',
    request: one(p.data),
    accept: OK,
    check: inOrder(p.expected),
    notes: `Each response is checked against the file its request named. A server may stop early only if it announced Connection: close. ${PIPELINE}`,
  };
}

export const cases: CaseDefinition[] = [
  {
    id: 'persistence-keepalive-sequence',
    name: 'Three requests sent one after another on one HTTP/1.1 connection get three responses',
    rfc: 'RFC 9112 §9.3',
    level: 'SHOULD',
    request: parts([get('/hello.txt'), get('/style.css'), getClose('/data.json')], 100),
    accept: OK,
    check: inOrder([file(200, 'hello.txt'), file(200, 'style.css'), file(200, 'data.json')], { all: true }),
    notes:
      SUSTAIN_SHOULD +
      ' ' +
      `${PERSIST} Persistence is the default, not an obligation, so a server that closes after each response only warns here.`,
  },
  {
    id: 'persistence-close-announced',
    name: 'A server that ends a keep-alive connection after a response says so with Connection: close',
    rfc: 'RFC 9112 §9.3',
    level: 'MUST',
    request: parts([get('/hello.txt'), get('/style.css'), getClose('/data.json')], 100),
    accept: OK,
    check: inOrder([file(200, 'hello.txt'), file(200, 'style.css'), file(200, 'data.json')]),
    notes: PERSIST,
  },
  pipelined(2),
  pipelined(3),
  pipelined(10),
  {
    id: 'persistence-pipeline-10-all-answered',
    name: '10 pipelined requests are all answered on the same connection',
    rfc: 'RFC 9112 §9.3.2',
    level: 'SHOULD',
    request: one(pipeline(10).data),
    accept: OK,
    check: inOrder(pipeline(10).expected, { all: true }),
    notes:
      SUSTAIN_SHOULD +
      ' ' +
      `${PIPELINE} Answering only some and closing is allowed when announced, but wastes the client's requests.`,
  },
  {
    id: 'persistence-pipeline-head-then-get',
    name: 'A GET pipelined after a HEAD is answered correctly (the HEAD response has no content)',
    rfc: 'RFC 9110 §9.3.2; RFC 9112 §9.3.2',
    level: 'MUST',
    request: one(req('HEAD /hello.txt HTTP/1.1', { Host: 'localhost' }) + getClose('/style.css')),
    accept: OK,
    check: inOrder([{ status: 200, body: { text: '' } }, file(200, 'style.css')]),
    methods: ['HEAD', 'GET'],
    notes:
      'RFC 9110 §9.3.2: "the server MUST NOT send content in the response" to HEAD. Content sent anyway is read by the client as the start of the next response.',
  },
  {
    id: 'persistence-pipeline-404-then-get',
    name: 'A GET pipelined after a 404 is answered correctly (the 404 is framed exactly)',
    rfc: 'RFC 9112 §9.3.2; RFC 9112 §6.3',
    level: 'MUST',
    request: one(get('/gauntlet-no-such-file.txt') + getClose('/hello.txt')),
    accept: [status(404)],
    check: (ctx) => {
      const rs = ctx.exchange.responses;
      if (rs.length < 2) {
        const last = rs[rs.length - 1];
        return last && connectionOptions(last).includes('close')
          ? null
          : 'the request after the 404 was not answered and the 404 did not announce Connection: close';
      }
      return inOrder([{ status: 404 }, file(200, 'hello.txt')])(ctx);
    },
    notes:
      PIPELINE +
      ' ' +
      SEND_VALID +
      ' ' +
      'An error page whose Content-Length does not match its body shifts every later response.',
  },
  {
    id: 'persistence-pipeline-large-then-small',
    name: 'A small request pipelined behind a 256 KiB response is answered after it, intact',
    rfc: 'RFC 9112 §9.3.2',
    level: 'MUST',
    request: one(get('/large.bin') + getClose('/hello.txt')),
    accept: OK,
    check: inOrder([file(200, 'large.bin'), file(200, 'hello.txt')]),
    timeoutMs: 4000,
    notes: `A response that needs several writes must not be interleaved with the next one. ${PIPELINE}`,
  },
  bodyCase(
    {
      id: 'persistence-pipeline-post-then-get',
      name: 'A GET pipelined after a POST with a body is answered after it',
      rfc: 'RFC 9112 §9.3.2; RFC 9112 §6.3',
      level: 'MUST',
      request: one(
        req('POST /echo HTTP/1.1', { Host: 'localhost', 'Content-Length': 7 }, 'payload') + getClose('/hello.txt'),
      ),
      accept: OK,
      check: inOrder([{ status: 200, body: { text: 'payload' } }, file(200, 'hello.txt')]),
      notes: PIPELINE,
    },
    followUpsAnswered([file(200, 'hello.txt')]),
  ),
  {
    id: 'persistence-http10-closes',
    name: 'An HTTP/1.0 request without keep-alive is answered and the connection closed',
    rfc: 'RFC 9112 §9.3',
    level: 'informational',
    request: one('GET /hello.txt HTTP/1.0\r\nHost: localhost\r\n\r\n'),
    accept: OK,
    check: all(bodyEqualsFile('hello.txt'), closesConnection),
    notes:
      'RFC 9112 §9.3: "If the received protocol is HTTP/1.0, the "keep-alive" connection option is present, either the recipient is not a proxy or the message is a response, and the recipient wishes to honor the HTTP/1.0 "keep-alive" mechanism, the connection will persist after the current response; otherwise, the connection will close after the current response." An HTTP/1.0 client may read until the close.',
  },
  {
    id: 'persistence-http10-keepalive',
    name: 'An HTTP/1.0 request with Connection: keep-alive may keep the connection, and says so when it does',
    rfc: 'RFC 9112 §9.3; RFC 9112 Appendix C.2.2',
    level: 'informational',
    request: one(
      'GET /hello.txt HTTP/1.0\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\nGET /style.css HTTP/1.0\r\nHost: localhost\r\n\r\n',
    ),
    accept: OK,
    check: (ctx) => {
      const rs = ctx.exchange.responses;
      const first = rs[0];
      if (rs.length < 2 || !first) return 'the connection was not kept alive for the second HTTP/1.0 request';
      if (!connectionOptions(first).includes('keep-alive'))
        return 'the connection persisted but the first response did not say Connection: keep-alive, which an HTTP/1.0 client needs to know';
      return inOrder([file(200, 'hello.txt'), file(200, 'style.css')])(ctx);
    },
    notes:
      'RFC 9112 §9.3: honouring HTTP/1.0 keep-alive is up to the recipient ("and the recipient wishes to honor the HTTP/1.0 "keep-alive" mechanism"). Reported only.',
  },
  {
    id: 'persistence-many-sequential',
    name: 'Twenty requests on one connection, each sent after the previous response, are all answered',
    rfc: 'RFC 9112 §9.3',
    level: 'SHOULD',
    request: parts(
      Array.from({ length: 20 }, (_, i) => (i === 19 ? getClose('/hello.txt') : get('/hello.txt'))),
      30,
    ),
    accept: OK,
    check: all(responsesCount(20), inOrder(Array.from({ length: 20 }, () => file(200, 'hello.txt')))),
    notes: SUSTAIN_SHOULD + ' ' + PERSIST,
  },
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'persistence-http10-closes': ['COMP-HTTP10-DEFAULT-CLOSE'],
  'persistence-pipeline-2': ['SMUG-PIPELINE-SAFE'],
});
