/**
 * The group connection-close: a server that is told, or says, "Connection: close" ends the connection
 * after that response (RFC 9112 §9.6), so no later bytes are read as another request.
 */
import type { CaseDefinition } from '../types.ts';
import {
  OK,
  all,
  announcesClose,
  bodyEquals,
  bodyEqualsFile,
  closesConnection,
  closesPromptly,
  PROMPT_CLOSE_MS,
  file,
  get,
  inOrder,
  one,
  parts,
  rejected,
  req,
  responsesCount,
  status,
  whenStatus,
  type Check,
  ANY_STATUS,
  bodyCase,
  noSecondResponse,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const CLOSE_RULE =
  'RFC 9112 §9.6: "A server that receives a "close" connection option MUST initiate closure of the connection (see below) after it sends the final response to the request that contained the "close" connection option. The server SHOULD send a "close" connection option in its final response on that connection. The server MUST NOT process any further requests received on that connection."';

const CLIENT_MUST_NOT =
  'A client "that sends a "close" connection option MUST NOT send further requests on that connection" (RFC 9112 §9.6), so the bytes after it are a broken client\'s: the server may answer the close request and drop them, or refuse the stream with 400; it never serves them.';

/** GET /hello.txt with the given raw Connection lines and nothing after it. */
const closing = (lines: string[]) =>
  `GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n${lines.map((l) => l + '\r\n').join('')}\r\n`;

/** No response after the first is a success: the request behind the close was not served. */
const nothingServedAfterFirst: Check = ({ exchange }) => {
  const served = exchange.responses.slice(1).filter((r) => r.status >= 200 && r.status < 300);
  return served.length === 0
    ? null
    : `a request sent after the close request was served (${served.map((r) => r.status).join(', ')})`;
};

function honoured(id: string, name: string, lines: string[], why: string): CaseDefinition {
  return {
    id: `connection-close-${id}`,
    name,
    rfc: 'RFC 9112 §9.6',
    level: 'MUST',
    request: one(closing(lines)),
    accept: OK,
    check: all(bodyEqualsFile('hello.txt'), responsesCount(1), closesPromptly),
    notes: `${why} The close must come at once (within ${PROMPT_CLOSE_MS} ms of the response), not when an idle timeout fires. ${CLOSE_RULE}`,
  };
}

export const cases: CaseDefinition[] = [
  honoured(
    'honoured',
    'After a request with Connection: close the server answers it and closes the connection',
    ['Connection: close'],
    'The server closes; the client does not.',
  ),
  honoured(
    'case-insensitive',
    'The close option is recognised in any case ("CLOSE")',
    ['Connection: CLOSE'],
    'RFC 9110 §7.6.1: "Connection options are case-insensitive."',
  ),
  honoured(
    'in-list',
    'The close option is recognised inside a list ("x-gauntlet, close")',
    ['Connection: x-gauntlet, close'],
    'RFC 9110 §7.6.1: "Connection = #connection-option".',
  ),
  honoured(
    'second-field-line',
    'The close option is recognised in a second Connection field line',
    ['Connection: keep-alive', 'Connection: close'],
    'Field lines with the same name combine into one list (RFC 9110 §5.3), so "keep-alive, close" here; close wins because the server MUST close.',
  ),
  honoured(
    'keepalive-and-close',
    'A keep-alive option next to close does not keep the connection',
    ['Connection: keep-alive, close'],
    'The close option is present, and the MUST applies whatever else the list holds.',
  ),
  {
    id: 'connection-close-bytes-after-ignored',
    name: 'A request in the same write after the close request is never served',
    rfc: 'RFC 9112 §9.6',
    level: 'MUST',
    request: one(closing(['Connection: close']) + get('/style.css')),
    accept: [status(200), ...rejected],
    check: all(whenStatus(200, 200, bodyEqualsFile('hello.txt')), nothingServedAfterFirst, closesConnection),
    notes: `${CLIENT_MUST_NOT} ${CLOSE_RULE}`,
  },
  {
    id: 'connection-close-later-bytes-ignored',
    name: 'A request sent after the close request, in a later write, is never served',
    rfc: 'RFC 9112 §9.6',
    level: 'MUST',
    request: parts([closing(['Connection: close']), get('/style.css')], 200),
    accept: OK,
    check: all(bodyEqualsFile('hello.txt'), nothingServedAfterFirst, closesConnection),
    notes: `The second request arrives 200 ms later, on a connection the server should already be closing. ${CLIENT_MUST_NOT} ${CLOSE_RULE}`,
  },
  {
    id: 'connection-close-mid-pipeline',
    name: 'Of two pipelined requests where the second asks to close, both are answered, then the connection closes',
    rfc: 'RFC 9112 §9.6',
    level: 'MUST',
    request: one(get('/hello.txt') + req('GET /style.css HTTP/1.1', { Host: 'localhost', Connection: 'close' })),
    accept: OK,
    check: all(inOrder([file(200, 'hello.txt'), file(200, 'style.css')]), closesConnection),
    notes: CLOSE_RULE,
  },
  bodyCase(
    {
      id: 'connection-close-with-body',
      name: 'A POST with Connection: close has its body read and answered, then the connection closes',
      rfc: 'RFC 9112 §9.6',
      level: 'MUST',
      request: one(
        req('POST /echo HTTP/1.1', { Host: 'localhost', Connection: 'close', 'Content-Length': 5 }, 'hello'),
      ),
      accept: OK,
      check: all(bodyEquals('hello'), responsesCount(1), closesConnection),
      notes: CLOSE_RULE,
    },
    { accept: [ANY_STATUS], check: all(noSecondResponse, closesConnection) },
  ),
  {
    id: 'connection-close-response-says-close',
    name: 'The response to a request with Connection: close carries Connection: close',
    rfc: 'RFC 9112 §9.6',
    level: 'SHOULD',
    request: one(closing(['Connection: close'])),
    accept: OK,
    check: ({ exchange }) => {
      const r = exchange.responses[0];
      return r && announcesClose(r) ? null : 'the response does not carry Connection: close';
    },
    notes: CLOSE_RULE,
  },
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'connection-close-honoured': ['COMP-CONNECTION-CLOSE'],
});
