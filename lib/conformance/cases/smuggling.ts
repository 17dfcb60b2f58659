/**
 * Request smuggling shapes: one request whose bytes hold a second request ("GET /style.css")
 * that a parser reading the framing the wrong way would answer. Whatever the server decides
 * about the outer request, a second status line means the inner one was smuggled through.
 */
import type { CaseDefinition } from '../types.ts';
import {
  ANY_STATUS,
  CLOSE,
  OK,
  TIMEOUT,
  bodyEquals,
  all,
  noSecondResponse,
  one,
  rejected,
  answered400,
  rejectedAndClosed,
  status,
  thenAlive,
  answeredAlone,
  bodyCase,
  CHUNKED_MUST,
  CL_UNRECOVERABLE,
  READ_WHOLE_BODY,
  SPACE_BEFORE_COLON,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

/** The request hidden inside the outer one. */
const INNER = 'GET /style.css HTTP/1.1\r\nHost: localhost\r\n\r\n';
/** A chunked body that ends at once, followed by the inner request. */
const CHUNKED_THEN_INNER = '0\r\n\r\n' + INNER;

const CL_TE =
  'RFC 9112 §6.1: "A server MAY reject a request that contains both Content-Length and Transfer-Encoding or process such a request in accordance with the Transfer-Encoding alone. Regardless, the server MUST close the connection after responding to such a request to avoid the potential attacks." RFC 9112 §11.2: "Request smuggling ... exploits differences in protocol parsing among various recipients to hide additional requests (which might otherwise be blocked or disabled by policy) within an apparently harmless request."';

const TE_NOT_CHUNKED =
  'RFC 9112 §6.3: "If a Transfer-Encoding header field is present in a request and the chunked transfer coding is not the final encoding, the message body length cannot be determined reliably; the server MUST respond with the 400 (Bad Request) status code and then close the connection." RFC 9112 §6.1: "A server that receives a request message with a transfer coding it does not understand SHOULD respond with 501 (Not Implemented)."';

/** POST /echo with raw field lines (after Host) and a raw body. */
const outer = (lines: string[], body: string) =>
  `POST /echo HTTP/1.1\r\nHost: localhost\r\n${lines.map((l) => l + '\r\n').join('')}\r\n${body}`;

/** A Content-Length that covers the chunked terminator and the inner request: one request under CL. */
const CL_ALL = `Content-Length: ${CHUNKED_THEN_INNER.length}`;

/** A Transfer-Encoding spelled so that it is not "chunked", next to a Content-Length covering everything. */
function disguisedTe(
  id: string,
  name: string,
  teLine: string,
  why: string,
  level: CaseDefinition['level'] = 'MUST',
): CaseDefinition {
  return {
    id: `smuggling-${id}`,
    name,
    rfc: 'RFC 9112 §6.1; RFC 9112 §6.3',
    level,
    request: one(outer([CL_ALL, teLine], CHUNKED_THEN_INNER)),
    accept: [status(400), status(501)],
    check: rejectedAndClosed,
    notes: `${why} The field is present but names no coding the server can decode, so the body length cannot be determined: refuse and close. ${TE_NOT_CHUNKED}`,
  };
}

export const cases: CaseDefinition[] = thenAlive([
  {
    id: 'smuggling-cl-te',
    name: 'Content-Length then Transfer-Encoding: rejected, or read as chunked and the connection closed, never two responses',
    rfc: 'RFC 9112 §6.1',
    level: 'MUST',
    request: one(outer(['Content-Length: 3', 'Transfer-Encoding: chunked'], CHUNKED_THEN_INNER)),
    accept: [ANY_STATUS, CLOSE],
    check: rejectedAndClosed,
    notes: `Read by Content-Length (3 bytes) the inner request follows; read as chunked it follows too, and the MUST-close keeps it unanswered. ${CL_TE}`,
  },
  {
    id: 'smuggling-te-cl',
    name: 'Transfer-Encoding then Content-Length: rejected, or read as chunked and the connection closed, never two responses',
    rfc: 'RFC 9112 §6.1',
    level: 'MUST',
    request: one(outer(['Transfer-Encoding: chunked', 'Content-Length: 3'], CHUNKED_THEN_INNER)),
    accept: [ANY_STATUS, CLOSE],
    check: rejectedAndClosed,
    notes: `The same as smuggling-cl-te with the fields in the other order; parsers that let the last framing field win differ here. ${CL_TE}`,
  },
  {
    id: 'smuggling-cl-te-covering',
    name: 'Transfer-Encoding with a Content-Length covering the hidden request: never two responses',
    rfc: 'RFC 9112 §6.1',
    level: 'MUST',
    request: one(outer([CL_ALL, 'Transfer-Encoding: chunked'], CHUNKED_THEN_INNER)),
    accept: [ANY_STATUS, CLOSE],
    check: rejectedAndClosed,
    notes: `The TE.CL shape: a front end using Content-Length forwards everything as one body; a back end using chunked answers the inner request unless it closes. ${CL_TE}`,
  },
  {
    id: 'smuggling-duplicate-cl',
    name: 'Two Content-Length fields (0 and the length of the hidden request) are rejected, never two responses',
    rfc: 'RFC 9112 §6.3',
    level: 'MUST',
    request: one(outer(['Content-Length: 0', `Content-Length: ${INNER.length}`], INNER)),
    accept: answered400,
    check: rejectedAndClosed,
    notes:
      'First-wins reads no body and answers the inner request; last-wins reads it as the body. RFC 9112 §6.3: an invalid Content-Length (differing values) "MUST treat it as an unrecoverable error ... the server MUST respond with a 400 (Bad Request) status code and then close the connection."',
  },
  {
    id: 'smuggling-cl-list',
    name: 'A Content-Length list "0, n" is rejected, never two responses',
    rfc: 'RFC 9112 §6.3',
    level: 'MUST',
    request: one(outer([`Content-Length: 0, ${INNER.length}`], INNER)),
    accept: answered400,
    check: rejectedAndClosed,
    notes:
      CL_UNRECOVERABLE + ' ' + 'RFC 9112 §6.3: a list is acceptable only when "all values in the list are the same".',
  },
  {
    id: 'smuggling-obs-fold-te',
    name: 'A Transfer-Encoding hidden in a folded line is never honoured next to a Content-Length',
    rfc: 'RFC 9112 §5.2',
    level: 'MUST',
    request: one(outer([CL_ALL, 'X-Gauntlet: a', ' Transfer-Encoding: chunked'], CHUNKED_THEN_INNER)),
    accept: [ANY_STATUS, CLOSE],
    check: noSecondResponse,
    notes:
      'RFC 9112 §5.2: a server "MUST either reject the message by sending a 400 (Bad Request) ... or replace each received obs-fold with one or more SP octets prior to interpreting the field value". Unfolded, X-Gauntlet is "a Transfer-Encoding: chunked" and Content-Length frames everything as one body.',
  },
  {
    id: 'smuggling-obs-fold-te-value',
    name: 'A Transfer-Encoding value folded onto the next line, next to a Content-Length: never two responses',
    rfc: 'RFC 9112 §5.2; RFC 9112 §6.1',
    level: 'MUST',
    request: one(outer(['Content-Length: 3', 'Transfer-Encoding:', ' chunked'], CHUNKED_THEN_INNER)),
    accept: [ANY_STATUS, CLOSE],
    check: rejectedAndClosed,
    notes: `Unfolded, the field is "Transfer-Encoding: chunked" next to a Content-Length, so the server rejects or reads chunked and closes; rejecting the fold closes too. ${CL_TE}`,
  },
  {
    id: 'smuggling-bare-lf-te',
    name: 'A Transfer-Encoding after a bare LF inside another field never yields two responses',
    rfc: 'RFC 9112 §2.2; RFC 9110 §5.5',
    level: 'MUST',
    request: one(outer([CL_ALL, 'X-Gauntlet: a\nTransfer-Encoding: chunked'], CHUNKED_THEN_INNER)),
    accept: [ANY_STATUS, CLOSE],
    check: noSecondResponse,
    notes: `Taken as a line end (RFC 9112 §2.2 MAY), the LF reveals Transfer-Encoding next to Content-Length: reject, or chunked and close. Inside the value, LF "MUST either reject the message or replace" it with SP (RFC 9110 §5.5), leaving Content-Length to frame one body. Every allowed reading answers once. ${CL_TE}`,
  },
  {
    id: 'smuggling-bare-cr-te',
    name: 'A Transfer-Encoding after a bare CR inside another field is never honoured',
    rfc: 'RFC 9112 §2.2',
    level: 'MUST',
    request: one(outer([CL_ALL, 'X-Gauntlet: a\rTransfer-Encoding: chunked'], CHUNKED_THEN_INNER)),
    accept: [ANY_STATUS, CLOSE],
    check: noSecondResponse,
    notes:
      'RFC 9112 §2.2: "A recipient of such a bare CR MUST consider that element to be invalid or replace each bare CR with SP before processing the element". A CR is never a line end on its own, so no Transfer-Encoding exists here.',
  },
  {
    id: 'smuggling-te-space-before-colon',
    name: '"Transfer-Encoding : chunked" (space before the colon) is answered 400',
    rfc: 'RFC 9112 §5.1',
    level: 'MUST',
    request: one(outer([CL_ALL, 'Transfer-Encoding : chunked'], CHUNKED_THEN_INNER)),
    accept: answered400,
    check: noSecondResponse,
    notes:
      'RFC 9112 §5.1: "A server MUST reject, with a response status code of 400 (Bad Request), any received request message that contains whitespace between a header field name and colon." A parser that trims the name honours a Transfer-Encoding that a strict front end does not see.',
  },
  {
    id: 'smuggling-te-tab-before-colon',
    name: '"Transfer-Encoding\\t: chunked" (tab before the colon) is answered 400',
    rfc: 'RFC 9112 §5.1',
    level: 'MUST',
    request: one(outer([CL_ALL, 'Transfer-Encoding\t: chunked'], CHUNKED_THEN_INNER)),
    accept: answered400,
    check: noSecondResponse,
    notes:
      SPACE_BEFORE_COLON +
      ' ' +
      'RFC 9112 §5.1 (MUST reject with 400 any whitespace between the field name and colon).',
  },
  disguisedTe(
    'te-nbsp-suffix',
    'Transfer-Encoding "chunked\\xa0" is not chunked: refused, never two responses',
    'Transfer-Encoding: chunked\xa0',
    '0xA0 is not whitespace in HTTP (OWS is SP and HTAB), so the coding is "chunked\\xa0", which no server knows.',
  ),
  disguisedTe(
    'te-vt-prefix',
    'Transfer-Encoding "\\x0bchunked" is not chunked: refused, never two responses',
    'Transfer-Encoding: \x0bchunked',
    'VT is not whitespace in HTTP and not allowed in a field value.',
  ),
  disguisedTe(
    'te-ff-suffix',
    'Transfer-Encoding "chunked\\x0c" is not chunked: refused, never two responses',
    'Transfer-Encoding: chunked\x0c',
    'FF is not whitespace in HTTP and not allowed in a field value.',
  ),
  disguisedTe(
    'te-xchunked',
    'Transfer-Encoding "xchunked" is not chunked: refused, never two responses',
    'Transfer-Encoding: xchunked',
    'A substring match on "chunked" accepts it.',
  ),
  disguisedTe(
    'te-quoted',
    'Transfer-Encoding "\\"chunked\\"" is not chunked: refused, never two responses',
    'Transfer-Encoding: "chunked"',
    'A transfer-coding is a token; a quoted-string is not one.',
  ),
  disguisedTe(
    'te-chunked-then-identity',
    'Transfer-Encoding lines "chunked" then "identity": chunked is not final, so refused',
    'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity',
    'The lines combine into "chunked, identity".',
  ),
  disguisedTe(
    'te-identity-then-chunked',
    'Transfer-Encoding lines "identity" then "chunked" are refused, never read as plain chunked',
    'Transfer-Encoding: identity\r\nTransfer-Encoding: chunked',
    'The lines combine into "identity, chunked": chunked is final, but "identity" is a coding the server cannot undo, so the SHOULD-501 applies; servers that skip "identity" read chunked where others used Content-Length.',
    'SHOULD',
  ),
  {
    id: 'smuggling-te-leading-comma',
    name: 'Transfer-Encoding ", chunked" next to a Content-Length: refused, or read as chunked and the connection closed',
    rfc: 'RFC 9112 §6.1; RFC 9110 §5.6.1',
    level: 'MUST',
    request: one(outer([CL_ALL, 'Transfer-Encoding: , chunked'], CHUNKED_THEN_INNER)),
    accept: [ANY_STATUS, CLOSE],
    check: rejectedAndClosed,
    notes: `RFC 9110 §5.6.1.2 lets a recipient ignore empty list elements ("Empty elements do not contribute to the count of elements present. A recipient MUST parse and ignore a reasonable number of empty list elements"), so ", chunked" may be read as chunked: then the Content-Length rule applies and the connection closes. ${CL_TE}`,
  },
  {
    id: 'smuggling-cr-lf-cr-ends-head',
    name: '"\\r\\n\\r" followed by a byte other than LF never ends the header section',
    rfc: 'RFC 9112 §2.2',
    level: 'MUST',
    request: one('GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r' + INNER),
    accept: rejected,
    check: noSecondResponse,
    notes:
      'RFC 9112 §2.2: a bare CR "MUST consider that element to be invalid or replace each bare CR with SP". Replaced by SP, the line " GET /style.css HTTP/1.1" is an obs-fold that is rejected, or unfolded into an invalid Host: 400 either way. A parser that ends the head at "\\r\\n\\r" answers hello.txt and then the inner request.',
  },
  {
    id: 'smuggling-chunk-size-wraps-to-zero',
    name: 'A chunk size of 2^64 is never read as 0 (the last chunk)',
    rfc: 'RFC 9112 §7.1',
    level: 'MUST',
    request: one(outer(['Transfer-Encoding: chunked'], '10000000000000000\r\n\r\n' + INNER)),
    accept: [ANY_STATUS, CLOSE, TIMEOUT],
    check: noSecondResponse,
    timeoutMs: 3000,
    notes:
      'Any answer to the outer request passes here (chunked-size-overflow checks the answer itself); the inner request must stay unanswered. Wrapped to 0, the size line is the last chunk, the empty line ends the trailers and the inner request is answered. RFC 9112 §7.1: "recipients MUST anticipate potentially large hexadecimal numerals and prevent parsing errors due to integer conversion overflows or precision loss due to integer representation."',
  },
  {
    id: 'smuggling-chunk-size-hex-prefix-zero',
    name: 'A chunk size "0x10" is never read as 0 (the last chunk)',
    rfc: 'RFC 9112 §7.1',
    level: 'MUST',
    request: one(
      outer(['Transfer-Encoding: chunked'], `0x${INNER.length.toString(16)}\r\n\r\n` + INNER + '\r\n0\r\n\r\n'),
    ),
    accept: [ANY_STATUS, CLOSE],
    check: noSecondResponse,
    notes:
      CHUNKED_MUST +
      ' ' +
      'A parser that reads hex digits until a non-digit sees "0" and ends the body; the inner request is then answered. Any answer to the outer request passes here (chunked-size-hex-prefix checks the answer itself). RFC 9112 §7.1: "chunk-size = 1*HEXDIG".',
  },
  bodyCase(
    {
      id: 'smuggling-request-in-body-is-data',
      name: 'A request inside a body framed by Content-Length is data, echoed, never answered',
      rfc: 'RFC 9112 §6.3',
      level: 'MUST',
      request: one(outer([`Content-Length: ${INNER.length}`, 'Connection: close'], INNER)),
      accept: OK,
      check: all(bodyEquals(INNER), noSecondResponse),
      notes:
        READ_WHOLE_BODY +
        ' ' +
        'The control for the cases above: with one unambiguous framing, the bytes of a request in the body are only content.',
    },
    answeredAlone(),
  ),
]);

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'smuggling-te-xchunked': ['SMUG-TE-XCHUNKED'],
  'smuggling-te-space-before-colon': ['SMUG-TE-SP-BEFORE-COLON'],
  'smuggling-cl-te': ['SMUG-CLTE-PIPELINE', 'SMUG-CLTE-CONN-CLOSE'],
  'smuggling-te-cl': ['SMUG-TECL-PIPELINE', 'SMUG-TECL-CONN-CLOSE'],
  'smuggling-te-leading-comma': ['SMUG-TE-LEADING-COMMA', 'SMUG-CLTE-SMUGGLED-GET-TE-LEADING-COMMA'],
  'smuggling-te-chunked-then-identity': ['SMUG-TE-DUPLICATE-HEADERS', 'SMUG-TE-DUPLICATE-HEADERS-SMUGGLED-GET'],
  'smuggling-te-vt-prefix': ['SMUG-TE-VTAB'],
  'smuggling-te-ff-suffix': ['SMUG-TE-FORMFEED'],
  'smuggling-obs-fold-te-value': ['SMUG-TE-OBS-FOLD'],
  'smuggling-cl-te-covering': ['SMUG-CLTE-DESYNC', 'SMUG-CLTE-SMUGGLED-GET'],
  'smuggling-duplicate-cl': ['SMUG-DUPLICATE-CL-SMUGGLED-GET'],
});
