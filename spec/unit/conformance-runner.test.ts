/**
 * The runner's verdicts against tiny scripted servers that misbehave on purpose: each one
 * does one wrong (or odd) thing, and the verdict, the outcome and the reason must say so.
 */
import { describe, it, expect, afterEach } from 'vitest';
import fc from 'fast-check';
import { createServer, type Server, type Socket } from 'node:net';
import { exchange } from '../../lib/conformance/raw-client.ts';
import {
  runCase,
  runCases,
  requestMethods,
  observedOutcome,
  describeAccepted,
  scheduleCases,
  type CaseTarget,
} from '../../lib/conformance/runner.ts';
import type { ConformanceCase, Level } from '../../lib/conformance/types.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import { getFreePort } from '../../lib/ports.ts';

interface Scripted {
  target: CaseTarget;
  /** The chunks each connection received, in order. */
  received: Buffer[][];
  server: Server;
}

const open: Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A server that calls `onData` with each chunk (and everything so far) of each connection. */
async function scripted(
  onData: (socket: Socket, all: string, chunk: Buffer) => void,
  onConnect?: (socket: Socket) => void,
): Promise<Scripted> {
  const received: Buffer[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const chunks: Buffer[] = [];
    received.push(chunks);
    let all = '';
    socket.on('error', () => {});
    onConnect?.(socket);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      all += d.toString('latin1');
      onData(socket, all, d);
    });
  });
  const origClose = server.close.bind(server);
  server.close = (cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return origClose(cb);
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  open.push(server);
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    target: { host: '127.0.0.1', port, root: DEFAULT_DOC_ROOT, capabilities: [], name: 'scripted' },
    received,
    server,
  };
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

function rejectCase(level: Level, extra: Partial<ConformanceCase> = {}): ConformanceCase {
  return {
    id: `garbage-is-rejected-${level.toLowerCase()}`,
    name: 'A request line of garbage is rejected',
    rfc: 'RFC 9112 §3',
    level,
    group: 'request-line',
    request: [{ data: '\x00\x01garbage\r\n\r\n' }],
    accept: [{ kind: 'status', min: 400, max: 400 }, { kind: 'close' }],
    timeoutMs: 300,
    ...extra,
  };
}

describe('runCase verdicts', () => {
  it('fails a MUST case when the server answers 200 to garbage, saying what was expected and what happened', async () => {
    const s = await scripted((socket) => socket.write(OK));
    const r = await runCase(rejectCase('MUST'), s.target);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^expected 400 or close; got 200 OK after \d+ ms, connection left open/);
    expect(r.exchange?.responses).toHaveLength(1);
    expect(r.exchange?.closedBy).toBe('client-timeout');
    expect(r.server).toBe('scripted');
  });

  it('warns for the same miss of a SHOULD case, and only informs for an informational one', async () => {
    const s = await scripted((socket) => socket.end(OK));
    const should = await runCase(rejectCase('SHOULD'), s.target);
    expect(should.verdict).toBe('warn');
    expect(should.reason).toMatch(/got 200 OK after \d+ ms, the server closed the connection after \d+ ms/);
    expect((await runCase(rejectCase('informational'), s.target)).verdict).toBe('info');
  });

  it('fails the same miss of a security case, as a MUST case', async () => {
    const s = await scripted((socket) => socket.end(OK));
    expect((await runCase(rejectCase('security'), s.target)).verdict).toBe('fail');
  });

  it('passes on a 400, and on a close without a response', async () => {
    const answers = await scripted((socket) =>
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
    );
    expect((await runCase(rejectCase('MUST'), answers.target)).verdict).toBe('pass');
    const closes = await scripted((socket) => socket.end());
    const r = await runCase(rejectCase('MUST'), closes.target);
    expect(r).toMatchObject({ verdict: 'pass', reason: '' });
    expect(observedOutcome(r.exchange!)).toEqual({ kind: 'close' });
  });

  it('observes a server that never answers and never closes as a timeout', async () => {
    const s = await scripted(() => {});
    const waits = await runCase(rejectCase('MUST', { accept: [{ kind: 'timeout' }], timeoutMs: 200 }), s.target);
    expect(waits.verdict).toBe('pass');
    expect(observedOutcome(waits.exchange!)).toEqual({ kind: 'timeout' });
    expect(waits.durationMs).toBeGreaterThanOrEqual(190);
    const expected400 = await runCase(rejectCase('MUST', { timeoutMs: 200 }), s.target);
    expect(expected400.verdict).toBe('fail');
    expect(expected400.reason).toBe('expected 400 or close; got nothing for 200 ms and the connection stayed open');
  });

  it('counts a reset as a close', async () => {
    const s = await scripted((socket) => socket.resetAndDestroy());
    const r = await runCase(rejectCase('MUST'), s.target);
    expect(r.verdict).toBe('pass');
    expect(r.exchange).toMatchObject({ closedBy: 'server', reset: true });
    const wanted200 = await runCase(rejectCase('MUST', { accept: [{ kind: 'status', min: 200, max: 299 }] }), s.target);
    expect(wanted200.reason).toMatch(/^expected 2xx; got no response; the connection was reset after \d+ ms$/);
  });

  it('counts two responses to one request as two, for a case check to see', async () => {
    const s = await scripted((socket) => socket.end(OK + OK));
    const c: ConformanceCase = {
      ...rejectCase('MUST'),
      request: [{ data: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' }],
      accept: [{ kind: 'status', min: 200, max: 200 }],
      check: ({ exchange: ex }) =>
        ex.responses.length === 1 ? null : `${ex.responses.length} responses to one request`,
    };
    const r = await runCase(c, s.target);
    expect(r.exchange?.responses).toHaveLength(2);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toBe('2 responses to one request');
  });

  it('says so when the bytes received are not a response', async () => {
    const s = await scripted((socket) => socket.end('SSH-2.0-nope\r\n'));
    const r = await runCase(rejectCase('MUST'), s.target);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/got 14 bytes that are not an HTTP response \("SSH-2\.0-nope\\r\\n"\); the server closed/);
  });

  it('skips a case whose capability the server does not declare', async () => {
    const s = await scripted((socket) => socket.end(OK));
    const r = await runCase(rejectCase('MUST', { needs: ['echo'] }), s.target);
    expect(r).toMatchObject({ verdict: 'skip', exchange: null, reason: 'needs echo, which scripted does not declare' });
    expect(s.received).toHaveLength(0);
    expect(
      (await runCase(rejectCase('MUST', { needs: ['echo'] }), { ...s.target, capabilities: ['echo'] })).verdict,
    ).toBe('fail');
  });

  it("fails a case whose connection is refused as the server's doing, never as a harness error, whatever its level", async () => {
    const port = await getFreePort();
    const r = await runCase(rejectCase('informational'), {
      host: '127.0.0.1',
      port,
      root: DEFAULT_DOC_ROOT,
      capabilities: [],
    });
    expect(r.verdict).toBe('fail');
    expect(r.reason).toBe(`connection refused by the server at 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(r.exchange?.connectFailure).toBe(r.reason);
    expect(r.exchange?.harnessError).toBeUndefined();
  });

  it('reports a check that throws as a harness error', async () => {
    const s = await scripted((socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    const r = await runCase(
      rejectCase('MUST', {
        check: () => {
          throw new Error('oops');
        },
      }),
      s.target,
    );
    expect(r.verdict).toBe('harness-error');
    expect(r.reason).toContain('oops');
  });

  it('fails a case after which the server stopped answering, whatever its level', async () => {
    const s = await scripted((socket) => {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      s.server.close();
    });
    const r = await runCase(rejectCase('SHOULD', { thenAlive: true }), s.target);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(
      /^the server stopped answering: afterwards, connection refused by the server at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/,
    );
    expect(r.aliveExchange?.connectFailure).toBeTruthy();
    expect(r.aliveExchange?.harnessError).toBeUndefined();
  });

  it('passes a thenAlive case when GET / on a fresh connection gets 200, and fails it otherwise', async () => {
    const alive = await scripted((socket, all) => {
      if (all.startsWith('GET / ')) socket.end(OK);
      else socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    });
    const ok = await runCase(rejectCase('MUST', { thenAlive: true }), alive.target);
    expect(ok.verdict).toBe('pass');
    expect(ok.aliveExchange?.responses[0]?.status).toBe(200);
    const sick = await scripted((socket) =>
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'),
    );
    const r = await runCase(
      rejectCase('MUST', { accept: [{ kind: 'status', min: 500, max: 599 }], thenAlive: true }),
      sick.target,
    );
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(
      /^afterwards, GET \/ on a fresh connection should get 200 but got 503 Service Unavailable/,
    );
  });

  it('parses responses to HEAD without a body, from the methods in the request bytes', async () => {
    const s = await scripted((socket, all) => {
      if (all.endsWith('\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n')) {
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }
    });
    const c: ConformanceCase = {
      ...rejectCase('MUST'),
      request: [{ data: 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n' }],
      accept: [{ kind: 'status', min: 200, max: 200 }],
    };
    const r = await runCase(c, s.target);
    expect(r.exchange?.responses.map((x) => x.framing)).toEqual(['none', 'content-length']);
    expect(r.exchange?.trailingGarbage).toBe(0);
  });
});

describe('exchange', () => {
  it('writes each part separately, honouring its delay, and records the bytes and their times', async () => {
    const s = await scripted((socket, all) => {
      if (all.endsWith('\r\n\r\n')) socket.end(OK);
    });
    const ex = await exchange(
      s.target.host,
      s.target.port,
      [{ data: 'GET / HT' }, { data: 'TP/1.1\r\nHost: a\r\n', delayMs: 60 }, { data: '\r\n', delayMs: 30 }],
      { timeoutMs: 1000 },
    );
    expect(s.received[0]?.map((c) => c.toString('latin1'))).toEqual(['GET / HT', 'TP/1.1\r\nHost: a\r\n', '\r\n']);
    expect(Buffer.from(ex.sent).toString('latin1')).toBe('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(Buffer.from(ex.received).toString('latin1')).toBe(OK);
    const sent = ex.timeline!.filter((e) => e.direction === 'sent');
    expect(sent.map((e) => e.length)).toEqual([8, 17, 2]);
    // Pauses keep to a schedule from the first write (60 ms, then 60 + 30 ms), so a late second
    // part shortens the gap to the third rather than pushing it back.
    expect(sent[1]!.atMs).toBeGreaterThanOrEqual(55);
    expect(sent[2]!.atMs).toBeGreaterThanOrEqual(85);
    expect(ex.closedBy).toBe('server');
    expect(ex.closeAfterMs).toBeGreaterThanOrEqual(sent[2]!.atMs);
  });

  it('keeps dripped parts to their schedule when the client is held up, instead of adding up the lateness', async () => {
    const s = await scripted((socket, all) => {
      if (all.length >= 40) socket.end(OK);
    });
    // Hold the event loop for 200 ms while the parts are being dripped, 5 ms apart.
    setTimeout(() => {
      const until = Date.now() + 200;
      while (Date.now() < until) {
        /* busy */
      }
    }, 30);
    const ex = await exchange(
      s.target.host,
      s.target.port,
      [{ data: 'x' }, ...Array.from({ length: 39 }, () => ({ data: 'x', delayMs: 5 }))],
      { timeoutMs: 2000 },
    );
    const sent = ex.timeline!.filter((e) => e.direction === 'sent');
    expect(sent).toHaveLength(40);
    // 39 pauses of 5 ms are 195 ms; chained pauses after a 200 ms hold would take about 400.
    expect(sent[39]!.atMs).toBeLessThan(330);
    expect(sent[39]!.atMs).toBeGreaterThanOrEqual(190);
  });

  it('sends bytes as given, every one of 0x00-0xff', async () => {
    const s = await scripted((socket, all) => {
      if (all.length >= 256) socket.end();
    });
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const ex = await exchange(s.target.host, s.target.port, [{ data: Buffer.from(all).toString('latin1') }], {
      timeoutMs: 1000,
    });
    expect(Buffer.concat(s.received[0]!).equals(Buffer.from(all))).toBe(true);
    expect(ex.sent).toEqual(all);
  });

  it('does not count writes to a server that already closed as a harness error', async () => {
    const s = await scripted((socket) => socket.resetAndDestroy());
    const ex = await exchange(
      s.target.host,
      s.target.port,
      [{ data: 'GET / HTTP/1.1\r\n' }, { data: 'x'.repeat(100_000), delayMs: 50 }, { data: 'more', delayMs: 10 }],
      { timeoutMs: 1000 },
    );
    expect(ex.harnessError).toBeUndefined();
    expect(ex).toMatchObject({ closedBy: 'server', reset: true });
    expect(ex.unsent).toBe(100_004);
  });

  it('stops waiting after the expected responses once nothing more arrives', async () => {
    const s = await scripted((socket) => socket.write(OK));
    const started = Date.now();
    const ex = await exchange(s.target.host, s.target.port, [{ data: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' }], {
      timeoutMs: 5000,
      expectResponses: 1,
      settleMs: 50,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(ex.closedBy).toBe('client');
    expect(ex.responses).toHaveLength(1);
  });
});

describe('runCases', () => {
  it('runs cases a few at a time and returns results in case order', async () => {
    let active = 0;
    let peak = 0;
    const s = await scripted(
      (socket) => {
        setTimeout(() => {
          active -= 1;
          socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
        }, 30);
      },
      () => {
        active += 1;
        peak = Math.max(peak, active);
      },
    );
    // Each case sends its own bytes: cases sending the same bytes would share one exchange.
    const cases = Array.from({ length: 9 }, (_, i) => ({
      ...rejectCase('MUST'),
      id: `case-${i}`,
      request: [{ data: `\x00\x01garbage-${i}\r\n\r\n` }],
    }));
    const results = await runCases(cases, s.target, { concurrency: 3 });
    expect(results.map((r) => r.caseId)).toEqual(cases.map((c) => c.id));
    expect(results.every((r) => r.verdict === 'pass')).toBe(true);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
    const scheduled = scheduleCases(cases, s.target, 4);
    expect((await scheduled.get('case-8'))?.verdict).toBe('pass');
  });
});

describe('helpers', () => {
  it('reads the methods of pipelined requests, skipping their bodies', () => {
    const raw =
      'POST /echo HTTP/1.1\r\nContent-Length: 23\r\n\r\nHEAD / HTTP/1.1\r\n\r\nxxxx\r\nHEAD / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nGET\r\n0\r\n\r\nGET / HTTP/1.0\r\n\r\n';
    expect(requestMethods(Buffer.from(raw, 'latin1'))).toEqual(['POST', 'HEAD', 'GET']);
    expect(requestMethods(Buffer.from('\x16\x03\x01garbage', 'latin1'))).toEqual([]);
    const negative = 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n0\r\n\r\n';
    expect(requestMethods(Buffer.from(negative, 'latin1'))).toEqual(['POST']);
  });

  it('reads methods from any bytes without looping forever', () => {
    const token = fc.constantFrom(
      'GET / HTTP/1.1',
      'HEAD / HTTP/1.1',
      '\r\n',
      '\n',
      'Transfer-Encoding: chunked',
      'Content-Length: 3',
      '-1',
      '0',
      'ff',
      ';x',
      'abc',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (tokens) => {
        const methods = requestMethods(Buffer.from(tokens.join(''), 'latin1'));
        expect(methods.length).toBeLessThanOrEqual(tokens.length);
      }),
    );
  });

  it('states accepted outcomes briefly', () => {
    expect(describeAccepted([{ kind: 'status', min: 400, max: 499 }, { kind: 'close' }], 2000)).toBe('4xx or close');
    expect(
      describeAccepted(
        [{ kind: 'status', min: 400, max: 400 }, { kind: 'status', min: 501, max: 501 }, { kind: 'timeout' }],
        1500,
      ),
    ).toBe('400, 501 or no answer for 1500 ms');
  });
});
