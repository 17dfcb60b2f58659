/**
 * A well-formed request (RFC 9112 §2.1, §3, §2.3; Host from RFC 9110 §7.2; framing from RFC
 * 9112 §6 and RFC 9110 §8.6):
 *
 *     HTTP-message   = start-line CRLF
 *                      *( field-line CRLF )
 *                      CRLF
 *                      [ message-body ]
 *     request-line   = method SP request-target SP HTTP-version
 *     HTTP-version   = HTTP-name "/" DIGIT "." DIGIT
 *     HTTP-name      = %s"HTTP"
 *     Host           = uri-host [ ":" port ]
 *     Content-Length = 1*DIGIT
 *     Transfer-Encoding = #transfer-coding
 *
 * With the bytes comes what a server has to make of them: the method, the path, the body.
 * "A client MUST send a Host header field ... in all HTTP/1.1 request messages" (RFC 9112
 * §3.2), so every request has exactly one. The body, if any, is framed by a Content-Length or by the
 * chunked coding, never both ("A sender MUST NOT send a Content-Length header field in any
 * message that contains a Transfer-Encoding header field", RFC 9112 §6.2), and chunked only
 * in HTTP/1.1 (an HTTP/1.0 recipient "MUST treat the message as if the framing is faulty",
 * RFC 9112 §6.1). Field names come in any case: "Field names are case-insensitive" (RFC 9110
 * §5.1), and so is the coding name (RFC 9112 §7).
 */
import fc from 'fast-check';
import { method as methodArb } from './method.ts';
import { requestTarget, type RequestTarget } from './request-target.ts';
import { headerField, ows, type HeaderField } from './field-line.ts';
import { applyChunking, chunking, type ChunkedBody, type ChunkedBodyOptions } from './chunked-body.ts';
import { messageBody } from './message-body.ts';

export type Framing = 'none' | 'content-length' | 'chunked';
export type HttpVersion = 'HTTP/1.1' | 'HTTP/1.0';

export interface WellFormedRequest {
  /** The whole request as sent. */
  bytes: Uint8Array;
  method: string;
  target: string;
  /** The absolute-path of the target, as sent. */
  path: string;
  query: string | null;
  /** The known file the target names, when it was generated from one. */
  names: string | null;
  version: HttpVersion;
  /** The request line and the field lines, without CRLF. */
  lines: string[];
  headers: HeaderField[];
  /** The content the server must receive. */
  body: Uint8Array;
  framing: Framing;
  /** The octets after the head: the body as framed (chunked-encoded or as is). */
  framedBody: Uint8Array;
  chunked: ChunkedBody | null;
  /** Whether the request lets the connection persist after its response (RFC 9112 §9.3). */
  keepAlive: boolean;
}

export interface RequestOptions {
  method?: fc.Arbitrary<string>;
  target?: fc.Arbitrary<RequestTarget>;
  /** The Host field value (default a few names, with or without a port). */
  host?: fc.Arbitrary<string>;
  /** Whether a body is sent: never, sometimes (default), always. */
  body?: 'never' | 'maybe' | 'always';
  /** The content of a body (default messageBody()). */
  content?: fc.Arbitrary<Uint8Array>;
  /** Framings to choose from for a body (default both). */
  framings?: readonly Exclude<Framing, 'none'>[];
  chunked?: ChunkedBodyOptions;
  /** Most extension fields (default 3). */
  maxExtraFields?: number;
  /** Generate a Connection field now and then (default true). */
  connection?: boolean;
  /** Versions to choose from (default HTTP/1.1 only). */
  versions?: readonly HttpVersion[];
}

/** The name as written, in one of its spellings. */
function spelled(name: string): fc.Arbitrary<string> {
  return fc.constantFrom(name, name.toLowerCase(), name.toUpperCase());
}

/** The bytes of a request from its head lines and its framed body. */
export function serializeRequest(lines: readonly string[], framedBody: Uint8Array): Uint8Array {
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return Uint8Array.from(Buffer.concat([head, framedBody]));
}

/** Host = uri-host [ ":" port ] */
export function hostValue(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom('localhost', '127.0.0.1', 'example.test', 'a-b.example'),
      fc.option(fc.integer({ min: 1, max: 65535 })),
    )
    .map(([h, port]) => (port === null ? h : `${h}:${port}`));
}

/** A well-formed request and what a server has to read from it. */
export function request(opts: RequestOptions = {}): fc.Arbitrary<WellFormedRequest> {
  const bodyMode = opts.body ?? 'maybe';
  const framings = opts.framings ?? ['content-length', 'chunked'];
  const content = opts.content ?? messageBody();
  const framing: fc.Arbitrary<Framing> =
    bodyMode === 'never'
      ? fc.constant('none')
      : bodyMode === 'always'
        ? fc.constantFrom(...framings)
        : fc.oneof(
            { withCrossShrink: true },
            { arbitrary: fc.constant<Framing>('none'), weight: 3 },
            { arbitrary: fc.constantFrom<Framing>(...framings), weight: 2 },
          );
  const connection =
    opts.connection === false
      ? fc.constant(null)
      : fc.option(fc.tuple(spelled('Connection'), fc.constantFrom('close', 'keep-alive', 'Close', 'Keep-Alive')), {
          freq: 3,
        });
  return fc
    .record({
      method: opts.method ?? methodArb(),
      target: opts.target ?? requestTarget(),
      version: fc.constantFrom<HttpVersion>(...(opts.versions ?? ['HTTP/1.1'])),
      hostName: spelled('Host'),
      host: opts.host ?? hostValue(),
      hostOws: fc.tuple(ows(), ows()),
      extra: fc.array(headerField(), { maxLength: opts.maxExtraFields ?? 3 }),
      framing,
      content,
      chunking: chunking(opts.chunked),
      lengthName: spelled('Content-Length'),
      lengthZeros: fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constant(0), weight: 6 },
        { arbitrary: fc.integer({ min: 1, max: 2 }), weight: 1 },
      ),
      codingName: spelled('Transfer-Encoding'),
      coding: fc.constantFrom('chunked', 'Chunked', 'CHUNKED'),
      connection,
      order: fc.array(fc.nat({ max: 99 }), { minLength: 8, maxLength: 8 }),
    })
    .map((r) => {
      // chunked exists only in HTTP/1.1: an HTTP/1.0 request frames its body by length.
      const framing: Framing = r.version === 'HTTP/1.0' && r.framing === 'chunked' ? 'content-length' : r.framing;
      const body = framing === 'none' ? new Uint8Array(0) : r.content;
      const chunked = framing === 'chunked' ? applyChunking(body, r.chunking, opts.chunked?.maxChunks) : null;
      const fields: HeaderField[] = [
        { name: r.hostName, value: r.host, line: `${r.hostName}:${r.hostOws[0]}${r.host}${r.hostOws[1]}` },
        ...r.extra,
      ];
      if (framing === 'content-length') {
        const value = `${'0'.repeat(r.lengthZeros)}${body.length}`;
        fields.push({ name: r.lengthName, value, line: `${r.lengthName}: ${value}` });
      } else if (framing === 'chunked') {
        fields.push({ name: r.codingName, value: r.coding, line: `${r.codingName}: ${r.coding}` });
      }
      if (r.connection)
        fields.push({ name: r.connection[0], value: r.connection[1], line: `${r.connection[0]}: ${r.connection[1]}` });
      // Field order carries no meaning between different field names (RFC 9110 §5.3).
      const keyed = fields.map((f, i) => ({ f, key: r.order[i % r.order.length]! * 100 + i }));
      keyed.sort((a, b) => a.key - b.key);
      const headers = keyed.map((k) => k.f);
      const lines = [`${r.method} ${r.target.target} ${r.version}`, ...headers.map((h) => h.line)];
      const framedBody = chunked ? chunked.encoded : body;
      const conn = (r.connection?.[1] ?? '').toLowerCase();
      const keepAlive = r.version === 'HTTP/1.1' ? conn !== 'close' : conn === 'keep-alive';
      return {
        bytes: serializeRequest(lines, framedBody),
        method: r.method,
        target: r.target.target,
        path: r.target.path,
        query: r.target.query,
        names: r.target.names,
        version: r.version,
        lines,
        headers,
        body,
        framing,
        framedBody,
        chunked,
        keepAlive,
      };
    });
}
