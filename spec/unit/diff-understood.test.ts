/**
 * What a server understood of a request (lib/diff/understood.ts), from exchanges built on the
 * bytes a server might send: status classes, bodies of 2xx only, stray bytes, how the
 * connection ended, and the fresh GET / afterwards.
 */
import { describe, it, expect } from 'vitest';
import { parseResponses } from '../../lib/conformance/response-parser.ts';
import type { Exchange } from '../../lib/conformance/types.ts';
import { statusClass, strayBytes, understood, type Understood } from '../../lib/diff/understood.ts';

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
    expect(understood(exchange, fresh)).toMatchObject(want);
  });

  it('keeps the body of 2xx responses only, so that error pages in other words are no difference', () => {
    const a = understood(ex(BAD), alive);
    const b = understood(ex(BAD.replace('bad', 'BAD')), alive);
    expect(a).toEqual(b);
    const c = understood(ex(OK_INDEX.replace('hello', 'HELLO')), alive);
    expect(c.body).not.toBe(understood(ex(OK_INDEX), alive).body);
  });
});

describe('strayBytes: bytes after the last response', () => {
  it.each([
    [
      'after an error the server closed on: the body of an error to HEAD',
      `${BAD.replace('bad', '')}bad`,
      'server',
      false,
    ],
    ['after an error on a connection left open: where the next response would start', `${BAD}`, 'client-timeout', true],
    ['after a 2xx to HEAD: content the client takes for the next response', `${HEAD_OK}hello`, 'server', true],
  ] as const)('%s', (_name, received, closedBy, stray) => {
    const e = ex(received, closedBy, ['HEAD', 'GET']);
    expect(strayBytes(e)).toBe(stray);
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
