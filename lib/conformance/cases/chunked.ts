/**
 * The group chunked: the chunked transfer coding read as RFC 9112 §7.1 writes it (sizes, extensions,
 * trailers, the last chunk), and malformed chunks rejected rather than guessed at, since a lenient
 * chunk parser is half of a smuggling pair.
 */
import type { CaseDefinition } from '../types.ts';
import {
  CLIENT_ERROR,
  CLOSE,
  OK,
  PROBE,
  SUCCESS,
  TIMEOUT,
  bodyEquals,
  bytewise,
  chunked,
  file,
  getClose,
  inOrder,
  noSecondResponse,
  one,
  rejected,
  rejectedAndClosed,
  status,
  whenStatus,
  ANY_STATUS,
  answeredAlone,
  bodyCase,
  bodyIncomplete,
  bodyRefused,
  followUpsAnswered,
  CHUNKED_MUST,
  READ_WHOLE_BODY,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const HEAD = 'POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n';
/** A chunked POST /echo whose body is given raw. */
const chunkedPost = (rawBody: string, extraFields = '') => `${HEAD}${extraFields}\r\n${rawBody}`;

const DECODE =
  'RFC 9112 §7.1: "A recipient MUST be able to parse and decode the chunked transfer coding." The grammar: "chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF", "chunk-size = 1*HEXDIG".';

const OVERFLOW =
  'RFC 9112 §7.1: "recipients MUST anticipate potentially large hexadecimal numerals and prevent parsing errors due to integer conversion overflows or precision loss due to integer representation."';

const GRAMMAR_400 =
  'RFC 9112 §2.2: a server that receives octets that do not match the HTTP-message grammar "SHOULD respond with a 400 (Bad Request) response and close the connection."';

/** Echo of a valid chunked body, then the probe answered on the same connection. */
/**
 * A trailer field that would change the framing: either the body "hello" is echoed and the
 * pipelined GET /style.css answered as itself, or the request is refused and the connection closed.
 */
const trailerIgnoredOrRefused: NonNullable<CaseDefinition['check']> = (ctx) => {
  const first = ctx.exchange.responses[0];
  if (first?.status === 200) return inOrder([{ status: 200, body: { text: 'hello' } }, file(200, 'style.css')])(ctx);
  return rejectedAndClosed(ctx);
};

function valid(
  id: string,
  name: string,
  rawBody: string,
  expected: string,
  notes: string,
  level: CaseDefinition['level'] = 'MUST',
): CaseDefinition {
  return bodyCase(
    {
      id: `chunked-${id}`,
      name,
      rfc: 'RFC 9112 §7.1',
      level,
      request: one(chunkedPost(rawBody) + getClose('/style.css')),
      accept: OK,
      check: inOrder([{ status: 200, body: { text: expected } }, file(200, 'style.css')]),
      notes,
    },
    followUpsAnswered([file(200, 'style.css')]),
  );
}

/** A malformed chunked body followed by a probe: rejected, closed, probe unanswered. */
function malformed(
  id: string,
  name: string,
  rawBody: string,
  notes: string,
  level: CaseDefinition['level'] = 'MUST',
): CaseDefinition {
  // With echo the target reads the body, so the server has to decode it before it can answer,
  // and the refusal is demanded of the POST itself. Without echo the server may answer from the
  // head (a 404, a 405), so what proves the decoder is that the probe after the body is never
  // served and the connection is closed.
  return bodyCase(
    {
      id: `chunked-${id}`,
      name,
      rfc: 'RFC 9112 §7.1',
      level,
      request: one(chunkedPost(rawBody) + PROBE),
      accept: rejected,
      check: rejectedAndClosed,
      notes,
    },
    bodyRefused,
  );
}

export const cases: CaseDefinition[] = [
  valid(
    'basic',
    'A chunked body is decoded and the next request read after its last chunk',
    chunked(['hello']),
    'hello',
    DECODE,
  ),
  valid(
    'several-chunks',
    'A body of several chunks is decoded in order',
    chunked(['hel', 'lo', ' wor', 'ld']),
    'hello world',
    DECODE,
  ),
  valid(
    'hex-sizes-both-cases',
    'Chunk sizes in upper- and lower-case hex are both read',
    `A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n`,
    '0123456789abcdefghij',
    `HEXDIG is case-insensitive (RFC 5234 §B.1). ${DECODE}`,
  ),
  valid(
    'leading-zeros',
    'Chunk sizes with leading zeros are read',
    `0005\r\nhello\r\n000\r\n\r\n`,
    'hello',
    `RFC 9112 §7.1: "last-chunk = 1*("0") [ chunk-ext ] CRLF". ${DECODE}`,
  ),
  valid(
    'extension-ignored',
    'A chunk extension is ignored',
    `5;name=value\r\nhello\r\n0;end=1\r\n\r\n`,
    'hello',
    'RFC 9112 §7.1.1: "A recipient MUST ignore unrecognized chunk extensions."',
  ),
  valid(
    'extension-quoted-value',
    'A chunk extension with a quoted value holding ";" and spaces is ignored',
    `5;name="a ; b"\r\nhello\r\n0\r\n\r\n`,
    'hello',
    'RFC 9112 §7.1.1: "chunk-ext-val = token / quoted-string"; "A recipient MUST ignore unrecognized chunk extensions."',
  ),
  valid(
    'extension-without-value',
    'A chunk extension with a name and no value is ignored',
    `5;flag\r\nhello\r\n0\r\n\r\n`,
    'hello',
    `RFC 9112 §7.1.1: "chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )": the "=" and its value are optional. "A recipient MUST ignore unrecognized chunk extensions."`,
  ),
  valid(
    'extension-bad-whitespace',
    'Bad whitespace (BWS) around a chunk extension\'s ";" and "=" is read and removed',
    `5 ; name = value\r\nhello\r\n0\r\n\r\n`,
    'hello',
    'RFC 9112 §7.1.1: "chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )", and RFC 9110 §5.6.3: "A sender MUST NOT generate BWS in messages. A recipient MUST parse for such bad whitespace and remove it before interpreting the protocol element."',
  ),
  valid(
    'trailer-fields',
    'Trailer fields after the last chunk are read (and may be dropped)',
    chunked(['hello'], ['X-Gauntlet-Trailer: 1']),
    'hello',
    `RFC 9112 §7.1.2: "A recipient that removes the chunked coding from a message MAY selectively retain or discard the received trailer fields." ${DECODE}`,
  ),
  valid(
    'many-small-chunks',
    'A body of 1000 one-byte chunks is decoded',
    chunked(Array.from({ length: 1000 }, (_, i) => String.fromCharCode(97 + (i % 26)))),
    Array.from({ length: 1000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(''),
    DECODE,
  ),
  bodyCase(
    {
      id: 'chunked-coding-name-case-insensitive',
      name: 'The transfer coding name "Chunked" is the chunked coding',
      rfc: 'RFC 9112 §7',
      level: 'MUST',
      request: one(
        'POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n' +
          chunked(['hello']),
      ),
      accept: OK,
      check: bodyEquals('hello'),
      notes:
        CHUNKED_MUST +
        ' ' +
        'RFC 9112 §7: "All transfer-coding names are case-insensitive", so "Chunked" names the chunked coding.',
    },
    answeredAlone(),
  ),
  bodyCase(
    {
      id: 'chunked-bytewise',
      name: 'A chunked request written one byte at a time is decoded exactly',
      rfc: 'RFC 9112 §7.1; RFC 9112 §2.2',
      level: 'MUST',
      request: bytewise(chunkedPost(chunked(['hello', ' world']), 'Connection: close\r\n'), 5),
      accept: OK,
      check: bodyEquals('hello world'),
      timeoutMs: 3000,
      notes: `Chunk-size lines, data and CRLFs split across reads. ${DECODE}`,
    },
    answeredAlone(),
  ),
  bodyCase(
    {
      id: 'chunked-trailer-content-length-ignored',
      name: 'A Content-Length in the trailer section never changes the framing',
      rfc: 'RFC 9110 §6.5.1; RFC 9112 §7.1.2',
      level: 'MUST',
      request: one(chunkedPost(chunked(['hello'], ['Content-Length: 50'])) + getClose('/style.css')),
      accept: [status(200), ...rejected],
      check: trailerIgnoredOrRefused,
      notes:
        'RFC 9110 §6.5.1: "Many fields cannot be processed outside the header section because their evaluation is necessary prior to receiving the content, such as those that describe message framing" and "a recipient MUST NOT merge a trailer field into a header section unless the recipient understands the corresponding header field definition and that definition explicitly permits and defines how trailer field values can be safely merged." A server may also refuse such a trailer.',
    },
    followUpsAnswered([file(200, 'style.css')], { mayRefuse: true }),
  ),
  bodyCase(
    {
      id: 'chunked-trailer-transfer-encoding-ignored',
      name: 'A Transfer-Encoding in the trailer section never changes the framing',
      rfc: 'RFC 9110 §6.5.1; RFC 9112 §7.1.2',
      level: 'MUST',
      request: one(chunkedPost(chunked(['hello'], ['Transfer-Encoding: chunked'])) + getClose('/style.css')),
      accept: [status(200), ...rejected],
      check: trailerIgnoredOrRefused,
      notes:
        'RFC 9112 §7.1.2: "A recipient MUST NOT merge a received trailer field into the header section unless its corresponding header field definition explicitly permits and instructs how the trailer field value can be safely merged."' +
        ' ' +
        'RFC 9110 §6.5.1: fields "that describe message framing" cannot be processed as trailers; merging them into the header section is forbidden.',
    },
    followUpsAnswered([file(200, 'style.css')], { mayRefuse: true }),
  ),
  bodyCase(
    {
      id: 'chunked-trailer-malformed',
      name: 'A malformed trailer line is rejected',
      rfc: 'RFC 9112 §7.1.2',
      level: 'SHOULD',
      request: one(chunkedPost('5\r\nhello\r\n0\r\nnot a field\r\n\r\n') + PROBE),
      accept: rejected,
      check: rejectedAndClosed,
      notes: `RFC 9112 §7.1.2: "trailer-section = *( field-line CRLF )"; a line without a colon is not a field line. ${GRAMMAR_400}`,
    },
    bodyRefused,
  ),
  bodyCase(
    {
      id: 'chunked-missing-last-chunk',
      name: 'A chunked body without its last chunk is never answered as complete',
      rfc: 'RFC 9112 §7.1; RFC 9112 §8',
      level: 'MUST',
      request: one(chunkedPost('5\r\nhello\r\n')),
      accept: [TIMEOUT, CLOSE, CLIENT_ERROR],
      timeoutMs: 3000,
      notes:
        CHUNKED_MUST +
        ' ' +
        'RFC 9112 §8: "A message body that uses the chunked transfer coding is incomplete if the zero-sized chunk that terminates the encoding has not been received." Waiting, 408 or a close are all fine.',
    },
    bodyIncomplete,
  ),
  bodyCase(
    {
      id: 'chunked-missing-final-crlf',
      name: 'A chunked body missing the empty line after the last chunk is never answered as complete',
      rfc: 'RFC 9112 §7.1',
      level: 'MUST',
      request: one(chunkedPost('5\r\nhello\r\n0\r\n')),
      accept: [TIMEOUT, CLOSE, CLIENT_ERROR],
      timeoutMs: 3000,
      notes:
        CHUNKED_MUST +
        ' ' +
        READ_WHOLE_BODY +
        ' ' +
        'RFC 9112 §7.1: "chunked-body = *chunk last-chunk trailer-section CRLF": the final CRLF belongs to the message. A server that answers here leaves the CRLF to be read as the start of the next request.',
    },
    bodyIncomplete,
  ),
  malformed(
    'size-hex-prefix',
    'A chunk size written "0x5" is rejected',
    '0x5\r\nhello\r\n0\r\n\r\n',
    `A parser that stops at the first non-HEXDIG reads "0", the last chunk, and then "hello" as the next request; strtol with base 0 reads 5. ${DECODE}`,
  ),
  malformed(
    'size-plus',
    'A chunk size written "+5" is rejected',
    '+5\r\nhello\r\n0\r\n\r\n',
    `strtol and parseInt accept a sign. ${DECODE}`,
  ),
  malformed(
    'size-minus',
    'A negative chunk size is rejected',
    '-5\r\nhello\r\n0\r\n\r\n',
    `A signed size wraps to huge or goes negative. ${DECODE}`,
  ),
  malformed(
    'size-underscore',
    'A chunk size written "0_5" is rejected',
    '0_5\r\nhello\r\n0\r\n\r\n',
    `int("0_5", 16) is 5 in Python. ${DECODE}`,
  ),
  malformed(
    'size-leading-space',
    'A chunk size with a leading space is rejected',
    ' 5\r\nhello\r\n0\r\n\r\n',
    `The grammar allows no whitespace before chunk-size. ${DECODE}`,
  ),
  malformed(
    'size-empty',
    'An empty chunk-size line is rejected',
    '\r\nhello\r\n0\r\n\r\n',
    `1*HEXDIG needs a digit; read as 0 it ends the body early. ${DECODE}`,
  ),
  malformed('size-not-hex', 'A chunk size that is not hex ("g") is rejected', 'g\r\nhello\r\n0\r\n\r\n', DECODE),
  bodyCase(
    {
      id: 'chunked-size-overflow',
      name: 'A chunk size of 2^64+5 is never read as 5',
      rfc: 'RFC 9112 §7.1',
      level: 'MUST',
      request: one(chunkedPost('10000000000000005\r\nhello\r\n0\r\n\r\n') + PROBE),
      accept: [status(400), status(413), status(408), CLOSE, TIMEOUT],
      check: noSecondResponse,
      timeoutMs: 3000,
      notes: `0x10000000000000005 wraps to 5 in 64 bits. Refusing (400, 413) or waiting for the bytes are both correct. ${OVERFLOW}`,
    },
    { accept: [ANY_STATUS, CLOSE, TIMEOUT], check: noSecondResponse },
  ),
  malformed(
    'data-longer-than-size',
    'Chunk data longer than its size (no CRLF after the data) is rejected',
    '5\r\nhelloXX\r\n0\r\n\r\n',
    `The data must be followed by CRLF; skipping to the next line end resynchronises where another parser does not. ${DECODE}`,
  ),
  malformed(
    'data-shorter-than-size',
    'Chunk data shorter than its size is rejected or waited for, never ended early',
    '7\r\nhello\r\n0\r\n\r\n',
    `Seven octets are "hello\\r\\n"; the next line "0" is then where CRLF must be. ${DECODE}`,
  ),
  malformed(
    'size-line-bare-cr',
    'A chunk-size line ending in a bare CR followed by other bytes is rejected',
    '5\rX\r\nhello\r\n0\r\n\r\n',
    'RFC 9112 §2.2: "A recipient of such a bare CR MUST consider that element to be invalid or replace each bare CR with SP before processing the element". Replaced by SP the line is "5 X", which is not a chunk-size line either.',
  ),
  malformed(
    'size-line-bare-lf',
    'A chunk-size line ending in a bare LF is rejected',
    '5\nhello\r\n0\r\n\r\n',
    `Only the start-line and field lines may end in a bare LF (RFC 9112 §2.2: "the line terminator for the start-line and fields is the sequence CRLF, a recipient MAY recognize a single LF"); chunk lines end in CRLF. ${GRAMMAR_400}`,
    'SHOULD',
  ),
  malformed(
    'data-bare-lf',
    'Chunk data followed by a bare LF instead of CRLF is rejected',
    '5\r\nhello\n0\r\n\r\n',
    `chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF. ${GRAMMAR_400}`,
    'SHOULD',
  ),
  malformed(
    'last-chunk-bare-lf',
    'A last chunk line ending in a bare LF is rejected',
    '5\r\nhello\r\n0\n\r\n',
    `last-chunk = 1*("0") [ chunk-ext ] CRLF. ${GRAMMAR_400}`,
    'SHOULD',
  ),
  malformed(
    'extension-bare-semicolon',
    'A chunk extension that is only ";" is rejected',
    '5;\r\nhello\r\n0\r\n\r\n',
    `RFC 9112 §7.1.1: "chunk-ext-name = token": a name is required after ";". ${GRAMMAR_400}`,
    'SHOULD',
  ),
  malformed(
    'extension-control-char',
    'A control character in a chunk extension is rejected',
    '5;a=\x01b\r\nhello\r\n0\r\n\r\n',
    `A chunk-ext-val is a token or a quoted-string; neither holds controls. ${GRAMMAR_400}`,
    'SHOULD',
  ),
  malformed(
    'extension-bare-lf',
    'A bare LF inside a chunk extension is rejected, never taken as the end of the line',
    '5;a\nb\r\nhello\r\n0\r\n\r\n',
    `A parser that skips the extension up to CRLF and one that stops at LF disagree about where the data starts. ${GRAMMAR_400}`,
    'SHOULD',
  ),
  {
    id: 'chunked-parameter-on-coding',
    name: 'Transfer-Encoding "chunked;q=1" (a parameter on chunked) is treated as an error',
    rfc: 'RFC 9112 §7.1',
    level: 'SHOULD',
    request: one(HEAD.replace('chunked', 'chunked;q=1') + '\r\n' + chunked(['hello']) + PROBE),
    accept: [status(400), status(501), CLOSE],
    check: rejectedAndClosed,
    notes:
      'RFC 9112 §7.1: "The chunked coding does not define any parameters. Their presence SHOULD be treated as an error."',
  },
  bodyCase(
    {
      id: 'chunked-then-pipelined-after-trailers',
      name: 'The request after a chunked body with trailers is read from the right place',
      rfc: 'RFC 9112 §7.1.2',
      level: 'MUST',
      notes: CHUNKED_MUST + ' ' + READ_WHOLE_BODY,
      request: one(chunkedPost(chunked(['hello'], ['X-A: 1', 'X-B: 2'])) + getClose('/style.css')),
      accept: OK,
      check: inOrder([{ status: 200, body: { text: 'hello' } }, file(200, 'style.css')]),
    },
    followUpsAnswered([file(200, 'style.css')]),
  ),
  bodyCase(
    {
      id: 'chunked-size-line-too-long-extension',
      name: 'A chunk extension of 64 KiB is refused or ignored, and the server keeps serving',
      rfc: 'RFC 9112 §7.1.1',
      level: 'MUST',
      request: one(chunkedPost(`5;x=${'a'.repeat(64 * 1024)}\r\nhello\r\n0\r\n\r\n`, 'Connection: close\r\n')),
      accept: [SUCCESS, CLIENT_ERROR, CLOSE],
      check: whenStatus(200, 299, bodyEquals('hello')),
      thenAlive: true,
      notes:
        CHUNKED_MUST +
        ' ' +
        'RFC 9112 §7.1.1: "A server ought to limit the total length of chunk extensions received in a request to an amount reasonable for the services provided, in the same way that it applies length limitations and timeouts for other parts of a message, and generate an appropriate 4xx (Client Error) response if that amount is exceeded." Unbounded extension buffering has been a denial of service in several servers.',
    },
    answeredAlone({ mayRefuse: true }),
  ),
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'chunked-basic': ['COMP-CHUNKED-BODY'],
  'chunked-several-chunks': ['COMP-CHUNKED-MULTI'],
  'chunked-missing-last-chunk': ['COMP-CHUNKED-NO-FINAL'],
  'chunked-extension-ignored': ['COMP-CHUNKED-EXTENSION'],
  'chunked-trailer-fields': ['COMP-CHUNKED-TRAILER-VALID'],
  'chunked-hex-sizes-both-cases': ['COMP-CHUNKED-HEX-UPPERCASE'],
  'chunked-size-overflow': ['MAL-CHUNK-SIZE-OVERFLOW'],
  'chunked-size-line-too-long-extension': ['MAL-CHUNK-EXT-64K'],
  'chunked-extension-bare-semicolon': ['SMUG-CHUNK-BARE-SEMICOLON'],
  'chunked-size-underscore': ['SMUG-CHUNK-UNDERSCORE'],
  'chunked-size-hex-prefix': ['SMUG-CHUNK-HEX-PREFIX'],
  'chunked-size-plus': ['SMUG-CHUNK-SIZE-PLUS'],
  'chunked-size-leading-space': ['SMUG-CHUNK-LEADING-SP'],
  'chunked-data-longer-than-size': ['SMUG-CHUNK-SPILL', 'SMUG-CHUNK-MISSING-TRAILING-CRLF'],
  'chunked-extension-bare-lf': ['SMUG-CHUNK-EXT-LF'],
  'chunked-data-bare-lf': ['SMUG-CHUNK-LF-TERM'],
  'chunked-extension-control-char': ['SMUG-CHUNK-EXT-CTRL'],
  'chunked-size-line-bare-cr': ['SMUG-CHUNK-EXT-CR', 'SMUG-CHUNK-BARE-CR-TERM'],
  'chunked-size-minus': ['SMUG-CHUNK-NEGATIVE'],
  'chunked-trailer-content-length-ignored': ['SMUG-TRAILER-CL'],
  'chunked-trailer-transfer-encoding-ignored': ['SMUG-TRAILER-TE'],
});
