/**
 * What a server understood of a request (lib/diff/understood.ts), from exchanges built on the
 * bytes a server might send: status classes, bodies of 2xx only, stray bytes, how the
 * connection ended, and the fresh GET / afterwards.
 */
import { describe, it, expect } from 'vitest';
import { parseResponses } from '../../lib/conformance/response-parser.ts';
import type { Exchange } from '../../lib/conformance/types.ts';
import { statusClass, strayBytes, understood, type Understood } from '../../lib/diff/understood.ts';
import { restsOnSilence } from '../../lib/diff/search.ts';

const OK_INDEX = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';
const BAD = 'HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbad';
const NOT_IMPL = 'HTTP/1.1 501 Not Implemented\r\nContent-Length: 4\r\n\r\nnope';
const HEAD_OK = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n';

function ex(received: string, closedBy: Exchange['closedBy'] = 'server', methods: string[] = ['GET', 'GET']): Exchange {
  const bytes = Buffer.from(received, 'latin1');
  const parsed = parseResponses(bytes, { methods, ended: closedBy === 'server', truncated: false });
  return {
    sent: new Uint8Array(0),
    received: Uint8Array.from(bytes),
    responses: parsed.responses,
    interim: parsed.interim,
    trailingGarbage: parsed.trailingGarbage,
    closedBy,
    reset: false,
    closeAfterMs: closedBy === 'server' ? 1 : null,
  };
}

const alive = ex(OK_INDEX, 'client');
const refused: Exchange = { ...ex('', 'client'), connectFailure: 'connection refused' };

describe('understood: the fields two servers are compared on', () => {
  const rows: Array<[string, Exchange, Exchange, Partial<Understood>]> = [
    [
      'request and probe answered, then closed',
      ex(OK_INDEX + OK_INDEX),
      alive,
      { responses: '2 (whole, whole)', status: '2xx 2xx', connection: 'closed by the server', alive: '2xx' },
    ],
    ['a refusal and a close', ex(BAD), alive, { responses: '1 (whole)', status: '4xx', body: 'no 2xx body' }],
    [
      '501 is the class 5xx',
      ex(NOT_IMPL, 'client-timeout'),
      alive,
      { status: '5xx', connection: 'left open (silence)' },
    ],
    [
      'a body cut short by the close',
      ex('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello'),
      alive,
      { responses: '1 (cut short)', body: '#1 5 bytes 2cf24dba5fb0 (cut short)' },
    ],
    [
      'bytes after a 2xx that parse as no response',
      ex(`${HEAD_OK}hello${OK_INDEX}`, 'server', ['HEAD', 'GET']),
      alive,
      { responses: '1 (whole) + bytes that are no response', status: '2xx' },
    ],
    [
      'nothing, then silence',
      ex('', 'client-timeout'),
      ex('', 'client-timeout'),
      { responses: '0', status: 'none', alive: 'no answer (silence)' },
    ],
    ['unreachable', refused, refused, { responses: 'unreachable', status: 'unreachable', alive: 'unreachable' }],
  ];
  it.each(rows)('%s', (_name, exchange, fresh, want) => {
    expect(understood(exchange, fresh, 'GET')).toMatchObject(want);
  });

  it('keeps the body of 2xx responses only, so that error pages in other words are no difference', () => {
    const a = understood(ex(BAD), alive, 'GET');
    const b = understood(ex(BAD.replace('bad', 'BAD')), alive, 'GET');
    expect(a).toEqual(b);
    const c = understood(ex(OK_INDEX.replace('hello', 'HELLO')), alive, 'GET');
    expect(c.body).not.toBe(understood(ex(OK_INDEX), alive, 'GET').body);
  });
});

describe('strayBytes: bytes after the last response', () => {
  // Content-Length 3, then more: to HEAD the whole page is past the response, to GET its last 5 bytes.
  const SHORT_BAD = `${BAD} page`;
  it.each([
    ['after an error to HEAD the server closed on: the body of an error to HEAD', SHORT_BAD, 'server', 'HEAD', false],
    [
      'after an error to GET the server closed on: an error page longer than its Content-Length',
      SHORT_BAD,
      'server',
      'GET',
      true,
    ],
    [
      'after an error on a connection left open: where the next response would start',
      SHORT_BAD,
      'client-timeout',
      'HEAD',
      true,
    ],
    ['after a 2xx to HEAD: content the client takes for the next response', `${HEAD_OK}hello`, 'server', 'HEAD', true],
  ] as const)('%s', (_name, received, closedBy, method, stray) => {
    const e = ex(received, closedBy, [method, 'GET']);
    expect(e.trailingGarbage).toBeGreaterThan(0);
    expect(strayBytes(e, method)).toBe(stray);
  });
});

describe('restsOnSilence: a disagreement sent once more before it is believed', () => {
  const closed = understood(ex(OK_INDEX + OK_INDEX), alive, 'GET');
  it.each<[string, Exchange, Exchange, boolean]>([
    ['every server answered and closed', ex(OK_INDEX + OK_INDEX), alive, false],
    ['a connection left open in silence', ex(OK_INDEX, 'client-timeout'), alive, true],
    ['a fresh GET / unanswered in silence', ex(OK_INDEX + OK_INDEX), ex('', 'client-timeout'), true],
    ['a fresh GET / refused by a close', ex(OK_INDEX + OK_INDEX), ex(''), false],
  ])('%s: %s', (_name, exchange, fresh, want) => {
    const list = [
      { server: 'a', understood: closed },
      { server: 'b', understood: understood(exchange, fresh, 'GET') },
    ];
    expect(restsOnSilence(list)).toBe(want);
  });
});

describe('statusClass', () => {
  it.each([
    [200, '2xx'],
    [204, '2xx'],
    [400, '4xx'],
    [501, '5xx'],
    [99, 'status 99'],
  ])('%i is %s', (status, cls) => expect(statusClass(status)).toBe(cls));
});
