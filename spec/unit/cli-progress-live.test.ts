/**
 * bench's progress on long cells: every second the requests per second and the p99 so far, one
 * line rewritten on a terminal, a plain line each elsewhere (a log, NO_COLOR).
 */
import { describe, it, expect, vi, afterEach } from 'vitest';
import { LIVE_AFTER_S, fitTo, liveLine, progressReporter, showsLive } from '../../lib/cli/progress.ts';
import type { LiveFigures } from '../../lib/load/live.ts';
import type { ServerSpec } from '../../lib/types.ts';

const figures = (over: Partial<LiveFigures> = {}): LiveFigures => ({
  elapsedS: 3.4,
  complete: 12_000,
  failed: 0,
  requestsPerSecond: 4012.6,
  p99Us: 1234,
  ...over,
});

/** A stream that keeps what is written; a terminal when `tty`. */
function stream(tty: boolean, columns?: number): NodeJS.WriteStream & { text: () => string } {
  let text = '';
  return {
    isTTY: tty,
    columns,
    write: (chunk: string) => ((text += chunk), true),
    text: () => text,
  } as unknown as NodeJS.WriteStream & { text: () => string };
}

const SPEC = { name: 'node-async', model: 'async', language: 'node' } as ServerSpec;

describe('the live line', () => {
  it.each<[string, Partial<LiveFigures>, string]>([
    ['a steady cell', {}, '3 s: 4013 req/s, p99 1.23 ms so far'],
    ['failures so far are said', { failed: 7 }, '3 s: 4013 req/s, p99 1.23 ms so far, 7 failed'],
    [
      'nothing complete yet',
      { complete: 0, requestsPerSecond: 0, p99Us: null },
      '3 s: 0 req/s, no request complete yet',
    ],
  ])('%s', (_name, over, line) => {
    expect(liveLine(figures(over))).toBe(line);
  });

  it.each<[string, { durationS?: number }, number, boolean]>([
    ['a cell of a duration, from its first second', { durationS: 10 }, 1, true],
    ['a cell of a count, not before it has run 2 s', {}, LIVE_AFTER_S - 0.5, false],
    ['a cell of a count, once it has run 2 s', {}, LIVE_AFTER_S, true],
  ])('is shown for %s', (_name, cell, elapsedS, shown) => {
    expect(showsLive(cell, { elapsedS })).toBe(shown);
  });

  it('is cut to the width of the terminal, so that it never wraps', () => {
    expect(fitTo('abcdef', 4)).toBe('abc');
    expect(fitTo('abc', 4)).toBe('abc');
    expect(fitTo('abcdef', undefined)).toBe('abcdef');
  });
});

describe('progressReporter on long cells', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('writes a plain line per second in a log, and none for a short cell of a count', () => {
    vi.stubEnv('NO_COLOR', undefined);
    const out = stream(false);
    const events = progressReporter(out);
    events.cellStarted!(SPEC, { requests: 0, concurrency: 4, durationS: 10 }, 0, 2);
    events.cellLive!(figures({ elapsedS: 1 }));
    events.cellLive!(figures({ elapsedS: 2, p99Us: 2000 }));
    events.cellStarted!(SPEC, { requests: 1000, concurrency: 4 }, 1, 2);
    events.cellLive!(figures({ elapsedS: 1 }));
    expect(out.text()).toBe(
      '      node-async cell 1/2: 10 s x 4 concurrent  1 s: 4013 req/s, p99 1.23 ms so far\n' +
        '      node-async cell 1/2: 10 s x 4 concurrent  2 s: 4013 req/s, p99 2.00 ms so far\n',
    );
    expect(out.text()).not.toContain('\r');
  });

  it('rewrites one line on a terminal, the count and the live figures side by side', () => {
    vi.stubEnv('NO_COLOR', undefined);
    const out = stream(true);
    const events = progressReporter(out);
    events.cellStarted!(SPEC, { requests: 100_000, concurrency: 4 }, 0, 1);
    events.cellProgress!(5000, 100_000);
    events.cellLive!(figures());
    const draws = out.text().split('\r\x1b[2K').filter(Boolean);
    expect(draws.at(-1)).toBe(
      '      node-async cell 1/1: 100000 requests x 4 concurrent  5000/100000  3 s: 4013 req/s, p99 1.23 ms so far',
    );
    expect(out.text()).not.toContain('\n');
  });

  it('writes plain lines on a terminal too when NO_COLOR asks for no escape code', () => {
    vi.stubEnv('NO_COLOR', '1');
    const out = stream(true);
    const events = progressReporter(out);
    events.cellStarted!(SPEC, { requests: 0, concurrency: 1, durationS: 5 }, 0, 1);
    events.cellLive!(figures());
    expect(out.text()).toBe('      node-async cell 1/1: 5 s x 1 concurrent  3 s: 4013 req/s, p99 1.23 ms so far\n');
  });

  it('fits the rewritten line to a narrow terminal', () => {
    vi.stubEnv('NO_COLOR', undefined);
    const out = stream(true, 40);
    const events = progressReporter(out);
    events.cellStarted!(SPEC, { requests: 0, concurrency: 4, durationS: 10 }, 0, 1);
    events.cellLive!(figures());
    for (const draw of out.text().split('\r\x1b[2K').filter(Boolean)) expect(draw.length).toBeLessThan(40);
  });
});
