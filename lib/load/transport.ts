/**
 * How the load engine's clients open a connection, write their request and read the response.
 *
 * Three plain TCP transports, same behaviour, the first available taken by default:
 * - 'epoll' (epoll-transport.ts): bare sockets in one epoll set, driven from a small native
 *   module built at install (native/epoll.c); a connection is an fd and a small record, with no
 *   handle and no call from libuv into JavaScript of its own. Linux only. It is what brings the close mode to ab's rate (README, "Checking
 *   the engine against ab").
 * - 'tcp_wrap': node's own TCP handles (the `tcp_wrap` and `stream_wrap` bindings that node:net
 *   is built on), used directly. A new connection per request is what close mode does N times,
 *   and a net.Socket costs about as much CPU again as the connection itself (stream state, event
 *   emitters, buffering): on a two-core machine measuring a fast server, that CPU is taken from the
 *   server and the client's request rate falls to about 0.6 of ab's. The handles cut the client's
 *   CPU per request roughly in half. They are reached through process.binding(), deprecated in
 *   the documentation only (no warning unless --pending-deprecation), and checked on load.
 * - 'net': plain node:net sockets, used when neither of the others is there, or forced.
 * GAUNTLET_TRANSPORT=epoll|tcp_wrap|net picks the default. A fourth, 'tls' (tls-transport.ts),
 * carries an https cell's connections; it reads through node:tls's own buffers.
 *
 * All of them read into one buffer shared by every connection (each read is handled before the
 * next one is delivered), disable Nagle (setNoDelay; epoll and tcp_wrap only when the client asks
 * for it) and report to the connection's
 * owner only while that connection is the owner's current one, so late events of a closed
 * connection are ignored.
 */
import { connect, isIPv6, type Socket } from 'node:net';
import { errName, type ConnOwner, type Transport, type TransportKind } from './transport-api.ts';
import { epollTransport, epollTransportAvailable } from './epoll-transport.ts';
import { requestCycle } from './ab-request.ts';

export type { ConnOwner, Transport, TransportKind } from './transport-api.ts';

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
 * `kind` forces one; by default the first available of epoll (epoll-transport.ts), tcp_wrap and
 * net. GAUNTLET_TRANSPORT=epoll|tcp_wrap|net sets the default.
 * `noDelay` false leaves Nagle's algorithm on in the epoll and tcp_wrap transports (see ab-client.ts).
 */
export function createTransport(
  address: string,
  port: number,
  requests: Buffer | readonly Buffer[],
  kind?: TransportKind,
  noDelay = true,
): Transport {
  const chosen = transportKind(kind);
  if (chosen === 'epoll') {
    const t = epollTransport(address, port, requests, noDelay);
    if (t) return t;
  }
  if (chosen !== 'net') {
    const b = loadRawBindings();
    if (b) return rawTransport(b, address, port, requests, noDelay);
  }
  return netTransport(address, port, requests);
}

/**
 * The transport createTransport uses for `kind` (by default GAUNTLET_TRANSPORT's, else epoll):
 * that one when this process has it, else the next available of epoll, tcp_wrap and net.
 */
export function transportKind(kind?: TransportKind): TransportKind {
  const env = process.env.GAUNTLET_TRANSPORT;
  const wanted = kind ?? (env === 'net' || env === 'tcp_wrap' ? env : 'epoll');
  if (wanted === 'epoll' && epollTransportAvailable()) return 'epoll';
  if (wanted !== 'net' && rawTransportAvailable()) return 'tcp_wrap';
  return 'net';
}

/** Whether the tcp_wrap transport can be used in this node. */
export function rawTransportAvailable(): boolean {
  return loadRawBindings() !== null;
}

/** The transports this process can use, fastest first: what createTransport picks by default is the first. */
export function availableTransports(): TransportKind[] {
  const kinds: TransportKind[] = [];
  if (epollTransportAvailable()) kinds.push('epoll');
  if (rawTransportAvailable()) kinds.push('tcp_wrap');
  kinds.push('net');
  return kinds;
}
