/**
 * What every plain TCP transport (transport.ts, epoll-transport.ts) must do beyond the mode tests
 * of load-engine.test.ts: write a request larger than the socket's buffers whole, in both modes,
 * and (the epoll transport) let an idle process exit.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
    const run = await nodeRun(['--import', 'tsx', '--input-type=module', '-e', script]);
    expect(run.error).toBeNull();
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('20');
  });

  it('works in worker threads, and a worker that ends with connections open closes them and leaves the process whole', async () => {
    const s = await slowReader(0);
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-epoll-worker-'));
    try {
      const body = join(dir, 'body.mts');
      const boot = join(dir, 'boot.mjs');
      const runCellUrl = pathToFileURL(join(PROJECT_ROOT, 'lib/load/run-cell.ts')).href;
      const transportUrl = pathToFileURL(join(PROJECT_ROOT, 'lib/load/transport.ts')).href;
      const tsxUrl = pathToFileURL(join(PROJECT_ROOT, 'node_modules/tsx/dist/esm/api/index.mjs')).href;
      // A hanging worker sends its requests to a server (in the main thread) that never answers.
      await writeFile(
        body,
        `import { parentPort, workerData } from 'node:worker_threads';
         import { runCell } from ${JSON.stringify(runCellUrl)};
         import { transportKind } from ${JSON.stringify(transportUrl)};
         const target = { host: '127.0.0.1', path: '/', mode: 'close', timeoutMs: 60000 };
         if (workerData.silentPort) {
           void runCell({ ...target, port: workerData.silentPort }, { requests: 4, concurrency: 1 }, { transport: 'epoll' });
           parentPort.postMessage('hanging');
         } else {
           const r = await runCell({ ...target, port: ${s.port} }, { requests: 20, concurrency: 4 }, { transport: 'epoll' });
           parentPort.postMessage(transportKind('epoll') + ' ' + r.completeRequests);
         }`,
      );
      await writeFile(
        boot,
        `import { tsImport } from ${JSON.stringify(tsxUrl)};\nawait tsImport(${JSON.stringify(pathToFileURL(body).href)}, import.meta.url);\n`,
      );
      // After terminating a hanging worker, the main thread waits for the silent server to see its
      // connection end (the worker's environment closed it), and says whether it did.
      const main = `
        import { Worker } from 'node:worker_threads';
        import { createServer } from 'node:net';
        const silent = createServer((sock) => { sock.resume(); sock.on('error', () => {}); });
        await new Promise((r) => silent.listen(0, '127.0.0.1', r));
        const open = () => new Promise((r) => silent.getConnections((e, n) => r(n)));
        for (const hang of [false, true, false, true]) {
          const silentPort = hang ? silent.address().port : 0;
          const w = new Worker(${JSON.stringify(boot)}, { workerData: { silentPort }, execArgv: [] });
          const said = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
          if (hang) while ((await open()) === 0) await new Promise((r) => setTimeout(r, 10));
          await w.terminate();
          const until = Date.now() + 3000;
          while ((await open()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
          console.log(said, await open());
        }
        silent.close();
      `;
      const run = await nodeRun(['--input-type=module', '-e', main]);
      expect(run.error).toBeNull();
      expect(run.stdout.trim().split('\n')).toEqual(['epoll 20 0', 'hanging 0', 'epoll 20 0', 'hanging 0']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Runs node with `args` from the project's folder; a child that does not exit in 20 s is killed (an error). */
function nodeRun(args: string[]): Promise<{ error: Error | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 20_000 },
      (error, stdout, stderr) => resolve({ error, stdout, stderr }),
    );
  });
}
