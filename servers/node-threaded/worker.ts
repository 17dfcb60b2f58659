/**
 * A worker thread of node-threaded: it owns the HTTP side of the connections the acceptor
 * assigned to it (parsing, files, responses, timeouts) and sends back the bytes to write.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ConnectionIO, type ConnectionTimeouts, HttpConnection } from '../_common/node/connection.ts';
import { RequestHandler } from '../_common/node/handler.ts';
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
  allocateShared,
  forEachOp,
  isBatch,
} from './protocol.ts';

export interface WorkerConfig extends ConnectionTimeouts {
  root: string;
  serverName: string;
  sweepMs: number;
}

/**
 * Bytes a connection may have written without hearing that the socket drained. Past it the
 * connection stops producing (pipelined requests wait), so a client that sends requests but
 * reads no responses cannot make the acceptor buffer without bound.
 */
const UNACKED_HIGH_WATER = 512 * 1024;

const port = parentPort!;
const config = workerData as WorkerConfig;
// Cached file responses live in shared memory: the acceptor writes them without a copy.
const handler = new RequestHandler(config.root, config.serverName, { allocateCached: allocateShared });
const out = new BatchWriter();
const connections = new Map<number, WorkerIO>();

class WorkerIO implements ConnectionIO {
  readonly conn: HttpConnection;
  private unacked = 0;
  private waitingAck = false;
  private done = false;

  constructor(readonly id: number) {
    this.conn = new HttpConnection(this, handler, config);
  }

  write(data: Buffer): boolean {
    if (this.done) return true;
    this.unacked += data.length;
    if (this.unacked < UNACKED_HIGH_WATER) {
      out.add(OP_WRITE, this.id, data, OP_WRITE_SHARED);
      return true;
    }
    out.add(OP_WRITE_ACK, this.id, data, OP_WRITE_SHARED_ACK);
    this.waitingAck = true;
    return false;
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    out.add(OP_END, this.id);
    connections.delete(this.id);
  }

  destroy(): void {
    if (this.done) return;
    this.done = true;
    out.add(OP_DESTROY, this.id);
    connections.delete(this.id);
  }

  acked(): void {
    this.unacked = 0;
    if (!this.waitingAck) return;
    this.waitingAck = false;
    this.conn.onDrain();
  }

  /** The socket closed on the acceptor's side. */
  gone(): void {
    this.done = true;
    this.conn.dispose();
    connections.delete(this.id);
  }
}

function flush(): void {
  if (out.empty) return;
  const { batch, transfer } = out.take();
  port.postMessage(batch, transfer);
}

function onOp(op: number, id: number, data: Buffer | null): void {
  if (op === OP_OPEN) {
    const io = new WorkerIO(id);
    connections.set(id, io);
    if (data !== null) io.conn.onData(data);
    return;
  }
  const io = connections.get(id);
  if (io === undefined) return;
  switch (op) {
    case OP_DATA:
      if (data !== null) io.conn.onData(data);
      break;
    case OP_EOF:
      io.conn.onEnd();
      break;
    case OP_ACK:
      io.acked();
      break;
    case OP_GONE:
      io.gone();
      break;
  }
}

port.on('message', (message: unknown) => {
  try {
    if (isBatch(message)) {
      forEachOp(message, onOp);
    } else if ((message as Control).type === 'shutdown') {
      for (const io of [...connections.values()]) io.conn.shutdown();
    }
  } finally {
    flush();
  }
});

setInterval(() => {
  const now = Date.now();
  for (const io of [...connections.values()]) io.conn.tick(now);
  flush();
}, config.sweepMs).unref();

process.on('uncaughtException', (err) => {
  process.stderr.write(`${config.serverName} worker: uncaught ${err.stack ?? err.message}\n`);
});

port.postMessage({ type: 'ready' } satisfies Control);
