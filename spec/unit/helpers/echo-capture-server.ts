/**
 * A test server that keeps every request it reads, byte for byte (head and body), and answers
 * each with its body echoed back (Content-Length framed): what a shaped request sent can be
 * compared with what ab sends, and how its requests went round the paths. It reads bodies framed
 * by Content-Length or chunked, keeps an HTTP/1.1 connection open unless told to close, and
 * closes after an HTTP/1.0 request, as ab's close mode expects.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface CapturedRequest {
  /** The request's bytes as received, head and body with their framing. */
  raw: Buffer;
  /** The first line, e.g. "POST /a HTTP/1.0". */
  line: string;
  /** The body, its chunk framing taken off. */
  body: Buffer;
}

export interface EchoCaptureServer {
  readonly host: string;
  readonly port: number;
  readonly requests: CapturedRequest[];
  close(): Promise<void>;
}

/** The end of a chunked body starting at `from`, and the data; null while incomplete. */
function chunkedEnd(buf: Buffer, from: number): { end: number; body: Buffer } | null {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = parseInt(buf.toString('latin1', at, eol), 16);
    if (size === 0) {
      const end = buf.indexOf('\r\n', eol + 2);
      return end < 0 ? null : { end: end + 2, body: Buffer.concat(parts) };
    }
    if (buf.length < eol + 2 + size + 2) return null;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** One whole request at the start of `buf`, or null while it is incomplete. */
function takeRequest(buf: Buffer): { request: CapturedRequest; used: number; close: boolean } | null {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const head = buf.toString('latin1', 0, headEnd);
  const line = head.split('\r\n')[0]!;
  const bodyStart = headEnd + 4;
  let body: Buffer;
  let used: number;
  if (/^transfer-encoding:\s*chunked/im.test(head)) {
    const chunked = chunkedEnd(buf, bodyStart);
    if (!chunked) return null;
    ({ body, end: used } = chunked);
  } else {
    const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
    if (buf.length < bodyStart + length) return null;
    body = buf.subarray(bodyStart, bodyStart + length);
    used = bodyStart + length;
  }
  const close = line.endsWith('HTTP/1.0') || /^connection:\s*close/im.test(head);
  return { request: { raw: Buffer.from(buf.subarray(0, used)), line, body: Buffer.from(body) }, used, close };
}

export async function startEchoCaptureServer(): Promise<EchoCaptureServer> {
  const requests: CapturedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      for (let taken = takeRequest(pending); taken; taken = takeRequest(pending)) {
        pending = pending.subarray(taken.used);
        requests.push(taken.request);
        const { body } = taken.request;
        socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
        if (taken.close) {
          socket.end();
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    host: '127.0.0.1',
    port: address.port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
