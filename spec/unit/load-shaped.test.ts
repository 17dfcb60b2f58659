/**
 * Shaped requests on the wire: what the engine sends for -m, -H, -p and -T beside what the real
 * ab sends to the same server (byte for byte, with the same figures), several paths taken round
 * robin in every client, and a chunked body received whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findAb, runAb } from '../../lib/ab/run-ab.ts';
import { runCell } from '../../lib/load/run-cell.ts';
import type { RequestShape } from '../../lib/load/ab-request.ts';
import type { CellSpec, LoadMode } from '../../lib/types.ts';
import { startEchoCaptureServer, type EchoCaptureServer } from './helpers/echo-capture-server.ts';

const abPath = await findAb();
const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

let server: EchoCaptureServer;
beforeAll(async () => {
  server = await startEchoCaptureServer();
});
afterAll(async () => {
  await server.close();
});

function target(mode: LoadMode, shape: RequestShape) {
  return { host: server.host, port: server.port, path: shape.paths?.[0] ?? '/', mode, shape };
}

describe.skipIf(!abPath)('a shaped request beside ab -m -H -p -T', () => {
  it('the same bytes on the wire, and the same counts and bytes transferred', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-shaped-'));
    const file = join(dir, 'body.bin');
    await writeFile(file, body);
    server.requests.length = 0;
    const ab = await runAb({
      abPath: abPath!,
      host: server.host,
      port: server.port,
      path: '/up?x=1',
      requests: 5,
      concurrency: 1,
      // -m after -p: ab takes the last of the two as the method.
      extraArgs: ['-p', file, '-T', 'application/octet-stream', '-H', 'X-Trace: abc', '-m', 'PUT'],
    });
    expect(ab.exitCode, ab.stderr).toBe(0);
    const fromAb = server.requests.splice(0).map((r) => r.raw.toString('latin1'));
    const engine = await runCell(
      target('close', {
        method: 'PUT',
        headers: [
          ['X-Trace', 'abc'],
          ['Content-Type', 'application/octet-stream'],
        ],
        body,
        paths: ['/up?x=1'],
      }),
      { requests: 5, concurrency: 1 },
    );
    const fromEngine = server.requests.splice(0).map((r) => r.raw.toString('latin1'));
    expect(fromAb).toHaveLength(5);
    expect(new Set(fromEngine)).toEqual(new Set(fromAb));
    expect(fromEngine).toHaveLength(5);
    const report = ab.report!;
    expect(engine.completeRequests).toBe(report.completeRequests);
    expect(engine.htmlTransferred).toBe(report.htmlTransferred);
    expect(engine.htmlTransferred).toBe(5 * body.length);
    expect(engine.totalTransferred).toBe(report.totalTransferred);
  });
});

describe('several paths: request i goes to path i mod n', () => {
  const paths = ['/a', '/b', '/c'];
  const cells: Array<[string, LoadMode, CellSpec]> = [
    ['close mode', 'close', { requests: 9, concurrency: 1 }],
    ['keep-alive mode', 'keepalive', { requests: 9, concurrency: 1 }],
    ['a rate cell, close mode', 'close', { requests: 9, concurrency: 1, rate: 1000 }],
    ['a rate cell, keep-alive mode', 'keepalive', { requests: 9, concurrency: 1, rate: 1000 }],
  ];
  for (const [label, mode, cell] of cells) {
    it(`${label}: one connection at a time, in order`, async () => {
      server.requests.length = 0;
      const r = await runCell(target(mode, { paths, method: 'POST', body }), cell);
      expect(r.completeRequests).toBe(9);
      expect(server.requests.map((q) => q.line.split(' ')[1])).toEqual([...paths, ...paths, ...paths]);
      expect(server.requests.every((q) => q.body.equals(body))).toBe(true);
    });
  }

  for (const mode of ['close', 'keepalive'] as const) {
    it(`${mode} mode at concurrency 3: each path gets its third`, async () => {
      server.requests.length = 0;
      const r = await runCell(target(mode, { paths }), { requests: 30, concurrency: 3 });
      expect(r.completeRequests).toBe(30);
      const counts = Object.fromEntries(paths.map((p) => [p, 0]));
      for (const q of server.requests) counts[q.line.split(' ')[1]!]! += 1;
      expect(counts).toEqual({ '/a': 10, '/b': 10, '/c': 10 });
    });
  }
});

describe('a chunked body', () => {
  for (const mode of ['close', 'keepalive'] as const) {
    it(`${mode} mode: received whole, echoed, counted as response body bytes`, async () => {
      server.requests.length = 0;
      const r = await runCell(target(mode, { body, chunked: true, paths: ['/echo'] }), {
        requests: 20,
        concurrency: 2,
      });
      expect(r.completeRequests).toBe(20);
      expect(r.htmlTransferred).toBe(20 * body.length);
      expect(server.requests).toHaveLength(20);
      for (const q of server.requests) {
        expect(q.line).toBe('POST /echo HTTP/1.1');
        expect(q.body.equals(body)).toBe(true);
        expect(q.raw.toString('latin1')).toMatch(/\r\nTransfer-Encoding: chunked\r\n/);
      }
    });
  }
});

describe('a shape the engine refuses', () => {
  it('is a CellSpecError naming what is wrong', async () => {
    await expect(runCell(target('close', { chunked: true }), { requests: 1, concurrency: 1 })).rejects.toThrow(
      'Invalid request: chunked needs a body to send',
    );
  });
});

describe('HEAD', () => {
  /**
   * Answers every request head with `Content-Length: 16` and, when `withBody`, the 16 bytes too
   * (wrong for HEAD); closes after an HTTP/1.0 request (close mode), keeps the connection otherwise.
   */
  async function headServer(withBody: boolean): Promise<ScriptedServer & { methods: string[] }> {
    const methods: string[] = [];
    const server = await scriptedServer((head) => {
      methods.push(head.slice(0, head.indexOf(' ')));
      return [`HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n${withBody ? 'hello, gauntlet\n' : ''}`];
    });
    return { ...server, methods };
  }

  const cells: Array<[LoadMode, CellSpec]> = [
    ['close', { requests: 20, concurrency: 2 }],
    ['keepalive', { requests: 20, concurrency: 2 }],
    ['keepalive', { requests: 0, concurrency: 2, durationS: 0.3 }],
  ];
  for (const [mode, cell] of cells) {
    const what = cell.durationS ? `a ${cell.durationS} s cell` : `${cell.requests} requests`;
    it(`${mode}, ${what}: each response ends with its head, whatever its Content-Length says`, async () => {
      const s = await headServer(false);
      try {
        const r = await runCell({ host: '127.0.0.1', port: s.port, path: '/', mode, shape: { method: 'HEAD' } }, cell);
        expect(r.failedRequests).toBe(0);
        expect(r.completeRequests).toBeGreaterThanOrEqual(cell.requests || 2);
        expect(r.htmlTransferred).toBe(0);
        expect(new Set(s.methods)).toEqual(new Set(['HEAD']));
      } finally {
        await s.close();
      }
    });
  }

  it('a body after the head of a HEAD response is an overrun, in both modes', async () => {
    const s = await headServer(true);
    try {
      for (const mode of ['close', 'keepalive'] as const) {
        const r = await runCell(
          { host: '127.0.0.1', port: s.port, path: '/', mode, shape: { method: 'HEAD' } },
          {
            requests: 10,
            concurrency: 1,
          },
        );
        expect([r.completeRequests, r.failedRequests]).toEqual([0, 10]);
        expect(r.failed.length).toBe(10);
      }
    } finally {
      await s.close();
    }
  });
});

describe('interim responses', () => {
  it('a 100 Continue before each answer: every request gets its own final response, in both modes', async () => {
    // The interim head in a write of its own, then the final response.
    const { port, close } = await scriptedServer(() => [
      'HTTP/1.1 100 Continue\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
    ]);
    try {
      for (const mode of ['close', 'keepalive'] as const) {
        const r = await runCell({ host: '127.0.0.1', port, path: '/', mode }, { requests: 20, concurrency: 2 });
        expect([mode, r.completeRequests, r.failedRequests]).toEqual([mode, 20, 0]);
        expect(r.statusCounts).toEqual({ '200': 20 });
        expect(r.htmlTransferred).toBe(20 * 5);
      }
    } finally {
      await close();
    }
  });
});

interface ScriptedServer {
  port: number;
  close: () => Promise<void>;
}

/**
 * A server that answers each request head with the writes `answer` gives, in order: it closes
 * after answering an HTTP/1.0 request (close mode), and keeps the connection otherwise.
 */
async function scriptedServer(answer: (head: string) => string[]): Promise<ScriptedServer> {
  const { createServer } = await import('node:net');
  const srv = createServer((sock) => {
    sock.on('error', () => {});
    let seen = '';
    sock.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      while (seen.includes('\r\n\r\n')) {
        const head = seen.slice(0, seen.indexOf('\r\n\r\n'));
        seen = seen.slice(head.length + 4);
        const writes = answer(head);
        const last = writes.pop() ?? '';
        for (const w of writes) sock.write(w);
        if (/ HTTP\/1\.0$/.test(head.split('\r\n')[0]!)) sock.end(last);
        else sock.write(last);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as { port: number }).port,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}
