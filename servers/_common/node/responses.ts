/**
 * Response bytes. Every response is built as one Buffer (status line, fields and, for bodies
 * that fit, the body) so that it leaves in one write: a response split over two small writes
 * costs a second system call and, without TCP_NODELAY, a delayed-ACK stall.
 */

export const STATUS_TEXT: Readonly<Record<number, string>> = {
  100: 'Continue',
  200: 'OK',
  204: 'No Content',
  206: 'Partial Content',
  304: 'Not Modified',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  416: 'Range Not Satisfiable',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

/**
 * What the Connection field of a response says: nothing for HTTP/1.1 persistence (the default),
 * "close", or "keep-alive" to tell an HTTP/1.0 client that asked for it that it was granted.
 */
export const ConnectionMode = { Persistent: 0, Close: 1, KeepAlive: 2 } as const;
export type ConnectionMode = (typeof ConnectionMode)[keyof typeof ConnectionMode];

const CONNECTION_LINE = ['', 'Connection: close\r\n', 'Connection: keep-alive\r\n'] as const;

/** Buffer.allocUnsafe as a plain function, to be passed where an allocator is expected. */
function allocateUnsafe(size: number): Buffer {
  return Buffer.allocUnsafe(size);
}

/** "HTTP/1.1 100 Continue" with its empty field section (RFC 9110 §15.2.1). */
export const CONTINUE_100: Buffer = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

let dateSecond = -1;
let dateValue = '';

/** IMF-fixdate of the current second (RFC 9110 §5.6.7), computed once per second. */
export function httpDate(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(second * 1000).toUTCString();
  }
  return dateValue;
}

export class ResponseBuilder {
  constructor(readonly serverName: string) {}

  /**
   * The head of a response. `fields` are extra field lines, each ending in CRLF;
   * `contentLength` null omits Content-Length (204).
   */
  head(status: number, fields: string, contentLength: number | null, connection: ConnectionMode): string {
    const reason = STATUS_TEXT[status] ?? 'Unknown';
    const length = contentLength === null ? '' : `Content-Length: ${contentLength}\r\n`;
    return `HTTP/1.1 ${status} ${reason}\r\nServer: ${this.serverName}\r\nDate: ${httpDate()}\r\n${fields}${length}${CONNECTION_LINE[connection]}\r\n`;
  }

  /**
   * Head and body in one Buffer; with `omitBody` (HEAD) only the head, Content-Length unchanged.
   * `allocate` chooses where the bytes live (a response kept in a cache may be shared with
   * another thread).
   */
  build(
    status: number,
    fields: string,
    body: Buffer | null,
    connection: ConnectionMode,
    omitBody = false,
    allocate: (size: number) => Buffer = allocateUnsafe,
  ): Buffer {
    const bodyLength = body === null ? 0 : body.length;
    // "A server MUST NOT send a Content-Length header field in any response with a status code
    // of 1xx (Informational) or 204 (No Content)." (RFC 9110 §8.6)
    const head = this.head(status, fields, status === 204 ? null : bodyLength, connection);
    if (omitBody || bodyLength === 0) return Buffer.from(head, 'latin1');
    const out = allocate(head.length + bodyLength);
    out.write(head, 0, 'latin1');
    body!.copy(out, head.length);
    return out;
  }

  /**
   * An error response: a short text body, and always `Connection: close`, because the
   * connection is closed after it.
   */
  error(
    status: number,
    options: { allow?: string; detail?: string; omitBody?: boolean } = {},
    mode: ConnectionMode = ConnectionMode.Close,
  ): Buffer {
    const reason = STATUS_TEXT[status] ?? 'Error';
    const text = options.detail ? `${status} ${reason}: ${options.detail}\n` : `${status} ${reason}\n`;
    const fields = `${options.allow ? `Allow: ${options.allow}\r\n` : ''}Content-Type: text/plain; charset=utf-8\r\n`;
    return this.build(status, fields, Buffer.from(text, 'latin1'), mode, options.omitBody === true);
  }
}
