/**
 * The group trailers: the trailer section of a chunked request (RFC 9112 §7.1.2) is read to its
 * end and never acts as header fields (RFC 9110 §6.5): a Host, an Authorization, a Connection in
 * the trailers do not route, authenticate or close, and the request after the body is read from
 * the right place. chunked.ts holds the framing fields (Content-Length, Transfer-Encoding) in
 * trailers and the malformed line without a colon; this group holds the rest.
 */
import type { CaseDefinition } from '../types.ts';
import {
  ANY_STATUS,
  CLOSE,
  OK,
  bodyEquals,
  chunked,
  file,
  getClose,
  inOrder,
  one,
  parts,
  rejectedAndClosed,
  req,
  status,
  answeredAlone,
  bodyCase,
  bodyRefused,
  followUpsAnswered,
  type Check,
  CHUNKED_MUST,
  GRAMMAR_SHOULD_400,
  READ_WHOLE_BODY,
  SUSTAIN_SHOULD,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const NO_MERGE =
  'RFC 9112 §7.1.2: "A recipient MUST NOT merge a received trailer field into the header section unless its corresponding header field definition explicitly permits and instructs how the trailer field value can be safely merged."';

const NOT_OUTSIDE_HEADER =
  'RFC 9110 §6.5.1: "Many fields cannot be processed outside the header section because their evaluation is necessary prior to receiving the content, such as those that describe message framing, routing, authentication, request modifiers, response controls, or content format."';

const MAY_DISCARD =
  'RFC 9112 §7.1.2: "A recipient that removes the chunked coding from a message MAY selectively retain or discard the received trailer fields."';

const OBS_FOLD =
  'RFC 9112 §5.2: "A server that receives an obs-fold in a request message that is not within a "message/http" container MUST either reject the message by sending a 400 (Bad Request), preferably with a representation explaining that obsolete line folding is unacceptable, or replace each received obs-fold with one or more SP octets prior to interpreting the field value or forwarding the message downstream." The trailer section is made of field lines (RFC 9112 §7.1.2: "trailer-section = *( field-line CRLF )"), so the rule holds there too.';

const MERGE_NOTES = `${NO_MERGE} ${NOT_OUTSIDE_HEADER} ${MAY_DISCARD}`;

const CONTENT = 'hello';
const NEXT = getClose('/style.css');

/** POST /echo, chunked, with the given raw body, extra header field lines, then the follow-up. */
function chunkedEcho(rawBody: string, headerFields: Record<string, string> = {}): string {
  return req('POST /echo HTTP/1.1', { Host: 'localhost', ...headerFields, 'Transfer-Encoding': 'chunked' }, rawBody);
}

/** With echo: "hello" echoed, then the follow-up answered as itself. */
const echoedThenNext: Check = inOrder([{ status: 200, body: { text: CONTENT } }, file(200, 'style.css')]);

/** Either the trailer was taken (as echoedThenNext), or the request refused with a close. */
const takenOrRefused: Check = (ctx) =>
  ctx.exchange.responses[0]?.status === 200 ? echoedThenNext(ctx) : rejectedAndClosed(ctx);

interface Valid {
  id: string;
  name: string;
  trailers: string[];
  notes: string;
  rfc?: string;
  headerFields?: Record<string, string>;
  level?: CaseDefinition['level'];
  /** The chunked body written raw, when `chunked()` cannot write it. */
  rawBody?: string;
}

/**
 * A valid chunked body whose trailers must change nothing: "hello" is echoed (with echo), the
 * request is not refused, and the follow-up is answered as itself.
 */
function valid(v: Valid): CaseDefinition {
  return bodyCase(
    {
      id: `trailers-${v.id}`,
      name: v.name,
      rfc: v.rfc ?? 'RFC 9110 §6.5; RFC 9112 §7.1.2',
      level: v.level ?? 'MUST',
      request: one(chunkedEcho(v.rawBody ?? chunked([CONTENT], v.trailers), v.headerFields) + NEXT),
      accept: OK,
      check: echoedThenNext,
      notes: v.notes,
    },
    followUpsAnswered([file(200, 'style.css')]),
  );
}

export const cases: CaseDefinition[] = [
  valid({
    id: 'host-not-validated-as-header',
    name: "A Host trailer field with a value that is no host is not checked as the request's Host: the request is served",
    trailers: ['Host: not a host name'],
    notes: `The request's Host is in its header section; merged into it, this value makes the request look invalid and draws a 400. ${MERGE_NOTES}`,
  }),
  valid({
    id: 'host-not-a-second-host',
    name: 'A Host trailer field does not count as a second Host: the request is served',
    trailers: ['Host: localhost'],
    notes: `RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host header field and to any request message that contains more than one Host header field line" applies to header field lines; a trailer that is merged becomes a second one. ${MERGE_NOTES}`,
  }),
  valid({
    id: 'host-other-authority',
    name: 'A Host trailer field naming another authority does not reroute the request',
    trailers: ['Host: other.invalid'],
    notes: `Routing is decided from the header section before the content is read. ${MERGE_NOTES}`,
  }),
  valid({
    id: 'authorization-ignored',
    name: "An Authorization trailer field is not taken as the request's credentials: the request is served as it was",
    trailers: ['Authorization: Basic Z2F1bnRsZXQ6dHJhaWxlcg=='],
    notes: `Authentication is among the fields RFC 9110 §6.5.1 keeps out of trailers. ${MERGE_NOTES}`,
  }),
  valid({
    id: 'content-type-ignored',
    name: 'A Content-Type trailer field does not change how the content is read',
    trailers: ['Content-Type: multipart/form-data; boundary=gauntlet'],
    headerFields: { 'Content-Type': 'text/plain' },
    notes: `Content format is among the fields RFC 9110 §6.5.1 keeps out of trailers; read as a header, this one would make the content an invalid multipart body. ${MERGE_NOTES}`,
  }),
  valid({
    id: 'expect-ignored',
    name: 'An Expect trailer field is not acted on: the request is answered once, normally',
    trailers: ['Expect: gauntlet-unknown-expectation'],
    notes: `Request modifiers are among the fields RFC 9110 §6.5.1 keeps out of trailers; merged, this unknown expectation draws a 417. ${MERGE_NOTES}`,
  }),
  bodyCase(
    {
      id: 'trailers-connection-close-ignored',
      name: 'A "Connection: close" trailer field does not close the connection: the next request is answered',
      rfc: 'RFC 9110 §6.5; RFC 9112 §9.3',
      level: 'SHOULD',
      request: one(chunkedEcho(chunked([CONTENT], ['Connection: close'])) + NEXT),
      accept: OK,
      check: inOrder([{ status: 200, body: { text: CONTENT } }, file(200, 'style.css')], { all: true }),
      notes: `A server may close any connection, so closing here is not a MUST failure. ${SUSTAIN_SHOULD} ${NO_MERGE}`,
    },
    {
      accept: [ANY_STATUS],
      check: (ctx) =>
        inOrder([{ status: ctx.exchange.responses[0]?.status ?? 0 }, file(200, 'style.css')], { all: true })(ctx),
    },
  ),
  valid({
    id: 'declared-by-trailer-field',
    name: 'Trailer fields announced by a Trailer header field are read and the next request answered',
    rfc: 'RFC 9110 §6.6.2; RFC 9112 §7.1.2',
    headerFields: { Trailer: 'X-Gauntlet-Checksum, X-Gauntlet-Signature' },
    trailers: ['X-Gauntlet-Checksum: 5d41402abc4b2a76b9719d911017c592', 'X-Gauntlet-Signature: sig=:AAAA:'],
    notes: `RFC 9110 §6.6.2: "The "Trailer" header field provides a list of field names that the sender anticipates sending as trailer fields within that message. This allows a recipient to prepare for receipt of the indicated metadata before it starts processing the content." ${CHUNKED_MUST} ${READ_WHOLE_BODY}`,
  }),
  valid({
    id: 'many-fields',
    name: 'A trailer section of 30 fields is read to its end and the next request answered',
    trailers: Array.from({ length: 30 }, (_, i) => `X-Gauntlet-Trailer-${i}: ${'v'.repeat(20)}`),
    notes: `${CHUNKED_MUST} ${READ_WHOLE_BODY}`,
  }),
  valid({
    id: 'empty-value',
    name: 'A trailer field with an empty value is valid: the request is served',
    trailers: ['X-Gauntlet-Empty:', 'X-Gauntlet-Spaces:   '],
    notes: `RFC 9112 §5: "field-line = field-name ":" OWS field-value OWS" and RFC 9110 §5.5: "field-value = *field-content", so the value may be empty. ${CHUNKED_MUST}`,
  }),
  valid({
    id: 'after-last-chunk-extension',
    name: 'Trailers after a last chunk that carries an extension are read, and the next request answered',
    trailers: ['X-Gauntlet-After-Extension: 1'],
    rawBody: `5\r\n${CONTENT}\r\n0;gauntlet=last\r\nX-Gauntlet-After-Extension: 1\r\n\r\n`,
    notes: `RFC 9112 §7.1: "last-chunk = 1*("0") [ chunk-ext ] CRLF"; the extension is on the zero-size line, then the trailers. ${CHUNKED_MUST}`,
  }),
  bodyCase(
    {
      id: 'trailers-split-across-reads',
      name: 'A trailer section that arrives in pieces, split inside a field line, is read whole',
      rfc: 'RFC 9112 §7.1.2; RFC 9112 §2.2',
      level: 'MUST',
      request: parts(
        [chunkedEcho(`5\r\n${CONTENT}\r\n0\r\nX-Gauntlet-Sp`), 'lit: 1\r\nX-Gauntlet-B: 2\r', '\n\r\n' + NEXT],
        80,
      ),
      accept: OK,
      check: echoedThenNext,
      notes: `${CHUNKED_MUST} RFC 9112 §2.2: "A recipient MUST parse an HTTP message as a sequence of octets in an encoding that is a superset of US-ASCII [USASCII]."`,
    },
    followUpsAnswered([file(200, 'style.css')]),
  ),
  bodyCase(
    {
      id: 'trailers-get-host-trailer',
      name: 'A GET with chunked content and a Host trailer is served from its header Host, and the next request answered',
      rfc: 'RFC 9110 §6.5; RFC 9112 §7.1.2',
      level: 'MUST',
      request: one(
        req(
          'GET /hello.txt HTTP/1.1',
          { Host: 'localhost', 'Transfer-Encoding': 'chunked' },
          chunked([CONTENT], ['Host: not a host name']),
        ) + NEXT,
      ),
      accept: OK,
      check: inOrder([file(200, 'hello.txt'), file(200, 'style.css')]),
      notes: `A server may also refuse content on GET (RFC 9110 §9.3.1: it "might lead some implementations to reject the request and close the connection"): then 400 and a close pass. ${MERGE_NOTES}`,
    },
    followUpsAnswered([file(200, 'style.css')], { mayRefuse: true }),
  ),
  bodyCase(
    {
      id: 'trailers-obs-fold',
      name: 'An obs-fold in a trailer field is rejected with 400 or replaced by a space, never read as a line of its own',
      rfc: 'RFC 9112 §5.2; RFC 9112 §7.1.2',
      level: 'MUST',
      request: one(chunkedEcho(chunked([CONTENT], ['X-Gauntlet-Folded: one', ' GET /data.json HTTP/1.1'])) + NEXT),
      // "reject the message by sending a 400": a close without a response is no rejection the rule allows.
      accept: [status(200), status(400)],
      check: takenOrRefused,
      notes: `The folded line looks like a request line: a server that ends the trailers at the fold answers it. ${OBS_FOLD}`,
    },
    { accept: [ANY_STATUS], check: followUpsAnswered([file(200, 'style.css')], { mayRefuse: true }).check },
  ),
  bodyCase(
    {
      id: 'trailers-whitespace-before-colon',
      name: 'A trailer field line with whitespace before its colon is rejected with 400',
      rfc: 'RFC 9112 §5.1; RFC 9112 §7.1.2',
      level: 'SHOULD',
      request: one(chunkedEcho(chunked([CONTENT], ['X-Gauntlet-Spaced : 1'])) + NEXT),
      accept: [status(400), CLOSE],
      check: rejectedAndClosed,
      notes: `RFC 9112 §5.1: "No whitespace is allowed between the field name and colon." A trailer is not a header, so the MUST of RFC 9112 §5.1 about header field names is not claimed; the line is invalid syntax all the same. ${GRAMMAR_SHOULD_400}`,
    },
    bodyRefused,
  ),
  bodyCase(
    {
      id: 'trailers-not-in-echoed-content',
      name: 'The content of a chunked request does not include its trailer section',
      rfc: 'RFC 9112 §7.1',
      level: 'MUST',
      request: one(
        chunkedEcho(chunked(['hel', 'lo'], ['X-Gauntlet-Trailer: must-not-be-content']), { Connection: 'close' }),
      ),
      accept: OK,
      check: bodyEquals(CONTENT),
      notes: `RFC 9112 §7.1: "The chunked transfer coding wraps content in order to transfer it as a series of chunks, each with its own size indicator, followed by an OPTIONAL trailer section containing trailer fields." The trailer section follows the content; it is never part of it. ${CHUNKED_MUST}`,
    },
    answeredAlone(),
  ),
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'trailers-host-other-authority': ['SMUG-TRAILER-HOST'],
  'trailers-authorization-ignored': ['SMUG-TRAILER-AUTH'],
  'trailers-content-type-ignored': ['SMUG-TRAILER-CONTENT-TYPE'],
});
