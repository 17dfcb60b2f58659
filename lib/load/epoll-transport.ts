/**
 * The 'epoll' transport: plain TCP connections as bare file descriptors in one epoll set
 * (native/epoll.c, built at install into build/epoll.node), for the close and keep-alive modes.
 *
 * Why: with node's TCP handles (transport.ts) a connection costs a C++ handle, a connect request,
 * a write request and three calls from libuv into JavaScript, and its handle is collected later;
 * ab pays none of it. On a two-core machine whose other core runs the server, that CPU per
 * connection is what limits the close mode's rate. Here a connection is an fd and a small record;
 * JavaScript calls socket, write, read and close directly, and one call into JavaScript per turn
 * of node's loop hands over every connection that is ready.
 *
 * Behaviour is the other transports': the request is taken when the connection opens and written
 * once it is made (all of it: a request larger than the socket's buffer is written as it drains),
 * reads land in one buffer shared by every connection, and an owner hears only of its current
 * connection. Sockets are registered edge-triggered for input and output (see native/epoll.c):
 * a ready connection is read until it is drained, which a read shorter than the buffer shows
 * unless the peer has also closed its side, when the reader goes on to EOF.
 *
 * Linux only; where build/epoll.node is missing or does not load, createTransport falls back to
 * node's TCP handles.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';
import { requestCycle } from './ab-request.ts';
import type { ConnOwner, Transport } from './transport-api.ts';

interface EpollBinding {
  init(onReady: (count: number) => void, events: Int32Array, readBuffer: Buffer): number;
  connect(address: string, port: number, id: number, noDelay: boolean): number;
  socketError(fd: number): number;
  write(fd: number, buf: Buffer, offset: number): number;
  read(fd: number): number;
  close(fd: number): number;
}

// <sys/epoll.h> and <errno.h> on Linux.
const EPOLLOUT = 0x004;
const EPOLLERR = 0x008;
const EPOLLHUP = 0x010;
const EPOLLRDHUP = 0x2000;
const PEER_DONE = EPOLLRDHUP | EPOLLHUP | EPOLLERR;
const EAGAIN = -11;

/** Where scripts/build-native.mjs puts the module: build/ at the package's root (from lib/load or dist/load). */
const MODULE_PATH = fileURLToPath(new URL('../../build/epoll.node', import.meta.url));

/** As many [fd, id, events] triples as native/epoll.c hands over at once (MAX_EVENTS). */
const EVENTS = new Int32Array(3 * 256);
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** One connection: its descriptor, a number that tells it from a later one on the same fd, its owner. */
interface EpollConn {
  fd: number;
  id: number;
  owner: ConnOwner;
  connected: boolean;
  /** The request to write once connected, then what is left of a write the socket took in part. */
  out: Buffer | null;
  outOffset: number;
}

/** The open connections by file descriptor. */
const conns: (EpollConn | undefined)[] = [];
let nextId = 0;
let native: EpollBinding | null | undefined;

/** The native module, initialised, or null when it is not built or does not load here. */
function loadNative(): EpollBinding | null {
  if (native !== undefined) return native;
  native = null;
  if (process.platform !== 'linux' || !existsSync(MODULE_PATH)) return null;
  try {
    const m = createRequire(import.meta.url)(MODULE_PATH) as Partial<EpollBinding>;
    const names = ['init', 'connect', 'socketError', 'write', 'read', 'close'] as const;
    if (!names.every((n) => typeof m[n] === 'function')) return null;
    const binding = m as EpollBinding;
    if (binding.init(dispatch, EVENTS, READ_BUFFER) < 0) return null;
    native = binding;
  } catch {
    native = null;
  }
  return native;
}

/** Whether the epoll transport can be used in this process. */
export function epollTransportAvailable(): boolean {
  return loadNative() !== null;
}

/** The errno name of -errno (ECONNREFUSED for -111), or null when it has none. */
function errName(status: number): string | null {
  try {
    return getSystemErrorName(status);
  } catch {
    return null;
  }
}

/** Called from native/epoll.c with the number of ready connections in EVENTS. */
function dispatch(count: number): void {
  for (let i = 0; i < count; i++) {
    const c = conns[EVENTS[3 * i]!];
    // A connection closed since, or closed and its fd taken by a newer one in this same turn.
    if (c === undefined || c.id !== EVENTS[3 * i + 1]) continue;
    ready(c, EVENTS[3 * i + 2]!);
  }
}

function current(c: EpollConn): boolean {
  return conns[c.fd] === c && c.owner.conn === c;
}

function ready(c: EpollConn, events: number): void {
  const n = native!;
  if (!c.connected) {
    if (events & (EPOLLERR | EPOLLHUP)) {
      const err = n.socketError(c.fd);
      c.owner.onError('connect', err < 0 ? errName(err) : null);
      return;
    }
    if (!(events & EPOLLOUT)) return;
    c.connected = true;
    c.owner.onConnect();
    if (!current(c)) return;
  }
  if (c.out !== null && events & EPOLLOUT && !flush(c)) return;
  if (events & ~EPOLLOUT) drain(c, (events & PEER_DONE) !== 0);
}

/** Writes what is left of c.out; false when the write failed (reported to the owner). */
function flush(c: EpollConn): boolean {
  const out = c.out!;
  const w = native!.write(c.fd, out, c.outOffset);
  if (w === EAGAIN) return true;
  if (w < 0) {
    c.owner.onError('reset', errName(w));
    return false;
  }
  c.outOffset += w;
  if (c.outOffset === out.length) c.out = null;
  return true;
}

/** Reads a ready connection until it is drained, or to its end when the peer closed it. */
function drain(c: EpollConn, peerDone: boolean): void {
  const n = native!;
  while (current(c)) {
    const r = n.read(c.fd);
    if (r > 0) {
      c.owner.onData(READ_BUFFER, r);
      if (r < READ_BUFFER.length && !peerDone) return;
    } else if (r === 0) {
      c.owner.onEnd();
      return;
    } else if (r === EAGAIN) {
      return;
    } else {
      c.owner.onError('reset', errName(r));
      return;
    }
  }
}

/**
 * The epoll transport to `address` (an IP address) and `port`, sending `requests` in turn, or
 * null when the native module is not available. `noDelay` as in createTransport.
 */
export function epollTransport(
  address: string,
  port: number,
  requests: Buffer | readonly Buffer[],
  noDelay: boolean,
): Transport | null {
  const n = loadNative();
  if (n === null) return null;
  const nextRequest = requestCycle(requests);
  return {
    kind: 'epoll',
    opener(owner) {
      return () => {
        const id = (nextId = (nextId + 1) | 0);
        const fd = n.connect(address, port, id, noDelay);
        const c: EpollConn = { fd, id, owner, connected: false, out: nextRequest(), outOffset: 0 };
        owner.conn = c;
        if (fd < 0) {
          // Reported on the next tick, as node:net does, so a run of immediate failures cannot recurse.
          process.nextTick(() => {
            if (owner.conn === c) owner.onError('connect', errName(fd));
          });
          return;
        }
        conns[fd] = c;
      };
    },
    close(conn) {
      const c = conn as EpollConn;
      if (c.fd >= 0 && conns[c.fd] === c) {
        conns[c.fd] = undefined;
        n.close(c.fd);
      }
    },
    resend(owner) {
      const c = owner.conn as EpollConn;
      c.out = nextRequest();
      c.outOffset = 0;
      const w = n.write(c.fd, c.out, 0);
      if (w >= 0) {
        c.outOffset = w;
        if (w === c.out.length) c.out = null;
      } else if (w !== EAGAIN) {
        // Reported on the next tick: the owner would otherwise start its next request from inside this call.
        process.nextTick(() => {
          if (owner.conn === c) owner.onError('reset', errName(w));
        });
      }
    },
  };
}
