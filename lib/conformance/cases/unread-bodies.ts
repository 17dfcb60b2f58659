/**
 * The group unread-bodies: content on requests whose method or target gives it no use (HEAD, GET,
 * OPTIONS, DELETE, a 404, a 405, an Expect answered from the head). A server that answers such a
 * request without reading its content must still skip it: the content is framed by Content-Length
 * or chunked whatever the method (RFC 9112 §6), and a request pipelined after it is answered as
 * itself, never mixed with the content.
 */
import type { CaseDefinition } from '../types.ts';
import {
  OK,
  chunked,
  inOrder,
  file,
  filler,
  getClose,
  one,
  parts,
  req,
  bodyCase,
  followUpsAnswered,
  type Expected,
  type FramingJudgement,
  READ_WHOLE_BODY,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const FRAMING_INDEPENDENT =
  'RFC 9112 §6: "The presence of a message body in a request is signaled by a Content-Length or Transfer-Encoding header field. Request message framing is independent of method semantics."';

const MAY_REJECT = (method: string, section: string) =>
  `RFC 9110 §${section}: "Although request message framing is independent of the method used, content received in a ${method} request has no generally defined semantics, cannot alter the meaning or target of the request, and might lead some implementations to reject the request and close the connection because of its potential as a request smuggling attack". So a 400 and a close pass; an answer followed by a misread next request does not.`;

const EXPECT_EARLY =
  'RFC 9110 §10.1.1: "A server MAY omit sending a 100 (Continue) response if it has already received some or all of the content for the corresponding request, or if the framing indicates that there is no content." and "A server that responds with a final status code before reading the entire request content SHOULD indicate whether it intends to close the connection (e.g., see Section 9.6 of [HTTP/1.1]) or continue reading the request content."';

const NOTES = `${READ_WHOLE_BODY} ${FRAMING_INDEPENDENT}`;

const CONTENT = 'hello';
/** Content that is itself a complete request: a server that does not skip it answers it. */
const REQUEST_AS_CONTENT = req('GET /data.json HTTP/1.1', { Host: 'localhost' });

/** The request pipelined after every body of this group, and what it must get. */
const NEXT = getClose('/style.css');
const NEXT_ANSWER: Expected[] = [file(200, 'style.css')];

/** Anything for the first request (a 400 and a close included), the follow-up answered as itself. */
const followUp: FramingJudgement = followUpsAnswered(NEXT_ANSWER, { mayRefuse: true });

/** A request line, Host, the framing fields, the content raw. */
function withContent(line: string, framing: Record<string, string | number>, content: string): string {
  return req(line, { Host: 'localhost', ...framing }, content);
}

const lengthOf = (content: string) => ({ 'Content-Length': content.length });
const CHUNKED = { 'Transfer-Encoding': 'chunked' };

interface Unread {
  id: string;
  name: string;
  rfc?: string;
  request: string | string[];
  notes?: string;
  methods?: string[];
}

/** A request with content nobody uses, then the follow-up: judged by the follow-up alone. */
function unread(u: Unread): CaseDefinition {
  return {
    id: `unread-bodies-${u.id}`,
    name: u.name,
    rfc: u.rfc ?? 'RFC 9112 §6.3; RFC 9112 §9.3',
    level: 'MUST',
    request: typeof u.request === 'string' ? one(u.request) : parts(u.request, 100),
    ...followUp,
    ...(u.methods ? { methods: u.methods } : {}),
    notes: u.notes ? `${u.notes} ${NOTES}` : NOTES,
  };
}

export const cases: CaseDefinition[] = [
  unread({
    id: 'head-content-length',
    name: 'A HEAD request with Content-Length content is answered, and the next request after the content is answered as itself',
    request: withContent('HEAD /hello.txt HTTP/1.1', lengthOf(CONTENT), CONTENT) + NEXT,
    notes: MAY_REJECT('HEAD', '9.3.2'),
  }),
  unread({
    id: 'head-chunked',
    name: 'A HEAD request with chunked content is answered, and the next request after the content is answered as itself',
    request: withContent('HEAD /hello.txt HTTP/1.1', CHUNKED, chunked([CONTENT])) + NEXT,
    notes: MAY_REJECT('HEAD', '9.3.2'),
  }),
  unread({
    id: 'head-content-is-a-request',
    name: 'Content of a HEAD request that looks like a request is never answered as one',
    request: withContent('HEAD /hello.txt HTTP/1.1', lengthOf(REQUEST_AS_CONTENT), REQUEST_AS_CONTENT) + NEXT,
    notes: `The content is "GET /data.json": a second response for data.json shows it was read as a request. ${MAY_REJECT('HEAD', '9.3.2')}`,
  }),
  unread({
    id: 'head-content-later',
    name: 'A HEAD answered before its content arrives still skips the content when it comes',
    request: [withContent('HEAD /hello.txt HTTP/1.1', lengthOf(CONTENT), ''), CONTENT + NEXT],
    notes: `The content and the next request follow the head 100 ms later, after the server may have answered. ${MAY_REJECT('HEAD', '9.3.2')}`,
  }),
  // A GET with Content-Length content then a follow-up is framing-get-body-consumed (framing.ts).
  unread({
    id: 'get-chunked',
    name: 'A GET with chunked content is answered, and the next request after the content is answered as itself',
    request: withContent('GET /hello.txt HTTP/1.1', CHUNKED, chunked(['hel', 'lo'])) + NEXT,
    notes: MAY_REJECT('GET', '9.3.1'),
  }),
  unread({
    id: 'get-chunked-with-trailer',
    name: 'A GET with chunked content and a trailer section is answered, and the next request is read after the trailers',
    request: withContent('GET /hello.txt HTTP/1.1', CHUNKED, chunked([CONTENT], ['X-Gauntlet-Checksum: 5'])) + NEXT,
    notes: MAY_REJECT('GET', '9.3.1'),
  }),
  unread({
    id: 'get-content-is-a-request',
    name: 'Content of a GET that looks like a request is never answered as one',
    request: withContent('GET /hello.txt HTTP/1.1', lengthOf(REQUEST_AS_CONTENT), REQUEST_AS_CONTENT) + NEXT,
    notes: `The content is "GET /data.json": a second response for data.json shows it was read as a request. ${MAY_REJECT('GET', '9.3.1')}`,
  }),
  unread({
    id: 'get-content-later',
    name: 'A GET answered before its content arrives still skips the content when it comes',
    request: [withContent('GET /hello.txt HTTP/1.1', lengthOf(CONTENT), ''), CONTENT + NEXT],
    notes: `The content and the next request follow the head 100 ms later, after the server may have answered. ${MAY_REJECT('GET', '9.3.1')}`,
  }),
  unread({
    id: 'get-large-content',
    name: 'A GET with 64 KiB of content is answered or refused, and its content is never read as requests',
    request:
      withContent('GET /hello.txt HTTP/1.1', { 'Content-Length': 65536 }, filler(65536, 'GET / HTTP/1.1\r\n')) + NEXT,
    notes: `The content is request lines over and over: any of them answered shows the content was parsed. ${MAY_REJECT('GET', '9.3.1')}`,
  }),
  unread({
    id: 'get-missing-file-content',
    name: 'A GET for a missing file with content gets its 404, and the next request after the content is answered as itself',
    request: withContent('GET /gauntlet-no-such-file.txt HTTP/1.1', lengthOf(CONTENT), CONTENT) + NEXT,
    notes: `An error page is often sent by code that never looks at the content. ${MAY_REJECT('GET', '9.3.1')}`,
  }),
  unread({
    id: 'options-content-length',
    name: 'An OPTIONS request with content is answered, and the next request after the content is answered as itself',
    rfc: 'RFC 9110 §9.3.7; RFC 9112 §9.3',
    request:
      withContent('OPTIONS /hello.txt HTTP/1.1', { 'Content-Type': 'text/plain', ...lengthOf(CONTENT) }, CONTENT) +
      NEXT,
    notes:
      'RFC 9110 §9.3.7: "A client that generates an OPTIONS request containing content MUST send a valid Content-Type header field describing the representation media type." Content is allowed on OPTIONS, so it is framed and skipped like any other.',
  }),
  unread({
    id: 'options-asterisk-chunked',
    name: 'An OPTIONS * request with chunked content is answered, and the next request after the content is answered as itself',
    rfc: 'RFC 9110 §9.3.7; RFC 9112 §9.3',
    request: withContent('OPTIONS * HTTP/1.1', { 'Content-Type': 'text/plain', ...CHUNKED }, chunked([CONTENT])) + NEXT,
    notes:
      'RFC 9110 §9.3.7: "A client that generates an OPTIONS request containing content MUST send a valid Content-Type header field describing the representation media type." The server-wide OPTIONS is answered without looking at a resource, the content still has to be read.',
  }),
  unread({
    id: 'delete-content-length',
    name: 'A DELETE with content is answered (405 on a read-only server), and the next request after the content is answered as itself',
    request: withContent('DELETE /hello.txt HTTP/1.1', lengthOf(CONTENT), CONTENT) + NEXT,
    notes: MAY_REJECT('DELETE', '9.3.5'),
  }),
  unread({
    id: 'delete-chunked',
    name: 'A DELETE with chunked content is answered, and the next request after the content is answered as itself',
    request: withContent('DELETE /hello.txt HTTP/1.1', CHUNKED, chunked([CONTENT])) + NEXT,
    notes: MAY_REJECT('DELETE', '9.3.5'),
  }),
  unread({
    id: 'post-to-file-content',
    name: 'A POST to a static file is refused (405) from its head, and the content is skipped before the next request',
    rfc: 'RFC 9110 §15.5.6; RFC 9112 §9.3',
    request: withContent('POST /hello.txt HTTP/1.1', lengthOf(REQUEST_AS_CONTENT), REQUEST_AS_CONTENT) + NEXT,
    notes:
      'A refusal decided from the head is the usual place to forget the content. RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a 405 response containing a list of the target resource\'s currently supported methods."',
  }),
  unread({
    id: 'expect-refused-content-at-once',
    name: 'A POST to a static file with Expect: 100-continue and its content sent at once: the refusal is sent and the content skipped',
    rfc: 'RFC 9110 §10.1.1; RFC 9112 §9.3',
    request:
      withContent(
        'POST /hello.txt HTTP/1.1',
        { Expect: '100-continue', ...lengthOf(REQUEST_AS_CONTENT) },
        REQUEST_AS_CONTENT,
      ) + NEXT,
    notes: `The client does not wait for the 100. A server that answers the refusal from the head and then reads on from the end of the head answers the content as a request. ${EXPECT_EARLY}`,
  }),
  unread({
    id: 'expect-missing-content-at-once',
    name: 'A POST to a missing file with Expect: 100-continue and its content sent at once: the 404 is sent and the content skipped',
    rfc: 'RFC 9110 §10.1.1; RFC 9112 §9.3',
    request:
      withContent(
        'POST /gauntlet-no-such-file.txt HTTP/1.1',
        { Expect: '100-continue', ...CHUNKED },
        chunked([CONTENT]),
      ) + NEXT,
    notes: EXPECT_EARLY,
  }),
  unread({
    id: 'expect-refused-content-later',
    name: 'A POST to a static file with Expect: 100-continue, refused from the head: content sent after the refusal is still skipped',
    rfc: 'RFC 9110 §10.1.1; RFC 9112 §9.3',
    request: [
      withContent('POST /hello.txt HTTP/1.1', { Expect: '100-continue', ...lengthOf(REQUEST_AS_CONTENT) }, ''),
      REQUEST_AS_CONTENT + NEXT,
    ],
    notes: `A client that did not see the refusal in time sends the content anyway, as RFC 9110 §10.1.1 allows. ${EXPECT_EARLY}`,
  }),
  bodyCase(
    {
      id: 'unread-bodies-expect-echo-content-at-once',
      name: 'POST /echo with Expect: 100-continue and its content in the same write is echoed, and the next request answered as itself',
      rfc: 'RFC 9110 §10.1.1; RFC 9112 §9.3',
      level: 'MUST',
      request: one(
        withContent('POST /echo HTTP/1.1', { Expect: '100-continue', ...CHUNKED }, chunked(['hel', 'lo'])) + NEXT,
      ),
      accept: OK,
      check: inOrder([{ status: 200, body: { text: CONTENT } }, ...NEXT_ANSWER]),
      notes: `${EXPECT_EARLY} ${NOTES}`,
    },
    followUpsAnswered(NEXT_ANSWER),
  ),
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'unread-bodies-head-content-length': ['SMUG-HEAD-CL-BODY'],
  'unread-bodies-options-content-length': ['SMUG-OPTIONS-CL-BODY', 'SMUG-OPTIONS-CL-BODY-DESYNC'],
});
