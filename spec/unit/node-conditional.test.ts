/**
 * The decisions of servers/_common/node/conditional.ts on data: HTTP-dates in their three forms,
 * entity-tag comparison, the order of preconditions (RFC 9110 §13.2.2), and Range parsing with
 * its policy (ignore what is invalid, what is another unit, and ranges adding up past the file).
 */
import { describe, expect, it } from 'vitest';
import {
  byteRangePlan,
  conditionalFields,
  ifMatchPasses,
  ifNoneMatchPasses,
  ifRangePasses,
  multipart,
  parseHttpDate,
  parseRanges,
  preconditions,
  validatorsFor,
} from '../../servers/_common/node/conditional.ts';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
/** A file of 16 bytes last changed on 1 Jan 2026, 00:00:00.5 UTC. */
const v = validatorsFor(16, Date.UTC(2026, 0, 1) + 500, NOW);
const T = Date.UTC(2026, 0, 1) / 1000;

describe('validators', () => {
  it('makes a strong ETag of size and microseconds, and Last-Modified of whole seconds', () => {
    expect(v.etag).toBe(`"10-${((Date.UTC(2026, 0, 1) + 500) * 1000).toString(16)}"`);
    expect(v.lastModified).toBe('Thu, 01 Jan 2026 00:00:00 GMT');
    expect(v.fields).toContain('Accept-Ranges: bytes\r\n');
  });

  it('never dates Last-Modified after now', () => {
    expect(validatorsFor(1, NOW + 86_400_000, NOW).modifiedS).toBe(NOW / 1000);
  });
});

describe('parseHttpDate', () => {
  it.each([
    ['Thu, 01 Jan 2026 00:00:00 GMT', T],
    ['Thursday, 01-Jan-26 00:00:00 GMT', T],
    ['Thu Jan  1 00:00:00 2026', T],
    ['Sun, 06 Nov 1994 08:49:37 GMT', 784111777],
  ])('%s', (text, want) => {
    expect(parseHttpDate(text, NOW)).toBe(want);
  });

  it.each([
    'tomorrow',
    'Thu, 01 Jan 2026 00:00:00 GMT, Fri, 02 Jan 2026 00:00:00 GMT',
    'Thu, 31 Feb 2026 00:00:00 GMT',
    'Thu, 01 Jan 2026 24:00:00 GMT',
    '',
  ])('refuses %j', (text) => {
    expect(parseHttpDate(text, NOW)).toBeNull();
  });

  it('reads a two-digit year more than 50 years ahead as the past century', () => {
    expect(parseHttpDate('Wednesday, 01-Jan-99 00:00:00 GMT', NOW)).toBe(Date.UTC(1999, 0, 1) / 1000);
  });
});

describe('entity-tags', () => {
  const own = v.etag.slice(1, -1);
  it('compares If-Match strongly and If-None-Match weakly', () => {
    expect(ifMatchPasses(`"x", "${own}"`, v.etag)).toBe(true);
    expect(ifMatchPasses(`W/"${own}"`, v.etag)).toBe(false);
    expect(ifMatchPasses('*', v.etag)).toBe(true);
    expect(ifNoneMatchPasses(`W/"${own}"`, v.etag)).toBe(false);
    expect(ifNoneMatchPasses('"x"', v.etag)).toBe(true);
    expect(ifNoneMatchPasses('*', v.etag)).toBe(false);
  });

  it('If-Range: a strong tag or the exact Last-Modified', () => {
    expect(ifRangePasses(v.etag, v, NOW)).toBe(true);
    expect(ifRangePasses(`W/${v.etag}`, v, NOW)).toBe(false);
    expect(ifRangePasses(v.lastModified, v, NOW)).toBe(true);
    expect(ifRangePasses('Fri, 02 Jan 2026 00:00:00 GMT', v, NOW)).toBe(false);
  });
});

describe('preconditions', () => {
  const run = (fields: Record<string, string>, method = 'GET') =>
    preconditions(conditionalFields(Object.entries(fields))!, method, v, NOW);

  it.each([
    [{ 'if-none-match': '*' }, 'not-modified'],
    [{ 'if-none-match': '"x"', 'if-modified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' }, 'ok'],
    [{ 'if-modified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' }, 'not-modified'],
    [{ 'if-modified-since': v.lastModified }, 'not-modified'],
    [{ 'if-modified-since': 'Sun, 06 Nov 1994 08:49:37 GMT' }, 'ok'],
    [{ 'if-modified-since': 'garbage' }, 'ok'],
    [{ 'if-match': '"x"', 'if-none-match': '*' }, 'failed'],
    [{ 'if-match': '*', 'if-unmodified-since': 'Sun, 06 Nov 1994 08:49:37 GMT' }, 'ok'],
    [{ 'if-unmodified-since': 'Sun, 06 Nov 1994 08:49:37 GMT' }, 'failed'],
    [{ 'if-unmodified-since': 'garbage' }, 'ok'],
  ] as const)('%j is %s', (fields, want) => {
    expect(run(fields)).toBe(want);
  });

  it('ignores If-Modified-Since on other methods, and fails If-None-Match there with 412', () => {
    expect(run({ 'if-modified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' }, 'POST')).toBe('ok');
    expect(run({ 'if-none-match': '*' }, 'POST')).toBe('failed');
  });

  it('finds no field in a request without one, and joins repeated fields', () => {
    expect(conditionalFields([['host', 'x']])).toBeNull();
    expect(
      conditionalFields([
        ['if-none-match', '"a"'],
        ['if-none-match', '"b"'],
      ]),
    ).toEqual({
      'if-none-match': '"a", "b"',
    });
  });
});

describe('parseRanges (a 34-byte file)', () => {
  it.each([
    ['bytes=0-9', [[0, 9]]],
    ['bytes=10-', [[10, 33]]],
    ['bytes=-5', [[29, 33]]],
    ['bytes=-1000', [[0, 33]]],
    ['bytes=20-1000', [[20, 33]]],
    ['bytes=3-99999999999999999999999', [[3, 33]]],
    ['BYTES = 0-0', null],
    [
      'Bytes=0-0, 33-33',
      [
        [0, 0],
        [33, 33],
      ],
    ],
    [
      'bytes=0-1,,5-6',
      [
        [0, 1],
        [5, 6],
      ],
    ],
    ['bytes=34-', []],
    ['bytes=1000-2000,-0', []],
    ['bytes=9-2', null],
    ['bytes=abc', null],
    ['items=0-4', null],
    ['bytes=', null],
    ['bytes=0-,0-', null],
  ] as const)('%s', (value, want) => {
    const got = parseRanges(value, 34);
    expect(got === null ? null : got.map((r) => [r.first, r.last])).toEqual(want);
  });

  it('applies Range to GET only, and not after a false If-Range', () => {
    expect(byteRangePlan({ range: 'bytes=0-1' }, 'HEAD', v, 16, NOW)).toBeNull();
    expect(byteRangePlan({ range: 'bytes=0-1', 'if-range': '"x"' }, 'GET', v, 16, NOW)).toBeNull();
    expect(byteRangePlan({ range: 'bytes=0-1', 'if-range': v.etag }, 'GET', v, 16, NOW)).toEqual([
      { first: 0, last: 1 },
    ]);
  });
});

describe('multipart', () => {
  it('frames each part with its Content-Type and Content-Range, and ends with the close delimiter', () => {
    const { content, contentType } = multipart(
      [
        { first: 0, last: 1 },
        { first: 4, last: 5 },
      ],
      Buffer.from('abcdefgh'),
      'text/plain',
      8,
    );
    const boundary = contentType.split('boundary=')[1]!;
    expect(content.toString('latin1')).toBe(
      `\r\n--${boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/8\r\n\r\nab` +
        `\r\n--${boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 4-5/8\r\n\r\nef` +
        `\r\n--${boundary}--\r\n`,
    );
  });
});
