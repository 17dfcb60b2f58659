/**
 * The conformance client's TLS: opening a TLS connection for an exchange, and the words for a
 * handshake that failed. Apart from raw-client.ts so that the plain TCP path there stays as it
 * is; raw-client.ts decides, as for any connect error, whose fault a failure was.
 */
import { isIP, type Socket } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';

/** TLS for an exchange: how the server's certificate is checked. */
export interface ClientTls {
  /** Accept any certificate (self-signed, expired, for another name). */
  insecure: boolean;
  /** The name sent in SNI and checked against the certificate (default the host, unless an IP address). */
  servername?: string;
  /** Certificates (PEM) trusted instead of the system's, such as the one a server was started with. */
  ca?: string | Buffer;
}

/**
 * A TLS connection to `host`, half-open like the plain one (the server's close_notify and FIN
 * do not close the client's side), offering only HTTP/1.1. Made once 'secureConnect' fires.
 */
export function dialTls(host: string, port: number, tls: ClientTls): Socket {
  const servername = tls.servername ?? (isIP(host) ? undefined : host);
  // allowHalfOpen is passed on to the socket by tls.connect, though its typings leave it out.
  const options: ConnectionOptions & { allowHalfOpen: boolean } = {
    host,
    port,
    allowHalfOpen: true,
    rejectUnauthorized: !tls.insecure,
    ALPNProtocols: ['http/1.1'],
  };
  if (servername !== undefined) options.servername = servername;
  if (tls.ca !== undefined) options.ca = tls.ca;
  return connect(options);
}

/** The sentence for a handshake the server broke off. */
export function handshakeBrokenOff(host: string, port: number, code: string): string {
  return `the server at ${host}:${port} broke off the TLS handshake (${code})`;
}

/** The sentence for a handshake the client gave up on, most often a certificate it could not verify. */
export function handshakeRefused(host: string, port: number, err: unknown, code: string): string {
  const reason = err instanceof Error ? err.message : code;
  return `the TLS handshake with ${host}:${port} failed: ${reason} (${code}); --insecure accepts a certificate that cannot be verified`;
}
