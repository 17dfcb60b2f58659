/**
 * npm run bench:engine's pieces: wrk's output (as wrk 4.1 printed it here), a tool's CPU from
 * bash's `times`, and the verdict on the rounds.
 */
import { describe, expect, it } from 'vitest';
import { splitShellTimes, runWithCpu } from '../../lib/engine-bench/child-cpu.ts';
import { engineVerdict, formatVerdict, type RoundSample } from '../../lib/engine-bench/verdict.ts';
import { parseWrkOutput, wrkArgs, WrkParseError } from '../../lib/engine-bench/wrk.ts';

const WRK_OK = `Running 1s test @ http://127.0.0.1:18777/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   110.34ms   64.09ms 307.99ms   75.00%
    Req/Sec    19.56      8.69    30.00     44.44%
  19 requests in 1.03s, 1.78MB read
Requests/sec:     18.52
Transfer/sec:      1.73MB
`;

const WRK_ERRORS = `Running 2s test @ http://127.0.0.1:18777/nonexistent
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    11.85ms   26.48ms 164.46ms   90.07%
    Req/Sec   737.40    352.28     1.21k    70.00%
  750 requests in 1.03s, 380.86KB read
  Socket errors: connect 0, read 3, write 1, timeout 2
  Non-2xx or 3xx responses: 750
Requests/sec:    729.53
Transfer/sec:    370.46KB
`;

describe('wrk', () => {
  it('reads requests, time, requests/s, socket errors and non-2xx', () => {
    expect(parseWrkOutput(WRK_OK)).toEqual({
      requests: 19,
      durationS: 1.03,
      requestsPerSecond: 18.52,
      socketErrors: 0,
      non2xx: 0,
    });
    expect(parseWrkOutput(WRK_ERRORS)).toMatchObject({ requests: 750, socketErrors: 6, non2xx: 750 });
    expect(parseWrkOutput(WRK_OK.replace('1.03s', '980.50ms')).durationS).toBeCloseTo(0.9805, 6);
  });

  it.each([
    ['the total line', WRK_OK.replace('19 requests in', '19 requests after'), /"N requests in T"/],
    ['the rate line', WRK_OK.replace('Requests/sec:', 'Rate:'), /"Requests\/sec:"/],
    ['an error message', 'unable to connect to 127.0.0.1:1 Connection refused\n', /"N requests in T"/],
  ])('names what is missing: %s', (_what, text, message) => {
    expect(() => parseWrkOutput(text)).toThrow(WrkParseError);
    expect(() => parseWrkOutput(text)).toThrow(message);
  });

  it('builds wrk -tT -cC -dDs URL', () => {
    expect(wrkArgs({ url: 'http://127.0.0.1:1/', threads: 1, connections: 10, durationS: 2 })).toEqual([
      '-t1',
      '-c10',
      '-d2s',
      'http://127.0.0.1:1/',
    ]);
  });
});

describe("a tool's CPU time", () => {
  it("takes the children's line of `times` and gives back the output before it", () => {
    const text = 'line one\nline two\n0m0.004s 0m0.001s\n1m2.500s 0m0.250s\n';
    expect(splitShellTimes(text)).toEqual({ stdout: 'line one\nline two\n', cpuS: 62.75 });
  });

  it('refuses output without the two lines of times', () => {
    expect(() => splitShellTimes('only output\n')).toThrow(/no CPU times/);
  });

  it('measures a command that burns CPU, with its exit code and output', async () => {
    // Spins until it has used 0.3 s of CPU by its own count, however busy the machine is.
    const burn =
      'let x = 0; while (process.cpuUsage().user + process.cpuUsage().system < 300_000) x++; console.log("done")';
    const run = await runWithCpu(process.execPath, ['-e', burn]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('done\n');
    // At least the 0.3 s it spun (user + system, to the millisecond); at most what a slow start could add.
    expect(run.cpuS).toBeGreaterThanOrEqual(0.299);
    expect(run.cpuS).toBeLessThan(5);
    const failed = await runWithCpu(process.execPath, ['-e', 'process.exit(3)']);
    expect(failed.exitCode).toBe(3);
  });
});

const sample = (engineRps: number, referenceRps: number): RoundSample => ({
  engineRps,
  referenceRps,
  engineCpuS: 1,
  referenceCpuS: 0.5,
  engineRequests: 50_000,
  referenceRequests: 50_000,
});

describe('the verdict on the rounds', () => {
  it('is the median of the per-round ratios, with CPU per request', () => {
    const v = engineVerdict([sample(90, 100), sample(95, 100), sample(200, 100)], 0.9);
    expect(v.ratio).toBeCloseTo(0.95, 10);
    expect(v.met).toBe(true);
    expect(v.engineCpuUsPerRequest).toBe(20);
    expect(v.referenceCpuUsPerRequest).toBe(10);
  });

  it.each([
    // ratios, target, met, sure
    [[0.95, 0.96, 0.97, 0.98, 0.99, 0.95, 0.96, 0.97, 0.98, 0.99, 0.95, 0.96, 0.97, 0.98, 0.99], 0.9, true, true],
    [[0.85, 0.86, 0.87, 0.88, 0.89, 0.85, 0.86, 0.87, 0.88, 0.89, 0.85, 0.86, 0.87, 0.88, 0.89], 0.9, false, false],
    [[0.6, 0.95, 1.3], 0.9, true, false],
  ])('ratios %j against %s: met %s, sure %s', (ratios, target, met, sure) => {
    const v = engineVerdict(
      ratios.map((r) => sample(r * 1000, 1000)),
      target,
    );
    expect([v.met, v.sure]).toEqual([met, sure]);
  });

  it('prints a row per round and a verdict that says when it is not met', () => {
    const lines = formatVerdict('keep-alive', 'wrk', [sample(80, 100), sample(85, 100)], 0.9);
    expect(lines).toHaveLength(2 + 2 + 2);
    expect(lines.at(-1)).toMatch(
      /^ {2}engine\/wrk 0\.83 \(median of 2 round ratios, 95% CI 0\.80-0\.85\); target >= 0\.90: NOT met$/,
    );
  });

  it('refuses to judge no rounds', () => {
    expect(() => engineVerdict([], 0.9)).toThrow(/no rounds/);
  });
});
