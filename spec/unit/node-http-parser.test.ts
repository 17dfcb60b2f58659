/**
 * The incremental request parser of the Node reference servers (servers/_common/node), fed
 * whole requests and the same requests one byte at a time: both must give the same events.
 * Then the connection logic built on it, over a recording transport.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ConnectionIO, HttpConnection } from '../../servers/_common/node/connection.ts';
import { RequestHandler } from '../../servers/_common/node/handler.ts';
import {
  type ErrorEvent,
  type MessageEvent,
  type ParseEvent,
  type ParserLimits,
  RequestParser,
} from '../../servers/_common/node/parser.ts';
import { decodePath, targetPath } from '../../servers/_common/node/paths.ts';

type Feed = 'whole' | 'bytes';
const FEEDS: Feed[] = ['whole', 'bytes'];

/** Feeds `input` and collects every event, calling next() after each push as a server does. */
function parse(
  input: string | Buffer,
  feed: Feed = 'whole',
  limits?: Partial<ParserLimits>,
): { events: ParseEvent[]; parser: RequestParser } {
  const parser = new RequestParser(limits);
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const events: ParseEvent[] = [];
  const drain = (): void => {
    for (let e = parser.next(); e !== null; e = parser.next()) events.push(e);
  };
  if (feed === 'whole') {
    parser.push(bytes);
    drain();
  } else {
    for (let i = 0; i < bytes.length; i++) {
      // A copy per byte, as a socket would deliver it: nothing may alias a previous chunk.
      parser.push(Buffer.from(bytes.subarray(i, i + 1)));
      drain();
    }
  }
  return { events, parser };
}

function messages(events: ParseEvent[]): MessageEvent[] {
  return events.filter((e): e is MessageEvent => e.kind === 'message');
}

function only(input: string | Buffer, feed: Feed = 'whole', limits?: Partial<ParserLimits>): MessageEvent {
  const { events } = parse(input, feed, limits);
  const errors = events.filter((e) => e.kind === 'error');
  expect(errors).toEqual([]);
  const found = messages(events);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function failure(input: string | Buffer, feed: Feed = 'whole', limits?: Partial<ParserLimits>): ErrorEvent {
  const { events } = parse(input, feed, limits);
  const last = events[events.length - 1];
  expect(last?.kind, `events: ${JSON.stringify(events)}`).toBe('error');
  return last as ErrorEvent;
}

const HOST = 'Host: example.test\r\n';

describe.each(FEEDS)('request parser, fed %s', (feed) => {
  it('parses a simple GET', () => {
    const m = only(`GET /index.html?x=1 HTTP/1.1\r\n${HOST}Accept: */*\r\n\r\n`, feed);
    expect(m.head.method).toBe('GET');
    expect(m.head.target).toBe('/index.html?x=1');
    expect(m.head.version).toBe('HTTP/1.1');
    expect(m.head.minor).toBe(1);
    expect(m.head.host).toBe('example.test');
    expect(m.head.headers).toEqual([
      ['host', 'example.test'],
      ['accept', '*/*'],
    ]);
    expect(m.head.keepAlive).toBe(true);
    expect(m.head.hasBody).toBe(false);
    expect(m.body.length).toBe(0);
  });

  it('ignores empty lines before the request line', () => {
    const m = only(`\r\n\r\nGET / HTTP/1.1\r\n${HOST}\r\n`, feed);
    expect(m.head.target).toBe('/');
  });

  it('returns pipelined requests in order, bodies included', () => {
    const input =
      `GET /a HTTP/1.1\r\n${HOST}\r\n` +
      `POST /echo HTTP/1.1\r\n${HOST}Content-Length: 5\r\n\r\nhello` +
      `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n` +
      `GET /b HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`;
    const { events } = parse(input, feed);
    const found = messages(events);
    expect(found.map((m) => m.head.target)).toEqual(['/a', '/echo', '/echo', '/b']);
    expect(found.map((m) => m.body.toString())).toEqual(['', 'hello', 'abc', '']);
    expect(found[3]!.head.keepAlive).toBe(false);
    // Requests with a body announce their head first.
    expect(events.map((e) => e.kind)).toEqual(['message', 'head', 'message', 'head', 'message', 'message']);
  });

  it('reads a Content-Length body byte for byte, binary included', () => {
    const body = Buffer.from([0, 1, 2, 13, 10, 255, 128, 65]);
    const m = only(
      Buffer.concat([Buffer.from(`POST /echo HTTP/1.1\r\n${HOST}Content-Length: ${body.length}\r\n\r\n`), body]),
      feed,
    );
    expect(m.head.contentLength).toBe(body.length);
    expect(Buffer.compare(m.body, body)).toBe(0);
  });

  it('decodes a chunked body, ignoring extensions and discarding trailers', () => {
    const input =
      `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n` +
      '4;name=value\r\nWiki\r\n' +
      '5 ; flag ; q="a \\"quoted\\" ext"\r\npedia\r\n' +
      'E\r\n in\r\n\r\nchunks.\r\n' +
      '0;last\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n';
    const m = only(input, feed);
    expect(m.head.chunked).toBe(true);
    expect(m.body.toString()).toBe('Wikipedia in\r\n\r\nchunks.');
    expect(m.head.headers.some(([n]) => n === 'x-trailer')).toBe(false);
  });

  it('reassembles a body of many one-byte chunks', () => {
    const text = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(20);
    const chunks = [...text].map((c) => `1\r\n${c}\r\n`).join('');
    expect(
      only(`POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`, feed).body.toString(),
    ).toBe(text);
  });

  it('accepts Transfer-Encoding chunked in any case', () => {
    expect(only(`POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: ChUnKeD\r\n\r\n0\r\n\r\n`, feed).head.chunked).toBe(
      true,
    );
  });

  it('treats HTTP/1.2 to HTTP/1.9 as HTTP/1.1', () => {
    for (const minor of [2, 5, 9]) {
      const m = only(`GET / HTTP/1.${minor}\r\n${HOST}\r\n`, feed);
      expect(m.head.minor).toBe(1);
      expect(m.head.keepAlive).toBe(true);
    }
  });

  it('applies HTTP/1.0 persistence rules', () => {
    const plain = only('GET / HTTP/1.0\r\n\r\n', feed);
    expect(plain.head.minor).toBe(0);
    expect(plain.head.keepAlive).toBe(false);
    expect(only('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n', feed).head.keepAlive).toBe(true);
    expect(only(`GET / HTTP/1.1\r\n${HOST}Connection: foo, close\r\n\r\n`, feed).head.keepAlive).toBe(false);
  });

  it('flags Expect: 100-continue only for HTTP/1.1 requests with a body', () => {
    const withBody = parse(
      `POST /echo HTTP/1.1\r\n${HOST}Expect: 100-Continue\r\nContent-Length: 2\r\n\r\n`,
      feed,
    ).events;
    expect(withBody).toHaveLength(1);
    expect(withBody[0]!.kind === 'head' && withBody[0]!.head.expectContinue).toBe(true);
    expect(only(`GET / HTTP/1.1\r\n${HOST}Expect: 100-continue\r\n\r\n`, feed).head.expectContinue).toBe(false);
    const old = parse('POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n', feed).events;
    expect(old[0]!.kind === 'head' && old[0]!.head.expectContinue).toBe(false);
  });

  it('trims field values of SP and HTAB only', () => {
    const m = only(
      Buffer.from(
        `GET / HTTP/1.1\r\n${HOST}X-A: \t a b \t\r\nX-B: \x0bv\x0c\r\nX-C: \xa0v\xa0\r\nX-D:\r\n\r\n`,
        'latin1',
      ),
      feed,
    );
    const value = (name: string): string | undefined => m.head.headers.find(([n]) => n === name)?.[1];
    expect(value('x-a')).toBe('a b');
    expect(value('x-b')).toBe('\x0bv\x0c');
    expect(value('x-c')).toBe('\xa0v\xa0');
    expect(value('x-d')).toBe('');
  });

  it('merges identical Content-Length values', () => {
    expect(
      only(`POST /echo HTTP/1.1\r\n${HOST}Content-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc`, feed).body.toString(),
    ).toBe('abc');
  });

  it('accepts an 8000-octet target and a header section just under the limits', () => {
    const target = '/' + 'a'.repeat(7999);
    expect(only(`GET ${target} HTTP/1.1\r\n${HOST}\r\n`, feed).head.target).toBe(target);
    const fields = Array.from({ length: 99 }, (_, i) => `X-F${i}: v\r\n`).join('');
    expect(only(`GET / HTTP/1.1\r\n${HOST}${fields}\r\n`, feed).head.headers).toHaveLength(100);
  });

  it('accepts absolute-form, asterisk-form for OPTIONS and authority-form for CONNECT', () => {
    expect(only(`GET http://example.test/a?b HTTP/1.1\r\n${HOST}\r\n`, feed).head.target).toBe(
      'http://example.test/a?b',
    );
    expect(only(`OPTIONS * HTTP/1.1\r\n${HOST}\r\n`, feed).head.target).toBe('*');
    expect(only(`CONNECT example.test:443 HTTP/1.1\r\n${HOST}\r\n`, feed).head.target).toBe('example.test:443');
  });

  it('reads a body of exactly the limit', () => {
    const body = Buffer.alloc(1024 * 1024, 0x61);
    const m = only(
      Buffer.concat([Buffer.from(`POST /echo HTTP/1.1\r\n${HOST}Content-Length: ${body.length}\r\n\r\n`), body]),
      'whole',
    );
    expect(m.body.length).toBe(body.length);
  });
});

const ERRORS: Array<[string, string, number]> = [
  // request line
  ['bare LF after the request line', `GET / HTTP/1.1\n${HOST}\r\n`, 400],
  ['bare LF in the header section', `GET / HTTP/1.1\r\nHost: x\n\r\n`, 400],
  ['bare LF ending the head', `GET / HTTP/1.1\r\nHost: x\r\n\n`, 400],
  ['two spaces after the method', `GET  / HTTP/1.1\r\n${HOST}\r\n`, 400],
  ['tab as separator', `GET\t/ HTTP/1.1\r\n${HOST}\r\n`, 400],
  ['trailing space after the version', `GET / HTTP/1.1 \r\n${HOST}\r\n`, 400],
  ['missing version', `GET /\r\n${HOST}\r\n`, 400],
  ['method with a non-token character', `GE@T / HTTP/1.1\r\n${HOST}\r\n`, 400],
  ['lower-case HTTP name', `GET / http/1.1\r\n${HOST}\r\n`, 400],
  ['version without minor', `GET / HTTP/1\r\n${HOST}\r\n`, 400],
  ['two-digit minor', `GET / HTTP/1.32\r\n${HOST}\r\n`, 400],
  ['HTTP/2.0', `GET / HTTP/2.0\r\n${HOST}\r\n`, 505],
  ['HTTP/3.0', `GET / HTTP/3.0\r\n${HOST}\r\n`, 505],
  ['control character in the target', `GET /a\x01b HTTP/1.1\r\n${HOST}\r\n`, 400],
  ['DEL in the target', `GET /a\x7fb HTTP/1.1\r\n${HOST}\r\n`, 400],
  ['raw non-ASCII byte in the target', `GET /caf\xe9 HTTP/1.1\r\n${HOST}\r\n`, 400],
  ['fragment in the target', `GET /index.html#top HTTP/1.1\r\n${HOST}\r\n`, 400],
  ['asterisk-form with GET', `GET * HTTP/1.1\r\n${HOST}\r\n`, 400],
  ['relative target', `GET index.html HTTP/1.1\r\n${HOST}\r\n`, 400],
  ['target over 8000 octets', `GET /${'a'.repeat(8000)} HTTP/1.1\r\n${HOST}\r\n`, 414],
  // fields
  ['whitespace before the colon', `GET / HTTP/1.1\r\nHost : x\r\n\r\n`, 400],
  ['tab before the colon', `GET / HTTP/1.1\r\nHost\t: x\r\n\r\n`, 400],
  ['empty field name', `GET / HTTP/1.1\r\n${HOST}: v\r\n\r\n`, 400],
  ['field line without a colon', `GET / HTTP/1.1\r\n${HOST}Oops\r\n\r\n`, 400],
  ['obs-fold', `GET / HTTP/1.1\r\n${HOST}X-A: a\r\n  folded\r\n\r\n`, 400],
  ['whitespace-led first field line', `GET / HTTP/1.1\r\n ${HOST}\r\n`, 400],
  ['NUL in a value', `GET / HTTP/1.1\r\n${HOST}X-A: a\x00b\r\n\r\n`, 400],
  ['CR in a value', `GET / HTTP/1.1\r\n${HOST}X-A: a\rb\r\n\r\n`, 400],
  ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\n\r\n', 400],
  ['two Host fields', `GET / HTTP/1.1\r\n${HOST}${HOST}\r\n`, 400],
  ['two Host fields in HTTP/1.0', `GET / HTTP/1.0\r\n${HOST}${HOST}\r\n`, 400],
  ['invalid Host', `GET / HTTP/1.1\r\nHost: a b/c\r\n\r\n`, 400],
  ['one field over 8 KiB', `GET / HTTP/1.1\r\n${HOST}X-A: ${'v'.repeat(8200)}\r\n\r\n`, 431],
  [
    'header section over 16 KiB',
    `GET / HTTP/1.1\r\n${HOST}${Array.from({ length: 20 }, (_, i) => `X-${i}: ${'v'.repeat(1000)}\r\n`).join('')}\r\n`,
    431,
  ],
  [
    'more than 100 fields',
    `GET / HTTP/1.1\r\n${HOST}${Array.from({ length: 100 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`,
    431,
  ],
  // framing
  ['non-numeric Content-Length', `POST /echo HTTP/1.1\r\n${HOST}Content-Length: abc\r\n\r\n`, 400],
  ['signed Content-Length', `POST /echo HTTP/1.1\r\n${HOST}Content-Length: +3\r\n\r\nabc`, 400],
  ['negative Content-Length', `POST /echo HTTP/1.1\r\n${HOST}Content-Length: -3\r\n\r\nabc`, 400],
  ['hex Content-Length', `POST /echo HTTP/1.1\r\n${HOST}Content-Length: 0x3\r\n\r\nabc`, 400],
  ['empty Content-Length', `POST /echo HTTP/1.1\r\n${HOST}Content-Length:\r\n\r\n`, 400],
  ['Content-Length padded with VT', `POST /echo HTTP/1.1\r\n${HOST}Content-Length: \x0b3\r\n\r\nabc`, 400],
  ['Content-Length padded with NBSP', `POST /echo HTTP/1.1\r\n${HOST}Content-Length: 3\xa0\r\n\r\nabc`, 400],
  ['differing Content-Length list', `POST /echo HTTP/1.1\r\n${HOST}Content-Length: 3, 4\r\n\r\nabc`, 400],
  ['Content-Length values spelled differently', `POST /echo HTTP/1.1\r\n${HOST}Content-Length: 3, 03\r\n\r\nabc`, 400],
  [
    'differing repeated Content-Length',
    `POST /echo HTTP/1.1\r\n${HOST}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabc`,
    400,
  ],
  ['Content-Length over 1 MiB', `POST /echo HTTP/1.1\r\n${HOST}Content-Length: 1048577\r\n\r\n`, 413],
  ['huge Content-Length', `POST /echo HTTP/1.1\r\n${HOST}Content-Length: 99999999999999999999999\r\n\r\n`, 413],
  [
    'Content-Length with Transfer-Encoding',
    `POST /echo HTTP/1.1\r\n${HOST}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
    400,
  ],
  ['unknown transfer coding', `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip\r\n\r\n`, 501],
  ['unknown coding before chunked', `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip, chunked\r\n\r\n`, 501],
  ['chunked not last', `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked, gzip\r\n\r\n`, 400],
  [
    'chunked twice',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n`,
    400,
  ],
  ['empty Transfer-Encoding', `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: \r\n\r\n`, 400],
  ['Transfer-Encoding in HTTP/1.0', 'POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  [
    'chunk size with 0x',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n`,
    400,
  ],
  ['chunk size with +', `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n`, 400],
  ['chunk size with -', `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n`, 400],
  [
    'chunk size with leading space',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n 3\r\nabc\r\n0\r\n\r\n`,
    400,
  ],
  [
    'chunk size with trailing space',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n`,
    400,
  ],
  ['empty chunk size', `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n\r\nabc\r\n0\r\n\r\n`, 400],
  [
    'chunk size over 16 digits',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n00000000000000003\r\nabc\r\n0\r\n\r\n`,
    400,
  ],
  [
    'chunk size overflowing 64 bits',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n10000000000000003\r\nabc\r\n0\r\n\r\n`,
    400,
  ],
  [
    'chunk over the body limit',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc\r\n0\r\n\r\n`,
    413,
  ],
  [
    'bare LF after a chunk size',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n`,
    400,
  ],
  [
    'chunk data not followed by CRLF',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n`,
    400,
  ],
  [
    'chunk data followed by bare LF',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n`,
    400,
  ],
  [
    'malformed chunk extension',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3;\r\nabc\r\n0\r\n\r\n`,
    400,
  ],
  [
    'unterminated quoted chunk extension',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3;a="b\r\nabc\r\n0\r\n\r\n`,
    400,
  ],
  ['bare LF in the trailers', `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\n\r\n`, 400],
  [
    'obs-fold in the trailers',
    `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n 2\r\n\r\n`,
    400,
  ],
];

describe.each(FEEDS)('request parser errors, fed %s', (feed) => {
  it.each(ERRORS)('%s', (_name, input, status) => {
    expect(failure(input, feed).status).toBe(status);
  });

  it('answers an over-long request line before its end arrives', () => {
    expect(failure(`GET /${'a'.repeat(9000)}`, feed).status).toBe(414);
    expect(failure('A'.repeat(9000), feed).status).toBe(400);
  });

  it('answers an over-long field or header section before its end arrives', () => {
    expect(failure(`GET / HTTP/1.1\r\n${HOST}X-A: ${'v'.repeat(9000)}`, feed).status).toBe(431);
    const fields = Array.from({ length: 16 }, (_, i) => `X-${i}: ${'v'.repeat(1000)}\r\n`).join('');
    expect(failure(`GET / HTTP/1.1\r\n${HOST}${fields}X-Last: ${'v'.repeat(500)}`, feed).status).toBe(431);
  });

  it('bounds the framing of a chunked body, not only its data', () => {
    const framing = `1;${'e'.repeat(200)}\r\nx\r\n`.repeat(2000);
    expect(
      failure(`POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n${framing}0\r\n\r\n`, 'whole', {
        maxBody: 64 * 1024,
      }).status,
    ).toBe(413);
    void feed;
  });

  it('counts a chunked body against the limit across chunks', () => {
    const chunk = `80000\r\n${'a'.repeat(0x80000)}\r\n`;
    const input = `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n${chunk}${chunk}1\r\na\r\n0\r\n\r\n`;
    expect(failure(input, 'whole').status).toBe(413);
    void feed;
  });
});

describe('request parser state', () => {
  it('stops for good after an error: no resync on later bytes', () => {
    const parser = new RequestParser();
    parser.push(Buffer.from(`POST /echo HTTP/1.1\r\n${HOST}Content-Length: 1, 2\r\n\r\nx`));
    expect(parser.next()).toMatchObject({ kind: 'error', status: 400 });
    parser.push(Buffer.from(`GET / HTTP/1.1\r\n${HOST}\r\n`));
    expect(parser.next()).toBeNull();
    expect(parser.failed?.status).toBe(400);
  });

  it('reports whether a request is partly received', () => {
    const parser = new RequestParser();
    expect(parser.hasPartialRequest).toBe(false);
    parser.push(Buffer.from('GET / HT'));
    expect(parser.next()).toBeNull();
    expect(parser.hasPartialRequest).toBe(true);
    expect(parser.inBody).toBe(false);
    parser.push(Buffer.from(`TP/1.1\r\n${HOST}\r\n`));
    expect(parser.next()?.kind).toBe('message');
    expect(parser.hasPartialRequest).toBe(false);
  });

  it('reports a body in progress', () => {
    const parser = new RequestParser();
    parser.push(Buffer.from(`POST /echo HTTP/1.1\r\n${HOST}Content-Length: 4\r\n\r\nab`));
    expect(parser.next()?.kind).toBe('head');
    expect(parser.next()).toBeNull();
    expect(parser.inBody).toBe(true);
    parser.push(Buffer.from('cd'));
    const m = parser.next();
    expect(m?.kind === 'message' && m.body.toString()).toBe('abcd');
    expect(parser.inBody).toBe(false);
  });

  it('keeps bytes pushed while the caller is not reading, then parses them all', () => {
    const parser = new RequestParser();
    for (let i = 0; i < 3; i++) parser.push(Buffer.from(`GET /${i} HTTP/1.1\r\n${HOST}\r\n`));
    const targets: string[] = [];
    for (let e = parser.next(); e !== null; e = parser.next()) if (e.kind === 'message') targets.push(e.head.target);
    expect(targets).toEqual(['/0', '/1', '/2']);
  });

  it('keeps a body intact when the next request arrives in the same chunk', () => {
    const parser = new RequestParser();
    parser.push(
      Buffer.from(`POST /echo HTTP/1.1\r\n${HOST}Content-Length: 3\r\n\r\nabcGET /next HTTP/1.1\r\n${HOST}\r\n`),
    );
    const first = parser.next();
    const body = first?.kind === 'head' ? parser.next() : first;
    expect(body?.kind === 'message' && body.body.toString()).toBe('abc');
    const second = parser.next();
    expect(second?.kind === 'message' && second.head.target).toBe('/next');
  });
});

describe('request target paths', () => {
  it('extracts the path of origin-form and absolute-form targets, without the query', () => {
    expect(targetPath('/a/b?c=d')).toBe('/a/b');
    expect(targetPath('http://host/a?b')).toBe('/a');
    expect(targetPath('http://host')).toBe('/');
    expect(targetPath('http://host?x=/y')).toBe('/');
    expect(targetPath('*')).toBeNull();
    expect(targetPath('host:443')).toBeNull();
  });

  it('decodes and normalises inside the root', () => {
    expect(decodePath('/')).toEqual({ ok: true, segments: [], trailingSlash: true });
    expect(decodePath('/sub/page.html')).toEqual({ ok: true, segments: ['sub', 'page.html'], trailingSlash: false });
    expect(decodePath('/sub/../index.html')).toEqual({ ok: true, segments: ['index.html'], trailingSlash: false });
    expect(decodePath('/a//./b/')).toEqual({ ok: true, segments: ['a', 'b'], trailingSlash: true });
    expect(decodePath('/caf%C3%A9%20x')).toEqual({ ok: true, segments: ['café x'], trailingSlash: false });
  });

  it.each([
    ['/../outside-root.txt', 403],
    ['/%2e%2e/outside-root.txt', 403],
    ['/%2E%2E/outside-root.txt', 403],
    ['/sub/../../outside-root.txt', 403],
    ['/..%2foutside-root.txt', 403],
    ['/sub%2Fpage.html', 403],
    ['/..%5coutside-root.txt', 403],
    ['/..\\outside-root.txt', 403],
    ['/index.html%00.txt', 403],
    ['/%c0%ae%c0%ae/outside-root.txt', 404],
    ['/%e0%80%ae', 404],
    ['/%zz', 400],
    ['/%4', 400],
  ])('refuses %s', (path, status) => {
    const decoded = decodePath(path);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.status).toBe(status);
  });
});

/** A transport that records what the connection does. */
class RecordingIO implements ConnectionIO {
  chunks: Buffer[] = [];
  ended = false;
  destroyed = false;
  /** What write() answers: false simulates a peer that is not reading. */
  accepting = true;

  write(data: Buffer): boolean {
    this.chunks.push(Buffer.from(data));
    return this.accepting;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }
  get statuses(): number[] {
    return [...this.text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  }
}

const ROOT = fileURLToPath(new URL('../../fixtures/www/', import.meta.url));
const TIMEOUTS = { headerTimeoutMs: 1000, idleTimeoutMs: 2000 };

function connection(): { io: RecordingIO; conn: HttpConnection } {
  const io = new RecordingIO();
  const conn = new HttpConnection(io, new RequestHandler(ROOT, 'gauntlet-test'), TIMEOUTS);
  return { io, conn };
}

describe('HTTP connection over the parser', () => {
  it('answers pipelined requests in order, each response in one write', () => {
    const { io, conn } = connection();
    conn.onData(
      Buffer.from(
        `GET /hello.txt HTTP/1.1\r\n${HOST}\r\nHEAD /data.json HTTP/1.1\r\n${HOST}\r\nGET /missing HTTP/1.1\r\n${HOST}\r\n`,
      ),
    );
    expect(io.statuses).toEqual([200, 200, 404]);
    expect(io.chunks).toHaveLength(3);
    expect(io.chunks[0]!.toString()).toMatch(
      /^HTTP\/1\.1 200 OK\r\n[^]*\r\nContent-Length: 16\r\n\r\nplain text file\n$/,
    );
    expect(io.chunks[1]!.toString()).toMatch(/\r\n\r\n$/);
    // A 404 to a request read whole leaves the framing intact: the connection goes on.
    expect(io.chunks[2]!.toString()).not.toContain('Connection: close\r\n');
    expect(io.ended).toBe(false);
  });

  it('closes after an HTTP/1.0 response unless keep-alive was asked', () => {
    const plain = connection();
    plain.conn.onData(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    expect(plain.io.text).toContain('Connection: close\r\n');
    expect(plain.io.ended).toBe(true);
    const kept = connection();
    kept.conn.onData(Buffer.from('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'));
    expect(kept.io.text).toContain('Connection: keep-alive\r\n');
    expect(kept.io.ended).toBe(false);
  });

  it('sends 100 Continue before reading the body, and refuses an oversized one without it', () => {
    const { io, conn } = connection();
    conn.onData(Buffer.from(`POST /echo HTTP/1.1\r\n${HOST}Expect: 100-continue\r\nContent-Length: 5\r\n\r\n`));
    expect(io.text).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    conn.onData(Buffer.from('hello'));
    expect(io.statuses).toEqual([100, 200]);
    expect(io.text.endsWith('\r\n\r\nhello')).toBe(true);
    const big = connection();
    big.conn.onData(
      Buffer.from(`POST /echo HTTP/1.1\r\n${HOST}Expect: 100-continue\r\nContent-Length: 2000000\r\n\r\n`),
    );
    expect(big.io.statuses).toEqual([413]);
    expect(big.io.ended).toBe(true);
  });

  it('never serves a path outside the root', () => {
    for (const target of [
      '/../outside-root.txt',
      '/%2e%2e/outside-root.txt',
      '/..%2foutside-root.txt',
      '/%c0%ae%c0%ae/outside-root.txt',
      '/..%5coutside-root.txt',
    ]) {
      const { io, conn } = connection();
      conn.onData(Buffer.from(`GET ${target} HTTP/1.1\r\n${HOST}\r\n`));
      expect([403, 404]).toContain(io.statuses[0]);
      expect(io.text).not.toContain('GAUNTLET-OUTSIDE-ROOT');
    }
  });

  it('answers 408 to a head not complete in time, and closes an idle connection quietly', () => {
    const slow = connection();
    slow.conn.onData(Buffer.from(`GET / HTTP/1.1\r\n${HOST}`));
    slow.conn.tick(Date.now() + TIMEOUTS.headerTimeoutMs + 10);
    expect(slow.io.statuses).toEqual([408]);
    expect(slow.io.ended).toBe(true);
    const idle = connection();
    idle.conn.tick(Date.now() + TIMEOUTS.headerTimeoutMs + 10);
    expect(idle.io.ended).toBe(false);
    idle.conn.tick(Date.now() + TIMEOUTS.idleTimeoutMs + 10);
    expect(idle.io.chunks).toHaveLength(0);
    expect(idle.io.ended).toBe(true);
  });

  it('stops answering pipelined requests while the peer does not read', () => {
    const { io, conn } = connection();
    io.accepting = false;
    conn.onData(Buffer.from(`GET /hello.txt HTTP/1.1\r\n${HOST}\r\n`.repeat(3)));
    expect(io.statuses).toEqual([200]);
    io.accepting = true;
    conn.onDrain();
    expect(io.statuses).toEqual([200, 200, 200]);
    expect(io.ended).toBe(false);
  });

  it('answers the complete requests before a FIN, then closes', () => {
    const { io, conn } = connection();
    conn.onData(Buffer.from(`GET /hello.txt HTTP/1.1\r\n${HOST}\r\nGET /hello.txt HTTP/1.1\r\n`));
    conn.onEnd();
    expect(io.statuses).toEqual([200]);
    expect(io.ended).toBe(true);
  });
});
