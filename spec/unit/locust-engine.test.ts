/**
 * The Locust engine's pure parts: the locustfile's text for a cell (what the master and its
 * workers run), the master's and a worker's command lines, the cell checks, and Locust's figures
 * read back into a CellResult (on a summary captured from a run of Locust 2.12 here).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.ts';
import {
  LOCUST_VERSION_FALLBACK,
  encodeLocustCell,
  locustCellJson,
  locustfileText,
} from '../../lib/locust/locustfile.ts';
import { LOCUST_NOTES, locustCellResult, locustFailureKinds, parseLocustSummary } from '../../lib/locust/stats.ts';
import { locustCellProblem, locustHostUrl, masterArgs, masterFailure, workerArgs } from '../../lib/locust/run-cell.ts';
import { checkEngineRun, hostPortFlag, parseEngineFlags } from '../../lib/cli/engine-flags.ts';
import { engineNoteLines } from '../../lib/report/percentile-rows.ts';
import type { CellResult, RunResults } from '../../lib/types.ts';

/** A master's summary as the generated locustfile wrote it: 2 workers, a 3 s cell at C=10, close mode. */
const CAPTURED = `{"requests": 5314, "failures": 0, "start_time": 1796620306.5189211, "last_request_timestamp": 1796620309.519348, "rps": 1771.081385637896, "min_ms": 0, "max_ms": 56, "avg_ms": 4.204177643959353, "median_ms": 3, "content_bytes": 26570, "percentiles_ms": {"0.5": 3, "0.75": 5, "0.9": 9, "0.99": 21, "0.999": 40, "0.9999": 60, "0.99999": 60, "1.0": 60}, "statuses": {"200": 5314}, "errors": {}, "workers": 2}`;

function decode(b64: string): unknown {
  return JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
}

describe('the locustfile of a cell', () => {
  it('asks for a new connection per request in close mode, and for none in keep-alive mode', () => {
    const close = locustCellJson({ mode: 'close', path: '/', concurrency: 4 });
    expect(close).toEqual({
      method: 'GET',
      paths: ['/'],
      headers: [['Connection', 'close']],
      body_b64: null,
      close: true,
      per_user_rate: null,
    });
    expect(locustCellJson({ mode: 'keepalive', path: '/a', concurrency: 4 }).headers).toEqual([]);
  });

  it('carries the method, headers, body, paths round robin and each user share of the rate', () => {
    const cell = locustCellJson({
      mode: 'keepalive',
      path: '/x',
      concurrency: 4,
      rate: 100,
      shape: { headers: [['X-Trace', "a'''b"]], body: Buffer.from([0, 1, 255]), paths: ['/x', '/y'] },
    });
    expect(cell.method).toBe('POST');
    expect(cell.paths).toEqual(['/x', '/y']);
    expect(cell.headers).toEqual([
      ['X-Trace', "a'''b"],
      ['Content-Type', 'text/plain'],
    ]);
    expect(Buffer.from(cell.body_b64!, 'base64')).toEqual(Buffer.from([0, 1, 255]));
    expect(cell.per_user_rate).toBe(25);
  });

  it('keeps a Connection header the request gives itself', () => {
    const cell = locustCellJson({
      mode: 'close',
      path: '/',
      concurrency: 1,
      shape: { headers: [['connection', 'keep-alive']] },
    });
    expect(cell.headers).toEqual([['connection', 'keep-alive']]);
  });

  it("writes the master's file with its cell as the argument's default, and a worker's with none", () => {
    const cell = { mode: 'close' as const, path: '/', concurrency: 2, rate: 10 };
    const master = locustfileText(cell);
    const line = /^CELL_B64 = "([A-Za-z0-9+/=]*)"$/m.exec(master);
    expect(line?.[1]).toBe(encodeLocustCell(cell));
    expect(decode(line![1]!)).toEqual(locustCellJson(cell));
    expect(locustfileText(null)).toMatch(/^CELL_B64 = ""$/m);
    expect(master).toContain('parser.add_argument("--gauntlet-cell", default=CELL_B64');
  });

  it("sets Locust's empty version before the runner starts, and paces a rate with constant_throughput", () => {
    const text = locustfileText(null);
    expect(text).toContain(`locust.runners.__version__ = "${LOCUST_VERSION_FALLBACK}"`);
    expect(text.indexOf('locust.runners.__version__ =')).toBeLessThan(text.indexOf('class GauntletUser'));
    expect(text).toContain('self._pace = constant_throughput(rate) if rate else None');
    expect(text).toContain('class GauntletUser(FastHttpUser):');
  });
});

describe("Locust's command lines and cells", () => {
  it('runs a headless master with every user at once, the host, the workers and the summary', () => {
    const args = masterArgs({
      cell: { requests: 0, concurrency: 10, durationS: 5 },
      target: { host: '127.0.0.1', port: 8080 },
      bind: { host: '127.0.0.1', port: 5557 },
      workers: 2,
      workerWaitS: 30,
      summaryFile: '/tmp/s.json',
    });
    const after = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
    expect(args).toContain('--master');
    expect(args).toContain('--headless');
    expect([after('-u'), after('-r'), after('-t'), after('-H')]).toEqual(['10', '10', '5s', 'http://127.0.0.1:8080']);
    expect([after('--expect-workers'), after('--master-bind-port'), after('--gauntlet-summary')]).toEqual([
      '2',
      '5557',
      '/tmp/s.json',
    ]);
    expect(workerArgs({ host: '10.0.0.2', port: 5557 })).toEqual([
      '-f',
      'worker.py',
      '--worker',
      '--master-host',
      '10.0.0.2',
      '--master-port',
      '5557',
    ]);
    expect(locustHostUrl('::1', 80)).toBe('http://[::1]:80');
  });

  it.each([
    [{ requests: 100, concurrency: 2 }, {}, 'Locust runs cells of a duration'],
    [{ requests: 0, concurrency: 2, durationS: 1.5 }, {}, 'Locust runs whole seconds'],
    [{ requests: 0, concurrency: 2, durationS: 2 }, { tls: { insecure: true } }, 'not run over TLS'],
    [{ requests: 0, concurrency: 2, durationS: 2 }, { shape: { body: Buffer.from('x'), chunked: true } }, '--chunked'],
  ])('refuses %j %j', (cell, target, words) => {
    expect(locustCellProblem(cell, target)).toContain(words);
  });

  it('says that workers did not come, how many did and how to start them', () => {
    const tail = [
      '[2026-12-07 05:31:52,339] vm/INFO/root: Waiting for workers to be ready, 1 of 2 connected',
      '[2026-12-07 05:31:53,341] vm/ERROR/locust.main: Gave up waiting for workers to connect',
    ].join('\n');
    const where = { host: '127.0.0.1', port: 5557, workers: 2, waitS: 30, remote: true };
    expect(masterFailure(1, tail, where)).toBe(
      '1 of 2 Locust worker(s) connected to 127.0.0.1:5557 within 30 s: start them with gauntlet worker --master 127.0.0.1:5557 --processes N',
    );
    expect(masterFailure(2, 'Waiting for workers to be ready, 0 of 2 connected\nTraceback: boom', where)).toBe(
      "Locust's master exited with 2:\nTraceback: boom",
    );
  });

  it('takes a cell of whole seconds', () => {
    expect(locustCellProblem({ requests: 0, concurrency: 2, durationS: 2 }, {})).toBeNull();
  });
});

describe('--engine, --workers, --locust-master', () => {
  it.each<[Record<string, string>, unknown]>([
    [{}, { name: 'gauntlet' }],
    [{ engine: 'gauntlet' }, { name: 'gauntlet' }],
    [{ engine: 'locust' }, { name: 'locust', placement: { workers: 1 } }],
    [
      { engine: 'locust', workers: '3' },
      { name: 'locust', placement: { workers: 3 } },
    ],
    [
      { engine: 'locust', workers: '2', 'locust-master': '[::1]:6000' },
      { name: 'locust', placement: { workers: 2, master: { host: '::1', port: 6000 } } },
    ],
  ])('%j is %j', (flags, engine) => {
    expect(parseEngineFlags(flags)).toEqual(engine);
  });

  it.each<[Record<string, string>, string]>([
    [{ engine: 'k6' }, '--engine "k6": is not an engine'],
    [{ workers: '2' }, '--workers places'],
    [{ 'locust-master': '127.0.0.1:5557' }, '--locust-master places'],
    [{ engine: 'locust', workers: 'two' }, '--workers "two"'],
    [{ engine: 'locust', 'locust-master': ':5557' }, 'is not HOST:PORT'],
  ])('refuses %j', (flags, words) => {
    expect(() => parseEngineFlags(flags)).toThrow(words);
  });

  it('reads HOST:PORT with a name, an IPv4 or a bracketed IPv6 host', () => {
    expect(hostPortFlag('--master', 'lb.example:5557')).toEqual({ host: 'lb.example', port: 5557 });
    expect(hostPortFlag('--master', '[fe80::1]:1')).toEqual({ host: 'fe80::1', port: 1 });
  });

  it('refuses a Locust run of counted cells, TLS or a chunked body, and nothing of the built-in engine', () => {
    const counted = { name: 'm', groups: [{ requests: 100, concurrencies: [2] }] };
    const timed = { name: 'm', groups: [{ requests: 0, concurrencies: [2], durationS: 5 }] };
    const locust = { name: 'locust' as const, placement: { workers: 1 } };
    expect(() => checkEngineRun(locust, { matrix: counted, tls: false, chunked: false })).toThrow(
      'cells of a duration',
    );
    expect(() => checkEngineRun(locust, { matrix: timed, tls: true, chunked: false })).toThrow('TLS');
    expect(() => checkEngineRun(locust, { matrix: timed, tls: false, chunked: true })).toThrow('--chunked');
    expect(() => checkEngineRun(locust, { matrix: timed, tls: false, chunked: false })).not.toThrow();
    expect(() => checkEngineRun(locust, { matrix: timed, tls: false, chunked: false, timeoutGiven: true })).toThrow(
      "--timeout does not reach Locust's users",
    );
    expect(() => checkEngineRun({ name: 'gauntlet' }, { matrix: counted, tls: true, chunked: true })).not.toThrow();
  });
});

describe("Locust's figures as a CellResult", () => {
  const context = { mode: 'close' as const, path: '/', concurrency: 10, durationS: 3 };

  it("reads the captured summary: engine, workers, Locust's time and rate, bucketed percentiles", () => {
    const s = parseLocustSummary(CAPTURED);
    const r = locustCellResult(s, context);
    expect(r.engine).toBe('locust');
    expect(r.workers).toBe(2);
    expect(r.completeRequests).toBe(5314);
    expect(r.failedRequests).toBe(0);
    expect(r.timeTakenS).toBeCloseTo(s.last_request_timestamp! - s.start_time, 9);
    // Locust's own Requests/s: requests over the same span.
    expect(r.requestsPerSecond).toBeCloseTo(s.rps, 6);
    expect(r.latencyUs).toEqual({
      min: 0,
      mean: Math.round(s.avg_ms * 1000),
      p50: 3000,
      p90: 9000,
      p99: 21000,
      max: 56000,
    });
    // A bucket's rounded value (60 ms) is kept at most the exact maximum (56 ms).
    expect(r.percentilesUs).toMatchObject({ p99_9: 40000, p99_99: 56000, max: 56000 });
    expect(r.statusCounts).toEqual({ '200': 5314 });
    expect(r.totalTransferred).toBe(s.content_bytes);
    expect(r.engineNotes).toEqual([LOCUST_NOTES.bucketed, LOCUST_NOTES.bytes]);
  });

  it('counts 4xx and 5xx as complete and Non-2xx, and only requests without a response as failed', () => {
    const s = {
      ...parseLocustSummary(CAPTURED),
      requests: 10,
      failures: 6,
      statuses: { '200': 4, '404': 2, '503': 1, none: 3 },
      errors: {
        "HTTPError('404 Client Error')": 2,
        "HTTPError('503 Server Error')": 1,
        "ConnectionRefusedError(111, 'Connection refused')": 2,
        "ConnectionResetError(104, 'Connection reset by peer')": 1,
      },
    };
    const r = locustCellResult(s, { ...context, rate: 50 });
    expect([r.requested, r.completeRequests, r.failedRequests, r.non2xx]).toEqual([10, 7, 3, 3]);
    expect(r.failed).toEqual({ connect: 2, receive: 1, length: 0, exceptions: 0 });
    expect(r.statusCounts).toEqual({ '200': 4, '404': 2, '503': 1 });
    expect(r.engineNotes).toContain(LOCUST_NOTES.paced);
  });

  it('counts failures no error text explains as Exceptions, and a timeout there too', () => {
    expect(locustFailureKinds({ 'timeout()': 4, "BadStatusLine('x')": 1 })).toEqual({
      connect: 0,
      receive: 0,
      length: 0,
      exceptions: 5,
    });
    const s = { ...parseLocustSummary(CAPTURED), statuses: { none: 5 }, errors: {} };
    expect(locustCellResult(s, context).failed.exceptions).toBe(5);
  });

  it('names what a summary lacks', () => {
    expect(() => parseLocustSummary('{')).toThrow('not JSON');
    expect(() => parseLocustSummary('{"requests": 1}')).toThrow('"failures"');
    const noStatuses = JSON.stringify({ ...JSON.parse(CAPTURED), statuses: null });
    expect(() => parseLocustSummary(noStatuses)).toThrow('"statuses"');
  });
});

describe('the notes under the percentiles', () => {
  it('says once per engine and note how the Locust cells differ, and nothing for the built-in engine', () => {
    const locust = locustCellResult(parseLocustSummary(CAPTURED), {
      mode: 'close',
      path: '/',
      concurrency: 10,
      durationS: 3,
    });
    const builtIn = { ...locust, engine: undefined, workers: undefined, engineNotes: undefined };
    const run = (results: CellResult[]) => ({ cells: results.map((result) => ({ result })) }) as unknown as RunResults;
    expect(engineNoteLines(run([locust, locust]))).toEqual([
      `locust (2 workers): ${LOCUST_NOTES.bucketed}`,
      `locust (2 workers): ${LOCUST_NOTES.bytes}`,
    ]);
    expect(engineNoteLines(run([builtIn]))).toEqual([]);
  });
});

describe('gauntlet worker --write-locustfile', () => {
  it("writes the workers' locustfile, with no cell, and starts nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-worker-file-'));
    try {
      const file = join(dir, 'worker.py');
      expect(await main(['worker', '--write-locustfile', file])).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe(locustfileText(null));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
