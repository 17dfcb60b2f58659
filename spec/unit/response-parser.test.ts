import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseResponses, contentLength, headerValue, headerValues } from '../../lib/conformance/response-parser.ts';

const b = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const text = (u: Uint8Array) => Buffer.from(u).toString('latin1');

describe('parseResponses', () => {
  it('reads a Content-Length response: status line, fields in order, exact body, offsets', () => {
    const raw = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello';
    const out = parseResponses(b(raw), { ended: true });
    expect(out.responses).toHaveLength(1);
    const r = out.responses[0]!;
    expect(r).toMatchObject({
      version: '1.1',
      status: 200,
      reason: 'OK',
      framing: 'content-length',
      start: 0,
      end: raw.length,
    });
    expect(r.headers).toEqual([
      ['Content-Type', 'text/plain'],
      ['Content-Length', '5'],
      ['X-A', '1'],
    ]);
    expect(text(r.body)).toBe('hello');
    expect(r.incomplete).toBeUndefined();
    expect(out.trailingGarbage).toBe(0);
  });

  it('counts two responses to what was one request: the smuggling signal', () => {
    const one = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi';
    const two = 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
    const out = parseResponses(b(one + two));
    expect(out.responses.map((r) => r.status)).toEqual([200, 404]);
    expect(out.responses[1]!.start).toBe(one.length);
  });

  it('decodes a chunked body with extensions and trailers', () => {
    const raw =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n';
    const out = parseResponses(b(raw + 'HTTP/1.1 204 No Content\r\n\r\n'));
    expect(out.responses).toHaveLength(2);
    expect(out.responses[0]).toMatchObject({ framing: 'chunked', end: raw.length });
    expect(text(out.responses[0]!.body)).toBe('hello world');
    expect(out.responses[1]).toMatchObject({ status: 204, framing: 'none' });
  });

  it('gives a response to HEAD no body, whatever its Content-Length says', () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 115\r\n\r\n';
    const get = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc';
    const out = parseResponses(b(head + get), { methods: ['HEAD', 'GET'] });
    expect(out.responses).toHaveLength(2);
    expect(out.responses[0]).toMatchObject({ framing: 'none', end: head.length });
    expect(out.responses[0]!.body).toHaveLength(0);
    expect(text(out.responses[1]!.body)).toBe('abc');
    // Without knowing the method, the second response is read as the first one's body.
    expect(parseResponses(b(head + get)).responses).toHaveLength(1);
  });

  it('keeps 1xx responses apart from final ones, and they take no method slot', () => {
    const raw = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx';
    const out = parseResponses(b(raw), { methods: ['HEAD'] });
    expect(out.interim.map((r) => r.status)).toEqual([100]);
    expect(out.responses.map((r) => r.status)).toEqual([200]);
    expect(out.responses[0]!.framing).toBe('none');
    expect(out.trailingGarbage).toBe(1);
  });

  it('reads no body for 204 and 304 even with Content-Length', () => {
    const out = parseResponses(
      b('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'),
    );
    expect(out.responses.map((r) => [r.status, r.framing])).toEqual([
      [304, 'none'],
      [204, 'none'],
    ]);
  });

  it('reads a body without length to the close, complete only once the server closed', () => {
    const raw = b('HTTP/1.0 200 OK\r\n\r\nall of it');
    expect(parseResponses(raw, { ended: true }).responses[0]).toMatchObject({ framing: 'close', version: '1.0' });
    expect(parseResponses(raw, { ended: true }).responses[0]!.incomplete).toBeUndefined();
    expect(parseResponses(raw, { ended: false }).responses[0]!.incomplete).toBe(true);
  });

  it('reads to the close when chunked is not the final coding (RFC 9112 §6.3)', () => {
    const out = parseResponses(
      b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n'),
      { ended: true },
    );
    expect(out.responses[0]!.framing).toBe('close');
  });

  it('reads to the close after an invalid Content-Length', () => {
    const out = parseResponses(b('HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd'), { ended: true });
    expect(out.responses[0]!.framing).toBe('close');
    expect(text(out.responses[0]!.body)).toBe('abcd');
  });

  it('reports the bytes after the last response that do not parse', () => {
    const out = parseResponses(b('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA'));
    expect(out.responses).toHaveLength(1);
    expect(out.trailingGarbage).toBe(5);
    expect(out.garbageStart).toBe(out.responses[0]!.end);
    expect(out.stoppedBecause).toBe('the bytes are not a status line');
  });

  it('treats bytes that are not a status line as garbage, without resynchronising', () => {
    const raw = 'garbage\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
    const out = parseResponses(b(raw));
    expect(out.responses).toHaveLength(0);
    expect(out.trailingGarbage).toBe(raw.length);
  });

  it('does not count a head that never ended as a response', () => {
    const out = parseResponses(b('HTTP/1.1 200 OK\r\nContent-Le'));
    expect(out.responses).toHaveLength(0);
    expect(out.trailingGarbage).toBe(27);
    expect(out.stoppedBecause).toBe('the header section never ended');
    expect(parseResponses(b('HTT')).stoppedBecause).toBe('the status line never ended');
  });

  it('marks a body cut short', () => {
    const raw = 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc';
    const out = parseResponses(b(raw), { ended: true });
    expect(out.responses[0]).toMatchObject({ incomplete: true, end: raw.length });
    expect(text(out.responses[0]!.body)).toBe('abc');
    const chunked = parseResponses(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel'));
    expect(chunked.responses[0]!.incomplete).toBe(true);
    expect(text(chunked.responses[0]!.body)).toBe('hel');
  });

  it('stops a chunked body at bytes that are not chunked syntax and reports them', () => {
    const raw = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiXX';
    const out = parseResponses(b(raw));
    expect(out.responses[0]!.incomplete).toBe(true);
    expect(out.trailingGarbage).toBe(2);
    const badSize = parseResponses(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'));
    expect(badSize.trailingGarbage).toBe(4);
  });

  it('accepts bare LF line ends, a missing reason phrase and folded fields, as a lenient client would', () => {
    const out = parseResponses(b('HTTP/1.1 200\nContent-Length: 1\nX-Long: a\n  b\n\nz'));
    expect(out.responses[0]).toMatchObject({ status: 200, reason: '' });
    expect(headerValue(out.responses[0]!, 'x-long')).toBe('a b');
    expect(text(out.responses[0]!.body)).toBe('z');
  });

  it('finds field values case-insensitively', () => {
    const out = parseResponses(b('HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nset-cookie: b\r\nContent-Length: 0\r\n\r\n'));
    expect(headerValues(out.responses[0]!, 'SET-COOKIE')).toEqual(['a', 'b']);
  });
});

describe('contentLength', () => {
  it.each([
    [['5'], 5],
    [['5, 5'], 5],
    [['5', '005'], 5],
    [['5', '6'], null],
    [['+5'], null],
    [[''], null],
    [['0x10'], null],
    [['99999999999999999999'], null],
  ])('%j -> %j', (values, expected) => {
    expect(contentLength(values)).toBe(expected);
  });
});

describe('parseResponses, properties', () => {
  const arbResponse = fc.record({
    status: fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304),
    body: fc.uint8Array({ maxLength: 64 }),
    chunked: fc.boolean(),
    chunkSize: fc.integer({ min: 1, max: 9 }),
  });

  function serialise(r: { status: number; body: Uint8Array; chunked: boolean; chunkSize: number }): Buffer {
    if (!r.chunked)
      return Buffer.concat([Buffer.from(`HTTP/1.1 ${r.status} X\r\nContent-Length: ${r.body.length}\r\n\r\n`), r.body]);
    const parts: Buffer[] = [Buffer.from(`HTTP/1.1 ${r.status} X\r\nTransfer-Encoding: chunked\r\n\r\n`)];
    for (let i = 0; i < r.body.length; i += r.chunkSize) {
      const piece = r.body.subarray(i, i + r.chunkSize);
      parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), Buffer.from(piece), Buffer.from('\r\n'));
    }
    parts.push(Buffer.from('0\r\n\r\n'));
    return Buffer.concat(parts);
  }

  it('parses any sequence of well-framed responses back to the same statuses and bodies', () => {
    fc.assert(
      fc.property(fc.array(arbResponse, { maxLength: 5 }), (rs) => {
        const out = parseResponses(Buffer.concat(rs.map(serialise)), { ended: true });
        expect(out.responses.map((r) => r.status)).toEqual(rs.map((r) => r.status));
        out.responses.forEach((r, i) => expect(Buffer.from(r.body).equals(Buffer.from(rs[i]!.body))).toBe(true));
        expect(out.trailingGarbage).toBe(0);
      }),
    );
  });

  it('never throws on arbitrary bytes, and accounts for every byte', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc
            .array(
              fc.constantFrom(
                'HTTP/1.1 200 OK',
                '\r\n',
                'Content-Length: 3',
                'Transfer-Encoding: chunked',
                '5',
                'abc',
                ':',
                ' ',
              ),
            )
            .map((a) => b(a.join(''))),
        ),
        (bytes) => {
          const out = parseResponses(bytes);
          expect(out.garbageStart + out.trailingGarbage).toBe(bytes.length);
          let pos = 0;
          for (const r of [...out.interim, ...out.responses].sort((x, y) => x.start - y.start)) {
            expect(r.start).toBeGreaterThanOrEqual(pos);
            expect(r.end).toBeGreaterThanOrEqual(r.start);
            pos = r.end;
          }
          expect(pos).toBeLessThanOrEqual(out.garbageStart);
        },
      ),
    );
  });
});
