/**
 * The transport over TLS: node:tls sockets, a new one (and a full handshake) per connection: per
 * request in close mode, as `ab -f`/`-Z` does against an https URL; kept from request to request
 * in keep-alive mode (resend). tcp_wrap cannot carry TLS, so this is the only transport of an
 * https cell.
 *
 * The owner hears of the connection when the TLS session is established, not when TCP connects:
 * ab's connect time covers the handshake too, and a timeout during it is a connect timeout. An
 * error before that point is a failed connect carrying the TLS error's code (the certificate
 * refused, the handshake broken off), tallied as a failed handshake when TCP had connected.
 */
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { ConnOwner, Transport } from './transport.ts';
import { tlsErrorCode, type HandshakeTally } from './tls.ts';
import { requestCycle } from './ab-request.ts';

/** One TLS connection's listeners, bound to the owner it was opened for. */
class TlsConnection {
  private tcpAt = 0n;
  private secure = false;

  constructor(
    private readonly socket: TLSSocket,
    private readonly owner: ConnOwner,
    private readonly handshakes: HandshakeTally,
  ) {
    socket.once('connect', this.onTcpConnect);
    socket.once('secureConnect', this.onSecureConnect);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
  }

  private get current(): boolean {
    return this.owner.conn === this.socket;
  }

  private readonly onTcpConnect = (): void => {
    this.tcpAt = process.hrtime.bigint();
  };

  private readonly onSecureConnect = (): void => {
    this.secure = true;
    if (!this.current) return;
    this.handshakes.completed(Number(process.hrtime.bigint() - this.tcpAt));
    this.owner.onConnect();
  };

  private readonly onData = (chunk: Buffer): void => {
    if (this.current) this.owner.onData(chunk, chunk.length);
  };

  private readonly onEnd = (): void => {
    if (this.current) this.owner.onEnd();
  };

  private readonly onError = (err: Error): void => {
    if (!this.current) return;
    const code = tlsErrorCode(err);
    if (this.secure) {
      this.owner.onError('reset', code);
      return;
    }
    if (this.tcpAt !== 0n) this.handshakes.failed(code);
    this.owner.onError('connect', code);
  };
}

/**
 * The TLS transport: connections opened with `options`, sending `requests` in turn, handshakes
 * tallied in `handshakes`.
 */
export function tlsTransport(
  options: ConnectionOptions,
  requests: Buffer | readonly Buffer[],
  handshakes: HandshakeTally,
): Transport {
  const nextRequest = requestCycle(requests);
  return {
    kind: 'tls',
    handshakes,
    opener(owner) {
      return () => {
        const socket = connect(options);
        owner.conn = socket;
        new TlsConnection(socket, owner, handshakes);
        socket.setNoDelay(true);
        // Held by node until the session is established, then sent inside it.
        socket.write(nextRequest());
      };
    },
    close(conn) {
      (conn as TLSSocket).destroy();
    },
    resend(owner) {
      (owner.conn as TLSSocket).write(nextRequest());
    },
  };
}
