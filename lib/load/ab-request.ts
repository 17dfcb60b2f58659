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

/**
 * How a cell's request departs from ab's plain GET: `ab -m`, `-H`, `-p`/`-T`, and what ab cannot
 * do (a chunked body, several paths). Absent fields keep ab's request.
 */
export interface RequestShape {
  /** The method; default GET, or POST when there is a body (ab -p sends POST). */
  method?: string;
  /**
   * Headers in the order given (ab's -H). A Host, User-Agent or Accept here replaces ab's own, as
   * in ab; with a body, a Content-Type here is ab's -T (the one `Content-type` line).
   */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** The body, framed by `Content-length` as ab frames -p, or chunked when `chunked`. */
  body?: Buffer;
  /** Send the body with `Transfer-Encoding: chunked` (one chunk), which ab cannot. */
  chunked?: boolean;
  /** Several paths, round robin: request i (in the order requests start) is sent paths[i mod n]. */
  paths?: readonly string[];
}

/** Which client's request line and Connection header a request gets. */
export type RequestFraming = 'close' | 'keepalive';

/** ab's Content-type when -p is given without -T. */
export const AB_DEFAULT_CONTENT_TYPE = 'text/plain';

/** The method a shape sends: its own, else POST with a body (ab -p), else GET. */
export function shapeMethod(shape: RequestShape): string {
  return shape.method ?? (shape.body === undefined ? 'GET' : 'POST');
}

/** The paths a cell's requests go to, in turn. */
export function shapePaths(shape: RequestShape | undefined, path: string): readonly string[] {
  return shape?.paths && shape.paths.length > 0 ? shape.paths : [path];
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** A body as one chunk and the last chunk, no trailers (RFC 9112 section 7.1). */
export function chunkedBody(body: Buffer): Buffer {
  const last = Buffer.from('0\r\n\r\n', 'latin1');
  if (body.length === 0) return last;
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`, 'latin1'), body, Buffer.from('\r\n'), last]);
}

/**
 * The head of a shaped request, in ab's order (ab.c test()): request line, Connection,
 * `Content-length` and `Content-type` (with a body), the -H headers as given, then whichever of
 * Host, User-Agent and Accept they did not replace. Close mode sends ab's HTTP/1.0; a chunked
 * body needs HTTP/1.1 (an HTTP/1.0 message with Transfer-Encoding has faulty framing, RFC 9112
 * section 6.1), so it goes as HTTP/1.1 with `Connection: close`, keeping one request per
 * connection. Keep-alive mode sends what the keep-alive clients send: HTTP/1.1 and
 * `Connection: keep-alive`.
 */
export function shapedRequestHead(
  host: string,
  port: number,
  path: string,
  shape: RequestShape,
  framing: RequestFraming,
): string {
  const { body } = shape;
  const chunked = body !== undefined && shape.chunked === true;
  const given = shape.headers ?? [];
  let head = `${shapeMethod(shape)} ${path} ${framing === 'close' && !chunked ? 'HTTP/1.0' : 'HTTP/1.1'}\r\n`;
  if (framing === 'keepalive') head += 'Connection: keep-alive\r\n';
  else if (chunked) head += 'Connection: close\r\n';
  if (body !== undefined) {
    const type = given.find(([name]) => sameName(name, 'Content-Type'))?.[1] ?? AB_DEFAULT_CONTENT_TYPE;
    head += chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-length: ${body.length}\r\n`;
    head += `Content-type: ${type}\r\n`;
  }
  for (const [name, value] of given) {
    if (body !== undefined && sameName(name, 'Content-Type')) continue;
    head += `${name}: ${value}\r\n`;
  }
  for (const [name, value] of abHeaders(host, port)) {
    if (!given.some(([n]) => sameName(n, name))) head += `${name}: ${value}\r\n`;
  }
  return head + '\r\n';
}

/** A shaped request as bytes: its head (latin1, one byte per character) and its body. */
export function shapedRequestBytes(
  host: string,
  port: number,
  path: string,
  shape: RequestShape,
  framing: RequestFraming,
): Buffer {
  const head = Buffer.from(shapedRequestHead(host, port, path, shape, framing), 'latin1');
  if (shape.body === undefined) return head;
  return Buffer.concat([head, shape.chunked ? chunkedBody(shape.body) : shape.body]);
}

/** The bytes of every distinct request of a cell, one per path, in round-robin order. */
export function cellRequests(
  host: string,
  port: number,
  path: string,
  shape: RequestShape | undefined,
  framing: RequestFraming,
): Buffer[] {
  return shapePaths(shape, path).map((p) => shapedRequestBytes(host, port, p, shape ?? {}, framing));
}

/**
 * Hands out a cell's requests in turn, request i getting requests[i mod n]; one request is
 * handed out without counting. Called once per request started, in start order.
 */
export function requestCycle(requests: Buffer | readonly Buffer[]): () => Buffer {
  const list = Buffer.isBuffer(requests) ? [requests] : requests;
  if (list.length === 0) throw new RangeError('a cell needs at least one request');
  const only = list[0]!;
  if (list.length === 1) return () => only;
  let i = 0;
  return () => list[i++ % list.length]!;
}

/**
 * The request of a run as results.json records it: ab's plain GET of one path unless the run
 * shaped it (--method, --header, --body, --body-file, --chunked, several --path).
 */
export interface RequestShapeRecord {
  method: string;
  /** The headers given, in order (ab's own Host, User-Agent and Accept are not listed). */
  headers: Array<{ name: string; value: string }>;
  /** The body: its size in bytes, its framing and its Content-type; null without one. */
  body: { bytes: number; framing: 'content-length' | 'chunked'; contentType: string } | null;
  /** The paths, request i sent to paths[i mod n]. */
  paths: string[];
}

/** The request of bench's results.json (RunResults in lib/types.ts). */
export interface RunRequest {
  /** The request every cell sent (method, headers, body, paths); absent in results written before it. */
  request?: RequestShapeRecord;
}

/** What results.json records of a run's request (its `request`). Pure. */
export function shapeRecord(shape: RequestShape | undefined, path: string): RequestShapeRecord {
  const s = shape ?? {};
  const given = s.headers ?? [];
  const body =
    s.body === undefined
      ? null
      : {
          bytes: s.body.length,
          framing: s.chunked ? ('chunked' as const) : ('content-length' as const),
          contentType: given.find(([name]) => sameName(name, 'Content-Type'))?.[1] ?? AB_DEFAULT_CONTENT_TYPE,
        };
  return {
    method: shapeMethod(s),
    headers: given
      .filter(([name]) => body === null || !sameName(name, 'Content-Type'))
      .map(([name, value]) => ({ name, value })),
    body,
    paths: [...shapePaths(s, path)],
  };
}
