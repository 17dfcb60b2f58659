/**
 * The engine against the real ab, on the same server and cells: the counts and bytes must be
 * equal (times differ from run to run and are not compared).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAb, runAb } from '../../lib/ab/run-ab.ts';
import type { AbReport } from '../../lib/ab/parse-ab.ts';
import { runCell } from '../../lib/load/run-cell.ts';
import type { CellResult, LoadMode } from '../../lib/types.ts';
import { startCountingServer, type CountingServer, type CountingServerOptions } from './helpers/counting-server.ts';

const abPath = await findAb();
const title = abPath
  ? 'parity with ab'
  : 'parity with ab — SKIPPED: ab is not on PATH (install it: apt-get install apache2-utils)';

async function both(
  server: CountingServer,
  n: number,
  c: number,
  opts: { mode?: LoadMode; recvErrOk?: boolean } = {},
): Promise<{ ab: AbReport; engine: CellResult }> {
  const mode = opts.mode ?? 'close';
  // Each tool meets the server from request 1, so every k-th rule hits the same requests.
  server.resetStats();
  const run = await runAb({
    abPath: abPath!,
    host: server.host,
    port: server.port,
    path: '/',
    requests: n,
    concurrency: c,
    keepAlive: mode === 'keepalive',
    continueOnReceiveError: opts.recvErrOk,
  });
  expect(run.exitCode, run.stderr).toBe(0);
  server.resetStats();
  const engine = await runCell(
    { host: server.host, port: server.port, path: '/', mode },
    { requests: n, concurrency: c },
  );
  return { ab: run.report!, engine };
}

describe.skipIf(!abPath)(title, () => {
  const servers: CountingServer[] = [];
  const serve = async (o: CountingServerOptions = {}): Promise<CountingServer> => {
    const s = await startCountingServer({ recordRequests: false, ...o });
    servers.push(s);
    return s;
  };
  let plain: CountingServer;
  beforeAll(async () => {
    plain = await serve();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  for (const [n, c] of [
    [200, 1],
    [200, 20],
    [100, 100],
  ] as const) {
    it(`-n ${n} -c ${c}: Complete requests, Total and HTML transferred equal ab's`, async () => {
      const { ab, engine } = await both(plain, n, c);
      expect(engine.completeRequests).toBe(ab.completeRequests);
      expect(engine.totalTransferred).toBe(ab.totalTransferred);
      expect(engine.htmlTransferred).toBe(ab.htmlTransferred);
      expect(engine.failedRequests).toBe(ab.failedRequests);
      expect(engine.documentLength).toBe(ab.documentLength);
      expect(engine.serverSoftware).toBe(ab.serverSoftware);
    });
  }

  it('-k -n 200 -c 10 (keep-alive mode): the same counts and bytes', async () => {
    const { ab, engine } = await both(plain, 200, 10, { mode: 'keepalive' });
    expect(ab.keepAliveRequests).toBe(200);
    expect(engine.completeRequests).toBe(ab.completeRequests);
    expect(engine.totalTransferred).toBe(ab.totalTransferred);
    expect(engine.htmlTransferred).toBe(ab.htmlTransferred);
    expect(engine.failedRequests).toBe(ab.failedRequests);
  });

  /**
   * How Gauntlet's figures differ from ab's on the same requests: `failedAsComplete` requests ab
   * called complete are failed here; `lengthOnlyInAb` Length counts are ab's alone (its resets'
   * lengths); `doclen` is Gauntlet's document length when ab's differs.
   */
  interface Differs {
    failedAsComplete: number;
    lengthOnlyInAb: number;
    doclen?: number;
  }
  const misbehaving: Array<[string, CountingServerOptions, number, number, boolean, Differs]> = [
    [
      '404 of another length every 4th',
      { notFoundEvery: 4, notFoundBody: 'nope' },
      100,
      1,
      false,
      { failedAsComplete: 0, lengthOnlyInAb: 0 },
    ],
    ['close without answer every 5th', { closeEvery: 5 }, 100, 1, false, { failedAsComplete: 20, lengthOnlyInAb: 0 }],
    ['reset every 7th (ab -r)', { resetEvery: 7 }, 70, 1, true, { failedAsComplete: 10, lengthOnlyInAb: 10 }],
    [
      'reset every 2nd (ab -r): the document length quirk',
      { resetEvery: 2 },
      20,
      1,
      true,
      { failedAsComplete: 10, lengthOnlyInAb: 9, doclen: 16 },
    ],
  ];
  for (const [label, options, n, c, recvErrOk, differs] of misbehaving) {
    it(`${label}: every count equals ab's, but for the requests ab calls complete that failed`, async () => {
      const s = await serve(options);
      const { ab, engine } = await both(s, n, c, { recvErrOk });
      expect({
        complete: engine.completeRequests,
        failed: engine.failedRequests,
        abFailed: engine.abFailedRequests,
        kinds: engine.failed,
        non2xx: engine.non2xx,
        total: engine.totalTransferred,
        html: engine.htmlTransferred,
        doclen: engine.documentLength,
      }).toEqual({
        complete: ab.completeRequests - differs.failedAsComplete,
        failed: differs.failedAsComplete,
        abFailed: ab.failedRequests - differs.lengthOnlyInAb,
        kinds: { ...ab.failed, length: ab.failed.length - differs.lengthOnlyInAb },
        non2xx: ab.non2xx,
        total: ab.totalTransferred,
        html: ab.htmlTransferred,
        doclen: differs.doclen ?? ab.documentLength,
      });
    });
  }

  it('a refused connect: ab stops at once without -r, and so does the cell', async () => {
    const closed = await serve();
    const port = closed.port;
    await closed.close();
    const run = await runAb({ abPath: abPath!, host: '127.0.0.1', port, path: '/', requests: 20, concurrency: 2 });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/Connection refused \(111\)/);
    const engine = await runCell(
      { host: '127.0.0.1', port, path: '/', mode: 'close' },
      { requests: 20, concurrency: 2 },
    );
    expect(engine.completeRequests).toBe(0);
    expect(engine.stopped?.kind).toBe('connect');
  });
});
