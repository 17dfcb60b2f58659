/**
 * One HTTP/1.1 connection: bytes in, responses out, persistence, timeouts, shutdown.
 *
 * The transport is abstract (ConnectionIO), so the same logic serves a net.Socket on the event
 * loop and a connection whose socket lives on another thread. Requests are answered in order as
 * they complete, synchronously, which keeps pipelined responses in request order for free
 * ("A server MAY process a sequence of pipelined requests in parallel if they all have safe
 * methods, but it MUST send the corresponding responses in the same order that the requests
 * were received", RFC 9112 §9.3.2).
 *
 * Timeouts are deadlines checked by `tick()`, which the owner calls a few times a second for
 * all its connections: one interval per server instead of a timer per connection.
 */
import { closeSync, readSync } from 'node:fs';
import { type FileStream, type Plan, type Reply, RequestHandler, STREAM_CHUNK } from './handler.ts';
import { type ParserLimits, type RequestHead, RequestParser } from './parser.ts';
import { CONTINUE_100 } from './responses.ts';

export interface ConnectionIO {
  /** Queues bytes for the peer. false: the peer is not keeping up; produce nothing more until onDrain(). */
  write(data: Buffer): boolean;
  /** Sends what was written, then FIN; input arriving afterwards is read and discarded until the peer closes. */
  end(): void;
  /** Drops the connection at once. */
  destroy(): void;
}

export interface ConnectionTimeouts {
  /** A request head (and then each stretch of a body) must arrive within this. */
  headerTimeoutMs: number;
  /** A persistent connection with no request in progress is closed after this. */
  idleTimeoutMs: number;
}

/** A peer that reads nothing for this long while a response waits is dropped. */
const MIN_WRITE_STALL_MS = 10_000;

const T_NONE = 0;
const T_IDLE = 1;
const T_HEAD = 2;
const T_BODY = 3;
const T_WRITE = 4;

const EMPTY = Buffer.alloc(0);

export class HttpConnection {
  private readonly parser: RequestParser;
  /** end() or destroy() was called: nothing more is parsed or written. */
  private finished = false;
  /** The transport asked to stop producing until onDrain(). */
  private blocked = false;
  private peerEnded = false;
  private draining = false;
  private stream: FileStream | null = null;
  private closeAfterStream = false;
  /** The plan of a request whose head is parsed and whose body is being read. */
  private plan: Plan | null = null;
  private timer = T_NONE;
  private deadline = 0;

  constructor(
    private readonly io: ConnectionIO,
    private readonly handler: RequestHandler,
    private readonly timeouts: ConnectionTimeouts,
    limits?: Partial<ParserLimits>,
  ) {
    this.parser = new RequestParser(limits);
    this.arm(Date.now());
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Whether a request is in progress (partly received, or its response not fully written). */
  get busy(): boolean {
    return this.blocked || this.stream !== null || this.parser.hasPartialRequest;
  }

  onData(chunk: Buffer): void {
    if (this.finished) return;
    this.parser.push(chunk);
    this.run();
  }

  /** The peer sent FIN: answer the requests already complete, then close. */
  onEnd(): void {
    if (this.finished) return;
    this.peerEnded = true;
    this.run();
  }

  /** The transport caught up after write() returned false. */
  onDrain(): void {
    if (this.finished || !this.blocked) return;
    this.blocked = false;
    this.timer = T_NONE;
    this.run();
  }

  /** Graceful stop: close now if idle, else after the response in progress. */
  shutdown(): void {
    if (this.finished) return;
    this.draining = true;
    this.run();
  }

  tick(now: number): void {
    if (this.finished || this.timer === T_NONE || now < this.deadline) return;
    try {
      switch (this.timer) {
        case T_IDLE:
          this.finish();
          break;
        case T_HEAD:
        case T_BODY:
          this.send(this.handler.error(408));
          break;
        default:
          this.kill();
      }
    } catch (err) {
      this.fault(err);
    }
  }

  /** The transport is gone: release what is held. */
  dispose(): void {
    this.finished = true;
    this.closeStream();
  }

  private run(): void {
    try {
      this.pump();
    } catch (err) {
      this.fault(err);
    }
    if (!this.finished) this.arm(Date.now());
  }

  private pump(): void {
    while (!this.finished && !this.blocked) {
      if (this.stream !== null) {
        this.continueStream();
        continue;
      }
      const event = this.parser.next();
      if (event === null) break;
      if (event.kind === 'error') {
        this.send(this.handler.error(event.status, { detail: event.reason }));
        return;
      }
      if (event.kind === 'head') {
        this.onHead(event.head);
        continue;
      }
      const plan = this.plan ?? this.handler.route(event.head);
      this.plan = null;
      const keepAlive = event.head.keepAlive && !this.draining;
      this.send(this.handler.respond(event.head, plan, event.body, keepAlive));
      this.timer = T_NONE;
    }
    if (this.finished || this.blocked || this.stream !== null) return;
    // A request cut short by the peer's FIN is not answered: it never arrived.
    if (this.peerEnded || (this.draining && !this.parser.hasPartialRequest)) this.finish();
  }

  /** A head whose body is still to come: refuse now if the head decides it, else invite the body. */
  private onHead(head: RequestHead): void {
    const plan = this.handler.route(head);
    if (plan.kind === 'error') {
      this.send(this.handler.respond(head, plan, EMPTY, false));
      return;
    }
    this.plan = plan;
    // "A server that receives a 100-continue expectation in an HTTP/1.0 request MUST ignore that
    // expectation" (RFC 9110 §10.1.1): the parser only sets expectContinue for HTTP/1.1.
    if (head.expectContinue) this.write(CONTINUE_100);
  }

  private send(reply: Reply): void {
    this.write(reply.data);
    const stream = reply.stream;
    if (stream !== null) {
      if (stream.remaining > 0) {
        this.stream = stream;
        this.closeAfterStream = reply.close;
        return;
      }
      closeQuietly(stream.fd);
    }
    if (reply.close) this.finish();
  }

  private continueStream(): void {
    const stream = this.stream!;
    const n = Math.min(stream.remaining, STREAM_CHUNK);
    const chunk = Buffer.allocUnsafe(n);
    const got = readSync(stream.fd, chunk, 0, n, stream.position);
    if (got <= 0) {
      // The file shrank under us: the promised Content-Length cannot be kept.
      this.kill();
      return;
    }
    stream.position += got;
    stream.remaining -= got;
    this.write(got === n ? chunk : chunk.subarray(0, got));
    if (stream.remaining === 0) {
      this.closeStream();
      this.timer = T_NONE;
      if (this.closeAfterStream) this.finish();
    }
  }

  private write(data: Buffer): void {
    if (!this.io.write(data)) this.blocked = true;
  }

  private arm(now: number): void {
    let kind: number;
    let ms: number;
    if (this.blocked || this.stream !== null) {
      kind = T_WRITE;
      ms = Math.max(this.timeouts.idleTimeoutMs, MIN_WRITE_STALL_MS);
    } else if (this.parser.inBody) {
      kind = T_BODY;
      ms = this.timeouts.headerTimeoutMs;
    } else if (this.parser.hasPartialRequest) {
      kind = T_HEAD;
      ms = this.timeouts.headerTimeoutMs;
    } else {
      kind = T_IDLE;
      ms = this.timeouts.idleTimeoutMs;
    }
    // A head's deadline runs from its first byte; a body's is pushed back by each piece of it.
    if (kind !== this.timer || kind === T_BODY) {
      this.timer = kind;
      this.deadline = now + ms;
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.closeStream();
    this.io.end();
  }

  private kill(): void {
    if (this.finished) return;
    this.finished = true;
    this.closeStream();
    this.io.destroy();
  }

  private fault(err: unknown): void {
    if (this.finished) return;
    process.stderr.write(`connection error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    if (this.stream !== null) {
      this.kill();
      return;
    }
    try {
      this.io.write(this.handler.error(500).data);
      this.finish();
    } catch {
      this.kill();
    }
  }

  private closeStream(): void {
    if (this.stream !== null) {
      closeQuietly(this.stream.fd);
      this.stream = null;
    }
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed or never valid: nothing to release.
  }
}
