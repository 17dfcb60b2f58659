import { describe, expect, it, afterEach } from 'vitest';
import { measureCell, rpsOf, TimeBudget, totalsOf, type Side } from '../../lib/perf/sampler.ts';
import { describePinning, planCores } from '../../lib/perf/pinning.ts';
import { startCountingServer, type CountingServer } from './helpers/counting-server.ts';

describe('measureCell', () => {
  const servers: CountingServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const side = (name: string, s: CountingServer): Side => ({
    name,
    target: { host: s.host, port: s.port, path: '/', mode: 'close' },
  });

  it('interleaves the sides run by run with one batch size, and counts every request', async () => {
    const a = await startCountingServer({ recordRequests: false });
    const b = await startCountingServer({ recordRequests: false, delayMs: 1 });
    servers.push(a, b);
    const cell = { requests: 4, concurrency: 2 };
    const m = await measureCell([side('a', a), side('b', b)], cell, { minRounds: 3, maxRounds: 3, minSampleMs: 5 });
    expect(m.rounds).toBe(3);
    expect(m.stoppedBy).toBe('max-rounds');
    const [sa, sb] = m.sides;
    expect(sa!.batch).toBe(sb!.batch);
    expect(sa!.samples).toHaveLength(3);
    expect(sa!.samples.every((s) => s.runs === sa!.batch && s.requested === 4 * sa!.batch)).toBe(true);
    expect(totalsOf(sa!)).toMatchObject({
      requested: 3 * 4 * sa!.batch,
      complete: 3 * 4 * sa!.batch,
      failed: 0,
      non2xx: 0,
    });
    // Every measured request reached its server, after the warm-up's.
    expect(a.stats.requests).toBeGreaterThan(3 * 4 * sa!.batch);
    expect(rpsOf(sa!).every((r) => r > 0)).toBe(true);
    expect(sa!.statusCounts['200']).toBe(3 * 4 * sa!.batch);
  });

  it('stops as soon as the measurement is precise enough, but not before the minimum rounds', async () => {
    const a = await startCountingServer({ recordRequests: false });
    servers.push(a);
    const seen: number[] = [];
    const m = await measureCell(
      [side('a', a)],
      { requests: 2, concurrency: 1 },
      {
        minRounds: 4,
        maxRounds: 50,
        minSampleMs: 1,
        precise: (cur) => {
          seen.push(cur.rounds);
          return true;
        },
      },
    );
    expect(m.rounds).toBe(4);
    expect(m.stoppedBy).toBe('precise');
    expect(seen).toEqual([4]);
  });

  it('stops at the time cap', async () => {
    const a = await startCountingServer({ recordRequests: false, delayMs: 5 });
    servers.push(a);
    const m = await measureCell(
      [side('a', a)],
      { requests: 2, concurrency: 1 },
      { minRounds: 2, maxRounds: 1000, minSampleMs: 1, maxTimeMs: 100 },
    );
    expect(m.stoppedBy).toBe('time-cap');
    expect(m.rounds).toBeGreaterThanOrEqual(2);
    expect(m.rounds).toBeLessThan(1000);
  });
});

describe('TimeBudget', () => {
  it('gives each measurement its share, and what earlier ones left unused to the later ones', () => {
    const b = new TimeBudget(4, 10_000);
    expect(b.next()).toBe(10_000);
    b.spend(2_000);
    // 38 s left for 3 cells.
    expect(b.next()).toBeCloseTo(38_000 / 3);
    b.spend(2_000);
    expect(b.next()).toBe(18_000);
    b.spend(2_000);
    // Never more than three times the base cap.
    expect(b.next()).toBe(30_000);
    b.spend(30_000);
    expect(b.next()).toBe(10_000);
  });

  it('never gives less than the base cap, even when earlier cells overran', () => {
    const b = new TimeBudget(3, 10_000);
    b.spend(25_000);
    expect(b.next()).toBe(10_000);
  });
});

describe('planCores', () => {
  it('gives the servers the upper half of the cores and the load generator the rest', () => {
    expect(planCores(1)).toBeNull();
    expect(planCores(2)).toEqual({ client: [0], servers: [1] });
    expect(planCores(4)).toEqual({ client: [0, 1], servers: [2, 3] });
    expect(planCores(5)).toEqual({ client: [0, 1, 2], servers: [3, 4] });
    expect(describePinning(planCores(2))).toBe('servers pinned to core 1, the load generator to core 0');
    expect(describePinning(null)).toBe('not pinned');
  });
});
