/**
 * The group te-cl-variants: Transfer-Encoding and Content-Length spelled in many slightly wrong
 * (and a few slightly unusual but right) ways, generated from tables in the manner of mutation
 * lists (Http11Probe, http-garden). Each table is data, and one function turns a table into cases.
 *
 * Every request is built so that the readings a server can make disagree visibly: a chunked body
 * "hello" followed by a pipelined `GET /style.css` (with Connection: close), or a Content-Length
 * body "helloworld" followed by the same. A server that reads the odd field as chunked answers
 * the POST and then style.css; one that ignores it reads no body and answers "5\r\nhello..." as a
 * request of its own; one that refuses answers once and closes. Which of these is right depends on
 * the RFC sentence each table row rests on, quoted in its notes.
 */
import type { CaseDefinition, Outcome } from '../types.ts';
import type { Check } from './helpers.ts';
import {
  CLIENT_ERROR,
  CLOSE,
  OK,
  TIMEOUT,
  answered400,
  bodyCase,
  chunked,
  file,
  followUpsAnswered,
  getClose,
  inOrder,
  noSecondResponse,
  one,
  rejectedAndClosed,
  status,
  thenAlive,
  CHUNKED_MUST,
  CL_UNRECOVERABLE,
  GRAMMAR_SHOULD_400,
  PARSE_VALID,
  READ_WHOLE_BODY,
  SPACE_BEFORE_COLON,
} from './helpers.ts';

const PREFIX = 'te-cl-variants';

// ---------------------------------------------------------------------------
// The sentences the tables rest on
// ---------------------------------------------------------------------------

const OWS_EXCLUDED =
  'RFC 9110 §5.5: "a field parsing implementation MUST exclude such whitespace prior to evaluating the field value."';

const CR_LF_NUL =
  'RFC 9110 §5.5: "Field values containing CR, LF, or NUL characters are invalid and dangerous, due to the varying ways that implementations might parse and interpret those characters; a recipient of CR, LF, or NUL within a field value MUST either reject the message or replace each of those characters with SP before further processing or forwarding of that message."';

const BARE_CR =
  'RFC 9112 §2.2: "A recipient of such a bare CR MUST consider that element to be invalid or replace each bare CR with SP before processing the element or forwarding the message."';

const TE_NOT_FINAL =
  'RFC 9112 §6.3: "If a Transfer-Encoding header field is present in a request and the chunked transfer coding is not the final encoding, the message body length cannot be determined reliably; the server MUST respond with the 400 (Bad Request) status code and then close the connection."';

const TE_UNKNOWN =
  'RFC 9112 §6.1: "A server that receives a request message with a transfer coding it does not understand SHOULD respond with 501 (Not Implemented)."';

const OBS_FOLD =
  'RFC 9112 §5.2: "A server that receives an obs-fold in a request message that is not within a "message/http" container MUST either reject the message by sending a 400 (Bad Request), preferably with a representation explaining that obsolete line folding is unacceptable, or replace each received obs-fold with one or more SP octets prior to interpreting the field value or forwarding the message downstream."';

const HOST_INVALID =
  'RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host header field and to any request message that contains more than one Host header field line or a Host header field with an invalid field value."';

const EMPTY_ELEMENTS =
  'RFC 9110 §5.6.1.2: "A recipient MUST parse and ignore a reasonable number of empty list elements: enough to handle common mistakes by senders that merge values, but not so much that they could be used as a denial-of-service mechanism."';

const CODING_CASE =
  'RFC 9112 §7: "All transfer-coding names are case-insensitive and ought to be registered within the HTTP Transfer Coding registry".';

const CHUNKED_PARAMETERS =
  'RFC 9112 §7.1: "The chunked coding does not define any parameters. Their presence SHOULD be treated as an error."';

const CHUNKED_ONCE =
  'RFC 9112 §6.1: "A sender MUST NOT apply the chunked transfer coding more than once to a message body (i.e., chunking an already chunked message is not allowed)."';

const CL_INVALID_400 =
  CL_UNRECOVERABLE +
  ' RFC 9112 §6.3: "If the unrecoverable error is in a request message, the server MUST respond with a 400 (Bad Request) status code and then close the connection." RFC 9110 §8.6: "Content-Length = 1*DIGIT".';

const CL_DECIMAL =
  'RFC 9112 §6.3: "If a valid Content-Length header field is present without Transfer-Encoding, its decimal value defines the expected message body length in octets." RFC 9110 §8.6: "Content-Length = 1*DIGIT".';

const CL_LIST_MAY =
  'RFC 9110 §8.6: "a recipient of a Content-Length header field value consisting of the same decimal value repeated as a comma-separated list (e.g, "Content-Length: 42, 42") MAY either reject the message as invalid or replace that invalid field value with a single instance of the decimal value".';

const CL_OVERFLOW =
  'RFC 9110 §8.6: "a recipient MUST anticipate potentially large decimal numerals and prevent parsing errors due to integer conversion overflows or precision loss due to integer conversion (Section 17.5)."';

// ---------------------------------------------------------------------------
// Requests and judgements shared by the tables
// ---------------------------------------------------------------------------

/** The request after every body: answered as itself when the body was framed right. */
const FOLLOW_UP = getClose('/style.css');
const STYLE = file(200, 'style.css');

/** POST /echo with raw field lines after Host, a raw body, then FOLLOW_UP. */
function post(lines: string[], body: string): string {
  return `POST /echo HTTP/1.1\r\nHost: localhost\r\n${lines.map((l) => l + '\r\n').join('')}\r\n${body}${FOLLOW_UP}`;
}

/** A Transfer-Encoding line as written, with a chunked "hello" after the head. */
function withTe(teLine: string): string {
  return post([teLine], chunked(['hello']));
}

/** A byte as ids show it: two lower-case hex digits. */
export function hexOf(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

/** Text as names show it: every byte outside SP..~ written as \xNN. */
function shown(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\x${hexOf(c.charCodeAt(0))}`);
}

/** Read as chunked: with echo the POST answers "hello"; without, the follow-up is answered. */
function processedAsChunked(def: Omit<CaseDefinition, 'accept' | 'check'>): CaseDefinition {
  return bodyCase(
    { ...def, accept: OK, check: inOrder([{ status: 200, body: { text: 'hello' } }, STYLE]) },
    followUpsAnswered([STYLE]),
  );
}

/** Read as a body of `body` or refused with 400 and a close; never misframed. */
function processedOrRefused(def: Omit<CaseDefinition, 'accept' | 'check'>, body: string): CaseDefinition {
  const served = inOrder([{ status: 200, body: { text: body } }, STYLE]);
  const check: Check = (ctx) => (ctx.exchange.responses[0]?.status === 200 ? served(ctx) : rejectedAndClosed(ctx));
  return bodyCase(
    { ...def, accept: [status(200), status(400), CLOSE], check },
    followUpsAnswered([STYLE], { mayRefuse: true }),
  );
}

/** A framing the server cannot use: one of `accept` (a 400, a 501 for an unknown coding, a close), then a close. */
function refused(def: Omit<CaseDefinition, 'accept' | 'check'>, accept: Outcome[]): CaseDefinition {
  return { ...def, accept, check: rejectedAndClosed };
}

/**
 * A coding the server cannot use as the framing: RFC 9112 §6.3 says "MUST respond with the 400
 * (Bad Request) status code and then close the connection", §6.1 "SHOULD respond with 501" for a
 * coding it does not understand. Either is a response; a close without one is neither.
 */
const REFUSED_CODING: Outcome[] = [status(400), status(501)];

/** For a rule that asks only that the framing be "treated as an error": any refusal, a close too. */
const ERROR_CODING: Outcome[] = [status(400), status(501), CLOSE];

// ---------------------------------------------------------------------------
// Table 1: one byte inserted at one place of "Transfer-Encoding: chunked"
// ---------------------------------------------------------------------------

const PLAIN_TE = 'Transfer-Encoding: chunked';

/** Where the byte goes, and the field line it makes. */
export const TE_POSITIONS = {
  'before-name': (b: string) => `${b}Transfer-Encoding: chunked`,
  'in-name': (b: string) => `Transfer-${b}Encoding: chunked`,
  'after-name': (b: string) => `Transfer-Encoding${b}: chunked`,
  'after-colon': (b: string) => `Transfer-Encoding:${b}chunked`,
  'before-value': (b: string) => `Transfer-Encoding: ${b}chunked`,
  'in-value': (b: string) => `Transfer-Encoding: chun${b}ked`,
  'after-value': (b: string) => `Transfer-Encoding: chunked${b}`,
} as const;
export type TePosition = keyof typeof TE_POSITIONS;

/**
 * A representative set of 0x00-0x20 and 0x7f-0xff: NUL, two C0 controls, HTAB, VT, FF, CR, the
 * last C0 control, SP, DEL, and three of obs-text (0x80, NBSP, 0xff). LF is left out: it ends a
 * line, which the bare-LF cases of other groups are about.
 */
export const TE_BYTES = [0x00, 0x01, 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x1f, 0x20, 0x7f, 0x80, 0xa0, 0xff] as const;

/** How a server must read the line one (position, byte) makes: the decision of table 1. */
export type TeReading =
  /** Optional whitespace where OWS is allowed: the field is "chunked". */
  | 'chunked'
  /** NUL or CR at an end of the value: rejected, or replaced by SP and then "chunked". */
  | 'chunked-or-refused'
  /** The value names a coding that is not chunked: 400 or 501, and a close. */
  | 'coding-refused'
  /** Whitespace between the name and the colon: 400. */
  | 'space-before-colon'
  /** Whitespace at the start of a line: an obs-fold, 400 whichever way it is handled. */
  | 'obs-fold'
  /** A byte that makes the field name not a token: 400 and a close, as for any invalid syntax. */
  | 'bad-name';

const VALUE_POSITIONS: readonly TePosition[] = ['after-colon', 'before-value', 'in-value', 'after-value'];

/** The decision: which rule a byte at a position falls under. Pure. */
export function teReading(position: TePosition, byte: number): TeReading {
  const ows = byte === 0x20 || byte === 0x09;
  const replaceable = byte === 0x00 || byte === 0x0d;
  if (VALUE_POSITIONS.includes(position)) {
    if (position === 'in-value') return 'coding-refused';
    if (ows) return 'chunked';
    return replaceable ? 'chunked-or-refused' : 'coding-refused';
  }
  if (ows && position === 'after-name') return 'space-before-colon';
  if (ows && position === 'before-name') return 'obs-fold';
  return 'bad-name';
}

function teByteCase(position: TePosition, byte: number): CaseDefinition {
  const b = String.fromCharCode(byte);
  const line = TE_POSITIONS[position](b);
  const where = `\\x${hexOf(byte)} ${position.replace('-', ' ')}`;
  const base = {
    id: `${PREFIX}-te-${position}-${hexOf(byte)}`,
    rfc: 'RFC 9112 §6.1; RFC 9112 §6.3',
    request: one(withTe(line)),
  };
  const replaceable = byte === 0x00 || byte === 0x0d;
  const replaced = byte === 0x0d ? `${BARE_CR} ${CR_LF_NUL}` : CR_LF_NUL;
  switch (teReading(position, byte)) {
    case 'chunked':
      return processedAsChunked({
        ...base,
        rfc: 'RFC 9110 §5.5; RFC 9112 §7.1',
        name: `"${shown(line)}" (${where}, optional whitespace) is chunked: the body is decoded and the next request answered`,
        level: 'MUST',
        notes: `${OWS_EXCLUDED} ${CHUNKED_MUST} ${READ_WHOLE_BODY}`,
      });
    case 'chunked-or-refused':
      return processedOrRefused(
        {
          ...base,
          rfc: 'RFC 9110 §5.5; RFC 9112 §7.1',
          name: `"${shown(line)}" (${where}) is refused, or read as chunked once the byte is replaced by SP: never misframed`,
          level: 'MUST',
          notes: `${replaced} Replaced by SP, the byte is optional whitespace and the field is "chunked". ${READ_WHOLE_BODY}`,
        },
        'hello',
      );
    case 'coding-refused':
      return refused(
        {
          ...base,
          name: `"${shown(line)}" (${where}) names no coding the server knows: refused and the connection closed`,
          level: 'MUST',
          notes: `${replaceable ? replaced + ' ' : ''}The value is not "chunked", so chunked is not the final coding. ${TE_NOT_FINAL} ${TE_UNKNOWN}`,
        },
        REFUSED_CODING,
      );
    case 'space-before-colon':
      return {
        ...base,
        rfc: 'RFC 9112 §5.1',
        name: `"${shown(line)}" (${where}) is answered 400`,
        level: 'MUST',
        accept: [status(400)],
        check: noSecondResponse,
        notes: `${SPACE_BEFORE_COLON} A parser that trims the name reads chunked; one that keeps it ignores the field.`,
      };
    case 'obs-fold':
      return {
        ...base,
        rfc: 'RFC 9112 §5.2; RFC 9112 §3.2',
        name: `"${shown(line)}" (${where}) is an obs-fold and is answered 400`,
        level: 'MUST',
        accept: [status(400)],
        check: noSecondResponse,
        notes: `${OBS_FOLD} Unfolded, the line joins Host into an invalid Host: ${HOST_INVALID}`,
      };
    case 'bad-name':
      return refused(
        {
          ...base,
          rfc: 'RFC 9112 §2.2; RFC 9110 §5.1',
          name: `"${shown(line)}" (${where}) is not a valid field line: answered 400 and the connection closed`,
          level: 'SHOULD',
          notes: `${GRAMMAR_SHOULD_400} RFC 9110 §5.1: "field-name = token"; the byte is not a tchar. A parser that drops it reads Transfer-Encoding; one that ignores the line reads no body.${byte === 0x0d ? ' ' + BARE_CR : ''}`,
        },
        [status(400)],
      );
  }
}

/** Table 1, position by position. */
export function teByteCases(): CaseDefinition[] {
  const positions = Object.keys(TE_POSITIONS) as TePosition[];
  // SP right after the colon is the ordinary spelling, not a variant: chunked-basic sends it.
  const variant = (p: TePosition, b: number) => TE_POSITIONS[p](String.fromCharCode(b)) !== PLAIN_TE;
  return positions.flatMap((p) => TE_BYTES.filter((b) => variant(p, b)).map((b) => teByteCase(p, b)));
}

// ---------------------------------------------------------------------------
// Table 2: the value of Transfer-Encoding
// ---------------------------------------------------------------------------

type ValueRule = 'chunked' | 'refused' | 'should-refuse' | 'unknown-coding';

interface TeValueRow {
  slug: string;
  value: string;
  rule: ValueRule;
  /** Why this spelling matters, and the sentence it rests on. */
  why: string;
  /** The sentence names no response ("treated as an error"): a close without one keeps it. */
  closeAllowed?: true;
}

export const TE_VALUES: readonly TeValueRow[] = [
  { slug: 'upper', value: 'CHUNKED', rule: 'chunked', why: CODING_CASE },
  { slug: 'title', value: 'Chunked', rule: 'chunked', why: CODING_CASE },
  { slug: 'trailing-comma', value: 'chunked,', rule: 'chunked', why: EMPTY_ELEMENTS },
  { slug: 'leading-comma', value: ',chunked', rule: 'chunked', why: EMPTY_ELEMENTS },
  {
    slug: 'chunked-twice',
    value: 'chunked, chunked',
    rule: 'should-refuse',
    why: `${CHUNKED_ONCE} Decoding once leaves a body that is still chunked. ${GRAMMAR_SHOULD_400}`,
  },
  {
    slug: 'gzip-chunked',
    value: 'gzip, chunked',
    rule: 'unknown-coding',
    why: `The body is chunked but not gzip-compressed: a server without gzip answers 501, one with gzip cannot decode it. ${TE_UNKNOWN}`,
  },
  { slug: 'chunked-gzip', value: 'chunked, gzip', rule: 'refused', why: TE_NOT_FINAL },
  { slug: 'quoted', value: '"chunked"', rule: 'refused', why: `A transfer-coding is a token. ${TE_NOT_FINAL}` },
  { slug: 'xchunked', value: 'xchunked', rule: 'refused', why: `A suffix match reads chunked. ${TE_NOT_FINAL}` },
  { slug: 'chunkedx', value: 'chunkedx', rule: 'refused', why: `A prefix match reads chunked. ${TE_NOT_FINAL}` },
  {
    slug: 'chunked-false',
    value: 'chunked-false',
    rule: 'refused',
    why: `A substring match reads chunked. ${TE_NOT_FINAL}`,
  },
  {
    slug: 'identity',
    value: 'identity',
    rule: 'refused',
    why: `"identity" is no longer a transfer coding; skipping it leaves no framing but Content-Length, absent here. ${TE_NOT_FINAL}`,
  },
  {
    slug: 'empty',
    value: '',
    rule: 'refused',
    why: `The field is present with no coding at all, so chunked is not the final one. ${TE_NOT_FINAL}`,
  },
  { slug: 'parameter', value: 'chunked; ext=1', rule: 'should-refuse', why: CHUNKED_PARAMETERS, closeAllowed: true },
];

/**
 * 501 for a coding the server does not apply. The body is not gzip-compressed, so this is about
 * servers without gzip (the reference servers, nginx); a second response must be the follow-up.
 */
function unknownCoding(def: Omit<CaseDefinition, 'accept' | 'check'>): CaseDefinition {
  const followUpOnly: Check = (ctx) => {
    const first = ctx.exchange.responses[0];
    if (!first || ctx.exchange.responses.length < 2) return null;
    return inOrder([{ status: first.status }, STYLE])(ctx);
  };
  return { ...def, accept: [status(501)], check: followUpOnly };
}

function teValueCase(row: TeValueRow): CaseDefinition {
  const line = `Transfer-Encoding: ${row.value}`;
  const base = {
    id: `${PREFIX}-te-value-${row.slug}`,
    rfc: 'RFC 9112 §6.1; RFC 9112 §6.3',
    request: one(withTe(line)),
  };
  const v = `Transfer-Encoding "${shown(row.value)}"`;
  switch (row.rule) {
    case 'chunked':
      return processedAsChunked({
        ...base,
        rfc: 'RFC 9112 §7; RFC 9110 §5.6.1',
        name: `${v} is chunked: the body is decoded and the next request answered`,
        level: 'MUST',
        notes: `${row.why} ${CHUNKED_MUST} ${PARSE_VALID}`,
      });
    case 'refused':
      return refused(
        {
          ...base,
          name: `${v} is refused and the connection closed`,
          level: 'MUST',
          notes: `${row.why} ${TE_UNKNOWN}`,
        },
        REFUSED_CODING,
      );
    case 'should-refuse':
      return refused(
        { ...base, name: `${v} is treated as an error`, rfc: 'RFC 9112 §7.1', level: 'SHOULD', notes: row.why },
        row.closeAllowed ? ERROR_CODING : REFUSED_CODING,
      );
    case 'unknown-coding':
      return unknownCoding({
        ...base,
        rfc: 'RFC 9112 §6.1',
        name: `${v} (a coding the server does not apply) is answered 501`,
        level: 'SHOULD',
        notes: row.why,
      });
  }
}

/** Table 2. */
export function teValueCases(): CaseDefinition[] {
  return TE_VALUES.map(teValueCase);
}

// ---------------------------------------------------------------------------
// Table 3: the value of Content-Length
// ---------------------------------------------------------------------------

/** The body every Content-Length case sends: ten octets. */
const CL_BODY = 'helloworld';

type LengthRule =
  /** Valid: the body is the first `length` octets. */
  | { kind: 'valid'; length: number }
  /** Not 1*DIGIT nor a list of one value: 400 and a close. */
  | { kind: 'invalid' }
  /** A list that reduces to one value: read as it or refused. */
  | { kind: 'list-or-refused' }
  /** Valid syntax far beyond any body: refused, waited for, never wrapped round to a small length. */
  | { kind: 'too-large' };

interface LengthRow {
  slug: string;
  /** The Content-Length field lines, raw. */
  lines: string[];
  rule: LengthRule;
  why: string;
  /** Http11Probe tests that send the same Content-Length malformation. */
  peer?: string[];
}

const cl = (v: string) => `Content-Length: ${v}`;

export const CL_VALUES: readonly LengthRow[] = [
  {
    slug: 'leading-zeros',
    lines: [cl('0010')],
    rule: { kind: 'valid', length: 10 },
    peer: ['SMUG-CL-LEADING-ZEROS-OCTAL'],
    why: 'Octal reads 8.',
  },
  {
    slug: 'zero-zero',
    lines: [cl('00')],
    rule: { kind: 'valid', length: 0 },
    peer: ['SMUG-CL-DOUBLE-ZERO'],
    why: 'Two digits, both zero.',
  },
  { slug: 'no-space', lines: ['Content-Length:10'], rule: { kind: 'valid', length: 10 }, why: 'OWS may be empty.' },
  {
    slug: 'trailing-space',
    lines: [cl('10 ')],
    rule: { kind: 'valid', length: 10 },
    peer: ['SMUG-CL-TRAILING-SPACE'],
    why: `Trailing OWS. ${OWS_EXCLUDED}`,
  },
  {
    slug: 'tabs',
    lines: ['Content-Length:\t10\t'],
    rule: { kind: 'valid', length: 10 },
    peer: ['MAL-CL-TAB-BEFORE-VALUE'],
    why: `OWS is SP or HTAB. ${OWS_EXCLUDED}`,
  },
  {
    slug: 'minus-zero',
    lines: [cl('-0')],
    rule: { kind: 'invalid' },
    peer: ['SMUG-CL-NEGATIVE-ZERO'],
    why: 'A signed parse reads 0.',
  },
  { slug: 'plus-zero', lines: [cl('+0')], rule: { kind: 'invalid' }, why: 'strtol and int() read 0.' },
  { slug: 'hex', lines: [cl('0x0a')], rule: { kind: 'invalid' }, why: 'Base-0 parsers read 10.' },
  {
    slug: 'octal-prefix',
    lines: [cl('0o12')],
    rule: { kind: 'invalid' },
    peer: ['SMUG-CL-OCTAL'],
    why: 'int(x, 0) reads 10.',
  },
  { slug: 'decimal-point', lines: [cl('10.0')], rule: { kind: 'invalid' }, why: 'A float parse reads 10.' },
  {
    slug: 'space-separated',
    lines: [cl('10 10')],
    rule: { kind: 'invalid' },
    why: 'Not a list: a parser splitting on whitespace reads 10, one dropping spaces 1010.',
  },
  {
    slug: 'internal-space',
    lines: [cl('1 0')],
    rule: { kind: 'invalid' },
    peer: ['SMUG-CL-INTERNAL-SPACE'],
    why: 'Dropping the space reads 10.',
  },
  {
    slug: 'list-differing-no-space',
    lines: [cl('10,5')],
    rule: { kind: 'invalid' },
    why: 'A list of two different values.',
  },
  {
    slug: 'list-identical-no-space',
    lines: [cl('10,10')],
    rule: { kind: 'list-or-refused' },
    why: CL_LIST_MAY,
  },
  {
    slug: 'list-trailing-comma',
    lines: [cl('10,')],
    rule: { kind: 'list-or-refused' },
    why: `Parsed as a list, the empty element is ignored and one value remains. ${EMPTY_ELEMENTS}`,
  },
  {
    slug: 'empty-then-valid',
    lines: [cl(''), cl('10')],
    rule: { kind: 'list-or-refused' },
    why: `The two lines combine into ", 10", a list whose empty element is ignored. ${EMPTY_ELEMENTS}`,
  },
  {
    slug: 'wraps-64-to-zero',
    lines: [cl('18446744073709551616')],
    rule: { kind: 'too-large' },
    why: '2^64 is 0 in a 64-bit integer that wraps: the body would be read as the next request.',
  },
  {
    slug: 'wraps-32-to-ten',
    lines: [cl('4294967306')],
    rule: { kind: 'too-large' },
    why: '2^32+10 is 10 in a 32-bit integer that wraps: the body and the next request would be answered.',
  },
  {
    slug: 'beyond-double',
    lines: [cl('9007199254740993')],
    rule: { kind: 'too-large' },
    why: '2^53+1 is not exact as a double.',
  },
];

function lengthCase(row: LengthRow): CaseDefinition {
  const rule = row.rule;
  // A valid length is sent exactly that many octets, so that what follows is the follow-up.
  const sent = rule.kind === 'valid' ? CL_BODY.slice(0, rule.length) : CL_BODY;
  const base = {
    id: `${PREFIX}-cl-${row.slug}`,
    rfc: 'RFC 9112 §6.3; RFC 9110 §8.6',
    request: one(post(row.lines, sent)),
    ...(row.peer ? { peer: row.peer } : {}),
  };
  const v = `Content-Length ${row.lines.map((l) => `"${shown(l.slice('Content-Length:'.length).replace(/^ /, ''))}"`).join(' then ')}`;
  switch (rule.kind) {
    case 'valid':
      return bodyCase(
        {
          ...base,
          name: `${v} is ${rule.length}: the body is ${rule.length} octets and the next request is answered`,
          level: 'MUST',
          accept: OK,
          check: inOrder([{ status: 200, body: { text: sent } }, STYLE]),
          notes: `${row.why} ${CL_DECIMAL} ${PARSE_VALID} ${READ_WHOLE_BODY}`,
        },
        followUpsAnswered([STYLE]),
      );
    case 'invalid':
      return refused(
        { ...base, name: `${v} is invalid and answered 400`, level: 'MUST', notes: `${row.why} ${CL_INVALID_400}` },
        answered400,
      );
    case 'list-or-refused':
      return processedOrRefused(
        {
          ...base,
          name: `${v} is read as 10 or refused, never misframed`,
          level: 'MUST',
          notes: `${row.why} ${CL_UNRECOVERABLE}`,
        },
        CL_BODY,
      );
    case 'too-large':
      return {
        ...base,
        name: `${v} is refused or waited for, never read as a small length`,
        level: 'MUST',
        // Any 4xx refuses: a server without POST /echo may answer 404 or 405 before the body
        // comes, and is right to. Only a 2xx, or an answer to the request after the body, shows
        // the length read small.
        accept: [CLIENT_ERROR, CLOSE, TIMEOUT],
        check: noSecondResponse,
        timeoutMs: 3000,
        notes: `${row.why} ${CL_OVERFLOW}`,
      };
  }
}

/** Table 3. */
export function lengthCases(): CaseDefinition[] {
  return CL_VALUES.map(lengthCase);
}

export const cases: CaseDefinition[] = thenAlive([...teByteCases(), ...teValueCases(), ...lengthCases()]);
