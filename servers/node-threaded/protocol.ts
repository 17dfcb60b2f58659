/**
 * Messages between the acceptor thread and the worker threads.
 *
 * A message is a batch: (op, connection id, byte length) triples and the bytes of all the
 * triples in order, so that a whole event-loop turn of socket reads (or of responses) travels as
 * one message. The per-message cost of postMessage, not the copying, is what dominates small
 * requests, and that cost depends on the shape of the message: an array of numbers and a string
 * clone several times faster than typed arrays, whose transfer costs more than copying a few
 * hundred bytes. So small batches carry their bytes as a latin1 string (one byte per char), and
 * only big ones transfer an ArrayBuffer. Big cached responses, which live in shared memory,
 * travel by reference (`shared`).
 */

/** Acceptor to worker: the first bytes of a new connection (creates it). */
export const OP_OPEN = 1;
/** Acceptor to worker: more bytes of a connection. */
export const OP_DATA = 2;
/** Acceptor to worker: the peer sent FIN. */
export const OP_EOF = 3;
/** Acceptor to worker: the socket is gone. */
export const OP_GONE = 4;
/** Acceptor to worker: the writes before the last OP_WRITE_ACK have left the socket's buffer. */
export const OP_ACK = 5;

/** Worker to acceptor: bytes to write. */
export const OP_WRITE = 11;
/** Worker to acceptor: bytes to write; answer OP_ACK once the socket has drained. */
export const OP_WRITE_ACK = 12;
/** Worker to acceptor: send FIN after the writes, then close (the worker forgets the connection). */
export const OP_END = 13;
/** Worker to acceptor: drop the connection now. */
export const OP_DESTROY = 14;
/**
 * Worker to acceptor: write a response that lives in shared memory (a cached file response);
 * the third number is its index in `Batch.shared`, and nothing is copied on either side.
 */
export const OP_WRITE_SHARED = 15;
/** As OP_WRITE_SHARED, with an OP_ACK wanted once the socket has drained. */
export const OP_WRITE_SHARED_ACK = 16;

/** [ops, bytes as latin1 text, or bytes as a transferred buffer, shared buffers] */
export type Batch = [ops: number[], text: string | null, binary: Uint8Array | null, shared: Uint8Array[] | null];

function isSharedOp(op: number): boolean {
  return op === OP_WRITE_SHARED || op === OP_WRITE_SHARED_ACK;
}

/** Buffers at least this big that live in shared memory are passed by reference. */
const SHARE_MIN = 8 * 1024;
/** Batches with more bytes than this transfer an ArrayBuffer instead of cloning a string. */
const TEXT_MAX = 8 * 1024;

/** Allocates in shared memory, so that the buffer can later be posted without a copy. */
export function allocateShared(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size), 0, size);
}

export type Control = { type: 'shutdown' } | { type: 'ready' };

export function isBatch(message: unknown): message is Batch {
  return Array.isArray(message);
}

/** Collects ops for one destination until `take()`. */
export class BatchWriter {
  private ops: number[] = [];
  private chunks: Buffer[] = [];
  private bytes = 0;
  private shared: Uint8Array[] = [];

  get empty(): boolean {
    return this.ops.length === 0;
  }

  /** `sharedOp`, when given, is used instead of `op` if `data` can be passed by reference. */
  add(op: number, id: number, data?: Buffer, sharedOp?: number): void {
    if (
      sharedOp !== undefined &&
      data !== undefined &&
      data.length >= SHARE_MIN &&
      data.buffer instanceof SharedArrayBuffer
    ) {
      this.ops.push(sharedOp, id, this.shared.length);
      this.shared.push(data);
      return;
    }
    const length = data === undefined ? 0 : data.length;
    this.ops.push(op, id, length);
    if (length > 0) {
      this.chunks.push(data!);
      this.bytes += length;
    }
  }

  /** The batch and its transfer list; the writer is empty afterwards. */
  take(): { batch: Batch; transfer: ArrayBuffer[] } {
    const transfer: ArrayBuffer[] = [];
    let text: string | null = null;
    let binary: Uint8Array | null = null;
    const chunks = this.chunks;
    if (this.bytes > TEXT_MAX) {
      // A fresh, unpooled ArrayBuffer: pooled ones cannot be transferred.
      const out = Buffer.allocUnsafeSlow(this.bytes);
      let offset = 0;
      for (const chunk of chunks) offset += chunk.copy(out, offset);
      binary = out;
      transfer.push(out.buffer);
    } else if (this.bytes > 0) {
      text = chunks.length === 1 ? chunks[0]!.toString('latin1') : Buffer.concat(chunks, this.bytes).toString('latin1');
    }
    const batch: Batch = [this.ops, text, binary, this.shared.length > 0 ? this.shared : null];
    this.ops = [];
    this.chunks = [];
    this.bytes = 0;
    if (batch[3] !== null) this.shared = [];
    return { batch, transfer };
  }
}

/** Calls `fn` for each op of a received batch; `data` is a view into the batch, not a copy. */
export function forEachOp(batch: Batch, fn: (op: number, id: number, data: Buffer | null) => void): void {
  const [ops, text, binary, shared] = batch;
  const data = text !== null ? Buffer.from(text, 'latin1') : binary;
  let offset = 0;
  for (let i = 0; i + 2 < ops.length; i += 3) {
    const op = ops[i]!;
    const length = ops[i + 2]!;
    let view: Buffer | null = null;
    if (isSharedOp(op)) {
      const ref = shared?.[length];
      if (ref !== undefined) view = Buffer.from(ref.buffer, ref.byteOffset, ref.length);
    } else if (length > 0 && data !== null) {
      view = Buffer.from(data.buffer, data.byteOffset + offset, length);
      offset += length;
    }
    fn(op, ops[i + 1]!, view);
  }
}
