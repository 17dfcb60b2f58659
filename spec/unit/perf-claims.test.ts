import { describe, expect, it } from 'vitest';
import { cellMatches, ClaimSyntaxError, metricLabel, parseClaim, parseWhere } from '../../lib/perf/claims.ts';
import { ConfigError, resolveConfig } from '../../lib/perf/config.ts';

describe('parseClaim: relative claims', () => {
  it('reads "a >= b at every c"', () => {
    expect(parseClaim('python-async >= python-threaded at every c')).toMatchObject({
      kind: 'relative',
      a: 'python-async',
      b: 'python-threaded',
      op: '>=',
      factor: 1,
      where: { text: 'every c', parts: [] },
    });
  });

  it('reads a factor, and a strict claim', () => {
    expect(parseClaim('node-async >= 0.9 * node-threaded')).toMatchObject({
      a: 'node-async',
      b: 'node-threaded',
      factor: 0.9,
    });
    expect(parseClaim('node-async > node-threaded at c>=100')).toMatchObject({ op: '>' });
  });

  it('reads "a <= f * b" as "b >= (1/f) * a"', () => {
    const c = parseClaim('slow <= 2 * fast');
    expect(c).toMatchObject({ kind: 'relative', a: 'fast', b: 'slow', op: '>=' });
    expect(c.kind === 'relative' && c.factor).toBeCloseTo(0.5);
    expect(parseClaim('slow < fast')).toMatchObject({ a: 'fast', b: 'slow', op: '>' });
  });

  it('implies no failures unless it says "allowing failures"', () => {
    expect(parseClaim('a >= b at c>=30')).not.toHaveProperty('allowFailures');
    expect(parseClaim('a >= b at c>=30 allowing failures')).toMatchObject({
      a: 'a',
      b: 'b',
      allowFailures: true,
      where: { text: 'c>=30' },
    });
    expect(parseClaim('a > b, allowing failures')).toMatchObject({
      op: '>',
      allowFailures: true,
      where: { text: 'every c' },
    });
    expect(() => parseClaim('failed == 0 allowing failures')).toThrow(
      'claim "failed == 0 allowing failures": "allowing failures" applies to comparisons of two servers; a threshold such as "failed <= 10" states its own',
    );
  });

  it('refuses a comparison of a server with itself and a non-positive factor', () => {
    expect(() => parseClaim('a >= a')).toThrow(ClaimSyntaxError);
    expect(() => parseClaim('a >= 0 * b')).toThrow(/positive/);
  });
});

describe('parseClaim: absolute claims (k6-like)', () => {
  it('reads latency bounds with units, in milliseconds', () => {
    expect(parseClaim('p(99) < 20ms')).toMatchObject({
      kind: 'absolute',
      servers: null,
      metric: { kind: 'latency', stat: 'p99' },
      op: '<',
      value: 20,
    });
    expect(parseClaim('p(90) <= 1.5s')).toMatchObject({ value: 1500 });
    expect(parseClaim('avg < 500us')).toMatchObject({ metric: { stat: 'mean' }, value: 0.5 });
    expect(parseClaim('med < 3')).toMatchObject({ metric: { stat: 'p50' }, value: 3 });
    expect(parseClaim('p(99.9) < 50ms')).toMatchObject({ metric: { kind: 'latency', stat: 'p99_9' }, value: 50 });
  });

  it('reads rps and counts, and a server scope', () => {
    expect(parseClaim('rps > 500')).toMatchObject({ metric: { kind: 'rps' }, op: '>', value: 500 });
    expect(parseClaim('failed == 0')).toMatchObject({ metric: { kind: 'count', count: 'failed' }, op: '==', value: 0 });
    expect(parseClaim('node-async: non2xx == 0 at n=1000')).toMatchObject({
      servers: ['node-async'],
      metric: { count: 'non2xx' },
    });
    expect(parseClaim('every server: failed == 0')).toMatchObject({ servers: null });
    expect(parseClaim('a, b: rps > 10')).toMatchObject({ servers: ['a', 'b'] });
  });

  it('explains what it cannot read', () => {
    expect(() => parseClaim('p(95) < 20ms')).toThrow(/only p\(50\), p\(90\), p\(99\) and p\(99\.9\)/);
    expect(() => parseClaim('p(99.99) < 20ms')).toThrow(/only p\(50\), p\(90\), p\(99\) and p\(99\.9\)/);
    expect(() => parseClaim('latency < 20ms')).toThrow(/unknown metric/);
    expect(() => parseClaim('rps > 20ms')).toThrow(/unit of time/);
    expect(() => parseClaim('failed == lots')).toThrow(/not a number/);
    expect(() => parseClaim('a >= b at sometimes')).toThrow(/where it applies/);
    expect(() => parseClaim('')).toThrow(/empty/);
    expect(() => parseClaim('x: a >= b')).toThrow(/prefix/);
  });

  it('labels metrics as written', () => {
    const c = parseClaim('p(99) < 20ms');
    expect(c.kind === 'absolute' && metricLabel(c.metric)).toBe('p(99)');
    const tail = parseClaim('p(99.9) < 20ms');
    expect(tail.kind === 'absolute' && metricLabel(tail.metric)).toBe('p(99.9)');
  });
});

describe('where a claim applies', () => {
  const cell = (requests: number, concurrency: number) => ({ requests, concurrency });
  it('every c, c=list, c>=N, n=N, explicit cells, joined by "and"', () => {
    expect(cellMatches(parseWhere('every c'), cell(10, 1))).toBe(true);
    expect(cellMatches(parseWhere('c=1,10'), cell(100, 10))).toBe(true);
    expect(cellMatches(parseWhere('c=1,10'), cell(100, 50))).toBe(false);
    expect(cellMatches(parseWhere('c>=100'), cell(1000, 500))).toBe(true);
    expect(cellMatches(parseWhere('c>=100'), cell(1000, 50))).toBe(false);
    expect(cellMatches(parseWhere('n=1000 and c<500'), cell(1000, 100))).toBe(true);
    expect(cellMatches(parseWhere('n=1000 and c<500'), cell(1000, 500))).toBe(false);
    expect(cellMatches(parseWhere('100x10, 1000x1'), cell(1000, 1))).toBe(true);
    expect(cellMatches(parseWhere('100x10, 1000x1'), cell(100, 1))).toBe(false);
  });

  it('cells of a duration, written as the matrix writes them', () => {
    const timed = (durationS: number, concurrency: number) => ({ requests: 0, concurrency, durationS });
    expect(cellMatches(parseWhere('10sx10'), timed(10, 10))).toBe(true);
    expect(cellMatches(parseWhere('10sx10'), timed(10, 1))).toBe(false);
    expect(cellMatches(parseWhere('10sx10'), timed(5, 10))).toBe(false);
    expect(cellMatches(parseWhere('500ms x 1, 2m x 4'), timed(0.5, 1))).toBe(true);
    expect(cellMatches(parseWhere('500ms x 1, 2m x 4'), timed(120, 4))).toBe(true);
    // A duration cell is not a cell of N requests, whatever N, nor the other way round.
    expect(cellMatches(parseWhere('0x10'), timed(10, 10))).toBe(false);
    expect(cellMatches(parseWhere('10sx10'), cell(10, 10))).toBe(false);
    expect(cellMatches(parseWhere('10sx10 and c>=10'), timed(10, 10))).toBe(true);
    // n= and its bounds speak of cells of N requests only.
    expect(cellMatches(parseWhere('n<=100'), timed(10, 10))).toBe(false);
    expect(cellMatches(parseWhere('n<=100'), cell(100, 10))).toBe(true);
    expect(() => parseWhere('10hx10')).toThrow(/cells such as "100x10, 1000x1, 10sx10"/);
  });
});

describe('resolveConfig', () => {
  it('fills in the defaults', () => {
    const c = resolveConfig({ claims: ['a >= b'] }, null, '/tmp/x');
    expect(c.modes).toEqual(['close']);
    expect(c.matrix.name).toBe('seed');
    expect(c.tolerance).toBe(0.1);
    expect(c.sampling).toEqual({ minRounds: 10, maxRounds: 200, maxTimeMs: 10_000, minSampleMs: 50, warmupMs: 3000 });
    expect(c.baseline).toEqual({ file: '/tmp/x/perf/baseline.json', keep: 5, alert: 0.1, fail: 0.25 });
    expect(c.webhook).toEqual({ env: 'GAUNTLET_WEBHOOK_URL', on: 'alerts' });
    expect(c.remeasure).toBe(true);
  });

  it('takes per-claim tolerances and turns the baseline off', () => {
    const c = resolveConfig(
      { claims: [{ claim: 'a >= b', tolerance: 0.2 }], baseline: false, mode: ['close', 'keepalive'] },
      'f.ts',
    );
    expect(c.claims[0]).toMatchObject({ tolerance: 0.2 });
    expect(c.baseline).toBeNull();
    expect(c.modes).toEqual(['close', 'keepalive']);
  });

  it('names the file and the field at fault', () => {
    expect(() => resolveConfig({ claims: ['a >= b'], tolerance: 2 }, 'g.ts')).toThrow(
      /g\.ts: tolerance must be a number from 0 to 0\.9/,
    );
    expect(() => resolveConfig({ claims: ['a >>= b'] }, 'g.ts')).toThrow(ConfigError);
    expect(() => resolveConfig({ claims: ['a >= b'], colour: 'red' }, 'g.ts')).toThrow(/colour is not a known field/);
    expect(() => resolveConfig({ claims: 'a >= b' }, 'g.ts')).toThrow(/claims must be an array/);
    expect(() => resolveConfig({ claims: [], mode: 'fast' }, 'g.ts')).toThrow(/mode takes/);
    expect(() => resolveConfig({ claims: [], baseline: { alert: 0.3, fail: 0.2 } }, 'g.ts')).toThrow(/baseline\.fail/);
    expect(() => resolveConfig({ claims: [], webhook: { env: 'not a var' } }, 'g.ts')).toThrow(/webhook\.env/);
    expect(() => resolveConfig(null, 'g.ts')).toThrow(/must export an object/);
  });
});
