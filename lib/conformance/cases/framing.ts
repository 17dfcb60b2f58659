/**
 * The group framing: how a server finds where a request body ends (Content-Length, Transfer-Encoding,
 * both, neither; RFC 9112 §6), the requirement request smuggling hinges on.
 */
import type { CaseDefinition } from '../types.ts';
import {
  ANY_STATUS,
  CLIENT_ERROR,
  CLOSE,
  OK,
  PROBE,
  SUCCESS,
  TIMEOUT,
  all,
  bodyEquals,
  bodyEqualsFile,
  bytewise,
  chunked,
  closesConnection,
  getClose,
  inOrder,
  file,
  noSecondResponse,
  one,
  parts,
  rejected,
  answered400,
  rejectedAndClosed,
  req,
  splitAfter,
  status,
  statusRange,
  whenStatus,
  answeredAlone,
  bodyCase,
  bodyIncomplete,
  bodyRefused,
  followUpsAnswered,
  CL_UNRECOVERABLE,
  GRAMMAR_SHOULD_400,
  OCTETS,
  READ_WHOLE_BODY,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const CL_INVALID =
  'RFC 9112 §6.3: "If a message is received without Transfer-Encoding and with an invalid Content-Length header field, then the message framing is invalid and the recipient MUST treat it as an unrecoverable error, unless the field value can be successfully parsed as a comma-separated list (Section 5.6.1 of [HTTP]), all values in the list are valid, and all values in the list are the same ... If the unrecoverable error is in a request message, the server MUST respond with a 400 (Bad Request) status code and then close the connection." RFC 9110 §8.6: "Content-Length = 1*DIGIT".';

const CL_OVERFLOW =
  'RFC 9110 §8.6: "a recipient MUST anticipate potentially large decimal numerals and prevent parsing errors due to integer conversion overflows or precision loss due to integer conversion (Section 17.5)."';

const TE_NOT_FINAL =
  'RFC 9112 §6.3: "If a Transfer-Encoding header field is present in a request and the chunked transfer coding is not the final encoding, the message body length cannot be determined reliably; the server MUST respond with the 400 (Bad Request) status code and then close the connection."';

const TE_UNKNOWN =
  'RFC 9112 §6.1: "A server that receives a request message with a transfer coding it does not understand SHOULD respond with 501 (Not Implemented)."';

/** POST /echo with the given raw Content-Length value, the body "hello", then a probe request. */
function badLength(id: string, name: string, value: string, notes = ''): CaseDefinition {
  return {
    id: `framing-cl-${id}`,
    name,
    rfc: 'RFC 9112 §6.3; RFC 9110 §8.6',
    level: 'MUST',
    request: one(`POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${value}\r\n\r\nhello` + PROBE),
    accept: answered400,
    check: rejectedAndClosed,
    notes: `${notes}${notes ? ' ' : ''}${CL_INVALID}`,
  };
}

/** POST /echo with raw Content-Length lines, "hello", a probe: a merged identical value may be served. */
function lengthLines(lines: string[]): string {
  return `POST /echo HTTP/1.1\r\nHost: localhost\r\n${lines.map((l) => l + '\r\n').join('')}\r\nhello` + PROBE;
}

/** Served as "hello" followed by the probe, or rejected and closed. */
const echoThenProbeOrRejected = (ctx: Parameters<NonNullable<CaseDefinition['check']>>[0]) => {
  const first = ctx.exchange.responses[0];
  if (first && first.status === 200)
    return all(
      bodyEquals('hello', 0),
      inOrder([{ status: 200, body: { text: 'hello' } }, file(200, 'style.css')]),
    )(ctx);
  return rejectedAndClosed(ctx);
};

const hello = (fields: Record<string, string | number>) =>
  req('POST /echo HTTP/1.1', { Host: 'localhost', ...fields }, 'hello');

export const cases: CaseDefinition[] = [
  // ---- Content-Length delimits the body, and what follows is the next request --------------
  bodyCase(
    {
      id: 'framing-cl-body-then-next-request',
      name: 'With Content-Length: 5 the body is exactly 5 bytes and the bytes after it are the next request',
      rfc: 'RFC 9112 §6.2; RFC 9112 §6.3',
      level: 'MUST',
      request: one(hello({ 'Content-Length': 5 }) + getClose('/style.css')),
      accept: OK,
      check: inOrder([{ status: 200, body: { text: 'hello' } }, file(200, 'style.css')]),
      notes:
        READ_WHOLE_BODY +
        ' ' +
        'RFC 9112 §6.3: "If a valid Content-Length header field is present without Transfer-Encoding, its decimal value defines the expected message body length in octets."',
    },
    followUpsAnswered([file(200, 'style.css')]),
  ),
  bodyCase(
    {
      id: 'framing-cl-zero-then-next-request',
      name: 'With Content-Length: 0 there is no body and the next bytes are the next request',
      rfc: 'RFC 9112 §6.3',
      level: 'MUST',
      request: one(req('POST /echo HTTP/1.1', { Host: 'localhost', 'Content-Length': 0 }) + getClose('/style.css')),
      accept: OK,
      check: inOrder([{ status: 200, body: { text: '' } }, file(200, 'style.css')]),
      notes:
        'RFC 9112 §6.3: the decimal value "defines the expected message body length in octets"; 0 is a valid length. The GET after it is a request of its own, and RFC 9112 §9.3.2: "A server MAY process a sequence of pipelined requests in parallel if they all have safe methods (Section 9.2.1 of [HTTP]), but it MUST send the corresponding responses in the same order that the requests were received." A server that waits for a body the length says is not there answers neither.',
    },
    followUpsAnswered([file(200, 'style.css')]),
  ),
  bodyCase(
    {
      id: 'framing-no-length-means-no-body',
      name: 'A request with neither Content-Length nor Transfer-Encoding has no body: the next bytes are the next request',
      rfc: 'RFC 9112 §6.3',
      level: 'MUST',
      request: one(req('POST /echo HTTP/1.1', { Host: 'localhost' }) + getClose('/style.css')),
      accept: [status(200), status(411)],
      check: whenStatus(200, 200, inOrder([{ status: 200, body: { text: '' } }, file(200, 'style.css')])),
      notes:
        'RFC 9112 §9.3.2: "A server MAY process a sequence of pipelined requests in parallel if they all have safe methods (Section 9.2.1 of [HTTP]), but it MUST send the corresponding responses in the same order that the requests were received." RFC 9112 §6.3: "If this is a request message and none of the above are true, then the message body length is zero (no message body is present)." A server may instead insist on a length: RFC 9110 §15.5.12 "The 411 (Length Required) status code indicates that the server refuses to accept the request without a defined Content-Length". Reading until the close would swallow the next request.',
    },
    followUpsAnswered([file(200, 'style.css')]),
  ),
  {
    id: 'framing-get-body-consumed',
    name: 'A body on a GET is framed by its Content-Length like any other and never read as the next request',
    rfc: 'RFC 9112 §6.3',
    level: 'MUST',
    request: one(
      req('GET /hello.txt HTTP/1.1', { Host: 'localhost', 'Content-Length': 5 }, 'hello') + getClose('/style.css'),
    ),
    accept: [SUCCESS, CLIENT_ERROR, CLOSE],
    check: (ctx) => {
      const first = ctx.exchange.responses[0];
      if (first && first.status >= 200 && first.status < 300)
        return inOrder([file(200, 'hello.txt'), file(200, 'style.css')])(ctx);
      return rejectedAndClosed(ctx);
    },
    notes:
      READ_WHOLE_BODY +
      ' ' +
      'Message framing does not depend on the method (RFC 9112 §6.3). RFC 9110 §9.3.1: "content received in a GET request has no generally defined semantics"; a server may refuse such a request, but one that ignores the Content-Length parses "hello" as the start of the next request.',
  },
  bodyCase(
    {
      id: 'framing-cl-leading-zeros',
      name: 'A Content-Length with a leading zero ("010") is ten, in decimal',
      rfc: 'RFC 9110 §8.6; RFC 9112 §6.3',
      level: 'MUST',
      request: one(
        req('POST /echo HTTP/1.1', { Host: 'localhost', 'Content-Length': '010' }, 'helloworld') +
          getClose('/style.css'),
      ),
      accept: OK,
      check: inOrder([{ status: 200, body: { text: 'helloworld' } }, file(200, 'style.css')]),
      notes:
        'RFC 9110 §8.6: "Content-Length = 1*DIGIT"; leading zeros are digits, and RFC 9112 §6.3: "If a valid Content-Length header field is present without Transfer-Encoding, its decimal value defines the expected message body length in octets." "010" is 10 in decimal and 8 in octal: a server that reads it with strtol base 0 frames 8 bytes and parses "ld" as the start of the next request; one that rejects it refuses valid framing. RFC 9112 §9.3 for the next request: "A server MUST read the entire request message body or close the connection after sending its response", and the body is 10 octets.',
    },
    followUpsAnswered([file(200, 'style.css')]),
  ),
  bodyCase(
    {
      id: 'framing-cl-surrounding-whitespace',
      name: 'Spaces around the Content-Length value are not part of it',
      rfc: 'RFC 9112 §5.1; RFC 9110 §8.6',
      level: 'MUST',
      request: one(
        'POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length:   5  \r\n\r\nhello' + getClose('/style.css'),
      ),
      accept: OK,
      check: inOrder([{ status: 200, body: { text: 'hello' } }, file(200, 'style.css')]),
      notes:
        'RFC 9110 §5.5: "a field parsing implementation MUST exclude such whitespace prior to evaluating the field value." (Tabs as OWS are covered by header-fields-value-htab-trimmed.)',
    },
    followUpsAnswered([file(200, 'style.css')]),
  ),
  badLength(
    'plus-sign',
    'A Content-Length of "+5" is invalid and rejected',
    '+5',
    'strtol and parseInt read "+5" as 5.',
  ),
  badLength(
    'minus-sign',
    'A negative Content-Length is invalid and rejected',
    '-5',
    'A signed parse may go negative or wrap to huge.',
  ),
  badLength(
    'hex',
    'A Content-Length of "0x5" is invalid and rejected',
    '0x5',
    'Number("0x5") is 5 in JavaScript; base-0 strtol reads hex.',
  ),
  badLength('underscore', 'A Content-Length of "0_5" is invalid and rejected', '0_5', 'int("0_5") is 5 in Python.'),
  badLength(
    'empty',
    'An empty Content-Length is invalid and rejected',
    '',
    'Zero digits is not 1*DIGIT; reading it as 0 leaves "hello" to be parsed as the next request.',
  ),
  badLength(
    'internal-space',
    'A Content-Length of "0 5" is invalid and rejected',
    '0 5',
    'A parser that stops at the space reads 0; one that drops spaces reads 5.',
  ),
  badLength('decimal-point', 'A Content-Length of "5.0" is invalid and rejected', '5.0', 'parseFloat reads 5.'),
  badLength('exponent', 'A Content-Length of "5e0" is invalid and rejected', '5e0', 'Number("5e0") is 5.'),
  badLength('quoted', 'A quoted Content-Length is invalid and rejected', '"5"'),
  badLength(
    'trailing-letters',
    'A Content-Length of "5abc" is invalid and rejected',
    '5abc',
    'atoi and parseInt stop at the first non-digit and read 5.',
  ),
  badLength(
    'comma-list-differing',
    'A Content-Length list with different values ("5, 6") is rejected',
    '5, 6',
    'RFC 9110 §8.6 allows merging only a list of identical values.',
  ),
  badLength(
    'comma-list-with-empty',
    'A Content-Length list with an invalid member ("5, x") is rejected',
    '5, x',
    'Every member of the list must be valid.',
  ),
  {
    id: 'framing-cl-repeated-lines-differing',
    name: 'Two Content-Length lines with different values are rejected',
    rfc: 'RFC 9112 §6.3; RFC 9110 §8.6',
    level: 'MUST',
    request: one(lengthLines(['Content-Length: 5', 'Content-Length: 6'])),
    accept: answered400,
    check: rejectedAndClosed,
    notes: `A front end that takes the first and a back end that takes the last disagree on where the next request starts. ${CL_INVALID}`,
  },
  bodyCase(
    {
      id: 'framing-cl-comma-list-identical',
      name: 'A Content-Length list of identical values ("5, 5") is read as 5 or rejected, never misframed',
      rfc: 'RFC 9112 §6.3; RFC 9110 §8.6',
      level: 'MUST',
      request: one(lengthLines(['Content-Length: 5, 5'])),
      accept: [status(200), ...rejected],
      check: echoThenProbeOrRejected,
      notes:
        CL_UNRECOVERABLE +
        ' ' +
        `RFC 9110 §8.6: "a recipient of a Content-Length header field value consisting of the same decimal value repeated as a comma-separated list (e.g, "Content-Length: 42, 42") MAY either reject the message as invalid or replace that invalid field value with a single instance of the decimal value". Either answer passes.`,
    },
    followUpsAnswered([file(200, 'style.css')], { mayRefuse: true }),
  ),
  bodyCase(
    {
      id: 'framing-cl-repeated-lines-identical',
      name: 'Two identical Content-Length lines are read as one value or rejected, never misframed',
      rfc: 'RFC 9112 §6.3; RFC 9110 §8.6',
      level: 'MUST',
      request: one(lengthLines(['Content-Length: 5', 'Content-Length: 5'])),
      accept: [status(200), ...rejected],
      check: echoThenProbeOrRejected,
      notes:
        CL_UNRECOVERABLE +
        ' ' +
        'Repeated field lines combine into a list (RFC 9110 §5.3), here "5, 5", which RFC 9110 §8.6 lets a recipient reject or read as 5.',
    },
    followUpsAnswered([file(200, 'style.css')], { mayRefuse: true }),
  ),
  {
    id: 'framing-cl-overflow-20-digits',
    name: 'A 20-digit Content-Length never overflows into a small length',
    rfc: 'RFC 9110 §8.6; RFC 9112 §6.3',
    level: 'MUST',
    request: one(lengthLines(['Content-Length: 99999999999999999999'])),
    accept: [status(400), status(413), status(408), CLOSE, TIMEOUT],
    check: noSecondResponse,
    timeoutMs: 3000,
    notes: `The value is valid syntax but larger than any body the server will take: refusing it (400, 413) or waiting for the bytes (then timing out) are both correct. ${CL_OVERFLOW}`,
  },
  {
    id: 'framing-cl-overflow-wraps-to-5',
    name: 'A Content-Length of 2^64+5 is never read as 5',
    rfc: 'RFC 9110 §8.6; RFC 9112 §6.3',
    level: 'MUST',
    request: one(lengthLines(['Content-Length: 18446744073709551621'])),
    accept: [status(400), status(413), status(408), CLOSE, TIMEOUT],
    check: noSecondResponse,
    timeoutMs: 3000,
    notes: `18446744073709551621 mod 2^64 is 5: a 64-bit parser that wraps echoes "hello" and answers the probe. ${CL_OVERFLOW}`,
  },
  bodyCase(
    {
      id: 'framing-cl-body-too-short',
      name: 'A body shorter than its Content-Length is never answered as if it were complete',
      rfc: 'RFC 9112 §6.3; RFC 9112 §8',
      level: 'MUST',
      request: one(req('POST /echo HTTP/1.1', { Host: 'localhost', 'Content-Length': 10 }, 'hello')),
      accept: [TIMEOUT, CLOSE, CLIENT_ERROR],
      timeoutMs: 3000,
      notes:
        'RFC 9112 §6.3: "If the sender closes the connection or the recipient times out before the indicated number of octets are received, the recipient MUST consider the message to be incomplete and close the connection." Waiting, a 408 after a timeout, or a close are all fine; a 200 echoing 5 bytes is not.',
    },
    bodyIncomplete,
  ),
  {
    id: 'framing-error-no-resync',
    name: 'After an invalid Content-Length the server closes and never answers later bytes on that connection',
    rfc: 'RFC 9112 §6.3',
    level: 'MUST',
    request: parts(
      ['POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5x\r\n\r\nhello', getClose('/style.css')],
      300,
    ),
    accept: answered400,
    check: rejectedAndClosed,
    notes: `The valid request arrives 300 ms later, after the server has had time to answer the first: it must not be served. ${CL_INVALID}`,
  },

  // ---- Transfer-Encoding ----------------------------------------------------------------------
  bodyCase(
    {
      id: 'framing-te-and-cl-processed-by-te',
      name: 'With both Transfer-Encoding: chunked and Content-Length the request is rejected, or read as chunked and the connection then closed',
      rfc: 'RFC 9112 §6.1; RFC 9112 §6.3',
      level: 'MUST',
      request: one(
        req(
          'POST /echo HTTP/1.1',
          { Host: 'localhost', 'Content-Length': 3, 'Transfer-Encoding': 'chunked' },
          chunked(['hello']),
        ) + PROBE,
      ),
      accept: [status(200), ...rejected],
      check: all(whenStatus(200, 200, bodyEquals('hello')), rejectedAndClosed),
      notes:
        'RFC 9112 §6.1: "A server MAY reject a request that contains both Content-Length and Transfer-Encoding or process such a request in accordance with the Transfer-Encoding alone. Regardless, the server MUST close the connection after responding to such a request to avoid the potential attacks." RFC 9112 §6.3: "the Transfer-Encoding overrides the Content-Length".',
    },
    bodyRefused,
  ),
  {
    id: 'framing-te-chunked-not-final',
    name: 'Transfer-Encoding "chunked, gzip" (chunked not last) is answered 400 and the connection closed',
    rfc: 'RFC 9112 §6.3',
    level: 'MUST',
    request: one(
      req('POST /echo HTTP/1.1', { Host: 'localhost', 'Transfer-Encoding': 'chunked, gzip' }, chunked(['hello'])) +
        PROBE,
    ),
    accept: [status(400), status(501)],
    check: rejectedAndClosed,
    notes: `A server that does not implement gzip also falls under the 501 rule, so 501 is accepted next to the 400 the MUST names; both refuse and close. ${TE_NOT_FINAL} ${TE_UNKNOWN}`,
  },
  {
    id: 'framing-te-unknown-only',
    name: 'An unknown transfer coding alone ("gauntlet") is refused, never read as chunked or as no body',
    rfc: 'RFC 9112 §6.1; RFC 9112 §6.3',
    level: 'MUST',
    request: one(
      req('POST /echo HTTP/1.1', { Host: 'localhost', 'Transfer-Encoding': 'gauntlet' }, chunked(['hello'])) + PROBE,
    ),
    accept: [status(400), status(501)],
    check: rejectedAndClosed,
    notes: `Two rules apply and both refuse: chunked is not the final coding (400 and close, a MUST) and the coding is unknown (501, a SHOULD). ${TE_NOT_FINAL} ${TE_UNKNOWN}`,
  },
  {
    id: 'framing-te-identity',
    name: 'The retired "identity" transfer coding is refused, never read as "no coding"',
    rfc: 'RFC 9112 §6.1; RFC 9112 §6.3',
    level: 'MUST',
    request: one(
      req('POST /echo HTTP/1.1', { Host: 'localhost', 'Transfer-Encoding': 'identity', 'Content-Length': 5 }, 'hello') +
        PROBE,
    ),
    accept: [status(400), status(501)],
    check: rejectedAndClosed,
    notes: `"identity" was removed from HTTP/1.1 (RFC 7230) and is not registered for Transfer-Encoding; a server that still ignores it falls back to Content-Length where others refuse. ${TE_NOT_FINAL}`,
  },
  {
    id: 'framing-te-unknown-then-chunked-501',
    name: 'A transfer coding the server does not know ("gauntlet, chunked") is answered 501',
    rfc: 'RFC 9112 §6.1',
    level: 'SHOULD',
    request: one(
      req(
        'POST /echo HTTP/1.1',
        { Host: 'localhost', 'Transfer-Encoding': 'gauntlet, chunked', Connection: 'close' },
        chunked(['hello']),
      ),
    ),
    accept: [status(501)],
    check: noSecondResponse,
    notes: TE_UNKNOWN,
  },
  {
    id: 'framing-te-chunked-twice',
    name: 'Transfer-Encoding with chunked applied twice is refused',
    rfc: 'RFC 9112 §6.1',
    level: 'SHOULD',
    request: one(
      'POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n' +
        chunked(['hello']) +
        PROBE,
    ),
    accept: [status(400), status(501)],
    check: rejectedAndClosed,
    notes:
      GRAMMAR_SHOULD_400 +
      ' ' +
      'RFC 9112 §6.1: "A sender MUST NOT apply the chunked transfer coding more than once to a message body". The two lines combine into "chunked, chunked": decoding once leaves a body that is still chunked. No RFC sentence names the recipient\'s answer, so the general one applies (RFC 9112 §2.2: SHOULD 400 and close).',
  },
  {
    id: 'framing-te-http10-closes',
    name: 'Transfer-Encoding in an HTTP/1.0 request is faulty framing: the connection is closed after it',
    rfc: 'RFC 9112 §6.1',
    level: 'MUST',
    request: one(
      req(
        'POST /echo HTTP/1.0',
        { Host: 'localhost', Connection: 'keep-alive', 'Transfer-Encoding': 'chunked' },
        chunked(['hello']),
      ) + req('GET /style.css HTTP/1.0', { Host: 'localhost', Connection: 'keep-alive' }),
    ),
    accept: [ANY_STATUS, CLOSE],
    check: all(noSecondResponse, closesConnection),
    notes:
      'RFC 9112 §6.1: "A server or client that receives an HTTP/1.0 message containing a Transfer-Encoding header field MUST treat the message as if the framing is faulty, even if a Content-Length is present, and close the connection after processing the message." The client asks for keep-alive, so a close here is the server\'s own decision.',
  },

  // ---- Fragmentation: the same bytes, written in pieces ---------------------------------------
  {
    id: 'framing-split-bytewise',
    name: 'A request written one byte at a time is answered exactly like one written at once',
    rfc: 'RFC 9112 §2.2',
    level: 'MUST',
    request: bytewise(getClose('/hello.txt'), 5),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    timeoutMs: 3000,
    notes:
      OCTETS +
      ' ' +
      'TCP is a byte stream: a message may arrive in any number of reads (RFC 9112 §2.2 reads the message "as a sequence of octets"). Parsers that assume a whole head per read fail here.',
  },
  {
    id: 'framing-split-in-crlfcrlf',
    name: 'A request split between the CR and LF of its final empty line is answered normally',
    rfc: 'RFC 9112 §2.2',
    level: 'MUST',
    request: splitAfter(getClose('/hello.txt'), '\r\n\r', 0, 50),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes: OCTETS + ' ' + 'The end of the header section found only within one read misses "\\r\\n\\r" + "\\n".',
  },
  {
    id: 'framing-split-after-crlf-cr',
    name: "A request split right after its last field line's CRLF is answered normally",
    rfc: 'RFC 9112 §2.2',
    level: 'MUST',
    request: splitAfter(getClose('/hello.txt'), 'Connection: close\r\n', 0, 50),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes: OCTETS + ' ' + 'The first read ends with a complete field line and no empty line yet.',
  },
  {
    id: 'framing-split-between-header-lines',
    name: 'A request split between two field lines is answered normally',
    rfc: 'RFC 9112 §2.2',
    level: 'MUST',
    notes: OCTETS,
    request: splitAfter(getClose('/hello.txt'), 'Host: localhost\r\n', 0, 50),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
  },
  {
    id: 'framing-split-in-method',
    name: 'A request split inside its method is answered normally',
    rfc: 'RFC 9112 §2.2',
    level: 'MUST',
    notes: OCTETS,
    request: splitAfter(getClose('/hello.txt'), 'GE', 0, 50),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
  },
  {
    id: 'framing-split-request-line-cr-lf',
    name: 'A request split between the CR and LF that end the request line is answered normally',
    rfc: 'RFC 9112 §2.2',
    level: 'MUST',
    notes: OCTETS,
    request: splitAfter(getClose('/hello.txt'), 'HTTP/1.1\r', 0, 50),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
  },
  bodyCase(
    {
      id: 'framing-split-body-bytewise',
      name: 'A body written one byte at a time is read whole',
      rfc: 'RFC 9112 §6.2',
      level: 'MUST',
      notes: OCTETS + ' ' + READ_WHOLE_BODY,
      request: [
        { data: req('POST /echo HTTP/1.1', { Host: 'localhost', 'Content-Length': 11, Connection: 'close' }) },
        ...bytewise('hello world', 10).map((p) => ({ ...p, delayMs: 10 })),
      ],
      accept: OK,
      check: bodyEquals('hello world'),
    },
    answeredAlone(),
  ),
  bodyCase(
    {
      id: 'framing-split-head-and-body-together',
      name: 'A read holding the end of the head and the start of the body is split correctly',
      rfc: 'RFC 9112 §6.2',
      level: 'MUST',
      notes: OCTETS + ' ' + READ_WHOLE_BODY,
      request: splitAfter(
        req('POST /echo HTTP/1.1', { Host: 'localhost', 'Content-Length': 11, Connection: 'close' }, 'hello world'),
        '\r\n\r\nhel',
        0,
        50,
      ),
      accept: OK,
      check: bodyEquals('hello world'),
    },
    answeredAlone(),
  ),
  {
    id: 'framing-split-pipelined-mid-request-line',
    name: 'Two pipelined requests split inside the second request line are both answered',
    rfc: 'RFC 9112 §2.2; RFC 9112 §9.3.2',
    level: 'MUST',
    notes: OCTETS,
    request: splitAfter(
      req('GET /hello.txt HTTP/1.1', { Host: 'localhost' }) + getClose('/style.css'),
      'GET /sty',
      0,
      50,
    ),
    accept: OK,
    check: inOrder([file(200, 'hello.txt'), file(200, 'style.css')]),
  },
  {
    id: 'framing-status-for-oversized-declared-length',
    name: "A declared Content-Length far above the server's limit is refused or waited for, never answered as complete",
    rfc: 'RFC 9110 §8.6; RFC 9112 §6.3',
    level: 'MUST',
    request: one(req('POST /echo HTTP/1.1', { Host: 'localhost', 'Content-Length': 10 * 1024 * 1024 * 1024 }, 'hello')),
    accept: [statusRange(400, 499), CLOSE, TIMEOUT],
    check: noSecondResponse,
    timeoutMs: 3000,
    notes: `10 GiB declared, 5 bytes sent: a 32-bit length wraps to a small number and answers as if the 5 bytes were all. ${CL_OVERFLOW} RFC 9112 §6.3: "If the sender closes the connection or the recipient times out before the indicated number of octets are received, the recipient MUST consider the message to be incomplete and close the connection." Refusing the length with a 4xx (413: "The server MAY terminate the request, if the protocol version in use allows it; otherwise, the server MAY close the connection", RFC 9110 §15.5.14), closing, or waiting are all correct.`,
  },
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'framing-cl-plus-sign': ['RFC9112-6.1-CL-PLUS-SIGN'],
  'framing-te-unknown-only': ['COMP-UNKNOWN-TE-501'],
  'framing-cl-zero-then-next-request': ['COMP-POST-CL-ZERO'],
  'framing-no-length-means-no-body': ['COMP-POST-NO-CL-NO-TE'],
  'framing-cl-body-too-short': ['COMP-POST-CL-UNDERSEND'],
  'framing-get-body-consumed': ['COMP-GET-WITH-CL-BODY', 'SMUG-GET-CL-BODY-DESYNC'],
  'framing-cl-overflow-20-digits': ['MAL-CL-OVERFLOW'],
  'framing-cl-empty': ['MAL-CL-EMPTY'],
  'framing-status-for-oversized-declared-length': ['MAL-POST-CL-HUGE-NO-BODY'],
  'framing-te-and-cl-processed-by-te': ['SMUG-CL-TE-BOTH'],
  'framing-cl-repeated-lines-differing': ['SMUG-DUPLICATE-CL'],
  'framing-cl-leading-zeros': ['SMUG-CL-LEADING-ZEROS'],
  'framing-cl-minus-sign': ['SMUG-CL-NEGATIVE'],
  'framing-cl-surrounding-whitespace': ['SMUG-CL-EXTRA-LEADING-SP'],
  'framing-cl-comma-list-differing': ['SMUG-CL-COMMA-DIFFERENT'],
  'framing-te-chunked-not-final': ['SMUG-TE-NOT-FINAL-CHUNKED'],
  'framing-te-http10-closes': ['SMUG-TE-HTTP10'],
  'framing-cl-hex': ['SMUG-CL-HEX-PREFIX'],
  'framing-te-identity': ['SMUG-TE-IDENTITY'],
  'framing-cl-comma-list-identical': ['SMUG-CL-COMMA-SAME'],
  'framing-cl-underscore': ['SMUG-CL-UNDERSCORE'],
});
