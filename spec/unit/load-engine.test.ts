import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCell, CellSpecError } from '../../lib/load/run-cell.ts';
import { abHostHeader, abRequestText } from '../../lib/load/ab-request.ts';
import { ResponseScanner } from '../../lib/load/response-scan.ts';
import { rawTransportAvailable, type TransportKind } from '../../lib/load/transport.ts';
import type { LoadTarget } from '../../lib/types.ts';
import { startCountingServer, type CountingServer, type CountingServerOptions } from './helpers/counting-server.ts';

const servers: CountingServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: CountingServerOptions = {}): Promise<CountingServer> {
  const s = await startCountingServer(options);
  servers.push(s);
  return s;
}

function target(s: CountingServer, mode: LoadTarget['mode'], over: Partial<LoadTarget> = {}): LoadTarget {
  return { host: s.host, port: s.port, path: '/doc', mode, ...over };
}

/** Waits until `check` holds (polling), or fails after `ms`. */
async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A port nothing listens on (taken from the system, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const transports: TransportKind[] = rawTransportAvailable() ? ['tcp_wrap', 'net'] : ['net'];

describe.each(transports)('close mode (transport %s)', (transport) => {
  it('sends exactly N requests over exactly N connections, each byte as ab sends it', async () => {
    const s = await serve();
    const r = await runCell(target(s, 'close'), { requests: 200, concurrency: 10 }, { transport });
    const expected = abRequestText(s.host, s.port, '/doc');
    expect(expected).toBe(
      `GET /doc HTTP/1.0\r\nHost: 127.0.0.1:${s.port}\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n`,
    );
    expect(s.stats.connections).toBe(200);
    expect(s.stats.requests).toBe(200);
    expect(s.stats.bytesReceived).toBe(200 * expected.length);
    expect(new Set(s.stats.requestTexts)).toEqual(new Set([expected]));

    const size = s.answerSize('ok');
    expect(r).toMatchObject({
      mode: 'close',
      path: '/doc',
      serverSoftware: 'counting/1.0',
      documentLength: size.body,
      concurrencyLevel: 10,
      requested: 200,
      completeRequests: 200,
      failedRequests: 0,
      failed: { connect: 0, receive: 0, length: 0, exceptions: 0 },
      non2xx: 0,
      totalTransferred: 200 * (size.header + size.body),
      htmlTransferred: 200 * size.body,
      statusCounts: { '200': 200 },
    });
    expect(r.timeTakenS).toBeGreaterThan(0);
    expect(r.requestsPerSecond).toBeCloseTo(200 / r.timeTakenS, 6);
    expect(r.latencyUs.min).toBeGreaterThan(0);
    expect(r.latencyUs.max).toBeLessThanOrEqual(r.timeTakenS * 1e6);
  });

  it('never starts more than N requests, whatever C', async () => {
    const s = await serve({ recordRequests: false });
    for (const [n, c] of [
      [1, 1],
      [37, 10],
      [50, 50],
    ] as const) {
      s.resetStats();
      const r = await runCell(target(s, 'close'), { requests: n, concurrency: c }, { transport });
      expect(s.stats.connections).toBe(n);
      expect(s.stats.requests).toBe(n);
      expect(r.completeRequests).toBe(n);
    }
  });

  it('reset after reading: Receive + Exceptions + Length per reset, as ab -r', async () => {
    const s = await serve({ resetEvery: 5 });
    const r = await runCell(target(s, 'close'), { requests: 50, concurrency: 1 }, { transport });
    const size = s.answerSize('ok');
    expect(r.completeRequests).toBe(50);
    expect(r.failed).toEqual({ connect: 0, receive: 10, length: 10, exceptions: 10 });
    expect(r.failedRequests).toBe(30);
    expect(r.totalTransferred).toBe(40 * (size.header + size.body));
    expect(r.htmlTransferred).toBe(40 * size.body);
    expect(r.non2xx).toBe(0);
  });

  it('close without answering: complete, a Length failure, no bytes', async () => {
    const s = await serve({ closeEvery: 4 });
    const r = await runCell(target(s, 'close'), { requests: 40, concurrency: 4 }, { transport });
    const size = s.answerSize('ok');
    expect(s.stats.connections).toBe(40);
    expect(r.completeRequests).toBe(40);
    expect(r.failed).toEqual({ connect: 0, receive: 0, length: 10, exceptions: 0 });
    expect(r.totalTransferred).toBe(30 * (size.header + size.body));
    expect(r.statusCounts).toEqual({ '200': 30 });
  });

  it('a different body length every k-th answer: Length failures', async () => {
    const s = await serve({ altBodyEvery: 3 });
    const r = await runCell(target(s, 'close'), { requests: 30, concurrency: 5 }, { transport });
    const ok = s.answerSize('ok');
    const alt = s.answerSize('alt');
    expect(r.documentLength).toBe(ok.body);
    expect(r.failed).toEqual({ connect: 0, receive: 0, length: 10, exceptions: 0 });
    expect(r.totalTransferred).toBe(20 * (ok.header + ok.body) + 10 * (alt.header + alt.body));
    expect(r.htmlTransferred).toBe(20 * ok.body + 10 * alt.body);
  });

  it('404 answers: Non-2xx, not failures (same length), Length failures too (other length)', async () => {
    const same = await serve({ notFoundEvery: 4 });
    const r1 = await runCell(target(same, 'close'), { requests: 40, concurrency: 4 }, { transport });
    expect(r1.non2xx).toBe(10);
    expect(r1.failedRequests).toBe(0);
    expect(r1.statusCounts).toEqual({ '200': 30, '404': 10 });

    const other = await serve({ notFoundEvery: 4, notFoundBody: 'nope' });
    const r2 = await runCell(target(other, 'close'), { requests: 40, concurrency: 1 }, { transport });
    expect(r2.non2xx).toBe(10);
    expect(r2.failed).toEqual({ connect: 0, receive: 0, length: 10, exceptions: 0 });
  });

  it('per-request timeout: an exception, the socket destroyed', async () => {
    const s = await serve({ delayMs: 400 });
    const t0 = Date.now();
    const r = await runCell(target(s, 'close', { timeoutMs: 100 }), { requests: 3, concurrency: 1 }, { transport });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(r.completeRequests).toBe(3);
    expect(r.failed).toEqual({ connect: 0, receive: 0, length: 0, exceptions: 3 });
    expect(r.totalTransferred).toBe(0);
    expect(s.stats.connections).toBe(3);
    await eventually(() => s.openConnections() === 0);
  });

  it('refused connections: Connect failures, one per request, no retry', async () => {
    const port = await closedPort();
    const r = await runCell({ host: '127.0.0.1', port, path: '/', mode: 'close' }, { requests: 5, concurrency: 2 }, { transport });
    expect(r.completeRequests).toBe(5);
    expect(r.failed).toEqual({ connect: 5, receive: 0, length: 0, exceptions: 0 });
    expect(r.documentLength).toBeNull();
    expect(r.serverSoftware).toBeNull();
  });

  it('latency runs from connect to EOF', async () => {
    const s = await serve({ delayMs: 30 });
    const r = await runCell(target(s, 'close'), { requests: 6, concurrency: 3 }, { transport });
    // Timers may fire a little early against a fine clock (libuv's loop time is cached in ms).
    expect(r.latencyUs.min).toBeGreaterThanOrEqual(25_000);
    expect(r.timeTakenS).toBeGreaterThanOrEqual(0.05);
  });

  it('a large body is counted to the byte', async () => {
    const body = 'x'.repeat(300_000) + '\n';
    const s = await serve({ body });
    const r = await runCell(target(s, 'close'), { requests: 10, concurrency: 2 }, { transport });
    const size = s.answerSize('ok');
    expect(r.documentLength).toBe(body.length);
    expect(r.htmlTransferred).toBe(10 * body.length);
    expect(r.totalTransferred).toBe(10 * (size.header + size.body));
    expect(r.failedRequests).toBe(0);
  });

  it('abort: stops, rejects with AbortError promptly, leaves no socket open', async () => {
    const s = await serve({ delayMs: 5000 });
    const ctrl = new AbortController();
    const run = runCell(target(s, 'close'), { requests: 20, concurrency: 5 }, { signal: ctrl.signal, transport });
    // As ab, the other slots wait for the first response header, which never comes here.
    await eventually(() => s.openConnections() === 1);
    const t0 = Date.now();
    ctrl.abort();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - t0).toBeLessThan(500);
    await eventually(() => s.openConnections() === 0);
    expect(s.stats.connections).toBe(1);
  });

  it('starts the other C - 1 slots when the first header arrives, as ab does', async () => {
    const s = await serve({ delayMs: 300 });
    const run = runCell(target(s, 'close'), { requests: 4, concurrency: 4 }, { transport });
    await new Promise((r) => setTimeout(r, 100));
    expect(s.stats.connections).toBe(1);
    await run;
    expect(s.stats.connections).toBe(4);
  });
});

describe('keepalive mode (autocannon)', () => {
  it('exactly N responses over exactly C connections', async () => {
    const s = await serve();
    const r = await runCell(target(s, 'keepalive'), { requests: 200, concurrency: 10 });
    expect(s.stats.connections).toBe(10);
    expect(s.stats.requests).toBe(200);
    expect(new Set(s.stats.requestTexts)).toEqual(
      new Set([
        `GET /doc HTTP/1.1\r\nConnection: keep-alive\r\nHost: 127.0.0.1:${s.port}\r\n` +
          'User-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n',
      ]),
    );
    const size = s.answerSize('ok', true);
    expect(r).toMatchObject({
      mode: 'keepalive',
      serverSoftware: 'counting/1.0',
      documentLength: size.body,
      concurrencyLevel: 10,
      completeRequests: 200,
      failedRequests: 0,
      non2xx: 0,
      totalTransferred: 200 * (size.header + size.body),
      htmlTransferred: 200 * size.body,
      statusCounts: { '200': 200 },
    });
    // Microseconds, not autocannon's whole milliseconds.
    expect(r.latencyUs.min).toBeGreaterThan(0);
    expect(Number.isInteger(r.latencyUs.mean)).toBe(false);
  });

  it('404 and other lengths are counted as in close mode', async () => {
    const s = await serve({ notFoundEvery: 5, notFoundBody: 'nope' });
    const r = await runCell(target(s, 'keepalive'), { requests: 100, concurrency: 4 });
    expect(r.completeRequests).toBe(100);
    expect(r.non2xx).toBe(20);
    expect(r.failed.length).toBe(20);
    expect(r.statusCounts).toEqual({ '200': 80, '404': 20 });
  });

  it('resets and refused connections are counted as in close mode', async () => {
    const s = await serve({ resetEvery: 5 });
    const r = await runCell(target(s, 'keepalive'), { requests: 50, concurrency: 1 });
    expect(s.stats.requests).toBe(50);
    expect(r.completeRequests).toBe(50);
    expect(r.failed).toEqual({ connect: 0, receive: 10, length: 10, exceptions: 10 });
    expect(r.statusCounts).toEqual({ '200': 40 });

    const port = await closedPort();
    const refused = await runCell({ host: '127.0.0.1', port, path: '/', mode: 'keepalive' }, { requests: 6, concurrency: 2 });
    expect(refused.completeRequests).toBe(6);
    expect(refused.failed).toEqual({ connect: 6, receive: 0, length: 0, exceptions: 0 });
  });

  it('a server that closes every connection: every request accounted for, losses visible', async () => {
    const s = await serve({ keepAlive: false });
    const r = await runCell(target(s, 'keepalive'), { requests: 40, concurrency: 2 });
    expect(r.completeRequests).toBe(40);
    expect((r.statusCounts['200'] ?? 0) + r.failed.receive + r.failed.connect + r.failed.exceptions).toBeGreaterThanOrEqual(40);
    expect(r.failedRequests).toBeGreaterThan(0);
  });

  it('abort: rejects with AbortError and closes its connections', async () => {
    const s = await serve({ delayMs: 5000 });
    const ctrl = new AbortController();
    const run = runCell(target(s, 'keepalive'), { requests: 20, concurrency: 4 }, { signal: ctrl.signal });
    await eventually(() => s.openConnections() === 4);
    const t0 = Date.now();
    ctrl.abort();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - t0).toBeLessThan(500);
    await eventually(() => s.openConnections() === 0);
  });
});

describe('runCell: arguments and progress', () => {
  it('refuses C > N as ab does, and N < 1 or C < 1', async () => {
    const t: LoadTarget = { host: '127.0.0.1', port: 1, path: '/', mode: 'close' };
    await expect(runCell(t, { requests: 5, concurrency: 6 })).rejects.toThrow(
      /Cannot use concurrency level greater than total number of requests/,
    );
    await expect(runCell(t, { requests: 5, concurrency: 6 })).rejects.toBeInstanceOf(CellSpecError);
    await expect(runCell(t, { requests: 0, concurrency: 0 })).rejects.toBeInstanceOf(CellSpecError);
    await expect(runCell(t, { requests: 3, concurrency: 0 })).rejects.toBeInstanceOf(CellSpecError);
    await expect(runCell({ ...t, mode: 'keepalive' }, { requests: 2, concurrency: 3 })).rejects.toBeInstanceOf(
      CellSpecError,
    );
    await expect(runCell({ ...t, path: 'index.html' }, { requests: 1, concurrency: 1 })).rejects.toBeInstanceOf(
      CellSpecError,
    );
    await expect(runCell({ ...t, port: 0 }, { requests: 1, concurrency: 1 })).rejects.toBeInstanceOf(CellSpecError);
  });

  it('an already aborted signal rejects before any connection', async () => {
    const s = await serve();
    for (const mode of ['close', 'keepalive'] as const) {
      await expect(
        runCell(target(s, mode), { requests: 5, concurrency: 1 }, { signal: AbortSignal.abort() }),
      ).rejects.toMatchObject({ name: 'AbortError' });
    }
    expect(s.stats.connections).toBe(0);
  });

  it('reports progress, ending with (N, N)', async () => {
    const s = await serve({ recordRequests: false });
    for (const mode of ['close', 'keepalive'] as const) {
      const calls: Array<[number, number]> = [];
      await runCell(target(s, mode), { requests: 50, concurrency: 5 }, { onProgress: (d, t) => calls.push([d, t]) });
      expect(calls.at(-1)).toEqual([50, 50]);
    }
  });
});

describe('ab request and response reading', () => {
  it("Host is ab's: no :80, IPv6 in brackets", () => {
    expect(abHostHeader('example.test', 80)).toBe('example.test');
    expect(abHostHeader('127.0.0.1', 8080)).toBe('127.0.0.1:8080');
    expect(abHostHeader('::1', 8080)).toBe('[::1]:8080');
    expect(abRequestText('h', 80, '/a?b', true)).toBe(
      'GET /a?b HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: h\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n',
    );
  });

  const response = Buffer.from(
    'HTTP/1.1 203 Non-Authoritative\r\nServer: Apache/2.4.57 (Debian)\r\nContent-Length: 5\r\n\r\nhello',
    'latin1',
  );
  const headerLen = response.indexOf('\r\n\r\n') + 4;

  it('finds the header end and status wherever the reads split the response', () => {
    for (let cut = 1; cut < response.length; cut++) {
      const sc = new ResponseScanner();
      sc.captureServer = true;
      const shared = Buffer.alloc(4096, 0x0a); // stale bytes after each read must not match
      const parts = [response.subarray(0, cut), response.subarray(cut)];
      for (const p of parts) {
        p.copy(shared);
        sc.push(shared, p.length);
      }
      expect([cut, sc.headerBytes, sc.bodyBytes, sc.status]).toEqual([cut, headerLen, 5, 203]);
      expect(sc.server).toBe('Apache/2.4.57');
    }
  });

  it('falls back to LF LF, reads 500 without "HTTP", gives up after 8191 header bytes', () => {
    const sc = new ResponseScanner();
    const lf = Buffer.from('HTTP/1.0 200 OK\nX: y\n\nbody', 'latin1');
    sc.push(lf, lf.length);
    expect([sc.headerBytes, sc.bodyBytes, sc.status]).toEqual([lf.indexOf('\n\n') + 2, 4, 200]);

    sc.reset();
    const odd = Buffer.from('ICY 200 OK\r\n\r\nx', 'latin1');
    sc.push(odd, odd.length);
    expect(sc.status).toBe(500);

    sc.reset();
    const big = Buffer.alloc(9000, 0x61);
    sc.push(big, big.length);
    const tail = Buffer.from('\r\n\r\nbody', 'latin1');
    sc.push(tail, tail.length);
    expect([sc.gotHeader, sc.status, sc.headerBytes, sc.bodyBytes]).toEqual([false, null, 9008, 0]);
  });
});
