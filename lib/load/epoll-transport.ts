/**
 * The 'epoll' transport: plain TCP connections as bare file descriptors in one epoll set
 * (native/epoll.c, built at install into build/epoll.node), for the close and keep-alive modes.
 *
 * Why: with node's TCP handles (transport.ts) a connection costs a C++ handle, a connect request,
 * a write request and three calls from libuv into JavaScript, and its handle is collected later;
 * ab pays none of it. On a two-core machine whose other core runs the server, that CPU per
 * connection is what limits the close mode's rate. Here a connection is an fd and a small record;
 * JavaScript calls connect, write, read and close directly, and one call into JavaScript per turn
 * of node's loop hands over the connections that are ready (up to 256 at a time).
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
import { requestCycle } from './ab-request.ts';
import { errName, type ConnOwner, type Transport } from './transport-api.ts';

interface EpollBinding {
  version: number;
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
/** native/epoll.c's ABI_VERSION: a module built from other source is not used. */
const ABI_VERSION = 2;

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

/**
 * What every copy of this module in the process shares. The native module is loaded once per
 * process (or worker thread) and takes one dispatcher; a second evaluation of this file (a test
 * runner resetting its modules, two copies of the package) must find the same connections.
 */
interface Shared {
  /** The module, initialised, or null when it is not built or does not load here; undefined before the first try. */
  native: EpollBinding | null | undefined;
  /** The open connections by file descriptor. */
  conns: (EpollConn | undefined)[];
  nextId: number;
  /** As many [fd, id, events] triples as native/epoll.c hands over at once (MAX_EVENTS). */
  events: Int32Array;
  readBuffer: Buffer;
}

const SHARED_KEY = Symbol.for('gauntlet.epoll-transport');
const shared: Shared = ((globalThis as Record<symbol, Shared | undefined>)[SHARED_KEY] ??= {
  native: undefined,
  conns: [],
  nextId: 0,
  events: new Int32Array(3 * 256),
  readBuffer: Buffer.allocUnsafe(64 * 1024),
});
const { conns, events: EVENTS, readBuffer: READ_BUFFER } = shared;

/** The native module, initialised, or null when it is not built or does not load here. */
function loadNative(): EpollBinding | null {
  if (shared.native !== undefined) return shared.native;
  shared.native = null;
  if (process.platform !== 'linux' || !existsSync(MODULE_PATH)) return null;
  try {
    const m = createRequire(import.meta.url)(MODULE_PATH) as Partial<EpollBinding>;
    const names = ['init', 'connect', 'socketError', 'write', 'read', 'close'] as const;
    if (m.version !== ABI_VERSION || !names.every((n) => typeof m[n] === 'function')) return null;
    const binding = m as EpollBinding;
    if (binding.init(dispatch, EVENTS, READ_BUFFER) < 0) return null;
    shared.native = binding;
  } catch {
    shared.native = null;
  }
  return shared.native;
}

/** Whether the epoll transport can be used in this process. */
export function epollTransportAvailable(): boolean {
  return loadNative() !== null;
}

/**
 * Called from native/epoll.c with the number of ready connections in EVENTS. Each is handled even
 * when an owner threw for an earlier one (the error is thrown after the rest): an edge-triggered
 * event not handled now does not come again.
 */
function dispatch(count: number): void {
  let thrown: { error: unknown } | null = null;
  for (let i = 0; i < count; i++) {
    const c = conns[EVENTS[3 * i]!];
    // A connection closed since, or closed and its fd taken by a newer one in this same turn.
    if (c === undefined || c.id !== EVENTS[3 * i + 1]) continue;
    try {
      ready(c, EVENTS[3 * i + 2]!);
    } catch (error) {
      thrown ??= { error };
    }
  }
  if (thrown) throw thrown.error;
}

function current(c: EpollConn): boolean {
  return conns[c.fd] === c && c.owner.conn === c;
}

function ready(c: EpollConn, events: number): void {
  // Its owner has moved on to another connection (it closes the old one first; this is a guard).
  if (c.owner.conn !== c) return;
  const n = shared.native!;
  if (!c.connected) {
    // A failed connect shows as an error or hang-up with the socket's error set; one that was
    // made and then reset or closed at once shows as writable too, and is read as such below.
    const err = events & (EPOLLERR | EPOLLHUP) ? n.socketError(c.fd) : 0;
    if (err < 0 || !(events & EPOLLOUT)) {
      if (err < 0 || events & (EPOLLERR | EPOLLHUP)) c.owner.onError('connect', err < 0 ? errName(err) : null);
      return;
    }
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
  const w = shared.native!.write(c.fd, out, c.outOffset);
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
  const n = shared.native!;
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
 * null when the native module is not available (or the address is a scoped IPv6 one). `noDelay`
 * as in createTransport.
 */
export function epollTransport(
  address: string,
  port: number,
  requests: Buffer | readonly Buffer[],
  noDelay: boolean,
): Transport | null {
  const n = loadNative();
  // A scoped IPv6 address (fe80::1%eth0) is left to node's handles, which read its scope.
  if (n === null || address.includes('%')) return null;
  const nextRequest = requestCycle(requests);
  return {
    kind: 'epoll',
    opener(owner) {
      return () => {
        const id = (shared.nextId = (shared.nextId + 1) | 0);
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
