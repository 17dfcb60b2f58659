/**
 * The load engine over TLS (https): what a target says about TLS, the options every TLS
 * connection of a cell is opened with, and the tally of its handshakes that becomes
 * CellResult.tls.
 *
 * Both clients make a full handshake on every new connection (no session resumption), as ab
 * does over https: close mode thus pays one per request, keep-alive mode one per connection. A
 * handshake's time runs from the TCP connection made to the TLS session established; it is also
 * inside the request's own time, as it is inside ab's connect time, and is summarised apart so
 * that a slow TLS stack can be told from a slow server.
 */
import { isIP } from 'node:net';
import { createSecureContext, type ConnectionOptions } from 'node:tls';
import type { CellTls, LoadTarget } from '../types.ts';
import type { RequestShape } from './ab-request.ts';
import { summarise } from '../stats.ts';

/** TLS for a target: how its certificate is checked. */
export interface TargetTls {
  /** Accept any certificate (self-signed, expired, for another name): rejectUnauthorized off. */
  insecure: boolean;
  /** The name sent in SNI and checked against the certificate (default the target's host name). */
  servername?: string;
  /**
   * Certificates (PEM) trusted instead of the system's: a server started with a certificate the
   * harness made itself is verified against that certificate alone.
   */
  ca?: string | Buffer;
}

/**
 * A cell's target, which may be reached over TLS, and whose request may depart from ab's plain
 * GET (`shape`: method, headers, body, several paths; ab-request.ts).
 */
export type CellTarget = LoadTarget & { tls?: TargetTls; shape?: RequestShape };

/**
 * tls.connect() options for `address` (the target's host, resolved once). The certificate is
 * checked against the host as the user named it: `localhost` resolved to 127.0.0.1 is still
 * checked as `localhost`, and a host given as an IP address is checked as that address (no SNI,
 * which cannot carry an address).
 */
export function tlsConnectOptions(target: CellTarget, address: string, tls: TargetTls): ConnectionOptions {
  const name = tls.servername ?? (isIP(target.host) ? undefined : target.host);
  const options: ConnectionOptions = {
    host: address,
    port: target.port,
    rejectUnauthorized: !tls.insecure,
    ALPNProtocols: ['http/1.1'],
    // One context for the cell: tls.connect() otherwise builds one per connection, trust store
    // included, client CPU inside every request's time (a tenth of the close-mode rate here).
    secureContext: createSecureContext(tls.ca === undefined ? {} : { ca: tls.ca }),
  };
  // node checks the certificate against servername when there is one, else against host.
  if (name !== undefined) options.servername = name;
  return options;
}

/** What a failed handshake's error code means, for the reason of a stopped cell. */
const HANDSHAKE_WORDS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate rejected: self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate rejected: a self-signed certificate in its chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate rejected: its issuer is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS certificate rejected: its issuer is not trusted',
  CERT_HAS_EXPIRED: 'TLS certificate rejected: expired',
  CERT_NOT_YET_VALID: 'TLS certificate rejected: not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate rejected: it does not name the host',
};

/** The words for a handshake failure's code, or undefined when the code is not a TLS one. */
export function handshakeWords(code: string): string | undefined {
  const words = HANDSHAKE_WORDS[code];
  if (words !== undefined) return `${words} (--insecure accepts it)`;
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return 'TLS handshake failed';
  return undefined;
}

/** The code of an error raised by a TLS connection (its OpenSSL or errno name). */
export function tlsErrorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code !== '' ? code : 'ERR_TLS_HANDSHAKE';
}

/** The handshakes of one cell: their times and their failures. */
export class HandshakeTally {
  private readonly times: number[] = [];
  private readonly failures: Record<string, number> = {};

  /** A handshake completed, `ns` after the TCP connection was made. */
  completed(ns: number): void {
    this.times.push(ns / 1e6);
  }

  /** A handshake failed with `code`. */
  failed(code: string): void {
    this.failures[code] = (this.failures[code] ?? 0) + 1;
  }

  summary(): CellTls {
    return { handshakes: this.times.length, handshakeMs: summarise(this.times), failures: { ...this.failures } };
  }
}
