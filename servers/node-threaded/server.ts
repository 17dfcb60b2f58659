/**
 * node-threaded: an acceptor thread and a pool of worker threads.
 *
 * A net.Socket cannot be handed to a worker thread, so the acceptor keeps the sockets and does
 * their I/O only: it reads bytes and posts them to the worker that owns the connection (chosen
 * round robin at accept), and writes back the bytes the worker answers. Parsing, file reads,
 * response building and timeouts all happen in the workers (worker.ts), through the same
 * connection logic node-async runs on its single loop.
 *
 * Usage: node --import tsx server.ts <port> <root>   (GAUNTLET_WORKERS threads, default: CPUs, at least 2)
 */
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import {
  LINGER_MS,
  LISTEN_BACKLOG,
  SHUTDOWN_GRACE_MS,
  listeningLine,
  loadConfig,
  sweepInterval,
} from '../_common/node/config.ts';
import {
  BatchWriter,
  type Control,
  OP_ACK,
  OP_DATA,
  OP_DESTROY,
  OP_END,
  OP_EOF,
  OP_GONE,
  OP_OPEN,
  OP_WRITE,
  OP_WRITE_ACK,
  OP_WRITE_SHARED,
  OP_WRITE_SHARED_ACK,
  forEachOp,
  isBatch,
} from './protocol.ts';
import type { WorkerConfig } from './worker.ts';

const NAME = 'node-threaded';
const config = loadConfig(NAME);
const workerConfig: WorkerConfig = {
  root: config.root,
  serverName: `gauntlet-${NAME}`,
  headerTimeoutMs: config.headerTimeoutMs,
  idleTimeoutMs: config.idleTimeoutMs,
  sweepMs: sweepInterval(config),
};

interface Slot {
  index: number;
  worker: Worker;
  out: BatchWriter;
  scheduled: boolean;
  ready: boolean;
}

interface Conn {
  id: number;
  socket: net.Socket;
  slot: Slot;
  /** A first byte arrived: the worker knows the connection. */
  started: boolean;
  /** The connection is ending (by the worker or here): input is discarded. */
  closing: boolean;
  /** Reading paused until the socket drains. */
  paused: boolean;
  /** The worker waits for OP_ACK at the next drain. */
  ackOnDrain: boolean;
}

const slots: Slot[] = [];
const conns = new Map<number, Conn>();
let nextId = 1;
let nextSlot = 0;
let stopping = false;
let listening = false;

/**
 * Workers load worker.ts through tsx. Node 20 does not apply the parent's `--import` loader
 * hooks to worker threads, so a small bootstrap registers tsx in the worker before importing.
 */
function workerSource(): string {
  const entry = new URL('./worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)})
  .then((api) => { api.register(); return import(${JSON.stringify(entry)}); })
  .catch((err) => { console.error(err); process.exit(1); });`;
}

function spawn(index: number): Slot {
  const worker = new Worker(workerSource(), { eval: true, workerData: workerConfig });
  const slot: Slot = { index, worker, out: new BatchWriter(), scheduled: false, ready: false };
  worker.on('message', (message: unknown) => {
    if (isBatch(message)) {
      forEachOp(message, onWorkerOp);
    } else if ((message as Control).type === 'ready') {
      slot.ready = true;
      if (!listening && slots.every((s) => s.ready)) listen();
    }
  });
  worker.on('error', (err) => {
    process.stderr.write(`${NAME}: worker ${index} failed: ${err.stack ?? err.message}\n`);
  });
  worker.on('exit', (code) => {
    if (stopping) return;
    if (!slot.ready) {
      process.stderr.write(`${NAME}: worker ${index} exited during startup (code ${code})\n`);
      process.exit(1);
    }
    // The worker's connections lost their state with it: drop them and start a fresh worker.
    for (const conn of conns.values()) if (conn.slot === slot) conn.socket.destroy();
    const fresh = spawn(index);
    fresh.ready = true;
    slots[index] = fresh;
  });
  return slot;
}

function post(slot: Slot): void {
  slot.scheduled = false;
  if (slot.out.empty) return;
  const { batch, transfer } = slot.out.take();
  slot.worker.postMessage(batch, transfer);
}

/** Queues an op for a worker; everything queued in one loop turn leaves as one message. */
function queue(slot: Slot, op: number, id: number, data?: Buffer): void {
  slot.out.add(op, id, data);
  if (!slot.scheduled) {
    slot.scheduled = true;
    setImmediate(post, slot);
  }
}

function onWorkerOp(op: number, id: number, data: Buffer | null): void {
  const conn = conns.get(id);
  if (conn === undefined) return;
  const socket = conn.socket;
  if (socket.destroyed) return;
  switch (op) {
    case OP_WRITE:
    case OP_WRITE_ACK:
    case OP_WRITE_SHARED:
    case OP_WRITE_SHARED_ACK: {
      const flushed = data === null || socket.write(data);
      if (!flushed && !conn.paused) {
        // Stop reading while the peer is not reading our responses.
        conn.paused = true;
        socket.pause();
      }
      if (op === OP_WRITE_ACK || op === OP_WRITE_SHARED_ACK) {
        if (flushed) queue(conn.slot, OP_ACK, id);
        else conn.ackOnDrain = true;
      }
      break;
    }
    case OP_END:
      closeGently(conn);
      break;
    case OP_DESTROY:
      conn.closing = true;
      socket.destroy();
      break;
  }
}

/**
 * FIN after the pending writes, then keep reading (and discarding) until the peer closes:
 * closing with unread input makes the kernel send RST, which can destroy the response before
 * the client reads it.
 */
function closeGently(conn: Conn): void {
  if (conn.closing) return;
  conn.closing = true;
  const socket = conn.socket;
  socket.end();
  conn.paused = false;
  socket.resume();
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once('close', () => clearTimeout(linger));
}

function onConnection(socket: net.Socket): void {
  socket.setNoDelay(true);
  const id = nextId;
  nextId = nextId >= 0x7fffffff ? 1 : nextId + 1;
  const slot = slots[nextSlot]!;
  nextSlot = (nextSlot + 1) % slots.length;
  const conn: Conn = { id, socket, slot, started: false, closing: false, paused: false, ackOnDrain: false };
  conns.set(id, conn);

  // Until its first byte the worker does not know the connection; the idle timeout of a
  // connection that never sends anything is kept here.
  socket.setTimeout(config.idleTimeoutMs, () => {
    if (!conn.started) socket.destroy();
  });
  socket.on('data', (chunk: Buffer) => {
    if (conn.closing) return;
    if (conn.started) {
      queue(conn.slot, OP_DATA, id, chunk);
    } else {
      conn.started = true;
      socket.setTimeout(0);
      queue(conn.slot, OP_OPEN, id, chunk);
    }
  });
  socket.on('end', () => {
    if (conn.closing) return;
    if (conn.started) queue(conn.slot, OP_EOF, id);
    else closeGently(conn);
  });
  socket.on('drain', () => {
    if (conn.paused) {
      conn.paused = false;
      socket.resume();
    }
    if (conn.ackOnDrain) {
      conn.ackOnDrain = false;
      queue(conn.slot, OP_ACK, id);
    }
  });
  socket.on('error', () => {
    // Resets and broken pipes are the peer's business; 'close' follows and cleans up.
  });
  socket.on('close', () => {
    conns.delete(id);
    if (conn.started && !conn.closing) queue(conn.slot, OP_GONE, id);
    if (stopping && conns.size === 0) exit();
  });
  if (stopping) {
    closeGently(conn);
    return;
  }
  socket.resume();
}

const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, onConnection);
server.on('error', (err) => {
  process.stderr.write(`${NAME}: ${err.message}\n`);
  process.exit(1);
});

function listen(): void {
  if (stopping) return;
  listening = true;
  server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
    const address = server.address() as net.AddressInfo;
    process.stdout.write(listeningLine(NAME, config.host, address.port, config.root));
  });
}

for (let i = 0; i < config.workers; i++) slots.push(spawn(i));

let exiting = false;
function exit(): void {
  if (exiting) return;
  exiting = true;
  for (const conn of conns.values()) conn.socket.destroy();
  void Promise.allSettled(slots.map((slot) => slot.worker.terminate())).then(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  if (listening) server.close();
  // Connections that never sent a byte have no request in progress: close them now.
  for (const conn of conns.values()) if (!conn.started) closeGently(conn);
  for (const slot of slots) {
    post(slot);
    slot.worker.postMessage({ type: 'shutdown' } satisfies Control);
  }
  if (conns.size === 0) exit();
  setTimeout(exit, SHUTDOWN_GRACE_MS);
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('uncaughtException', (err) => {
  process.stderr.write(`${NAME}: uncaught ${err.stack ?? err.message}\n`);
});
