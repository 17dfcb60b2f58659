/**
 * What a connection's owner and a transport (transport.ts, epoll-transport.ts, tls-transport.ts)
 * promise each other.
 */
import { getSystemErrorName } from 'node:util';
import type { HandshakeTally } from './tls.ts';

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

/** The plain TCP transports, any of which a caller may force. */
export type TransportKind = 'epoll' | 'tcp_wrap' | 'net';

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

/** The errno name of a libuv status or -errno (ECONNREFUSED for -111), as onError's `code`; null when it has none. */
export function errName(status: number): string | null {
  try {
    return getSystemErrorName(status);
  } catch {
    return null;
  }
}
