/**
 * How the close-mode client opens a connection, writes ab's request and reads the response.
 *
 * Two transports, same behaviour:
 * - 'tcp_wrap': node's own TCP handles (the `tcp_wrap` and `stream_wrap` bindings that node:net
 *   is built on), used directly. A new connection per request is what this mode does N times, and
 *   a net.Socket costs about as much CPU again as the connection itself (stream state, event
 *   emitters, buffering): on a two-core machine measuring a fast server, that CPU is taken from the
 *   server and the client's request rate falls to about 0.6 of ab's. The handles cut the client's
 *   CPU per request roughly in half. They are reached through process.binding(), deprecated in
 *   the documentation only (no warning unless --pending-deprecation), and checked on load.
 * - 'net': plain node:net sockets, used when the bindings are missing or do not look as
 *   expected, or when GAUNTLET_TRANSPORT=net is set.
 * A third, 'tls' (tls-transport.ts), carries an https cell's connections; it reads through
 * node:tls's own buffers.
 *
 * Both read into one buffer shared by every connection (each read is handled before the next
 * one is delivered), disable Nagle (setNoDelay) and report to the connection's owner only while
 * that connection is the owner's current one, so late callbacks of a closed connection are ignored.
 */
import { connect, isIPv6, type Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { HandshakeTally } from './tls.ts';
import { requestCycle } from './ab-request.ts';

/** Receives the events of its current connection. */
export interface ConnOwner {
  /** The owner's current connection (set by the opener), compared against to drop stale events. */
  conn: unknown;
  /** `buf[0, n)` was read. `buf` is shared: use it before returning. */
  onData(buf: Buffer, n: number): void;
  /** The server closed the connection (EOF). */
  onEnd(): void;
  /**
   * connect() failed ('connect'), or the connection failed afterwards ('reset'); `code` is the
   * errno name (ECONNREFUSED, ECONNRESET) when known.
   */
  onError(failure: 'connect' | 'reset', code: string | null): void;
  /**
   * The connection was made (a timeout before this is a connect timeout): over TLS, once the
   * session is established.
   */
  onConnect(): void;
}

/** The plain TCP transports, either of which a caller may force. */
export type TransportKind = 'tcp_wrap' | 'net';

export interface Transport {
  readonly kind: TransportKind | 'tls';
  /** The handshakes of a TLS transport's connections. */
  readonly handshakes?: HandshakeTally;
  /**
   * A function that opens a new connection for `owner`, sets owner.conn and sends the request:
   * the next of the cell's requests in turn, shared by every owner (request i, in the order the
   * connections are opened, is requests[i mod n]).
   */
  opener(owner: ConnOwner): () => void;
  /** Closes a connection at once (pending connect, write and read are dropped). */
  close(conn: unknown): void;
  /**
   * Writes the next of the cell's requests (the same turn as opener's) on `owner.conn`, a
   * connection already made and kept alive; a failed write is reported to the owner as a reset.
   * The plain TCP transports have it; the TLS one does not.
   */
  resend?(owner: ConnOwner): void;
}

/** One buffer for every read of every connection. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** libuv's UV_EOF, the same on every platform. */
const UV_EOF = -4095;

// --- node:net -------------------------------------------------------------------------------

function netTransport(address: string, port: number, requests: Buffer | readonly Buffer[]): Transport {
  const nextRequest = requestCycle(requests);
  return {
    kind: 'net',
    opener(owner) {
      const onread = {
        buffer: READ_BUFFER,
        callback(this: Socket, n: number, buf: Uint8Array): boolean {
          if (owner.conn === this) owner.onData(buf as Buffer, n);
          return true;
        },
      };
      function onEnd(this: Socket): void {
        if (owner.conn === this) owner.onEnd();
      }
      function onError(this: Socket, err: NodeJS.ErrnoException): void {
        // An error raised by connect() (refused, unreachable, no local port) is a failed connect.
        if (owner.conn === this) owner.onError(err.syscall === 'connect' ? 'connect' : 'reset', err.code ?? null);
      }
      function onConnect(this: Socket): void {
        if (owner.conn === this) owner.onConnect();
      }
      const opts = { host: address, port, noDelay: true, onread };
      return () => {
        const sock = connect(opts);
        owner.conn = sock;
        sock.on('end', onEnd);
        sock.on('error', onError);
        sock.once('connect', onConnect);
        sock.write(nextRequest());
      };
    },
    close(conn) {
      (conn as Socket).destroy();
    },
    resend(owner) {
      (owner.conn as Socket).write(nextRequest());
    },
  };
}

// --- tcp_wrap -------------------------------------------------------------------------------

interface RawTcp {
  onread: (this: RawTcp) => void;
  connect(req: RawConnectReq, address: string, port: number): number;
  connect6(req: RawConnectReq, address: string, port: number): number;
  useUserBuffer(buf: Uint8Array): void;
  readStart(): number;
  writeBuffer(req: RawWriteReq, buf: Uint8Array): number;
  setNoDelay(on: boolean): number;
  close(cb?: () => void): void;
}
interface RawConnectReq {
  oncomplete: (status: number, handle: RawTcp) => void;
}
interface RawWriteReq {
  handle: RawTcp;
  async: boolean;
  oncomplete: (this: RawWriteReq, status: number) => void;
  /** Set on the writes of resend(): whom a failed write is reported to. */
  owner?: ConnOwner;
}
interface RawBindings {
  TCP: new (type: number) => RawTcp;
  TCPConnectWrap: new () => RawConnectReq;
  WriteWrap: new () => RawWriteReq;
  SOCKET: number;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
}

let rawBindings: RawBindings | null | undefined;

/** node's TCP bindings, or null when they are not there in the shape this module expects. */
function loadRawBindings(): RawBindings | null {
  if (rawBindings !== undefined) return rawBindings;
  rawBindings = null;
  try {
    // Not in the typings: process.binding() is deprecated in the documentation only.
    const proc = process as unknown as { binding(name: string): Record<string, unknown> };
    const tcp = proc.binding('tcp_wrap');
    const stream = proc.binding('stream_wrap');
    const TCP = tcp.TCP as RawBindings['TCP'] | undefined;
    const constants = tcp.constants as { SOCKET?: unknown } | undefined;
    const ok =
      typeof TCP === 'function' &&
      typeof tcp.TCPConnectWrap === 'function' &&
      typeof stream.WriteWrap === 'function' &&
      typeof constants?.SOCKET === 'number' &&
      stream.streamBaseState instanceof Int32Array &&
      typeof stream.kReadBytesOrError === 'number' &&
      ['connect', 'connect6', 'useUserBuffer', 'readStart', 'writeBuffer', 'setNoDelay', 'close'].every(
        (m) => typeof (TCP.prototype as Record<string, unknown>)[m] === 'function',
      );
    if (ok) {
      rawBindings = {
        TCP,
        TCPConnectWrap: tcp.TCPConnectWrap as RawBindings['TCPConnectWrap'],
        WriteWrap: stream.WriteWrap as RawBindings['WriteWrap'],
        SOCKET: constants.SOCKET as number,
        streamBaseState: stream.streamBaseState as Int32Array,
        kReadBytesOrError: stream.kReadBytesOrError as number,
      };
    }
  } catch {
    rawBindings = null;
  }
  return rawBindings;
}

function ignoreRead(): void {}

/** A resent request's write finished later (async): a failure is the owner's reset, if still current. */
function onResendWrite(this: RawWriteReq, status: number): void {
  const owner = this.owner!;
  if (status < 0 && owner.conn === this.handle) owner.onError('reset', errName(status));
}

/** The errno name of a libuv status (ECONNREFUSED for -111), or null when it has none. */
function errName(status: number): string | null {
  try {
    return getSystemErrorName(status);
  } catch {
    return null;
  }
}

function rawTransport(
  b: RawBindings,
  address: string,
  port: number,
  requests: Buffer | readonly Buffer[],
  noDelay: boolean,
): Transport {
  const { TCP, TCPConnectWrap, WriteWrap, SOCKET, streamBaseState, kReadBytesOrError } = b;
  const ipv6 = isIPv6(address);
  const nextRequest = requestCycle(requests);
  return {
    kind: 'tcp_wrap',
    opener(owner) {
      // Taken when the connection opens, written when it is made: connects complete out of order.
      let request: Buffer = Buffer.alloc(0);
      function onread(this: RawTcp): void {
        if (owner.conn !== this) return;
        const n = streamBaseState[kReadBytesOrError]!;
        if (n > 0) owner.onData(READ_BUFFER, n);
        else if (n === UV_EOF) owner.onEnd();
        else if (n < 0) owner.onError('reset', errName(n));
      }
      function onwrite(this: RawWriteReq, status: number): void {
        if (status < 0 && owner.conn === this.handle) owner.onError('reset', errName(status));
      }
      function onconnect(status: number, handle: RawTcp): void {
        if (owner.conn !== handle) return;
        if (status < 0) {
          owner.onError('connect', errName(status));
          return;
        }
        owner.onConnect();
        if (noDelay) handle.setNoDelay(true);
        const w = new WriteWrap();
        w.handle = handle;
        w.async = false;
        w.oncomplete = onwrite;
        const werr = handle.writeBuffer(w, request);
        if (werr < 0) {
          owner.onError('reset', errName(werr));
          return;
        }
        const rerr = handle.readStart();
        if (rerr < 0) owner.onError('reset', errName(rerr));
      }
      return () => {
        request = nextRequest();
        const h = new TCP(SOCKET);
        h.onread = onread;
        h.useUserBuffer(READ_BUFFER);
        const req = new TCPConnectWrap();
        req.oncomplete = onconnect;
        owner.conn = h;
        const err = ipv6 ? h.connect6(req, address, port) : h.connect(req, address, port);
        if (err < 0) {
          // Reported on the next tick, as node:net does, so a run of immediate failures cannot recurse.
          process.nextTick(() => {
            if (owner.conn === h) owner.onError('connect', errName(err));
          });
        }
      };
    },
    close(conn) {
      const h = conn as RawTcp;
      h.onread = ignoreRead;
      h.close();
    },
    resend(owner) {
      const h = owner.conn as RawTcp;
      const w = new WriteWrap();
      w.handle = h;
      w.async = false;
      w.owner = owner;
      w.oncomplete = onResendWrite;
      const err = h.writeBuffer(w, nextRequest());
      // Reported on the next tick: the owner would otherwise start its next request from inside this call.
      if (err < 0) {
        process.nextTick(() => {
          if (owner.conn === h) owner.onError('reset', errName(err));
        });
      }
    },
  };
}

/**
 * The transport for connections to `address` (an IP address) and `port` that send `requests`
 * (one request, or several taken in turn).
 * `kind` forces one; by default tcp_wrap when available (GAUNTLET_TRANSPORT=net forces node:net).
 * `noDelay` false leaves Nagle's algorithm on in the tcp_wrap transport (see ab-client.ts).
 */
export function createTransport(
  address: string,
  port: number,
  requests: Buffer | readonly Buffer[],
  kind?: TransportKind,
  noDelay = true,
): Transport {
  const wanted = kind ?? (process.env.GAUNTLET_TRANSPORT === 'net' ? 'net' : 'tcp_wrap');
  if (wanted === 'tcp_wrap') {
    const b = loadRawBindings();
    if (b) return rawTransport(b, address, port, requests, noDelay);
  }
  return netTransport(address, port, requests);
}

/** Whether the tcp_wrap transport can be used in this node. */
export function rawTransportAvailable(): boolean {
  return loadRawBindings() !== null;
}
