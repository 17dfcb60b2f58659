/**
 * The live figures of a long cell (lib/load/live.ts) and how the clients' progress path takes
 * them (lib/load/common.ts): requests per second since the last look, p99 of the complete
 * requests so far, each record read once.
 */
import { describe, it, expect, vi, afterEach } from 'vitest';
import type { RequestRecord } from '../../lib/load/ab-figures.ts';
import { LiveTally } from '../../lib/load/live.ts';
import { progressReporter } from '../../lib/load/common.ts';
import { latencyPercentiles } from '../../lib/load/percentiles.ts';

const S = 1_000_000_000n;

/** A record that ended at `endMs` after taking `latencyMs`; failed with a kind when given. */
function rec(endMs: number, latencyMs: number, failure: RequestRecord['failure'] = null): RequestRecord {
  const endNs = endMs * 1e6;
  return { startNs: endNs - latencyMs * 1e6, endNs, status: 200, headerBytes: 100, bodyBytes: 10, failure };
}

describe('LiveTally', () => {
  it('counts the requests since the last look per second, and the p99 of every complete request so far', () => {
    const records: RequestRecord[] = [];
    const tally = new LiveTally(records, 0n);
    expect(tally.look(S)).toEqual({ elapsedS: 1, complete: 0, failed: 0, requestsPerSecond: 0, p99Us: null });

    // Second 2: 100 requests of 1 ms, one of them failed.
    for (let i = 0; i < 100; i++) records.push(rec(1000 + i, 1, i === 0 ? 'reset' : null));
    const second = tally.look(2n * S);
    expect(second).toMatchObject({ elapsedS: 2, complete: 99, failed: 1, requestsPerSecond: 99 });
    expect(second.p99Us).toBe(1000);

    // Half a second more: 50 requests, two of them slow; the rate is over the half second.
    for (let i = 0; i < 50; i++) records.push(rec(2000 + i, i < 2 ? 200 : 1));
    const third = tally.look(2n * S + S / 2n);
    expect(third.requestsPerSecond).toBe(100);
    expect(third.complete).toBe(149);
    // The same figure the cell's end computes from the same latencies.
    const all = records.filter((r) => r.failure === null).map((r) => (r.endNs - r.startNs) / 1000);
    expect(third.p99Us).toBe(latencyPercentiles(all).p99);
  });

  it('reads each record once: a look with nothing new changes nothing but the rate', () => {
    const records = [rec(10, 5), rec(20, 5)];
    const tally = new LiveTally(records, 0n);
    expect(tally.look(S).complete).toBe(2);
    expect(tally.look(2n * S)).toMatchObject({ complete: 2, requestsPerSecond: 0, p99Us: 5000 });
  });
});

describe('progressReporter with live figures', () => {
  afterEach(() => vi.restoreAllMocks());

  it('looks about once a second on the progress ticks, not on every request, and not at all unasked', () => {
    let now = 0n;
    vi.spyOn(process.hrtime, 'bigint').mockImplementation(() => now);
    const records: RequestRecord[] = [];
    const looks: number[] = [];
    const ticks: number[] = [];
    const progress = progressReporter(1000, (done) => ticks.push(done), {
      records,
      onLive: (f) => looks.push(f.complete),
    });
    // 3 s of requests, one every 10 ms.
    for (let i = 1; i <= 300; i++) {
      now = BigInt(i) * 10_000_000n;
      records.push(rec(i * 10, 1));
      progress(i);
    }
    expect(ticks).toHaveLength(30);
    expect(looks).toEqual([100, 200, 300]);

    const quiet = progressReporter(10, undefined, { records });
    expect(quiet).toBeTypeOf('function');
    expect(() => quiet(1)).not.toThrow();
  });

  it('gives the live figures without a progress callback', () => {
    let now = 0n;
    vi.spyOn(process.hrtime, 'bigint').mockImplementation(() => now);
    const records = [rec(1, 1)];
    const looks: number[] = [];
    const progress = progressReporter(0, undefined, { records, onLive: (f) => looks.push(f.complete) });
    now = 1_500_000_000n;
    progress(1);
    expect(looks).toEqual([1]);
  });
});
