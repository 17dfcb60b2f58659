/**
 * The connections of a duration or rate cell (timed-client.ts), one request at a time each: in
 * close mode a new connection per request, ab's request, the response read to EOF; in keep-alive
 * mode one connection kept open, an HTTP/1.1 request written when the previous response is whole,
 * a new connection when the server closed it. They go through the transport (transport.ts) and
 * read responses with the scanner (response-scan.ts) of the other cells, so a request is complete
 * on the same rule as everywhere else: its response received whole. A slot only tells its run that
 * its request ended, and how; the run keeps the records and decides what comes next.
 */
import type { FailureKind } from './ab-figures.ts';
import { shapedRequestBytes } from './ab-request.ts';
import type { StopCause } from './common.ts';
import { ResponseScanner } from './response-scan.ts';
import type { ConnOwner, Transport } from './transport.ts';

/** What a slot reports to the run that owns it. */
export interface SlotOwner {
  /** The slot's request ended: complete (failure null) or failed; `cause` may stop the cell. */
  ended(slot: TimedSlot, failure: FailureKind | null, cause?: StopCause): void;
  /** The first response's Server token is the cell's Server Software. */
  serverSeen(server: string | null): void;
  readonly serverCaptured: boolean;
}

/** One connection's worth of requests, one at a time. */
export interface TimedSlot {
  readonly scanner: ResponseScanner;
  /** A request is in flight. */
  busy: boolean;
  /** Its request's start on the run's clock (the intended time in the open model), ns. */
  startNs: bigint;
  /** When its request was written (or its connect began), ns: timeouts run from here. */
  sentNs: bigint;
  /** Whether the current request's connection was made (a timeout before is a connect timeout). */
  connected: boolean;
  /** Sends a request whose time counts from `startNs`. */
  send(startNs: bigint): void;
  /** Drops the connection at once (a timeout, a failure, the end of the cell). */
  drop(): void;
}

/** Starts a request's bookkeeping. */
function begin(slot: TimedSlot, owner: SlotOwner, startNs: bigint): void {
  slot.busy = true;
  slot.startNs = startNs;
  slot.sentNs = process.hrtime.bigint();
  slot.scanner.reset();
  slot.scanner.captureServer = !owner.serverCaptured;
}

/** Bytes for the slot's request: a whole header names the server, a bad response ends it. */
function scan(slot: TimedSlot, owner: SlotOwner, buf: Buffer, n: number): void {
  const scanner = slot.scanner;
  if (scanner.push(buf, n) && scanner.captureServer && !owner.serverCaptured) owner.serverSeen(scanner.server);
}

/**
 * One connection's worth of requests, through the transport (transport.ts).
 * - Close mode: a new connection per request, the response read to EOF.
 * - Keep-alive mode: the connection kept while the server keeps it open (the transport's
 *   resend() writes the next request on it). A response is whole at its framed end
 *   (Content-Length or chunked), or at EOF when EOF frames it; a response that says the server
 *   closes closes the connection, and the next request opens a new one, whose time includes the
 *   connect, as in ab -k. A connection may wait between requests (the open model): the server
 *   closing it then, or sending bytes nobody asked for, drops it, and the next request opens
 *   another.
 */
export class ConnectionSlot implements TimedSlot, ConnOwner {
  readonly scanner = new ResponseScanner();
  busy = false;
  startNs = 0n;
  sentNs = 0n;
  connected = false;
  conn: unknown = null;
  private readonly open: () => void;

  constructor(
    private readonly owner: SlotOwner,
    private readonly transport: Transport,
    private readonly keepAlive: boolean,
  ) {
    if (keepAlive && !transport.resend)
      throw new Error(`the ${transport.kind} transport cannot keep a connection alive`);
    this.open = transport.opener(this);
  }

  send(startNs: bigint): void {
    begin(this, this.owner, startNs);
    if (this.conn === null) {
      this.connected = false;
      this.open();
    } else {
      this.connected = true;
      this.transport.resend!(this);
    }
  }

  drop(): void {
    if (this.conn !== null) this.transport.close(this.conn);
    this.conn = null;
  }

  onData(buf: Buffer, n: number): void {
    if (!this.busy) {
      // Bytes nobody asked for would be read as the next response: the connection goes.
      this.drop();
      return;
    }
    const scanner = this.scanner;
    scan(this, this.owner, buf, n);
    if (scanner.failure !== null) {
      // The rest of a bad response would be read as the next one: the connection goes with it.
      this.drop();
      this.end(scanner.failure);
    } else if (this.keepAlive && scanner.framedEnd) {
      // A server that says it closes would take the next request down with the connection.
      if (scanner.closes) this.drop();
      this.end(null);
    }
  }

  onEnd(): void {
    this.drop();
    if (this.busy) this.end(this.scanner.endAtEof());
  }

  onError(failure: 'connect' | 'reset', code: string | null): void {
    this.drop();
    if (!this.busy) return;
    if (failure === 'connect') this.end('connect', { kind: 'connect', code });
    else this.end('reset');
  }

  onConnect(): void {
    this.connected = true;
  }

  private end(failure: FailureKind | null, cause?: StopCause): void {
    // Close mode: one request per connection.
    if (!this.keepAlive) this.drop();
    this.busy = false;
    this.owner.ended(this, failure, cause);
  }
}

/**
 * The request of a kept-alive connection: ab's request as HTTP/1.1 with `Connection:
 * keep-alive`, the same bytes the keep-alive cells of a number of requests send (ab-client.ts).
 */
export function keepAliveRequestBytes(host: string, port: number, path: string): Buffer {
  return shapedRequestBytes(host, port, path, {}, 'keepalive');
}
