/**
 * The group header-fields: field-line syntax (names, values, whitespace, obsolete folding, bare CR and
 * NUL; RFC 9110 §5, RFC 9112 §5), where lenient parsers disagree with strict ones.
 */
import type { CaseDefinition } from '../types.ts';
import {
  afterPersistentFirst,
  OK,
  PROBE,
  SUCCESS,
  bodyEqualsFile,
  get,
  one,
  rejected,
  answered400,
  rejectedAndClosed,
  status,
  whenStatus,
  all,
  responsesCount,
  thenAlive,
  GET_MUST,
  SPACE_BEFORE_COLON,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const GRAMMAR_400 =
  'RFC 9112 §2.2: "When a server listening only for HTTP request messages ... receives a sequence of octets that does not match the HTTP-message grammar aside from the robustness exceptions listed above, the server SHOULD respond with a 400 (Bad Request) response and close the connection."';

const CTL_IN_VALUE =
  'RFC 9110 §5.5: "Field values containing CR, LF, or NUL characters are invalid and dangerous, due to the varying ways that implementations might parse and interpret those characters; a recipient of CR, LF, or NUL within a field value MUST either reject the message or replace each of those characters with SP before further processing or forwarding of that message."';

const CL_INVALID =
  'RFC 9112 §6.3: "If a message is received without Transfer-Encoding and with an invalid Content-Length header field, then the message framing is invalid and the recipient MUST treat it as an unrecoverable error ... the server MUST respond with a 400 (Bad Request) status code and then close the connection." Only SP and HTAB are whitespace in HTTP (RFC 9110 §5.6.3 "OWS = *( SP / HTAB )").';

/** A GET whose header section holds one extra raw line. */
function withLine(fieldLine: string): string {
  return `GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n${fieldLine}\r\nConnection: close\r\n\r\n`;
}

function badName(id: string, name: string, fieldLine: string, why: string): CaseDefinition {
  return {
    id: `header-fields-${id}`,
    name,
    rfc: 'RFC 9112 §5',
    level: 'SHOULD',
    request: one(withLine(fieldLine)),
    accept: rejected,
    notes: `${why} RFC 9112 §5: "field-line = field-name ":" OWS field-value OWS" and RFC 9110 §5.1: "field-name = token". ${GRAMMAR_400}`,
  };
}

/** A POST /echo whose Content-Length value is disguised with a non-whitespace octet, then a probe. */
function disguisedLength(id: string, name: string, value: string): CaseDefinition {
  return {
    id: `header-fields-${id}`,
    name,
    rfc: 'RFC 9110 §5.5; RFC 9112 §6.3',
    level: 'MUST',
    request: one(`POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${value}\r\n\r\nhello` + PROBE),
    accept: answered400,
    check: rejectedAndClosed,
    notes: `A parser that trims with a locale-aware or Unicode "isspace" reads 5 here. ${CL_INVALID}`,
  };
}

export const cases: CaseDefinition[] = thenAlive([
  badName(
    'missing-colon',
    'A field line without a colon is answered 400',
    'X-Gauntlet value',
    'Without a colon the line has no name/value split.',
  ),
  badName(
    'empty-name',
    'A field line with an empty name is answered 400',
    ': value',
    'A token has at least one tchar.',
  ),
  badName(
    'nul-in-name',
    'A NUL in a field name is answered 400',
    'X-Gaunt\x00let: value',
    'NUL is not a tchar; a C parser may stop at it.',
  ),
  badName('space-in-name', 'A space inside a field name is answered 400', 'X Gauntlet: value', 'SP is not a tchar.'),
  badName(
    'non-ascii-name',
    'A non-ASCII octet in a field name is answered 400',
    'X-Gaunt\xe9let: value',
    'Only ASCII tchars make a token.',
  ),
  badName(
    'control-in-name',
    'A control character in a field name is answered 400',
    'X-Gaunt\x01let: value',
    'Controls are not tchars.',
  ),
  badName(
    'slash-in-name',
    'A "/" in a field name is answered 400',
    'X-Gaunt/let: value',
    '"/" is a delimiter (RFC 9110 §5.6.2), not a tchar.',
  ),
  {
    id: 'header-fields-space-before-colon',
    name: 'Whitespace between a field name and the colon is answered 400',
    rfc: 'RFC 9112 §5.1',
    level: 'MUST',
    request: one(withLine('X-Gauntlet : value')),
    accept: answered400,
    notes:
      'RFC 9112 §5.1: "No whitespace is allowed between the field name and colon. In the past, differences in the handling of such whitespace have led to security vulnerabilities in request routing and response handling. A server MUST reject, with a response status code of 400 (Bad Request), any received request message that contains whitespace between a header field name and colon".',
  },
  {
    id: 'header-fields-tab-before-colon',
    name: 'A tab between a field name and the colon is answered 400',
    rfc: 'RFC 9112 §5.1',
    level: 'MUST',
    request: one(withLine('X-Gauntlet\t: value')),
    accept: answered400,
    notes:
      'RFC 9112 §5.1: "A server MUST reject, with a response status code of 400 (Bad Request), any received request message that contains whitespace between a header field name and colon". HTAB is whitespace too.',
  },
  {
    id: 'header-fields-space-before-colon-host',
    name: 'A Host field with whitespace before its colon is answered 400',
    rfc: 'RFC 9112 §5.1',
    level: 'MUST',
    request: one('GET /hello.txt HTTP/1.1\r\nHost : localhost\r\nConnection: close\r\n\r\n'),
    accept: answered400,
    notes:
      SPACE_BEFORE_COLON +
      ' ' +
      'RFC 9112 §5.1 (MUST reject with 400). A parser that trims the name sees a Host here that a strict front end does not.',
  },
  {
    id: 'header-fields-name-case-insensitive',
    name: 'Field names are case-insensitive: "hOsT" is the Host field',
    rfc: 'RFC 9110 §5.1',
    level: 'MUST',
    request: one('GET /hello.txt HTTP/1.1\r\nhOsT: localhost\r\ncOnNeCtIoN: close\r\n\r\n'),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes:
      GET_MUST +
      ' ' +
      'RFC 9110 §5.1: "Field names are case-insensitive". A server that only knows "Host" answers this valid HTTP/1.1 request 400 for a missing Host.',
  },
  {
    id: 'header-fields-value-ows-trimmed',
    name: 'Spaces around a field value are not part of it',
    rfc: 'RFC 9110 §5.5; RFC 9112 §5.1',
    level: 'MUST',
    request: one('GET /hello.txt HTTP/1.1\r\nHost:   localhost   \r\nConnection:   close  \r\n\r\n'),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes:
      'RFC 9110 §5.5: "A field value does not include leading or trailing whitespace. When a specific version of HTTP allows such whitespace to appear in a message, a field parsing implementation MUST exclude such whitespace prior to evaluating the field value." RFC 9112 §5.1 allows OWS around a field line value. With the spaces kept, "localhost   " would be an invalid Host.',
  },
  {
    id: 'header-fields-value-htab-trimmed',
    name: 'Tabs around a field value are optional whitespace, not part of it',
    rfc: 'RFC 9110 §5.5; RFC 9110 §5.6.3',
    level: 'MUST',
    request: one('GET /hello.txt HTTP/1.1\r\nHost:\tlocalhost\t\r\nConnection:\tclose\r\n\r\n'),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes:
      'RFC 9110 §5.6.3: "OWS = *( SP / HTAB )". RFC 9112 §5: "field-line = field-name ":" OWS field-value OWS". RFC 9110 §5.5: "a field parsing implementation MUST exclude such whitespace prior to evaluating the field value." A parser that trims only SP keeps the tab and then finds the Host invalid.',
  },
  {
    id: 'header-fields-empty-value',
    name: 'A field with an empty value is valid',
    rfc: 'RFC 9110 §5.5',
    level: 'MUST',
    request: one(withLine('X-Gauntlet-Empty:')),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes:
      GET_MUST +
      ' ' +
      'RFC 9110 §5.5: "field-value = *field-content": zero characters is a valid value, so this is a valid GET.',
  },
  {
    id: 'header-fields-obs-text-value',
    name: 'Octets 0x80-0xFF in a field value are accepted as opaque data',
    rfc: 'RFC 9110 §5.5',
    level: 'SHOULD',
    request: one(withLine('X-Gauntlet: caf\xe9 \xff')),
    accept: OK,
    check: bodyEqualsFile('hello.txt'),
    notes:
      'RFC 9110 §5.5: field-vchar includes obs-text (%x80-FF), and "a recipient SHOULD treat other allowed octets in field content (i.e., obs-text) as opaque data."',
  },
  {
    id: 'header-fields-nul-in-value',
    name: 'A NUL in a field value is rejected or replaced by SP',
    rfc: 'RFC 9110 §5.5',
    level: 'MUST',
    request: one(withLine('X-Gauntlet: a\x00b')),
    accept: [status(200), ...rejected],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    notes: `${CTL_IN_VALUE} Replaced by SP the field is harmless and the file is served; rejecting is the other allowed answer.`,
  },
  {
    id: 'header-fields-nul-in-content-length',
    name: 'A NUL inside a Content-Length value is never read as the end of the value',
    rfc: 'RFC 9110 §5.5; RFC 9112 §6.3',
    level: 'MUST',
    request: one('POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\x005\r\n\r\nhello' + PROBE),
    accept: rejected,
    check: rejectedAndClosed,
    notes: `Rejected, the message gets 400; with NUL replaced by SP the value is "1 5", an invalid Content-Length, so it gets 400 too. Only a parser that cuts the value at NUL reads 1 and then parses "ello" as a request. ${CTL_IN_VALUE}`,
  },
  {
    id: 'header-fields-bare-cr-in-value',
    name: 'A bare CR in a field value never ends the field line',
    rfc: 'RFC 9112 §2.2; RFC 9110 §5.5',
    level: 'MUST',
    request: one(
      'GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nX-Gauntlet: a\rConnection: close\r\n\r\n' +
        get('/style.css', { Connection: 'close' }),
    ),
    accept: [SUCCESS, ...rejected],
    check: whenStatus(200, 299, all(responsesCount(2), bodyEqualsFile('hello.txt', 0), bodyEqualsFile('style.css', 1))),
    notes:
      'RFC 9112 §2.2: "A recipient of such a bare CR MUST consider that element to be invalid or replace each bare CR with SP before processing the element". Replaced by SP, X-Gauntlet is "a Connection: close" and the connection stays open for the second request; a server that takes CR as a line end sees "Connection: close" and drops the second request.',
  },
  {
    id: 'header-fields-obs-fold',
    name: 'A folded field value (obs-fold) is rejected with 400 or unfolded with SP',
    rfc: 'RFC 9112 §5.2',
    level: 'MUST',
    request: one('GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nX-Gauntlet: a\r\n b\r\nConnection: close\r\n\r\n'),
    accept: [status(200), ...rejected],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    notes:
      'RFC 9112 §5.2: "A server that receives an obs-fold in a request message that is not within a "message/http" container MUST either reject the message by sending a 400 (Bad Request), preferably with a representation explaining that obsolete line folding is unacceptable, or replace each received obs-fold with one or more SP octets prior to interpreting the field value or forwarding the message downstream."',
  },
  {
    id: 'header-fields-obs-fold-not-a-field',
    name: 'A folded line is a continuation of the previous value, never a field of its own',
    rfc: 'RFC 9112 §5.2',
    level: 'MUST',
    request: one(
      'GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nX-Gauntlet: a\r\n Connection: close\r\n\r\n' +
        get('/style.css', { Connection: 'close' }),
    ),
    accept: [SUCCESS, ...rejected],
    check: afterPersistentFirst(
      whenStatus(200, 299, all(responsesCount(2), bodyEqualsFile('hello.txt', 0), bodyEqualsFile('style.css', 1))),
    ),
    notes:
      'RFC 9112 §5.2: "A server that receives an obs-fold in a request message that is not within a "message/http" container MUST either reject the message by sending a 400 (Bad Request), preferably with a representation explaining that obsolete line folding is unacceptable, or replace each received obs-fold with one or more SP octets prior to interpreting the field value or forwarding the message downstream."' +
      ' ' +
      'RFC 9112 §5.2: obs-fold is rejected (400) or replaced by SP. Unfolded, X-Gauntlet is "a Connection: close" and the second request is answered; a parser that reads " Connection: close" as its own field closes after the first.',
  },
  {
    id: 'header-fields-bare-lf-between-fields',
    name: 'A field line ended by a bare LF is either read as a line or rejected',
    rfc: 'RFC 9112 §2.2',
    level: 'informational',
    request: one('GET /hello.txt HTTP/1.1\r\nHost: localhost\nConnection: close\r\n\r\n'),
    accept: [status(200), ...rejected],
    notes:
      'RFC 9112 §2.2: "a recipient MAY recognize a single LF as a line terminator and ignore any preceding CR." Reported only: both answers are allowed.',
  },
  disguisedLength(
    'nbsp-in-content-length',
    'A Content-Length with a leading 0xA0 (no-break space) is invalid, not " 5"',
    '\xa05',
  ),
  disguisedLength('nel-in-content-length', 'A Content-Length with a trailing 0x85 (NEL) is invalid, not "5 "', '5\x85'),
  disguisedLength('vt-in-content-length', 'A Content-Length with a leading VT is invalid, not " 5"', '\x0b5'),
  disguisedLength('ff-in-content-length', 'A Content-Length with a trailing FF is invalid, not "5 "', '5\x0c'),
]);

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'header-fields-bare-lf-between-fields': ['RFC9112-2.2-BARE-LF-HEADER'],
  'header-fields-obs-fold': ['RFC9112-5.1-OBS-FOLD'],
  'header-fields-space-before-colon': ['RFC9110-5.6.2-SP-BEFORE-COLON'],
  'header-fields-empty-name': ['RFC9112-5-EMPTY-HEADER-NAME'],
  'header-fields-slash-in-name': ['RFC9112-5-INVALID-HEADER-NAME'],
  'header-fields-missing-colon': ['RFC9112-5-HEADER-NO-COLON'],
  'header-fields-non-ascii-name': ['MAL-NON-ASCII-HEADER-NAME'],
  'header-fields-nul-in-value': ['MAL-NUL-IN-HEADER-VALUE'],
  'header-fields-bare-cr-in-value': ['SMUG-BARE-CR-HEADER-VALUE'],
});
