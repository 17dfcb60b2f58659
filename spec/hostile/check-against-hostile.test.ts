/**
 * The conformance client and runner against servers that misbehave in the ways that once ate
 * the harness: a head that never ends, a body that never ends, a drip, silence, refusals, and
 * a server that exits on one request. Each is a tiny node:net server in this file on an
 * ephemeral loopback port; every assertion is on what the harness kept and decided, and every
 * test is bounded in time (short case timeouts, vitest timeouts as a backstop).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { exchange, exchangeDeadlineMs, RECEIVE_KEEP_BYTES } from '../../lib/conformance/raw-client.ts';
import { HEAD_TOO_LARGE, MAX_HEAD_BYTES, parseResponses } from '../../lib/conformance/response-parser.ts';
import {
  COMPACT_KEEP_BYTES,
  MAX_RESTARTS,
  RUN_RETAIN_BYTES,
  runCase,
  runCasesDetailed,
  type CaseTarget,
  type ServerExit,
  type ServerWatch,
} from '../../lib/conformance/runner.ts';
import { runCheck } from '../../lib/conformance/check-run.ts';
import { renderGrid } from '../../lib/report/terminal/check-grid.ts';
import { renderJunit } from '../../lib/report/junit/check-junit.ts';
import { renderCheckJson, type JsonCheckRun } from '../../lib/report/json/check-json.ts';
import { renderCheckHtml } from '../../lib/report/html/check-report.ts';
import { renderWireLog } from '../../lib/conformance/wire-log.ts';
import { runFailed } from '../../lib/conformance/summary.ts';
import type { ConformanceCase } from '../../lib/conformance/types.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import { TEST_MACHINE } from '../helpers/test-machine.ts';

const servers = new Set<Server>();
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all([...servers].map((s) => new Promise<void>((r) => s.close(() => r()))));
  servers.clear();
});

/** A loopback server running `onConnection` for each connection; closed after each test. */
async function serve(onConnection: (socket: Socket) => void): Promise<{ server: Server; target: CaseTarget }> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  servers.add(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { server, target: { host: '127.0.0.1', port, root: DEFAULT_DOC_ROOT, capabilities: [], name: 'hostile' } };
}

/** Stops accepting and drops every open connection, as a process that died would. */
function kill(server: Server): void {
  server.close();
  for (const s of sockets) s.destroy();
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

function getCase(id: string, extra: Partial<ConformanceCase> = {}): ConformanceCase {
  return {
    id,
    name: 'GET / is answered with 200',
    rfc: 'RFC 9110 §9.3.1',
    level: 'MUST',
    group: 'responses',
    request: [{ data: `GET /${id} HTTP/1.1\r\nHost: localhost\r\n\r\n` }],
    accept: [{ kind: 'status', min: 200, max: 200 }],
    timeoutMs: 300,
    ...extra,
  };
}

/** Writes `piece` again and again, as fast as the socket takes it, until it closes. */
function flood(socket: Socket, piece: Buffer): void {
  const more = () => {
    while (!socket.destroyed && socket.write(piece)) {
      /* keep writing while the buffer takes it */
    }
    if (!socket.destroyed) socket.once('drain', more);
  };
  more();
}

describe('bounded memory', () => {
  it('parses a head only up to 64 KiB: beyond it the head is too large, whether or not its blank line came later', () => {
    const long = `HTTP/1.1 200 OK\r\nX-Long: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\nbody`;
    const whole = parseResponses(Buffer.from(long, 'latin1'), { ended: true });
    expect(whole.responses).toHaveLength(0);
    expect(whole).toMatchObject({ headTooLarge: true, stoppedBecause: HEAD_TOO_LARGE, trailingGarbage: long.length });
    const statusLine = parseResponses(Buffer.from(`HTTP/1.1 200 ${'x'.repeat(MAX_HEAD_BYTES + 10)}`, 'latin1'));
    expect(statusLine.headTooLarge).toBe(true);
    // Just within the limit is a head like any other.
    const fits = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEAD_BYTES - 60)}\r\nContent-Length: 0\r\n\r\n`;
    expect(fits.length).toBeLessThanOrEqual(MAX_HEAD_BYTES);
    expect(parseResponses(Buffer.from(fits, 'latin1')).responses).toHaveLength(1);
  });

  it('marks a response reaching the end of a kept prefix as truncated, never complete', () => {
    const out = parseResponses(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome of it', 'latin1'), {
      ended: true,
      truncated: true,
    });
    expect(out.responses[0]).toMatchObject({ framing: 'close', incomplete: true, truncated: true });
    const cl = parseResponses(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', 'latin1'), {
      truncated: true,
    });
    expect(cl.responses[0]?.incomplete).toBeUndefined();
    expect(cl.responses[0]?.truncated).toBeUndefined();
  });

  it("stops at a header section that never ends, and fails the case as the server's, whatever its level", async () => {
    const { target } = await serve((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nX-Endless: ');
      flood(socket, Buffer.alloc(16 * 1024, 'a'));
    });
    const started = performance.now();
    const r = await runCase(getCase('endless-head', { level: 'informational', timeoutMs: 2000 }), target);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(
      /^the response head exceeds 65536 bytes without its blank line: got \d+ bytes \("HTTP\/1\.1 200 OK\\r\\nX-Endless: a+\.\.\."\); the client stopped reading$/,
    );
    expect(r.exchange).toMatchObject({
      closedBy: 'client-limit',
      limit: { kind: 'head-size', message: HEAD_TOO_LARGE },
    });
    expect(r.exchange!.received.length).toBeLessThanOrEqual(RECEIVE_KEEP_BYTES);
  });

  it('stops at a status line that never ends in CRLF', async () => {
    const { target } = await serve((socket) => {
      socket.write('HTTP/1.1 200 ');
      flood(socket, Buffer.alloc(8 * 1024, 'z'));
    });
    const r = await runCase(getCase('endless-status-line'), target);
    expect(r.verdict).toBe('fail');
    expect(r.exchange?.limit?.kind).toBe('head-size');
  });

  it('counts an endless chunked body but keeps only the first MiB, and ends the case at its deadline', async () => {
    const chunk = Buffer.from(`4000\r\n${'b'.repeat(0x4000)}\r\n`, 'latin1');
    const { target } = await serve((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      flood(socket, chunk);
    });
    const c = getCase('endless-body', { timeoutMs: 200 });
    const deadline = exchangeDeadlineMs(c.request, 200);
    expect(deadline).toBe(1400);
    const started = performance.now();
    const r = await runCase(c, target);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(deadline - 50);
    expect(took).toBeLessThan(deadline + 1000);
    const ex = r.exchange!;
    expect(ex.received.length).toBe(RECEIVE_KEEP_BYTES);
    expect(ex.truncated?.keptBytes).toBe(RECEIVE_KEEP_BYTES);
    expect(ex.truncated!.receivedBytes).toBeGreaterThan(2 * RECEIVE_KEEP_BYTES);
    // The wire log's events never point past the kept bytes.
    expect(Math.max(...ex.timeline!.filter((e) => e.direction === 'received').map((e) => e.offset + e.length))).toBe(
      RECEIVE_KEEP_BYTES,
    );
    expect(ex.responses[0]).toMatchObject({ status: 200, framing: 'chunked', incomplete: true, truncated: true });
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(
      /^the exchange reached its deadline of 1400 ms .* before the server had finished: got 200 OK after \d+ ms with a body longer than the 1048576 bytes the client keeps, the client stopped reading$/,
    );
    const log = renderWireLog(ex, { timeoutMs: 200 });
    expect(log).toMatch(
      /\.\.\. \d+ more bytes received and counted, not kept: the client keeps the first 1048576 \(\d+ in all\)/,
    );
    expect(log).toContain('the client stopped reading: the exchange reached its deadline of 1400 ms');
  });
});

describe('bounded time', () => {
  it('ends a case at its deadline against a server that drips a byte at a time, each well within the silence limit', async () => {
    const { target } = await serve((socket) => {
      const text = `HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'d'.repeat(100_000)}`;
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        socket.write(text[i++] ?? '.');
      }, 40);
      socket.on('close', () => clearInterval(timer));
    });
    const started = performance.now();
    const r = await runCase(getCase('drip', { timeoutMs: 250 }), target);
    const took = performance.now() - started;
    // 250 ms of silence never passes; the deadline (2 x 250 + 1000 ms) does.
    expect(took).toBeGreaterThanOrEqual(1450);
    expect(took).toBeLessThan(2200);
    expect(r.exchange).toMatchObject({ closedBy: 'client-limit', limit: { kind: 'deadline' } });
    expect(r.verdict).toBe('fail');
  });

  it("counts a request's own pauses into its deadline", () => {
    expect(exchangeDeadlineMs([{ data: 'a' }, { data: 'b', delayMs: 150 }, { data: 'c', delayMs: 150 }], 3000)).toBe(
      300 + 6000 + 1000,
    );
  });

  it("ends an exchange at once when its signal is aborted (how a property's run gives up on its exchanges)", async () => {
    const { target } = await serve(() => {});
    const calls = new AbortController();
    setTimeout(() => calls.abort(), 100);
    const started = performance.now();
    const ex = await exchange(target.host, target.port, [{ data: 'GET / HTTP/1.1\r\n\r\n' }], {
      timeoutMs: 5000,
      signal: calls.signal,
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(ex.closedBy).toBe('client');
  });

  it('stops early against a server that accepts and never answers: the cases left are not run, and say why', async () => {
    const { target } = await serve(() => {});
    const cases = Array.from({ length: 24 }, (_, i) => getCase(`hang-${i}`, { timeoutMs: 200 }));
    const started = performance.now();
    const run = await runCasesDetailed(cases, target, { concurrency: 4 });
    const took = performance.now() - started;
    // Four unanswered cases (200 ms), then GET / alone gets nothing for 3 s: about 3.5 s, not 24 x 200 ms / 4 and more.
    expect(took).toBeLessThan(6000);
    expect(run.results).toHaveLength(24);
    const notRun = run.results.filter((r) => r.verdict === 'not-run');
    const failed = run.results.filter((r) => r.verdict === 'fail');
    expect(failed.length).toBeGreaterThanOrEqual(4);
    expect(notRun.length).toBe(24 - failed.length);
    // The cases still in flight when the fourth came back are counted too.
    expect(notRun[0]!.reason).toMatch(
      /^not run: the server stopped answering: ([4-9]|1\d) cases in a row got no answer, then GET \/ on a fresh connection got nothing for 3000 ms and the connection stayed open$/,
    );
    expect(notRun.every((r) => r.exchange === null && r.durationMs === 0)).toBe(true);
    expect(run.stoppedAnswering).toBe(notRun[0]!.reason.replace(/^not run: /, ''));
    expect(run.results.map((r) => r.caseId)).toEqual(cases.map((c) => c.id));
  });

  it('never stops a server that leaves some cases unanswered by design but answers GET /', async () => {
    const { target } = await serve((socket) => {
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        // Silent on every case; only the probe's GET / is answered.
        if (text.startsWith('GET / HTTP/1.1')) socket.end(OK);
      });
    });
    const cases = Array.from({ length: 12 }, (_, i) => getCase(`slow-${i}`, { timeoutMs: 150 }));
    const run = await runCasesDetailed(cases, target, { concurrency: 4 });
    expect(run.results.map((r) => r.verdict)).toEqual(cases.map(() => 'fail'));
    expect(run.stoppedAnswering).toBeUndefined();
    expect(
      run.results.every((r) => r.reason === 'expected 200; got nothing for 150 ms and the connection stayed open'),
    ).toBe(true);
  });

  it('stops within a second against a server that refuses every connection', async () => {
    const { server, target } = await serve(() => {});
    kill(server);
    await new Promise((r) => setTimeout(r, 20));
    const cases = Array.from({ length: 40 }, (_, i) => getCase(`refused-${i}`));
    const started = performance.now();
    const run = await runCasesDetailed(cases, target, { concurrency: 8 });
    expect(performance.now() - started).toBeLessThan(1000);
    const counts = { fail: 0, 'not-run': 0 } as Record<string, number>;
    for (const r of run.results) counts[r.verdict] = (counts[r.verdict] ?? 0) + 1;
    expect(counts['harness-error']).toBeUndefined();
    expect(counts.fail).toBe(8);
    expect(counts['not-run']).toBe(32);
    const failed = run.results.find((r) => r.verdict === 'fail')!;
    expect(failed.reason).toMatch(
      /^connection refused by the server at 127\.0\.0\.1:\d+ \(ECONNREFUSED\); not tried again: the server stopped answering: /,
    );
    expect(run.stoppedAnswering).toMatch(
      /then GET \/ on a fresh connection got no connection: connection refused by the server/,
    );
  });
});

describe('whose fault', () => {
  it('tries a refused case again alone before failing it; the cases after it are not run once the server stays away', async () => {
    let accepted = 0;
    const { server, target } = await serve((socket) => {
      accepted += 1;
      socket.end(OK);
      // After three connections the server stops listening: every later connect is refused.
      if (accepted === 3) kill(server);
    });
    const cases = Array.from({ length: 10 }, (_, i) => getCase(`after-${i}`));
    const run = await runCasesDetailed(cases, target, { concurrency: 1 });
    expect(run.results.map((r) => r.verdict)).toEqual([
      'pass',
      'pass',
      'pass',
      'fail',
      'fail',
      'not-run',
      'not-run',
      'not-run',
      'not-run',
      'not-run',
    ]);
    expect(run.results[3]!.reason).toMatch(
      /^connection refused by the server at 127\.0\.0\.1:\d+ \(ECONNREFUSED\); the same when tried again alone$/,
    );
    expect(run.results[5]!.reason).toMatch(
      /^not run: the server stopped answering: 4 cases in a row got no answer, then GET \/ on a fresh connection got no connection/,
    );
  });

  it('passes a case whose first connect was refused when it goes through alone', async () => {
    // Refuses while another connection is open, as a server with a tiny accept queue does under load.
    let open = 0;
    const { target } = await serve((socket) => {
      open += 1;
      socket.on('close', () => (open -= 1));
      if (open > 1) return socket.resetAndDestroy();
      setTimeout(() => socket.end(OK), 30);
    });
    const cases = Array.from({ length: 6 }, (_, i) => getCase(`crowded-${i}`));
    const run = await runCasesDetailed(cases, target, { concurrency: 6 });
    // The reset ones are resets once connected (the server's close), not connect failures: those fail as such.
    for (const r of run.results) expect(['pass', 'fail']).toContain(r.verdict);
    expect(run.results.some((r) => r.verdict === 'pass')).toBe(true);
    expect(run.results.some((r) => r.verdict === 'harness-error')).toBe(false);
  });
});

/**
 * A server that "exits" on any request for a path containing %E0 (as a node:http server does
 * on a URIError): it drops every connection and stops listening; `restart` starts a new one on
 * a new port. The watch is what check-run builds around a real process.
 */
async function crashOnPercent(
  opts: { restartFails?: boolean; crashOnEverything?: boolean; crashOnRequestNumber?: number } = {},
) {
  let exited: (e: ServerExit) => void = () => {};
  let starts = 0;
  let current: Awaited<ReturnType<typeof serve>>;
  const start = async () => {
    starts += 1;
    const exitNews = new Promise<ServerExit>((r) => (exited = r));
    let requests = 0;
    current = await serve((socket) => {
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        if (!text.includes('\r\n\r\n')) return;
        requests += 1;
        if (opts.crashOnEverything || text.includes('%E0') || requests === opts.crashOnRequestNumber) {
          const server = current.server;
          setTimeout(() => {
            kill(server);
            exited({
              exit: 'exit code 1',
              outputTail: "node:internal/url:1\n    throw new URIError('URI malformed')\nURIError: URI malformed",
            });
          }, 5);
          return;
        }
        setTimeout(() => socket.end(OK), opts.crashOnRequestNumber ? 80 : 20);
      });
    });
    void exitNews;
    return current.target;
  };
  const target = await start();
  const watch: ServerWatch = {
    exited: () =>
      new Promise<ServerExit>((r) => {
        const previous = exited;
        exited = (e) => {
          previous(e);
          r(e);
        };
      }),
    restart: async () => {
      if (opts.restartFails)
        return { error: 'server "crashy" exited before it was ready (exit code 2)\n--- last output ---\nEADDRINUSE' };
      const t = await start();
      return { host: t.host, port: t.port };
    },
  };
  return { target, watch, starts: () => starts };
}

describe('a server that exits during the run', () => {
  it('names the case that killed it (found by running the suspects alone), restarts it, and runs the rest', async () => {
    const crashy = await crashOnPercent();
    const cases = Array.from({ length: 9 }, (_, i) =>
      getCase(
        i === 4 ? 'bad-percent' : `fine-${i}`,
        i === 4 ? { request: [{ data: 'GET /%E0%A4%A HTTP/1.1\r\nHost: localhost\r\n\r\n' }] } : {},
      ),
    );
    const run = await runCasesDetailed(cases, crashy.target, { concurrency: 3, watch: crashy.watch });
    const byId = new Map(run.results.map((r) => [r.caseId, r]));
    expect(byId.get('bad-percent')).toMatchObject({
      verdict: 'fail',
      reason: 'the server exited during this case (exit code 1); its last output: URIError: URI malformed',
    });
    for (const c of cases.filter((c) => c.id !== 'bad-percent')) expect(byId.get(c.id)?.verdict, c.id).toBe('pass');
    expect(run.results).toHaveLength(9);
    // Once with the case among others in flight, once when run alone to find it.
    expect(run.deaths.length).toBeGreaterThanOrEqual(1);
    expect(run.deaths.every((d) => d.restarted && d.caseId === 'bad-percent')).toBe(true);
    expect(run.deaths.at(-1)!.inFlight).toEqual(['bad-percent']);
    expect(crashy.starts()).toBe(run.deaths.length + 1);
    expect(run.stoppedAnswering).toBeUndefined();
  });

  it('fails every case in flight, named as such, when none of them makes the server exit when run alone', async () => {
    // Exits on its fourth request whatever it is, as a server with a leak does: no one case kills it.
    const crashy = await crashOnPercent({ crashOnRequestNumber: 4 });
    const cases = Array.from({ length: 6 }, (_, i) => getCase(`count-${i}`));
    const run = await runCasesDetailed(cases, crashy.target, { concurrency: 3, watch: crashy.watch });
    expect(run.deaths).toHaveLength(1);
    const [death] = run.deaths;
    expect(death!.caseId).toBeUndefined();
    expect(death!.inFlight.length).toBeGreaterThanOrEqual(2);
    for (const id of death!.inFlight) {
      const r = run.results.find((x) => x.caseId === id)!;
      expect(r.verdict).toBe('fail');
      expect(r.reason).toMatch(
        new RegExp(
          `^the server exited \\(exit code 1\\) while this case and ${death!.inFlight.length - 1} others? w(as|ere) in flight; its last output: URIError: URI malformed; run alone afterwards, it passed$`,
        ),
      );
    }
    expect(run.results.filter((r) => !death!.inFlight.includes(r.caseId)).every((r) => r.verdict === 'pass')).toBe(
      true,
    );
    expect(run.results).toHaveLength(6);
  });

  it('gives up after the most restarts: the cases left are not run, the server is down', async () => {
    const crashy = await crashOnPercent({ crashOnEverything: true });
    const cases = Array.from({ length: 12 }, (_, i) => getCase(`any-${i}`));
    const run = await runCasesDetailed(cases, crashy.target, { concurrency: 1, watch: crashy.watch, maxRestarts: 2 });
    const verdicts = run.results.map((r) => r.verdict);
    expect(verdicts.slice(0, 3)).toEqual(['fail', 'fail', 'fail']);
    expect(verdicts.slice(3).every((v) => v === 'not-run')).toBe(true);
    expect(run.results[3]!.reason).toBe('not run: the server is down: it exited 3 times; restarted at most 2 times');
    expect(run.deaths.map((d) => d.restarted)).toEqual([true, true, false]);
    expect(MAX_RESTARTS).toBe(5);
  });

  it('calls the server down when it will not start again', async () => {
    const crashy = await crashOnPercent({ restartFails: true });
    const cases = [
      getCase('fine-0'),
      getCase('bad', { request: [{ data: 'GET /%E0 HTTP/1.1\r\nHost: localhost\r\n\r\n' }] }),
      getCase('fine-1'),
      getCase('fine-2'),
    ];
    const run = await runCasesDetailed(cases, crashy.target, { concurrency: 1, watch: crashy.watch });
    expect(run.results.map((r) => r.verdict)).toEqual(['pass', 'fail', 'not-run', 'not-run']);
    expect(run.results[2]!.reason).toBe(
      'not run: the server is down (exit code 1); it did not start again: server "crashy" exited before it was ready (exit code 2)',
    );
    expect(run.deaths).toEqual([expect.objectContaining({ caseId: 'bad', restarted: false })]);
  });
});

describe('gauntlet check against a real process that exits on one request', () => {
  it('fails that case with the exit code and the output, restarts the server, runs the rest, and says so in every report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-crashy-'));
    const script = join(dir, 'crashy.mjs');
    // A node:http server that decodes the path and throws on a malformed percent-encoding.
    await writeFile(
      script,
      `import { createServer } from 'node:http';
createServer((req, res) => {
  decodeURIComponent(req.url);
  res.end('ok');
}).listen(Number(process.argv[2]), '127.0.0.1');
`,
    );
    const cases = [
      getCase('fine-a'),
      getCase('bad-percent', { request: [{ data: 'GET /%E0%A4%A HTTP/1.1\r\nHost: localhost\r\n\r\n' }] }),
      getCase('fine-b'),
      getCase('fine-c'),
    ].map((c) => ({ case: { ...c, timeoutMs: 1000 }, file: 'spec/hostile/check-against-hostile.test.ts' }));
    const spec = {
      name: 'crashy',
      model: 'async',
      language: 'javascript',
      command: `${process.execPath} ${script} {port}`,
      cwd: dir,
      source: '--server "crashy"',
    };
    const run = await runCheck({ servers: [spec], cases, root: DEFAULT_DOC_ROOT, concurrency: 1 });
    const verdicts = Object.fromEntries(run.results.map((r) => [r.caseId, r.verdict]));
    expect(verdicts).toEqual({ 'fine-a': 'pass', 'bad-percent': 'fail', 'fine-b': 'pass', 'fine-c': 'pass' });
    const killed = run.results.find((r) => r.caseId === 'bad-percent')!;
    expect(killed.reason).toMatch(
      /^the server exited during this case \(exit code 1\); its last output: .*URIError: URI malformed/,
    );
    const record = run.servers[0]!;
    expect(record.error).toBeUndefined();
    expect(record.deaths).toEqual([
      expect.objectContaining({
        exit: 'exit code 1',
        caseId: 'bad-percent',
        inFlight: ['bad-percent'],
        restarted: true,
      }),
    ]);
    expect(record.deaths![0]!.outputTail).toContain('URIError');
    expect(runFailed(run)).toBe(true);

    const grid = renderGrid(run);
    expect(grid).toContain(
      'crashy: 3 pass, 0 warn, 1 fail, 0 info, 0 skip, 0 harness-error; exited once (exit code 1) during bad-percent; restarted once',
    );
    expect(grid).toContain('crashy exited (exit code 1) during bad-percent; its last output:');
    const json = JSON.parse(renderCheckJson(run)) as JsonCheckRun;
    expect(json.servers[0]!.deaths![0]!.caseId).toBe('bad-percent');
    expect(renderJunit(run)).toContain('<property name="exit-1" value="exit code 1 during bad-percent; restarted"/>');
    expect(renderCheckHtml(run)).toContain('exited (exit code 1) during <code>bad-percent</code>');
  }, 30_000);
});

describe('reports of cases not run', () => {
  it('count them apart in the grid, JSON, JUnit (skipped, with the reason) and HTML: never a pass, never a harness error', async () => {
    const { target } = await serve(() => {});
    const cases = Array.from({ length: 16 }, (_, i) => getCase(`hang-${i}`, { timeoutMs: 100 }));
    const ran = await runCasesDetailed(cases, target, { concurrency: 4 });
    const run = {
      tool: 'gauntlet' as const,
      command: 'check' as const,
      schemaVersion: 1,
      machine: TEST_MACHINE,
      version: '0',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:04.000Z',
      status: 'complete' as const,
      cases: cases.map((c) => ({ id: c.id, name: c.name, rfc: c.rfc, level: c.level, group: c.group })),
      servers: [
        {
          name: 'hostile',
          command: 'x {port}',
          source: '--server "hostile"',
          capabilities: [],
          serverFlag: '--server hostile',
          stoppedAnswering: ran.stoppedAnswering!,
        },
      ],
      results: ran.results,
    };
    const notRun = ran.results.filter((r) => r.verdict === 'not-run').length;
    const failed = ran.results.filter((r) => r.verdict === 'fail').length;
    expect(notRun).toBeGreaterThan(0);
    expect(notRun + failed).toBe(16);
    const grid = renderGrid(run);
    expect(grid).toMatch(/hang-15\s+MUST\s+not-run/);
    expect(grid).toContain(
      `hostile: 0 pass, 0 warn, ${failed} fail, 0 info, 0 skip, 0 harness-error, ${notRun} not-run; the server stopped answering`,
    );
    expect(grid).toContain(`${notRun} cases not run on hostile: not run: the server stopped answering: `);
    expect(runFailed(run)).toBe(true);
    const junit = renderJunit(run);
    expect(junit).toContain(`<testsuite name="hostile" tests="16" failures="${failed}" errors="0" skipped="${notRun}"`);
    expect(junit).toMatch(
      /<testcase classname="hostile\.responses" name="hang-15: GET \/ is answered with 200" time="0\.000">\n\s+<skipped message="not run: the server stopped answering/,
    );
    const json = JSON.parse(renderCheckJson(run)) as JsonCheckRun;
    expect(
      json.results.filter((r) => r.verdict === 'not-run').every((r) => r.exchange === null && r.wireLog === undefined),
    ).toBe(true);
    expect(renderCheckHtml(run)).toContain('>not run</td>');
  }, 15_000);
});

describe('what a case says of a response that never finished', () => {
  it('calls the start of a head a response whose head never ended, not bytes that are not HTTP', async () => {
    const { target } = await serve((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Le'));
    const r = await runCase(getCase('half-head', { timeoutMs: 200 }), target);
    expect(r.reason).toBe(
      'expected 200; got 27 bytes of a response whose head never ended ("HTTP/1.1 200 OK\\r\\nContent-Le"); connection left open (200 ms of silence)',
    );
  });
});

describe('a full accept queue', () => {
  it("fails a connect the server does not accept in time as the server's, with the time limit named", async () => {
    // listen(1) and never accept: once the queue is full the kernel drops further SYNs.
    const { spawn } = await import('node:child_process');
    const py = spawn(
      'python3',
      [
        '-c',
        'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(1)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(30)',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const port = await new Promise<number>((resolve) =>
        py.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
      );
      const target: CaseTarget = { host: '127.0.0.1', port, root: DEFAULT_DOC_ROOT, capabilities: [], name: 'backlog' };
      // Fill the queue (backlog + 1 on Linux), holding those connections open.
      const fillers = Promise.all([0, 1].map(() => exchange(target.host, target.port, [], { timeoutMs: 1500 })));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const r = await runCase(getCase('crowded', { timeoutMs: 300 }), target);
      expect((await fillers).every((ex) => ex.connectFailure === undefined)).toBe(true);
      expect(r.verdict).toBe('fail');
      expect(r.reason).toBe(`could not connect to 127.0.0.1:${port} within 300 ms: the server did not accept`);
      expect(r.exchange?.harnessError).toBeUndefined();
    } finally {
      py.kill('SIGKILL');
    }
  }, 10_000);
});

describe('what a run keeps', () => {
  it('keeps whole results until 16 MiB, and only the start of each after: a server flooding every case cannot fill the harness', async () => {
    const body = Buffer.alloc(1024 * 1024 - 64, 'f');
    const response = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    const { target } = await serve((socket) => {
      socket.once('data', () => socket.end(response));
    });
    const cases = Array.from({ length: 24 }, (_, i) => getCase(`mib-${i}`, { timeoutMs: 2000 }));
    const run = await runCasesDetailed(cases, target, { concurrency: 4 });
    expect(run.results.every((r) => r.verdict === 'pass')).toBe(true);
    const kept = run.results.map((r) => r.exchange!.received.length);
    const total = kept.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(RUN_RETAIN_BYTES + RECEIVE_KEEP_BYTES + 24 * COMPACT_KEEP_BYTES);
    const compacted = run.results.filter((r) => r.exchange!.truncated);
    expect(compacted.length).toBeGreaterThanOrEqual(24 - 17);
    for (const r of compacted) {
      expect(r.exchange!.received.length).toBe(COMPACT_KEEP_BYTES);
      expect(r.exchange!.truncated).toEqual({ keptBytes: COMPACT_KEEP_BYTES, receivedBytes: response.length });
      expect(r.exchange!.responses[0]).toMatchObject({ status: 200, truncated: true });
    }
  }, 20_000);

  it('starts nothing more once its signal is aborted, and leaves the cases not started out', async () => {
    const { target } = await serve(() => {});
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const cases = Array.from({ length: 12 }, (_, i) => getCase(`a-${i}`, { timeoutMs: 200 }));
    const started = performance.now();
    const run = await runCasesDetailed(cases, target, { concurrency: 3, signal: stop.signal });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(run.results.map((r) => r.caseId)).toEqual(['a-0', 'a-1', 'a-2']);
  });
});
