/**
 * The request ab sends, byte for byte (httpd support/ab.c, test() and parse_url()):
 *
 *   GET {path} HTTP/1.0\r\n
 *   [Connection: Keep-Alive\r\n]            only with -k
 *   Host: {host}[:{port}]\r\n                ":port" only when the port is not 80
 *   User-Agent: ApacheBench/2.3\r\n
 *   Accept: *\/*\r\n
 *   \r\n
 *
 * An IPv6 literal is written in brackets in the Host header, as ab does for "[::1]" URLs.
 */
import { isIPv6 } from 'node:net';

/** The User-Agent ab sends (AP_AB_BASEREVISION is "2.3" in every 2.x release). */
export const AB_USER_AGENT = 'ApacheBench/2.3';

/** The value of ab's Host header for a host and port. */
export function abHostHeader(host: string, port: number): string {
  const field = isIPv6(host) ? `[${host}]` : host;
  return port === 80 ? field : `${field}:${port}`;
}

/** The header lines ab adds after the request line, in ab's order (without Connection). */
export function abHeaders(host: string, port: number): Array<[string, string]> {
  return [
    ['Host', abHostHeader(host, port)],
    ['User-Agent', AB_USER_AGENT],
    ['Accept', '*/*'],
  ];
}

/** The full request text of `ab [-k] http://host:port{path}`. */
export function abRequestText(host: string, port: number, path: string, keepAlive = false): string {
  let text = `GET ${path} HTTP/1.0\r\n`;
  if (keepAlive) text += 'Connection: Keep-Alive\r\n';
  for (const [name, value] of abHeaders(host, port)) text += `${name}: ${value}\r\n`;
  return text + '\r\n';
}

/** The same request as bytes (latin1: ab sends the path as given, one byte per character). */
export function abRequestBytes(host: string, port: number, path: string, keepAlive = false): Buffer {
  return Buffer.from(abRequestText(host, port, path, keepAlive), 'latin1');
}
