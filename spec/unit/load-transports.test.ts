/**
 * What every plain TCP transport (transport.ts, epoll-transport.ts) must do beyond the mode tests
 * of load-engine.test.ts: write a request larger than the socket's buffers whole, in both modes,
 * and (the epoll transport) let an idle process exit.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCell } from '../../lib/load/run-cell.ts';
import { epollTransportAvailable } from '../../lib/load/epoll-transport.ts';
import { availableTransports } from '../../lib/load/transport.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import type { LoadMode } from '../../lib/types.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/**
 * A server that waits `delayMs` before reading each connection (so a large request fills the
 * socket buffers and the client's write has to wait), then reads requests framed by
 * Content-Length and answers each with a 2-byte body. It records every body's length.
 */
async function slowReader(delayMs: number): Promise<{ port: number; bodies: number[] }> {
  const bodies: number[] = [];
  const srv = createServer((sock: Socket) => {
    sock.pause();
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        bodies.push(length);
        buf = buf.subarray(end + 4 + length);
        const close = /^GET|HTTP\/1\.0/.test(head) || !/keep-alive/i.test(head);
        sock.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n${close ? 'Connection: close\r\n' : ''}\r\nok`);
        if (close) sock.end();
      }
    });
    sock.on('error', () => {});
    setTimeout(() => sock.resume(), delayMs);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as { port: number }).port, bodies };
}

const BODY = Buffer.alloc(8 * 1024 * 1024, 0x61);

describe.each(availableTransports())('transport %s', (transport) => {
  it.each(['close', 'keepalive'] as LoadMode[])(
    '%s mode: an 8 MiB request, larger than the socket buffers, is written whole',
    async (mode) => {
      const s = await slowReader(100);
      const r = await runCell(
        { host: '127.0.0.1', port: s.port, path: '/', mode, shape: { body: BODY }, timeoutMs: 10_000 },
        { requests: 4, concurrency: 2 },
        { transport },
      );
      expect(r.failedRequests).toBe(0);
      expect(r.completeRequests).toBe(4);
      expect(s.bodies).toEqual([BODY.length, BODY.length, BODY.length, BODY.length]);
    },
  );
});

describe.skipIf(!epollTransportAvailable())('the epoll transport', () => {
  it('is the default where it is built', () => {
    expect(availableTransports()[0]).toBe('epoll');
  });

  it('lets a process exit once its connections are closed (its poll holds the loop only while one is open)', async () => {
    const s = await slowReader(0);
    const script = `
      import { runCell } from './lib/load/run-cell.ts';
      const r = await runCell({ host: '127.0.0.1', port: ${s.port}, path: '/', mode: 'close' }, { requests: 20, concurrency: 4 }, { transport: 'epoll' });
      console.log(r.completeRequests);
    `;
    // A poll left referenced would keep the child alive until the timeout kills it (an error here).
    const run = await new Promise<{ error: Error | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 20_000 },
        (error, stdout, stderr) => resolve({ error, stdout, stderr }),
      );
    });
    expect(run.error).toBeNull();
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('20');
  });
});
