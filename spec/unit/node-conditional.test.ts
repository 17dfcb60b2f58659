/**
 * The decisions of servers/_common/node/conditional.ts on data: HTTP-dates in their three forms,
 * entity-tag comparison, the order of preconditions (RFC 9110 §13.2.2), and Range parsing with
 * its policy (ignore what is invalid, what is another unit, and ranges adding up past the file).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

const PYTHON_COMMON = fileURLToPath(new URL('../../servers/_common/python', import.meta.url));
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
/** A file of 16 bytes last changed on 1 Jan 2026, 00:00:00.5 UTC. */
const v = validatorsFor(16, BigInt(Date.UTC(2026, 0, 1) + 500) * 1_000_000n, NOW);
const T = Date.UTC(2026, 0, 1) / 1000;

describe('validators', () => {
  it('makes a strong ETag of size and microseconds, and Last-Modified of whole seconds', () => {
    expect(v.etag).toBe(`"10-${((Date.UTC(2026, 0, 1) + 500) * 1000).toString(16)}"`);
    expect(v.lastModified).toBe('Thu, 01 Jan 2026 00:00:00 GMT');
    expect(v.fields).toContain('Accept-Ranges: bytes\r\n');
  });

  it('never dates Last-Modified after now', () => {
    expect(validatorsFor(1, BigInt(NOW + 86_400_000) * 1_000_000n, NOW).modifiedS).toBe(NOW / 1000);
  });

  it('takes the microseconds from the exact nanoseconds, where a float mtimeMs is one off', () => {
    // 1780000000.123456999 s: as a float of milliseconds, times 1000, this floors to ...123457.
    const ns = 1_780_000_000_123_456_999n;
    expect(Math.floor((Number(ns) / 1e6) * 1000)).not.toBe(1_780_000_000_123_456);
    expect(validatorsFor(1, ns, NOW).etag).toBe(`"1-${(1_780_000_000_123_456).toString(16)}"`);
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

/** Range values and what a 34-byte file makes of them: [first, last] pairs, [] for 416, null to ignore. */
const RANGE_TABLE: ReadonlyArray<readonly [string, number[][] | null]> = [
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
  // Positions of thousands of digits: past any file, never converted digit by digit.
  [`bytes=3-${'9'.repeat(5000)}`, [[3, 33]]],
  [`bytes=${'9'.repeat(5000)}-`, []],
  [`bytes=-${'9'.repeat(5000)}`, [[0, 33]]],
  [`bytes=${'9'.repeat(5000)}-3`, null],
];

describe('parseRanges (a 34-byte file)', () => {
  it.each(RANGE_TABLE.map(([value, want]) => [value.length > 60 ? `${value.slice(0, 40)}...` : value, value, want]))(
    '%s',
    (_label, value, want) => {
      const got = parseRanges(value, 34);
      expect(got === null ? null : got.map((r) => [r.first, r.last])).toEqual(want);
    },
  );

  it('decides as the Python servers do (gauntlet_conditional.parse_ranges), on the same table', () => {
    // The Python reference servers and the broken-server control share that module: a value the
    // two languages read differently is a reference server that disagrees with the other three.
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(PYTHON_COMMON)})`,
      'import gauntlet_conditional as c',
      'values = json.load(sys.stdin)',
      'out = [c.parse_ranges(v, 34) for v in values]',
      'print(json.dumps([None if r is None else [list(p) for p in r] for r in out]))',
    ].join('\n');
    const run = spawnSync('python3', ['-c', script], {
      input: JSON.stringify(RANGE_TABLE.map(([value]) => value)),
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(RANGE_TABLE.map(([, want]) => want));
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
