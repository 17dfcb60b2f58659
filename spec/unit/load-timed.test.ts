/**
 * Duration and rate cells: the schedule, the percentiles, the sign of coordinated omission (pure),
 * the matrix and flags that name such cells, and the timed client in both modes against a local
 * counting server (rates and durations kept loose: the machine is shared).
 */
import { describe, expect, it } from 'vitest';
import { scheduleOf } from '../../lib/load/schedule.ts';
import { omissionSuspect } from '../../lib/load/omission.ts';
import { latencyPercentiles } from '../../lib/load/percentiles.ts';
import { runCell, CellSpecError } from '../../lib/load/run-cell.ts';
import { keepAliveRequestBytes } from '../../lib/load/timed-slots.ts';
import { ResponseScanner } from '../../lib/load/response-scan.ts';
import { matrixCells, parseMatrix, MatrixError } from '../../lib/matrix.ts';
import { cellFlags, durationFlag, rateFlag } from '../../lib/cli/bench-args.ts';
import { cellLabel } from '../../lib/report/format.ts';
import type { LoadTarget } from '../../lib/types.ts';
import { renderPercentilesText } from '../../lib/report/terminal/percentiles.ts';
import { renderPercentilesMarkdown } from '../../lib/report/markdown/percentiles.ts';
import { percentilesSection } from '../../lib/report/html/percentiles.ts';
import { seedResults } from './fixtures/seed-results.ts';
import { countingServersPerTest, countingTarget } from './helpers/counting-server.ts';

describe('the schedule of a timed cell', () => {
  it('puts request k at k / rate, floor(rate x duration) of them', () => {
    const s = scheduleOf({ requests: 0, concurrency: 2, durationS: 1.5, rate: 10 });
    expect(s.total).toBe(15);
    expect(s.scheduledS).toBe(1.5);
    expect(s.dueBy(0n)).toBe(1);
    expect(s.dueBy(99_999_999n)).toBe(1);
    expect(s.dueBy(100_000_000n)).toBe(2);
    expect(s.dueBy(10_000_000_000n)).toBe(15);
    expect(s.startOf(3, 0n)).toBe(300_000_000n);
    expect(s.over(14, 0n)).toBe(false);
    expect(s.over(15, 0n)).toBe(true);
  });

  it('schedules a counted cell at a rate over requests / rate', () => {
    const s = scheduleOf({ requests: 50, concurrency: 5, rate: 100 });
    expect(s).toMatchObject({ total: 50, scheduledS: 0.5 });
  });

  it('lets a closed loop send at once until its time is up', () => {
    const s = scheduleOf({ requests: 0, concurrency: 2, durationS: 2 });
    expect(s.total).toBeNull();
    expect(s.dueBy(1_999_999_999n)).toBeGreaterThan(1e9);
    expect(s.dueBy(2_000_000_000n)).toBe(0);
    expect(s.startOf(7, 123n)).toBe(123n);
    expect(s.over(0, 1_999_999_999n)).toBe(false);
    expect(s.over(0, 2_000_000_000n)).toBe(true);
  });

  it('refuses a cell with neither', () => {
    expect(() => scheduleOf({ requests: 10, concurrency: 1 })).toThrow(/neither/);
  });
});

describe('latency percentiles from an HDR histogram', () => {
  it('reads 1..100000 us within a tenth of a percent, up to the maximum', () => {
    const values = Float64Array.from({ length: 100_000 }, (_, i) => i + 1);
    const p = latencyPercentiles(values);
    const near = (got: number, want: number) => expect(Math.abs(got - want) / want).toBeLessThanOrEqual(0.001);
    near(p.p50, 50_000);
    near(p.p90, 90_000);
    near(p.p99, 99_000);
    near(p.p99_9, 99_900);
    near(p.p99_99, 99_990);
    expect(p.max).toBe(100_000);
    const order = [p.p50, p.p75, p.p90, p.p99, p.p99_9, p.p99_99, p.p99_999, p.max];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('is all zeros without a request, and never above the maximum', () => {
    expect(Object.values(latencyPercentiles([]))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const p = latencyPercentiles([123_456]);
    expect(p.p99_999).toBeLessThanOrEqual(p.max);
    expect(p.max).toBe(123_456);
  });
});

describe('coordinated omission in a closed loop', () => {
  /** n quick requests of `fastUs`, then `stalls` of `stallUs`. */
  const latencies = (n: number, fastUs: number, stalls: number, stallUs: number) =>
    Float64Array.from({ length: n + stalls }, (_, i) => (i < n ? fastUs : stallUs));

  it('flags a few stalls that held the connections for much of the time', () => {
    // 10 connections, 6 s: 30 requests of 0.5 s hold 25% of the connections' time.
    const o = omissionSuspect(latencies(60_000, 500, 30, 500_000), 10, 6)!;
    expect(o).not.toBeNull();
    expect(o.stalled).toBe(30);
    expect(o.thresholdUs).toBe(10_000);
    expect(o.timeShare).toBeCloseTo(0.25, 2);
    expect(o.note).toMatch(/^coordinated omission likely: 30 of 60030 requests/);
  });

  it('stays silent for a steady server, fast or slow, and for stalls that are many or short', () => {
    expect(omissionSuspect(latencies(60_000, 500, 0, 0), 10, 6)).toBeNull();
    expect(omissionSuspect(latencies(5_000, 60_000, 0, 0), 10, 6)).toBeNull();
    // 5% of the requests slow: a slow server, not a rare stall.
    expect(omissionSuspect(latencies(10_000, 500, 500, 500_000), 10, 6)).toBeNull();
    // Rare, but too short to matter: 30 x 20 ms of 60 connection-seconds.
    expect(omissionSuspect(latencies(60_000, 500, 30, 20_000), 10, 6)).toBeNull();
    // Too few requests, or too short a cell, to tell.
    expect(omissionSuspect(latencies(1_980, 500, 10, 500_000), 1, 6)).toBeNull();
    expect(omissionSuspect(latencies(60_000, 500, 30, 500_000), 10, 0.9)).toBeNull();
  });
});

describe('cells of a duration and a rate, as the command line names them', () => {
  it('reads durations in the matrix and gives every cell the run rate', () => {
    const m = parseMatrix('10s:1,10;500ms:2;100:4');
    expect(m.groups).toEqual([
      { requests: 0, concurrencies: [1, 10], durationS: 10 },
      { requests: 0, concurrencies: [2], durationS: 0.5 },
      { requests: 100, concurrencies: [4] },
    ]);
    const cells = matrixCells(m, 250);
    expect(cells[0]).toEqual({ requests: 0, concurrency: 1, group: 0, durationS: 10, rate: 250 });
    expect(cells[3]).toEqual({ requests: 100, concurrency: 4, group: 2, rate: 250 });
    expect(cellLabel(cells[0]!)).toBe('10s c=1 @250/s');
    expect(cellLabel({ requests: 100, concurrency: 4 })).toBe('n=100 c=4');
    expect(() => parseMatrix('0s:1')).toThrow(MatrixError);
    expect(() => parseMatrix('2h:1')).toThrow(/is not N:C1/);
    expect(() => parseMatrix('4000s:1')).toThrow(/above 3600 s/);
  });

  it('makes one cell of --concurrency with --requests or --duration', () => {
    expect(cellFlags({})).toBeNull();
    expect(cellFlags({ concurrency: '10', duration: '6s' })).toEqual({
      name: '6s:10',
      groups: [{ requests: 0, concurrencies: [10], durationS: 6 }],
    });
    expect(cellFlags({ concurrency: '5', requests: '100' })?.groups).toEqual([{ requests: 100, concurrencies: [5] }]);
    expect(() => cellFlags({ concurrency: '5' })).toThrow('--concurrency needs --requests N or --duration D');
    expect(() => cellFlags({ duration: '5s' })).toThrow('--requests and --duration need --concurrency C');
    expect(() => cellFlags({ concurrency: '5', duration: '1s', requests: '10' })).toThrow(/give one of them/);
    expect(() => cellFlags({ concurrency: '5', duration: '1s', matrix: 'seed' })).toThrow(/one or the other/);
    expect(() => cellFlags({ concurrency: '50', requests: '10' })).toThrow(/greater than the 10 requests/);
  });

  it('checks --duration and --rate, naming the value', () => {
    expect(durationFlag('6s')).toBe(6);
    expect(durationFlag('250ms')).toBe(0.25);
    expect(durationFlag('2m')).toBe(120);
    expect(durationFlag('1.5')).toBe(1.5);
    expect(() => durationFlag('soon')).toThrow('--duration "soon": is not a duration such as 10s, 500ms or 2m');
    expect(() => durationFlag('0s')).toThrow('--duration "0s": must be above 0');
    expect(rateFlag('1000')).toBe(1000);
    expect(rateFlag('0.5')).toBe(0.5);
    expect(() => rateFlag('0')).toThrow('--rate "0": must be above 0');
    expect(() => rateFlag('1e3')).toThrow('--rate "1e3": is not a number of requests per second');
  });
});

const serve = countingServersPerTest();
const target = countingTarget;

describe.each(['close', 'keepalive'] as const)('the timed client (%s mode)', (mode) => {
  it('sends a rate cell on its schedule and reports what it sent', async () => {
    const s = await serve();
    const r = await runCell(target(s, mode), { requests: 0, concurrency: 4, durationS: 1, rate: 200 });
    expect(r).toMatchObject({ requested: 200, completeRequests: 200, failedRequests: 0, durationS: 1 });
    expect(r.open).toMatchObject({ targetRate: 200, scheduledS: 1, scheduled: 200, sent: 200, achievedRate: 200 });
    expect(r.open!.completedRate).toBe(200);
    // The last request is due at 0.995 s: the cell cannot end before it.
    expect(r.timeTakenS).toBeGreaterThanOrEqual(0.99);
    expect(r.timeTakenS).toBeLessThan(3);
    expect(s.stats.requests).toBe(200);
    expect(r.percentilesUs!.p99_9).toBeGreaterThan(0);
    expect(r.omission).toBeUndefined();
    if (mode === 'keepalive') {
      expect(s.stats.connections).toBeLessThanOrEqual(4);
      expect(new Set(s.stats.requestTexts)).toEqual(
        new Set([keepAliveRequestBytes(s.host, s.port, '/doc').toString('latin1')]),
      );
    } else {
      expect(s.stats.connections).toBe(200);
    }
  });

  it('sends a closed loop for its duration', async () => {
    const s = await serve();
    const r = await runCell(target(s, mode), { requests: 0, concurrency: 3, durationS: 0.5 });
    expect(r.completeRequests).toBeGreaterThan(10);
    expect(r.requested).toBe(r.completeRequests + r.failedRequests);
    expect(r.timeTakenS).toBeGreaterThanOrEqual(0.5);
    expect(r.timeTakenS).toBeLessThan(2.5);
    expect(r.open).toBeUndefined();
    expect(s.stats.requests).toBe(r.requested);
  });

  it('times a request that waited for its connection from its intended send', async () => {
    // One connection, 100 ms an answer, a request due every 50 ms: request k waits 50k ms for the
    // connection, so the last of 10 takes about 550 ms where a closed loop would say 100 ms.
    const s = await serve({ delayMs: 100 });
    const r = await runCell(target(s, mode), { requests: 0, concurrency: 1, durationS: 0.5, rate: 20 });
    expect(r.completeRequests).toBe(10);
    expect(r.latencyUs.min).toBeGreaterThanOrEqual(95_000);
    expect(r.percentilesUs!.max).toBeGreaterThanOrEqual(450_000);
    expect(r.percentilesUs!.p50).toBeGreaterThanOrEqual(250_000);
    expect(r.open!.maxSendDelayMs).toBeGreaterThanOrEqual(350);
  });

  it('counts timeouts and goes on', async () => {
    // Each answer takes 300 ms against a 100 ms timeout: every request times out, none stops the cell.
    const s = await serve({ delayMs: 300 });
    const r = await runCell(target(s, mode, { timeoutMs: 100 }), {
      requests: 0,
      concurrency: 2,
      durationS: 0.6,
      rate: 20,
    });
    expect(r.stopped).toBeUndefined();
    expect(r.requested).toBe(12);
    expect(r.completeRequests).toBe(0);
    expect(r.failedRequests).toBe(12);
    expect(r.failed.exceptions).toBe(12);
    expect(r.open!.sent).toBeGreaterThan(1);
  });
});

describe('a kept-alive connection the server closes', () => {
  it.each([
    ['HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n', true],
    ['HTTP/1.1 200 OK\r\nconnection:  Upgrade, Close\r\n\r\n', true],
    ['HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n', false],
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n', true],
    ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n', false],
  ])('reads the head for a close: %j closes: %s', (head, closes) => {
    const scanner = new ResponseScanner();
    scanner.push(Buffer.from(head, 'latin1'), head.length);
    expect(scanner.gotHeader).toBe(true);
    expect(scanner.closes).toBe(closes);
  });

  it('opens a new connection after a response that says close, losing no request', async () => {
    const s = await serve({ keepAlive: false });
    const r = await runCell(target(s, 'keepalive'), { requests: 0, concurrency: 2, durationS: 0.5 });
    expect(r.completeRequests).toBeGreaterThan(10);
    expect(r.failedRequests).toBe(0);
    expect(s.stats.connections).toBe(s.stats.requests);
  });
});

describe('timed cells refused', () => {
  it('names a bad rate or duration', async () => {
    const t: LoadTarget = { host: '127.0.0.1', port: 1, path: '/', mode: 'close' };
    await expect(runCell(t, { requests: 0, concurrency: 1, durationS: 0 })).rejects.toThrow('Invalid duration: 0 s');
    await expect(runCell(t, { requests: 10, concurrency: 1, rate: -1 })).rejects.toThrow(CellSpecError);
    await expect(runCell(t, { requests: 0, concurrency: 1, durationS: 0.001, rate: 1 })).rejects.toThrow(
      /schedules no request/,
    );
  });
});

describe('the tables of percentiles (terminal, report.md, report.html)', () => {
  it('shows each cell of each server, with the rates of an open-model cell, and nothing for old records', () => {
    const run = seedResults();
    expect(renderPercentilesText(run)).toBe('');
    const [first, second] = run.cells.filter((c) => c.server === 'seed-async');
    first!.result.percentilesUs = {
      p50: 1000,
      p75: 2000,
      p90: 3000,
      p99: 250_000,
      p99_9: 480_000,
      p99_99: 500_000,
      p99_999: 500_000,
      max: 501_000,
    };
    second!.result.percentilesUs = { ...first!.result.percentilesUs };
    second!.rate = 1000;
    second!.result.open = {
      targetRate: 1000,
      scheduledS: 6,
      scheduled: 6000,
      sent: 5940,
      achievedRate: 990,
      completedRate: 985.5,
      maxSendDelayMs: 490,
    };
    const text = renderPercentilesText(run);
    expect(text).toMatch(/^Latency percentiles for seed-async\n/);
    expect(text).not.toContain('seed-threaded');
    const lines = text.split('\n');
    expect(lines.find((l) => l.includes('p99.9 ms'))).toContain('sent /s');
    expect(lines.find((l) => l.includes(`${cellLabel(first!)} `))).toMatch(/1\.00 .* 250\.00 .* 480\.00 .* 501\.00 /);
    expect(lines.find((l) => l.includes('@1000/s'))).toMatch(/1000\.0 .* 990\.0 .* 985\.5 /);
    const md = renderPercentilesMarkdown(run);
    expect(md).toMatch(/^## Latency percentiles\n/);
    expect(md).toContain('### seed-async');
    expect(md).toContain('| 1000.0 | 990.0 | 985.5 |');
    expect(renderPercentilesMarkdown(seedResults())).toBe('');
    const html = percentilesSection(run)!;
    expect(html.title).toBe('Latency percentiles');
    expect(html.body).toContain('<h3>seed-async</h3>');
    expect(html.body).toContain('>985.5</td>');
    expect(percentilesSection(seedResults())).toBeNull();
  });
});
