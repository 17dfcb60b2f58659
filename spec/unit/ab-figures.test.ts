import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAbOutput, type AbReport } from '../../lib/ab/parse-ab.ts';
import {
  abDerived,
  computeCellResult,
  countFailures,
  type CellInput,
  type RequestRecord,
} from '../../lib/load/ab-figures.ts';
import { mean, median, percentile, percentileInterpolated, stddev, summarise } from '../../lib/stats.ts';
import { AB_FIXTURE_CASES, type AbFixtureCase } from '../../fixtures/ab/cases.ts';
import { answerPlan } from './helpers/counting-server.ts';

const FIXTURES = new URL('../../fixtures/ab/', import.meta.url);

function loadFixture(name: string): AbReport {
  return parseAbOutput(readFileSync(new URL(`${name}.txt`, FIXTURES), 'utf8'));
}

/** The range of true values that print as `printed` with `decimals` decimals. */
function printedRange(printed: number, decimals: number): [number, number] {
  const half = 0.5 * 10 ** -decimals;
  return [printed - half, printed + half];
}

/**
 * The times taken consistent with each figure ab printed, under ab-figures' formulas:
 * each printed figure, being rounded, bounds the true time taken from both sides.
 */
function timeTakenIntervals(r: AbReport): Record<string, [number, number]> {
  const done = r.completeRequests;
  const c = r.concurrencyLevel;
  const [tLo, tHi] = printedRange(r.timeTakenS, 3);
  const [rpsLo, rpsHi] = printedRange(r.requestsPerSecond!, 2);
  const [tprLo, tprHi] = printedRange(r.timePerRequestMs!, 3);
  const [accLo, accHi] = printedRange(r.timePerRequestAcrossMs!, 3);
  const [kbLo, kbHi] = printedRange(r.transferRateKBps!, 2);
  return {
    'Time taken for tests': [Math.max(tLo, 0), tHi],
    'Requests per second': [done / rpsHi, done / rpsLo],
    'Time per request': [(tprLo * done) / (1000 * c), (tprHi * done) / (1000 * c)],
    'Time per request (across)': [(accLo * done) / 1000, (accHi * done) / 1000],
    'Transfer rate': [r.totalTransferred / 1024 / kbHi, r.totalTransferred / 1024 / kbLo],
  };
}

/** Records as the counting server of a case answers them, in request order (exact for C = 1). */
function recordsFor(c: AbFixtureCase): RequestRecord[] {
  const plan = answerPlan(c.server);
  const records: RequestRecord[] = [];
  for (let n = 1; n <= c.requests; n++) {
    const kind = plan.kindFor(n);
    const t = n * 1000;
    if (kind === 'reset') {
      records.push({ startNs: t, endNs: t + 500, status: null, headerBytes: 0, bodyBytes: 0, failure: 'reset' });
    } else if (kind === 'close') {
      records.push({ startNs: t, endNs: t + 500, status: null, headerBytes: 0, bodyBytes: 0, failure: null });
    } else {
      const size = plan.answerSize(kind, c.keepAlive ?? false);
      records.push({
        startNs: t,
        endNs: t + 500,
        status: size.status,
        headerBytes: size.header,
        bodyBytes: size.body,
        failure: null,
      });
    }
  }
  return records;
}

describe('ab fixtures (real ab runs): the derived figures', () => {
  for (const c of AB_FIXTURE_CASES) {
    it(`${c.name}: one time taken reproduces every figure ab printed from it`, () => {
      const r = loadFixture(c.name);
      expect(r.requestsPerSecond).not.toBeNull();
      const intervals = timeTakenIntervals(r);
      const lo = Math.max(...Object.values(intervals).map((i) => i[0]));
      const hi = Math.min(...Object.values(intervals).map((i) => i[1]));
      // A formula that differs from ab's (a missing concurrency, 1000 for 1024) leaves no common time.
      expect(lo, JSON.stringify(intervals)).toBeLessThanOrEqual(hi);

      const t = (lo + hi) / 2;
      const d = abDerived(t, r.completeRequests, r.concurrencyLevel, r.totalTransferred);
      expect(t.toFixed(3)).toBe(r.timeTakenS.toFixed(3));
      expect(d.requestsPerSecond.toFixed(2)).toBe(r.requestsPerSecond!.toFixed(2));
      expect(d.timePerRequestMs.toFixed(3)).toBe(r.timePerRequestMs!.toFixed(3));
      expect(d.timePerRequestAcrossMs.toFixed(3)).toBe(r.timePerRequestAcrossMs!.toFixed(3));
      expect(d.transferRateKBps.toFixed(2)).toBe(r.transferRateKBps!.toFixed(2));
    });
  }

  it('the formulas differ where they should: concurrency scales only "Time per request"', () => {
    const r = loadFixture('n100-c10-delay20');
    expect(r.concurrencyLevel).toBe(10);
    expect(r.timePerRequestMs! / r.timePerRequestAcrossMs!).toBeCloseTo(10, 1);
    const d = abDerived(2, 100, 10, 10240);
    expect(d).toEqual({ requestsPerSecond: 50, timePerRequestMs: 200, timePerRequestAcrossMs: 20, transferRateKBps: 5 });
  });

  it('prints nothing derived without time or without a complete request (zeros here)', () => {
    const zero = { requestsPerSecond: 0, timePerRequestMs: 0, timePerRequestAcrossMs: 0, transferRateKBps: 0 };
    expect(abDerived(0, 10, 1, 100)).toEqual(zero);
    expect(abDerived(1, 0, 1, 100)).toEqual(zero);
  });
});

describe('ab fixtures (real ab runs): counts and bytes from the same requests', () => {
  // With C = 1 the order of requests is fixed, so the records of the run are known exactly; with
  // C > 1 every answer is the same, so order does not matter.
  for (const c of AB_FIXTURE_CASES) {
    it(`${c.name}: ab-figures counts what ab counted`, () => {
      const r = loadFixture(c.name);
      const records = recordsFor(c);
      const result = computeCellResult({
        mode: c.keepAlive ? 'keepalive' : 'close',
        path: '/',
        concurrency: c.concurrency,
        requested: c.requests,
        startNs: 0,
        endNs: r.timeTakenS * 1e9,
        records,
        serverSoftware: 'counting/1.0',
      });
      expect(result.completeRequests).toBe(r.completeRequests);
      expect(result.failedRequests).toBe(r.failedRequests);
      expect(result.failed).toEqual(r.failed);
      expect(result.non2xx).toBe(r.non2xx);
      expect(result.totalTransferred).toBe(r.totalTransferred);
      expect(result.htmlTransferred).toBe(r.htmlTransferred);
      expect(result.documentLength).toBe(r.documentLength);
      expect(result.serverSoftware).toBe(r.serverSoftware);
      expect(result.concurrencyLevel).toBe(r.concurrencyLevel);
    });
  }

  it('the parser reads every line of a report', () => {
    const r = loadFixture('n100-c1-404-length');
    expect(r).toMatchObject({
      version: '2.3',
      serverSoftware: 'counting/1.0',
      serverHostname: '127.0.0.1',
      documentPath: '/',
      documentLength: 16,
      concurrencyLevel: 1,
      completeRequests: 100,
      failedRequests: 20,
      failed: { connect: 0, receive: 0, length: 20, exceptions: 0 },
      non2xx: 20,
      keepAliveRequests: null,
    });
    expect(r.connectionTimes?.total.max).toBeGreaterThanOrEqual(r.connectionTimes!.total.min);
    expect(r.percentiles.map((p) => p.percent)).toEqual([50, 66, 75, 80, 90, 95, 98, 99, 100]);
    const k = loadFixture('n100-c10-keepalive');
    expect(k.keepAliveRequests).toBe(100);
  });
});

const rec = (over: Partial<RequestRecord> = {}): RequestRecord => ({
  startNs: 0,
  endNs: 1_000_000,
  status: 200,
  headerBytes: 100,
  bodyBytes: 16,
  failure: null,
  ...over,
});

function cell(records: RequestRecord[], over: Partial<CellInput> = {}): CellInput {
  return {
    mode: 'close',
    path: '/',
    concurrency: 1,
    requested: records.length,
    startNs: 0,
    endNs: 1e9,
    records,
    serverSoftware: null,
    ...over,
  };
}

describe('ab-figures: hand-built requests', () => {
  it('all good: no failure, the first body length is the document length', () => {
    const r = computeCellResult(cell([rec(), rec(), rec()]));
    expect(r.completeRequests).toBe(3);
    expect(r.failedRequests).toBe(0);
    expect(r.documentLength).toBe(16);
    expect(r.totalTransferred).toBe(3 * 116);
    expect(r.htmlTransferred).toBe(48);
    expect(r.statusCounts).toEqual({ '200': 3 });
  });

  it('Length: a later body of another length fails, whatever its status', () => {
    const { failed, documentLength } = countFailures([
      rec(),
      rec({ bodyBytes: 20 }),
      rec({ status: 404, bodyBytes: 9 }),
      rec({ status: 404, bodyBytes: 16 }),
    ]);
    expect(documentLength).toBe(16);
    expect(failed).toEqual({ connect: 0, receive: 0, length: 2, exceptions: 0 });
  });

  it('Length: a non-2xx response that ends first sets the document length', () => {
    const r = computeCellResult(cell([rec({ status: 404, bodyBytes: 9 }), rec(), rec()]));
    expect(r.documentLength).toBe(9);
    expect(r.failed.length).toBe(2);
    expect(r.non2xx).toBe(1);
    expect(r.failedRequests).toBe(2);
  });

  it('Length: EOF without any byte is complete and fails the length check', () => {
    const r = computeCellResult(cell([rec(), rec({ status: null, headerBytes: 0, bodyBytes: 0 })]));
    expect(r.completeRequests).toBe(2);
    expect(r.failed).toEqual({ connect: 0, receive: 0, length: 1, exceptions: 0 });
    expect(r.non2xx).toBe(0);
  });

  it('Length: the document length is set again by any close while only one request has ended at EOF', () => {
    // ab tests `good == 1`, not "first time": a reset before the second EOF sets the length to 0
    // (ab then prints "Document Length: 0 bytes"), and the next good response fails.
    const { failed, documentLength } = countFailures([
      rec(),
      rec({ failure: 'reset', status: null, bodyBytes: 0, headerBytes: 0 }),
      rec(),
    ]);
    expect(documentLength).toBe(0);
    expect(failed).toEqual({ connect: 0, receive: 1, length: 1, exceptions: 1 });
  });

  it('reset: Receive, Exceptions, and Length when its body differs (ab -r)', () => {
    const r = computeCellResult(
      cell([rec(), rec(), rec({ failure: 'reset', status: null, headerBytes: 0, bodyBytes: 0 })]),
    );
    expect(r.completeRequests).toBe(3);
    expect(r.failed).toEqual({ connect: 0, receive: 1, length: 1, exceptions: 1 });
    expect(r.failedRequests).toBe(3);
  });

  it('reset mid-body: bytes read count as transferred, the header status as non-2xx if it is', () => {
    const r = computeCellResult(
      cell([rec(), rec(), rec({ failure: 'reset', status: 500, headerBytes: 80, bodyBytes: 4 })]),
    );
    expect(r.totalTransferred).toBe(2 * 116 + 84);
    expect(r.htmlTransferred).toBe(32 + 4);
    expect(r.non2xx).toBe(1);
    expect(r.failed.length).toBe(1);
  });

  it('connect: counted once under Connect, complete, not timed, no length check', () => {
    const r = computeCellResult(
      cell([rec(), rec(), rec({ failure: 'connect', status: null, headerBytes: 0, bodyBytes: 0, endNs: 5e9 })]),
    );
    expect(r.failed).toEqual({ connect: 1, receive: 0, length: 0, exceptions: 0 });
    expect(r.completeRequests).toBe(3);
    expect(r.latencyUs.max).toBe(1000);
  });

  it('timeout: counted under Exceptions only', () => {
    const r = computeCellResult(cell([rec(), rec({ failure: 'timeout', status: null, headerBytes: 0, bodyBytes: 0 })]));
    expect(r.failed).toEqual({ connect: 0, receive: 0, length: 0, exceptions: 1 });
    expect(r.failedRequests).toBe(1);
  });

  it('truncated (keep-alive request lost to a closed connection): Receive only', () => {
    const r = computeCellResult(
      cell([rec(), rec(), rec({ failure: 'truncated', status: null, headerBytes: 0, bodyBytes: 0 })], { mode: 'keepalive' }),
    );
    expect(r.failed).toEqual({ connect: 0, receive: 1, length: 0, exceptions: 0 });
  });

  it('a response without a complete header: all bytes transferred, none HTML, no status', () => {
    const r = computeCellResult(cell([rec(), rec({ status: null, headerBytes: 40, bodyBytes: 0 })]));
    expect(r.totalTransferred).toBe(156);
    expect(r.htmlTransferred).toBe(16);
    expect(r.statusCounts).toEqual({ '200': 1 });
    expect(r.failed.length).toBe(1);
  });

  it('non-2xx: any status whose first digit is not 2, unreadable ones included', () => {
    const r = computeCellResult(
      cell([rec({ status: 204 }), rec({ status: 301 }), rec({ status: 404 }), rec({ status: 503 }), rec({ status: 0 })]),
    );
    expect(r.non2xx).toBe(4);
    expect(r.failedRequests).toBe(0);
  });

  it('times: time taken is start to end of the cell; latency is connect to close, in µs', () => {
    const r = computeCellResult(
      cell(
        [
          rec({ startNs: 0, endNs: 2_000_000 }),
          rec({ startNs: 1_000_000, endNs: 5_000_000 }),
          rec({ startNs: 2_000_000, endNs: 3_000_000 }),
        ],
        { startNs: 0, endNs: 5_000_000, concurrency: 2 },
      ),
    );
    expect(r.timeTakenS).toBeCloseTo(0.005, 12);
    expect(r.requestsPerSecond).toBeCloseTo(600, 9);
    expect(r.timePerRequestMs).toBeCloseTo((2 * 5) / 3, 9);
    expect(r.timePerRequestAcrossMs).toBeCloseTo(5 / 3, 9);
    expect(r.latencyUs).toEqual({ min: 1000, mean: 7000 / 3, p50: 2000, p90: 4000, p99: 4000, max: 4000 });
  });

  it('an empty cell has zeros, not NaN', () => {
    const r = computeCellResult(cell([], { endNs: 0 }));
    expect(r.completeRequests).toBe(0);
    expect(r.requestsPerSecond).toBe(0);
    expect(r.documentLength).toBeNull();
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});

describe('stats: the definitions ab-figures relies on', () => {
  it("percentile is ab's sorted-index rule: sorted[floor(n * p / 100)], p = 100 is the maximum", () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(s, 50)).toBe(51);
    expect(percentile(s, 99)).toBe(100);
    expect(percentile(s, 100)).toBe(100);
    expect(percentile(s, 0)).toBe(1);
    expect(percentile([5, 6, 7, 8, 9, 10, 11, 12, 13, 14], 90)).toBe(14);
    expect(percentile([], 50)).toBeNaN();
  });

  it('median is the textbook one; the interpolated percentile is type 7', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentileInterpolated([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentileInterpolated([1, 2, 3, 4], 25)).toBe(1.75);
  });

  it('mean, sample standard deviation (n - 1) and summarise', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(stddev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
    expect(stddev([1])).toBe(0);
    expect(summarise([3, 1, 2])).toEqual({ min: 1, mean: 2, p50: 2, p90: 3, p99: 3, max: 3 });
    expect(summarise([])).toEqual({ min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });
});
