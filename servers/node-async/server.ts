/**
 * node-async: one event loop, node:net. Every connection is an HttpConnection fed from its
 * socket's 'data' events; responses are written back from the same call.
 *
 * Usage: node --import tsx server.ts <port> <root>
 *
 * With GAUNTLET_TLS_CERT and GAUNTLET_TLS_KEY (PEM files) it listens over TLS instead, so that
 * the harness's https clients have a reference server: the same connections, each a TLS socket.
 */
import net from 'node:net';
import tls from 'node:tls';
import { type ConnectionIO, HttpConnection } from '../_common/node/connection.ts';
import {
  LINGER_MS,
  LISTEN_BACKLOG,
  SHUTDOWN_GRACE_MS,
  listeningLine,
  loadConfig,
  loadTls,
  sweepInterval,
} from '../_common/node/config.ts';
import { RequestHandler } from '../_common/node/handler.ts';

const NAME = 'node-async';
const config = loadConfig(NAME);
const tlsFiles = loadTls(NAME);
const handler = new RequestHandler(config.root, `gauntlet-${NAME}`);
const connections = new Set<HttpConnection>();
let stopping = false;

/** A net.Socket as a ConnectionIO: reading pauses while the peer is not taking our writes. */
class SocketIO implements ConnectionIO {
  conn: HttpConnection | null = null;
  private ended = false;
  private waitingDrain = false;

  constructor(private readonly socket: net.Socket) {
    socket.on('drain', () => {
      if (!this.waitingDrain) return;
      this.waitingDrain = false;
      if (!this.ended) socket.resume();
      this.conn?.onDrain();
    });
  }

  write(data: Buffer): boolean {
    if (this.ended || this.socket.destroyed) return true;
    if (this.socket.write(data)) return true;
    this.waitingDrain = true;
    this.socket.pause();
    return false;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const socket = this.socket;
    socket.end();
    // Keep reading (and discarding) until the peer closes: closing with unread input makes the
    // kernel send RST, which can destroy the response before the client reads it.
    socket.resume();
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => clearTimeout(linger));
  }

  destroy(): void {
    this.ended = true;
    this.socket.destroy();
  }
}

function onConnection(socket: net.Socket): void {
  socket.setNoDelay(true);
  const io = new SocketIO(socket);
  const conn = new HttpConnection(io, handler, config);
  io.conn = conn;
  connections.add(conn);
  socket.on('data', (chunk: Buffer) => conn.onData(chunk));
  socket.on('end', () => conn.onEnd());
  socket.on('error', () => {
    // Resets and broken pipes are the peer's business; 'close' follows and cleans up.
  });
  socket.on('close', () => {
    conn.dispose();
    connections.delete(conn);
    if (stopping && connections.size === 0) process.exit(0);
  });
  if (stopping) conn.shutdown();
}

const server: net.Server = tlsFiles
  ? tls.createServer({ ...tlsFiles, allowHalfOpen: true, noDelay: true }, onConnection)
  : net.createServer({ allowHalfOpen: true, noDelay: true }, onConnection);
server.on('error', (err) => {
  process.stderr.write(`${NAME}: ${err.message}\n`);
  process.exit(1);
});

const sweep = setInterval(() => {
  const now = Date.now();
  for (const conn of connections) conn.tick(now);
}, sweepInterval(config));
sweep.unref();

server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
  const address = server.address() as net.AddressInfo;
  process.stdout.write(listeningLine(NAME, config.host, address.port, config.root, tlsFiles ? 'https' : 'http'));
});

function stop(): void {
  if (stopping) return;
  stopping = true;
  server.close();
  for (const conn of connections) conn.shutdown();
  if (connections.size === 0) process.exit(0);
  setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS);
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('uncaughtException', (err) => {
  // Connection code catches its own faults; this only keeps one stray error from ending
  // every other connection with it.
  process.stderr.write(`${NAME}: uncaught ${err.stack ?? err.message}\n`);
});
