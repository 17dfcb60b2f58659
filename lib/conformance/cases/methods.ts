/**
 * The group methods: GET, HEAD, POST, OPTIONS and unknown methods answered as RFC 9110 §9 says
 * (HEAD without a body, 501 or 405 for what is not implemented).
 */
import type { CaseDefinition } from '../types.ts';
import {
  CLOSE,
  OK,
  SUCCESS,
  all,
  allowOn405,
  bodyEquals,
  bodyEqualsFile,
  getClose,
  hasHeader,
  head,
  nothingAfterHead,
  one,
  post,
  req,
  rootFile,
  status,
  statusRange,
  whenStatus,
  GET_MUST,
  READ_WHOLE_BODY,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const ALLOW_405 =
  'RFC 9110 §15.5.6: "The 405 (Method Not Allowed) status code indicates that the method received in the request-line is known by the origin server but not supported by the target resource. The origin server MUST generate an Allow header field in a 405 response containing a list of the target resource\'s currently supported methods."';

const HEAD_NO_CONTENT =
  'RFC 9110 §9.3.2: "The HEAD method is identical to GET except that the server MUST NOT send content in the response."';

export const cases: CaseDefinition[] = [
  {
    id: 'methods-get-file',
    name: "GET of a file under the root returns 200 with exactly the file's bytes",
    rfc: 'RFC 9110 §9.3.1',
    level: 'MUST',
    request: one(getClose('/hello.txt')),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes:
      GET_MUST +
      ' ' +
      'RFC 9110 §9.3.1: "The GET method requests transfer of a current selected representation for the target resource." Serving the document root is the Gauntlet server contract and the baseline every other case builds on.',
  },
  {
    id: 'methods-get-directory-index',
    name: 'GET / returns 200',
    rfc: 'RFC 9110 §9.3.1',
    level: 'informational',
    request: one(getClose('/')),
    accept: OK,
    check: bodyEqualsFile('index.html'),
    notes:
      GET_MUST +
      ' ' +
      'Serving index.html for "/" is a convention, not an RFC rule; the liveness probe relies on GET / answering 200.',
  },
  {
    id: 'methods-get-missing-404',
    name: 'GET of a file that does not exist returns 404',
    rfc: 'RFC 9110 §15.5.5',
    level: 'informational',
    request: one(getClose('/gauntlet-no-such-file.txt')),
    accept: [status(404), status(410)],
    notes:
      'RFC 9110 §15.5.5: "The 404 (Not Found) status code indicates that the origin server did not find a current representation for the target resource". 410 (Gone) is the permanent variant. No RFC sentence obliges this exact answer, hence SHOULD.',
  },
  {
    id: 'methods-head-no-content',
    name: 'A response to HEAD carries no content',
    rfc: 'RFC 9110 §9.3.2',
    level: 'MUST',
    request: one(head('/hello.txt')),
    accept: OK,
    check: nothingAfterHead,
    methods: ['HEAD'],
    notes: HEAD_NO_CONTENT,
  },
  {
    id: 'methods-head-404-no-content',
    name: 'A 404 response to HEAD carries no content',
    rfc: 'RFC 9110 §9.3.2',
    level: 'MUST',
    request: one(head('/gauntlet-no-such-file.txt')),
    accept: [status(404), status(410)],
    check: nothingAfterHead,
    methods: ['HEAD'],
    notes: `${HEAD_NO_CONTENT} Error pages are built by other code paths, which often forget HEAD.`,
  },
  {
    id: 'methods-head-same-content-length',
    name: 'A response to HEAD announces the same Content-Length as GET would',
    rfc: 'RFC 9110 §9.3.2; RFC 9110 §8.6',
    level: 'SHOULD',
    request: one(head('/hello.txt')),
    accept: OK,
    check: ({ exchange }) => {
      const r = exchange.responses[0];
      const cl = r?.headers.filter(([n]) => n.toLowerCase() === 'content-length').map(([, v]) => v.trim());
      if (!cl || cl.length === 0) return null;
      return cl.every((v) => v === '16')
        ? null
        : `HEAD announced Content-Length ${cl.join(', ')} but GET /hello.txt has 16 bytes`;
    },
    methods: ['HEAD'],
    notes:
      'RFC 9110 §9.3.2: "The server SHOULD send the same header fields in response to a HEAD request as it would have sent if the request method had been GET. However, a server MAY omit header fields for which a value is determined only while generating the content." RFC 9110 §8.6: "A server MAY send a Content-Length header field in a response to a HEAD request ... a server MUST NOT send Content-Length in such a response unless its field value equals the decimal number of octets that would have been sent in the content of a response if the same request had used the GET method."',
  },
  {
    id: 'methods-head-content-length-never-wrong',
    name: 'A Content-Length sent in a HEAD response equals the length of the GET content',
    rfc: 'RFC 9110 §8.6',
    level: 'MUST',
    request: one(head('/index.html')),
    accept: OK,
    check: (ctx) => {
      const r = ctx.exchange.responses[0];
      const cl = r?.headers.filter(([n]) => n.toLowerCase() === 'content-length').map(([, v]) => v.trim());
      if (!cl || cl.length === 0) return null;
      const want = String(rootFile(ctx, 'index.html').length);
      return cl.every((v) => v === want)
        ? null
        : `HEAD announced Content-Length ${cl.join(', ')} but GET /index.html has ${want} bytes`;
    },
    methods: ['HEAD'],
    notes:
      'RFC 9110 §8.6: "a server MUST NOT send Content-Length in such a response unless its field value equals the decimal number of octets that would have been sent in the content of a response if the same request had used the GET method." A HEAD answered with Content-Length: 0 is the usual slip.',
  },
  {
    id: 'methods-post-echo',
    name: 'POST /echo returns the request content',
    rfc: 'RFC 9110 §9.3.3',
    level: 'MUST',
    request: one(post('/echo', 'hello, gauntlet', { Connection: 'close' })),
    accept: OK,
    check: bodyEquals('hello, gauntlet'),
    needs: ['echo'],
    notes:
      READ_WHOLE_BODY +
      ' ' +
      'The echo resource is part of the Gauntlet server contract; the framing cases read request bodies through it.',
  },
  {
    id: 'methods-unknown-501',
    name: 'A method the server does not recognise is answered 501',
    rfc: 'RFC 9110 §9.1',
    level: 'SHOULD',
    request: one(req('GAUNTLET /hello.txt HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: [status(501)],
    notes:
      'RFC 9110 §9.1: "An origin server that receives a request method that is unrecognized or not implemented SHOULD respond with the 501 (Not Implemented) status code."',
  },
  {
    id: 'methods-case-sensitive',
    name: 'Methods are case-sensitive: "get" is not GET',
    rfc: 'RFC 9110 §9.1; RFC 9112 §3.1',
    level: 'SHOULD',
    request: one(req('get /hello.txt HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: [statusRange(400, 599), CLOSE],
    notes:
      'RFC 9110 §9.1: "The method token is case-sensitive because it might be used as a gateway to object-based systems with case-sensitive method names." RFC 9112 §3.1: "The request method is case-sensitive." "get" is therefore an unknown method, and RFC 9110 §9.1: "An origin server that receives a request method that is unrecognized or not implemented SHOULD respond with the 501 (Not Implemented) status code." The case rests on that SHOULD (any refusal passes); serving it as GET is what it catches.',
  },
  {
    id: 'methods-post-to-file-405-allow',
    name: 'A 405 answer to POST on a static file lists the allowed methods in Allow',
    rfc: 'RFC 9110 §15.5.6',
    level: 'MUST',
    request: one(post('/hello.txt', 'hello', { Connection: 'close' })),
    accept: [statusRange(200, 599), CLOSE],
    check: allowOn405,
    notes: `Any answer is accepted (a server may accept POST on files, or refuse it with another status); a 405 must carry Allow, and any other answer is n/a. ${ALLOW_405}`,
  },
  {
    id: 'methods-trace-405-allow',
    name: 'A 405 answer to TRACE lists the allowed methods in Allow',
    rfc: 'RFC 9110 §15.5.6',
    level: 'MUST',
    request: one(req('TRACE /hello.txt HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: [statusRange(200, 599), CLOSE],
    check: allowOn405,
    notes: `TRACE is a registered method, so a server that does not offer it answers 405 (known, not allowed) or 501; only a 405 is tested, any other answer is n/a. ${ALLOW_405}`,
  },
  {
    id: 'methods-options-asterisk',
    name: 'OPTIONS * is answered with a success status',
    rfc: 'RFC 9110 §9.3.7',
    level: 'informational',
    request: one(req('OPTIONS * HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: [SUCCESS],
    notes:
      'RFC 9110 §9.3.7: "An OPTIONS request with an asterisk ("*") as the request-target applies to the server in general rather than to a specific resource." Supporting OPTIONS is optional.',
  },
  {
    id: 'methods-options-allow',
    name: 'A successful OPTIONS response for a file lists its methods in Allow',
    rfc: 'RFC 9110 §9.3.7',
    level: 'informational',
    request: one(req('OPTIONS /hello.txt HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: [SUCCESS],
    check: all(hasHeader('Allow')),
    notes:
      'RFC 9110 §9.3.7: "A server generating a successful response to OPTIONS SHOULD send any header that might indicate optional features implemented by the server and applicable to the target resource (e.g., Allow)". OPTIONS itself is optional, so this is reported only.',
  },
  {
    id: 'methods-get-echo-not-allowed',
    name: 'GET on the POST-only echo resource is refused, with Allow if the answer is 405',
    rfc: 'RFC 9110 §15.5.6',
    level: 'MUST',
    request: one(getClose('/echo')),
    accept: [statusRange(400, 499)],
    check: whenStatus(405, 405, hasHeader('Allow')),
    needs: ['echo'],
    notes: ALLOW_405,
  },
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'methods-get-directory-index': ['COMP-BASELINE'],
  'methods-options-asterisk': ['COMP-OPTIONS-STAR'],
  'methods-case-sensitive': ['COMP-METHOD-CASE'],
  'methods-post-echo': ['COMP-POST-CL-BODY'],
  'methods-head-no-content': ['COMP-HEAD-NO-BODY'],
  'methods-unknown-501': ['COMP-UNKNOWN-METHOD'],
  'methods-post-to-file-405-allow': ['COMP-405-ALLOW'],
  'methods-options-allow': ['COMP-OPTIONS-ALLOW'],
});
