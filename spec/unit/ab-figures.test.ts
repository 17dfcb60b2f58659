import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAbOutput, type AbReport } from '../../lib/ab/parse-ab.ts';
import {
  abDerived,
  cellSamples,
  computeCellResult,
  countFailures,
  type CellInput,
  type RequestRecord,
} from '../../lib/load/ab-figures.ts';
import { cellStop } from '../../lib/load/common.ts';
import { diagnoseFailures } from '../../lib/diagnostics/failures.ts';
import type { CellRecord } from '../../lib/types.ts';
import { mean, median, percentile, percentileInterpolated, stddev, summarise } from '../../lib/stats.ts';
import { AB_FIXTURE_CASES, type AbFixtureCase } from '../../fixtures/ab/cases.ts';
import { AB_HOSTILE_CASES } from '../../fixtures/ab/hostile/cases.ts';
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
      // EOF before any byte: the engine records a truncated response.
      records.push({ startNs: t, endNs: t + 500, status: null, headerBytes: 0, bodyBytes: 0, failure: 'truncated' });
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
    expect(d).toEqual({
      requestsPerSecond: 50,
      timePerRequestMs: 200,
      timePerRequestAcrossMs: 20,
      transferRateKBps: 5,
    });
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
    it(`${c.name}: ab-figures counts what ab counted${c.gauntlet ? ', except where ab calls a failed request complete' : ''}`, () => {
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
      const g = c.gauntlet;
      if (g) {
        // ab's counts, which called failed requests complete, against Gauntlet's.
        expect(r.completeRequests).toBe(c.requests);
        expect(result.completeRequests).toBe(g.completeRequests);
        expect(result.failed).toEqual(g.failed);
        expect(result.documentLength).toBe(g.documentLength);
        const f = g.failed;
        expect(result.abFailedRequests).toBe(f.connect + f.receive + f.length + f.exceptions);
      } else {
        expect(result.completeRequests).toBe(r.completeRequests);
        expect(result.failed).toEqual(r.failed);
        expect(result.abFailedRequests).toBe(r.failedRequests);
        expect(result.documentLength).toBe(r.documentLength);
      }
      // Every request ended once: complete or failed.
      expect(result.completeRequests + result.failedRequests).toBe(c.requests);
      // Bytes and statuses are counted alike in every case.
      expect(result.non2xx).toBe(r.non2xx);
      expect(result.totalTransferred).toBe(r.totalTransferred);
      expect(result.htmlTransferred).toBe(r.htmlTransferred);
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

describe('ab fixtures against misbehaving servers: ab calls every request complete, Gauntlet none', () => {
  for (const c of AB_HOSTILE_CASES) {
    it(`${c.name} (${c.command})`, () => {
      const r = parseAbOutput(readFileSync(new URL(`hostile/${c.name}.txt`, FIXTURES), 'utf8'));
      expect(r.completeRequests).toBe(20);
      expect(r.requestsPerSecond).toBeGreaterThan(0);
      const records = Array.from({ length: 20 }, (_, i) => ({
        startNs: i * 1000,
        endNs: i * 1000 + 500,
        failure: c.failure,
        ...c.record,
      }));
      const g = computeCellResult({
        mode: 'close',
        path: '/',
        concurrency: 2,
        requested: 20,
        startNs: 0,
        endNs: r.timeTakenS * 1e9,
        records,
        serverSoftware: null,
      });
      expect([g.completeRequests, g.failedRequests, g.requestsPerSecond]).toEqual([0, 20, 0]);
      // The same bytes: ab and Gauntlet read the same responses.
      expect(g.totalTransferred).toBe(r.totalTransferred);
      expect(g.htmlTransferred).toBe(r.htmlTransferred);
    });
  }

  it('the refusing server: ab -r prints thousands of requests per second for 0 answers', () => {
    const r = parseAbOutput(readFileSync(new URL('hostile/refused-r.txt', FIXTURES), 'utf8'));
    expect(r.totalTransferred).toBe(0);
    expect(r.requestsPerSecond).toBeGreaterThan(1000);
    expect(r.failed).toEqual({ connect: 0, receive: 20, length: 0, exceptions: 10 });
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

const failedRec = (failure: RequestRecord['failure'], over: Partial<RequestRecord> = {}): RequestRecord =>
  rec({ failure, status: null, headerBytes: 0, bodyBytes: 0, ...over });

describe('ab-figures: hand-built requests', () => {
  it('all good: no failure, the first body length is the document length', () => {
    const r = computeCellResult(cell([rec(), rec(), rec()]));
    expect(r.completeRequests).toBe(3);
    expect(r.failedRequests).toBe(0);
    expect(r.abFailedRequests).toBe(0);
    expect(r.documentLength).toBe(16);
    expect(r.totalTransferred).toBe(3 * 116);
    expect(r.htmlTransferred).toBe(48);
    expect(r.statusCounts).toEqual({ '200': 3 });
    expect(r.stopped).toBeUndefined();
  });

  it('Length: a later complete body of another length counts, whatever its status', () => {
    const { failed, failedRequests, documentLength } = countFailures([
      rec(),
      rec({ bodyBytes: 20 }),
      rec({ status: 404, bodyBytes: 9 }),
      rec({ status: 404, bodyBytes: 16 }),
    ]);
    expect(documentLength).toBe(16);
    expect(failed).toEqual({ connect: 0, receive: 0, length: 2, exceptions: 0 });
    // Received whole: complete, so not failed requests (ab's line counts them: abFailedRequests).
    expect(failedRequests).toBe(0);
  });

  it('Length: a non-2xx response that ends first sets the document length', () => {
    const r = computeCellResult(cell([rec({ status: 404, bodyBytes: 9 }), rec(), rec()]));
    expect(r.documentLength).toBe(9);
    expect(r.failed.length).toBe(2);
    expect(r.non2xx).toBe(1);
    expect(r.completeRequests).toBe(3);
    expect(r.failedRequests).toBe(0);
    expect(r.abFailedRequests).toBe(2);
  });

  it('EOF without any byte (truncated): failed under Length, never complete', () => {
    const r = computeCellResult(cell([rec(), failedRec('truncated')]));
    expect(r.completeRequests).toBe(1);
    expect(r.failedRequests).toBe(1);
    expect(r.failed).toEqual({ connect: 0, receive: 0, length: 1, exceptions: 0 });
    expect(r.non2xx).toBe(0);
  });

  it('the document length comes from complete responses only: a reset first does not set it', () => {
    // ab tests `good == 1`, so a reset closed before the second EOF set ab's length to 0.
    const { failed, failedRequests, documentLength } = countFailures([
      failedRec('reset'),
      rec(),
      failedRec('reset'),
      rec(),
    ]);
    expect(documentLength).toBe(16);
    expect(failed).toEqual({ connect: 0, receive: 2, length: 0, exceptions: 2 });
    expect(failedRequests).toBe(2);
    expect(countFailures([failedRec('connect'), failedRec('timeout')]).documentLength).toBeNull();
  });

  it('reset: failed, under Receive and Exceptions (ab -r), not complete', () => {
    const r = computeCellResult(cell([rec(), rec(), failedRec('reset')]));
    expect(r.completeRequests).toBe(2);
    expect(r.failedRequests).toBe(1);
    expect(r.failed).toEqual({ connect: 0, receive: 1, length: 0, exceptions: 1 });
    expect(r.abFailedRequests).toBe(2);
  });

  it('reset mid-body: bytes read count as transferred, the header status as non-2xx if it is', () => {
    const r = computeCellResult(
      cell([rec(), rec(), failedRec('reset', { status: 500, headerBytes: 80, bodyBytes: 4 })]),
    );
    expect(r.totalTransferred).toBe(2 * 116 + 84);
    expect(r.htmlTransferred).toBe(32 + 4);
    expect(r.non2xx).toBe(1);
    expect(r.statusCounts).toEqual({ '200': 2, '500': 1 });
    expect(r.completeRequests).toBe(2);
  });

  it('connect: failed, under Connect only, not timed', () => {
    const r = computeCellResult(cell([rec(), rec(), failedRec('connect', { endNs: 5e9 })]));
    expect(r.failed).toEqual({ connect: 1, receive: 0, length: 0, exceptions: 0 });
    expect(r.completeRequests).toBe(2);
    expect(r.failedRequests).toBe(1);
    expect(r.latencyUs.max).toBe(1000);
  });

  it('timeout, oversized head, malformed framing: Exceptions; overrun and truncated: Length', () => {
    const r = computeCellResult(
      cell([
        rec(),
        failedRec('timeout'),
        failedRec('oversized', { headerBytes: 8191 }),
        failedRec('malformed', { status: 200, headerBytes: 60, bodyBytes: 3 }),
        failedRec('overrun', { status: 200, headerBytes: 60, bodyBytes: 40 }),
        failedRec('truncated', { status: 200, headerBytes: 60, bodyBytes: 2 }),
      ]),
    );
    expect(r.failed).toEqual({ connect: 0, receive: 0, length: 2, exceptions: 3 });
    expect(r.completeRequests).toBe(1);
    expect(r.failedRequests).toBe(5);
    expect(r.documentLength).toBe(16);
  });

  it('a keep-alive request lost with its connection (truncated): Length', () => {
    const r = computeCellResult(cell([rec(), rec(), failedRec('truncated')], { mode: 'keepalive' }));
    expect(r.failed).toEqual({ connect: 0, receive: 0, length: 1, exceptions: 0 });
  });

  it('a response without a complete head: all its bytes transferred, none HTML, no status', () => {
    const r = computeCellResult(cell([rec(), failedRec('truncated', { headerBytes: 40 })]));
    expect(r.totalTransferred).toBe(156);
    expect(r.htmlTransferred).toBe(16);
    expect(r.statusCounts).toEqual({ '200': 1 });
    expect(r.failed.length).toBe(1);
  });

  it('non-2xx: any status whose first digit is not 2, unreadable ones included', () => {
    const r = computeCellResult(
      cell([
        rec({ status: 204 }),
        rec({ status: 301 }),
        rec({ status: 404 }),
        rec({ status: 503 }),
        rec({ status: 0 }),
      ]),
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

  it('rates and latencies come from complete requests only', () => {
    // One complete request of 116 bytes in 1 s, and three failures that read 1000 bytes each.
    const r = computeCellResult(
      cell(
        [
          rec({ startNs: 0, endNs: 1_000_000 }),
          failedRec('reset', { status: 200, headerBytes: 100, bodyBytes: 900, endNs: 900_000_000 }),
          failedRec('truncated', { status: 200, headerBytes: 100, bodyBytes: 900 }),
          failedRec('overrun', { status: 200, headerBytes: 100, bodyBytes: 900 }),
        ],
        { concurrency: 2 },
      ),
    );
    expect(r.requestsPerSecond).toBe(1);
    expect(r.timePerRequestMs).toBe(2000);
    expect(r.timePerRequestAcrossMs).toBe(1000);
    expect(r.transferRateKBps).toBeCloseTo(116 / 1024, 12);
    expect(r.totalTransferred).toBe(116 + 3000);
    expect(r.latencyUs.max).toBe(1000);
  });

  it('a refusing server, every request counted (keepGoing): 0 complete, all failed, no rate', () => {
    const records = Array.from({ length: 200 }, (_, i) =>
      failedRec('connect', { startNs: i * 1000, endNs: i * 1000 + 100 }),
    );
    const r = computeCellResult(cell(records, { endNs: 6_500_000, concurrency: 10 }));
    expect(r.completeRequests).toBe(0);
    expect(r.failedRequests).toBe(200);
    expect(r.failed).toEqual({ connect: 200, receive: 0, length: 0, exceptions: 0 });
    expect(r.requestsPerSecond).toBe(0);
    expect(r.timePerRequestMs).toBe(0);
    expect(r.transferRateKBps).toBe(0);
    expect(r.timeTakenS).toBeGreaterThan(0);
  });

  it('a stopped cell carries its stop; complete + failed = the requests that ended', () => {
    const stopped = {
      kind: 'connect' as const,
      reason: 'connection refused (ECONNREFUSED) at request 3 of 200: ...',
      afterRequests: 3,
    };
    const r = computeCellResult(cell([rec(), rec(), failedRec('connect')], { requested: 200, stopped }));
    expect(r.stopped).toEqual(stopped);
    expect(r.requested).toBe(200);
    expect(r.completeRequests + r.failedRequests).toBe(r.stopped!.afterRequests);
  });

  it('samples: latencies of complete requests, each failure once by kind', () => {
    const s = cellSamples([
      rec({ endNs: 2_000_000 }),
      failedRec('reset'),
      failedRec('overrun'),
      failedRec('timeout'),
      rec(),
    ]);
    expect(Array.from(s.latenciesUs)).toEqual([2000, 1000]);
    expect(s.failures).toEqual({
      connect: 0,
      reset: 1,
      timeout: 1,
      truncated: 0,
      overrun: 1,
      oversized: 0,
      malformed: 0,
    });
  });

  it('an empty cell has zeros, not NaN', () => {
    const r = computeCellResult(cell([], { endNs: 0 }));
    expect(r.completeRequests).toBe(0);
    expect(r.requestsPerSecond).toBe(0);
    expect(r.documentLength).toBeNull();
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});

describe('the resets-timeouts finding with the framing failures', () => {
  it('counts and names every kind, each request once', () => {
    const failures = { connect: 0, reset: 1, timeout: 0, truncated: 2, overrun: 3, oversized: 4, malformed: 5 };
    const f = diagnoseFailures('srv', [
      {
        group: 1,
        requests: 100,
        concurrency: 10,
        result: computeCellResult(cell([rec()])),
        signals: { failures },
      } as unknown as CellRecord,
    ]);
    expect(f?.title).toBe(
      '15 requests failed: 1 reset, 2 cut short (connection closed mid-response), ' +
        '3 longer than framed (bytes past Content-Length or the last chunk), 4 with a head over 8 KB and ' +
        '5 with a framing that cannot be followed',
    );
    expect(f?.cause).toMatch(/Content-Length or chunked encoding wrong/);
  });
});

describe('cellStop: the sentence a stopped cell gives', () => {
  it('names the errno, the request and the way out', () => {
    expect(cellStop({ kind: 'connect', code: 'ECONNREFUSED' }, 1, 200, 1)).toEqual({
      kind: 'connect',
      reason:
        'connection refused (ECONNREFUSED) at request 1 of 200: the cell stopped, as ab does without -r (--keep-going goes on)',
      afterRequests: 1,
    });
    expect(cellStop({ kind: 'connect', code: null }, 4, 10, 3).reason).toMatch(
      /^connect failed \(unknown error\) at request 4 of 10/,
    );
    expect(cellStop({ kind: 'timeout', timeoutMs: 300, phase: 'connecting', bytes: 0 }, 2, 5, 2).reason).toBe(
      'connect timed out after 300 ms at request 2 of 5: the cell stopped, as ab does at its first timeout (--keep-going goes on)',
    );
    expect(cellStop({ kind: 'timeout', timeoutMs: 300, phase: 'reading', bytes: 12 }, 2, 5, 2).reason).toMatch(
      /^response not complete within 300 ms \(12 bytes received\) at request 2 of 5/,
    );
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
