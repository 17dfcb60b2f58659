/**
 * A small HTTP/1.x server on node:net for tests of the load engine and of ab itself: it counts
 * what arrives (connections, requests, bytes, and optionally each request's exact bytes) and
 * answers a fixed response, or misbehaves on every k-th request in a chosen way.
 *
 * Requests are numbered 1, 2, 3... in the order their header is complete. For request n the
 * first matching rule wins: reset, close, 404, other body length, normal answer. All answers
 * carry a Content-Length, so keep-alive clients can reuse the connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import type { LoadTarget } from '../../../lib/types.ts';

export interface CountingServerOptions {
  /** Body of the normal answer (default "hello, gauntlet\n", 16 bytes). */
  body?: string;
  /** Value of the Server header, or null for none (default "counting/1.0 (test)"). */
  server?: string | null;
  /** Keep connections open when the request asks for it (HTTP/1.1, or HTTP/1.0 with keep-alive). Default true. */
  keepAlive?: boolean;
  /** Every k-th request is read and then answered with a TCP reset. */
  resetEvery?: number;
  /** Every k-th request is read and the connection closed without an answer. */
  closeEvery?: number;
  /** Every k-th request is answered 404 (body `notFoundBody`). */
  notFoundEvery?: number;
  /** Body of the 404 answers (default: as long as the normal body, so only the status differs). */
  notFoundBody?: string;
  /** Every k-th request is answered 200 with `altBody`, of another length. */
  altBodyEvery?: number;
  /** The other body (default: the normal body plus "!!"). */
  altBody?: string;
  /** Wait this long before answering each request, ms. */
  delayMs?: number;
  /** Keep the bytes of every request (for exact checks); default true. */
  recordRequests?: boolean;
}

export type AnswerKind = 'ok' | 'reset' | 'close' | 'notfound' | 'alt';

export interface CountingStats {
  /** Connections accepted. */
  connections: number;
  /** Requests whose header was complete. */
  requests: number;
  /** Bytes received on all connections. */
  bytesReceived: number;
  /** The text of each request (latin1), in arrival order, when recordRequests is on. */
  requestTexts: string[];
  /** How each request was answered, in arrival order. */
  answers: AnswerKind[];
}

export interface CountingServer {
  readonly host: string;
  readonly port: number;
  readonly stats: CountingStats;
  /** Connections currently open. */
  openConnections(): number;
  /** http://host:port{path} */
  url(path?: string): string;
  /** What request n (1-based) gets, by the rules. */
  kindFor(n: number): AnswerKind;
  /** Header and body sizes of an answer, for a keep-alive or a closing connection. */
  answerSize(kind: 'ok' | 'notfound' | 'alt', keepAlive?: boolean): { header: number; body: number; status: number };
  /** Zeroes the counters (and the request numbering). */
  resetStats(): void;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

const DEFAULT_BODY = 'hello, gauntlet\n';

/** What the server answers, without a server: for expectations computed by hand. */
/** Plain functions, not methods: they close over the options and are passed around alone. */
export interface AnswerPlan {
  /** What request n (1-based) gets, by the rules. */
  readonly kindFor: (n: number) => AnswerKind;
  /** The bytes of an answer, on a connection kept alive or not. */
  readonly answer: (kind: 'ok' | 'notfound' | 'alt', keepAlive?: boolean) => Buffer;
  /** Header and body sizes of an answer, and its status. */
  readonly answerSize: (
    kind: 'ok' | 'notfound' | 'alt',
    keepAlive?: boolean,
  ) => { header: number; body: number; status: number };
}

export function answerPlan(options: CountingServerOptions = {}): AnswerPlan {
  const body = options.body ?? DEFAULT_BODY;
  const serverHeader = options.server === undefined ? 'counting/1.0 (test)' : options.server;
  const bodyLength = Buffer.byteLength(body);
  const notFoundBody = options.notFoundBody ?? ('not found\n' + '-'.repeat(bodyLength)).slice(0, bodyLength);
  const altBody = options.altBody ?? body + '!!';
  const every = (k: number | undefined, n: number): boolean => k !== undefined && k > 0 && n % k === 0;

  const kindFor = (n: number): AnswerKind => {
    if (every(options.resetEvery, n)) return 'reset';
    if (every(options.closeEvery, n)) return 'close';
    if (every(options.notFoundEvery, n)) return 'notfound';
    if (every(options.altBodyEvery, n)) return 'alt';
    return 'ok';
  };

  const answer = (kind: 'ok' | 'notfound' | 'alt', keepAlive = false): Buffer => {
    const status = kind === 'notfound' ? '404 Not Found' : '200 OK';
    const text = kind === 'notfound' ? notFoundBody : kind === 'alt' ? altBody : body;
    let head = `HTTP/1.1 ${status}\r\n`;
    if (serverHeader !== null) head += `Server: ${serverHeader}\r\n`;
    head += 'Content-Type: text/plain\r\n';
    head += `Content-Length: ${Buffer.byteLength(text)}\r\n`;
    head += `Connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(text)]);
  };

  const answerSize = (kind: 'ok' | 'notfound' | 'alt', keepAlive = false) => {
    const total = answer(kind, keepAlive);
    const header = total.indexOf('\r\n\r\n') + 4;
    return { header, body: total.length - header, status: kind === 'notfound' ? 404 : 200 };
  };

  return { kindFor, answer, answerSize };
}

export async function startCountingServer(options: CountingServerOptions = {}): Promise<CountingServer> {
  const { kindFor, answer, answerSize } = answerPlan(options);
  const keepAliveAllowed = options.keepAlive ?? true;
  const record = options.recordRequests ?? true;
  const stats: CountingStats = { connections: 0, requests: 0, bytesReceived: 0, requestTexts: [], answers: [] };
  const sockets = new Set<Socket>();

  const wantsKeepAlive = (head: string): boolean => {
    if (!keepAliveAllowed) return false;
    const firstLine = head.slice(0, head.indexOf('\r\n'));
    const conn = /\r\nconnection:[ \t]*([^\r\n]*)/i.exec(head)?.[1]?.trim().toLowerCase() ?? '';
    if (firstLine.endsWith('HTTP/1.1')) return conn !== 'close';
    return conn === 'keep-alive';
  };

  const server: Server = createServer((sock) => {
    stats.connections++;
    sockets.add(sock);
    sock.setNoDelay(true);
    let pending = '';
    let busy = false;
    let done = false;
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});

    const respond = (head: string): void => {
      const n = ++stats.requests;
      if (record) stats.requestTexts.push(head);
      const kind = kindFor(n);
      stats.answers.push(kind);
      const keepAlive = wantsKeepAlive(head);
      const act = (): void => {
        if (sock.destroyed) return;
        if (kind === 'reset') {
          done = true;
          sock.resetAndDestroy();
          return;
        }
        if (kind === 'close') {
          done = true;
          sock.end();
          return;
        }
        const bytes = answer(kind, keepAlive);
        if (keepAlive) {
          sock.write(bytes);
          busy = false;
          drain();
        } else {
          done = true;
          sock.end(bytes);
        }
      };
      busy = true;
      if (options.delayMs) setTimeout(act, options.delayMs);
      else act();
    };

    // One request at a time per connection, in order (pipelined requests wait their turn).
    const drain = (): void => {
      while (!busy && !done) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.slice(0, end + 4);
        pending = pending.slice(end + 4);
        respond(head);
      }
    };

    sock.on('data', (chunk: Buffer) => {
      stats.bytesReceived += chunk.length;
      if (done) return;
      pending += chunk.toString('latin1');
      drain();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('counting server: no TCP address');
  const host = '127.0.0.1';
  const port = addr.port;

  return {
    host,
    port,
    stats,
    openConnections: () => sockets.size,
    url: (path = '/') => `http://${host}:${port}${path}`,
    kindFor,
    answerSize,
    resetStats() {
      stats.connections = 0;
      stats.requests = 0;
      stats.bytesReceived = 0;
      stats.requestTexts = [];
      stats.answers = [];
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * For a spec file: a function that starts a counting server closed after the test that started
 * it. Call it at the file's top level (it registers the afterEach).
 */
export function countingServersPerTest(): (options?: CountingServerOptions) => Promise<CountingServer> {
  const servers: CountingServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (options = {}) => {
    const s = await startCountingServer(options);
    servers.push(s);
    return s;
  };
}

/** A load target at a counting server's /doc. */
export function countingTarget(
  s: CountingServer,
  mode: LoadTarget['mode'],
  over: Partial<LoadTarget> = {},
): LoadTarget {
  return { host: s.host, port: s.port, path: '/doc', mode, ...over };
}
