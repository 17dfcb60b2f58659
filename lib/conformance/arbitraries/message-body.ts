/**
 * message-body (RFC 9112 §6):
 *
 *     message-body = *OCTET
 *
 * Any octets at all. Besides plain random bytes, some bodies are made of the bytes a careless
 * parser would take for protocol: CRLFs, chunk-size lines, a whole request line. A server that
 * frames the body by its Content-Length or chunk sizes never looks inside it, so these must
 * come back from an echo unchanged and must never produce a second response.
 *
 * Large bodies are described by (length, seed, style) and expanded with a small PRNG, so that
 * a 64 KiB body shrinks by its length rather than byte by byte.
 */
import fc from 'fast-check';

export type BodyStyle = 'random' | 'zeros' | 'text' | 'protocol';

export interface MessageBodyOptions {
  /** Longest body, octets (default 64 KiB). */
  maxLength?: number;
}

/** Octets that look like HTTP framing. */
const PROTOCOL_PIECES = [
  '\r\n',
  '0\r\n\r\n',
  '5;a=b\r\n',
  'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
  'HTTP/1.1 200 OK\r\n',
  '\n',
  '\r',
  ':',
  ' ',
  '\x00',
];
const TEXT = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,;:!?\n';

/** mulberry32: a tiny deterministic generator, enough to fill a body from a seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The body that (length, seed, style) stands for. Pure: the same arguments give the same bytes. */
export function expandBody(length: number, seed: number, style: BodyStyle): Uint8Array {
  const out = new Uint8Array(length);
  if (style === 'zeros') return out;
  const next = prng(seed);
  if (style === 'random') {
    for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
    return out;
  }
  let i = 0;
  while (i < length) {
    const piece =
      style === 'text'
        ? TEXT[Math.floor(next() * TEXT.length)]!
        : PROTOCOL_PIECES[Math.floor(next() * PROTOCOL_PIECES.length)]!;
    for (let j = 0; j < piece.length && i < length; j++) out[i++] = piece.charCodeAt(j);
  }
  return out;
}

/** A message body of 0 to `maxLength` octets. */
export function messageBody(opts: MessageBodyOptions = {}): fc.Arbitrary<Uint8Array> {
  const maxLength = Math.max(0, opts.maxLength ?? 64 * 1024);
  const small = fc.uint8Array({ maxLength: Math.min(64, maxLength) });
  const length = fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.integer({ min: 0, max: Math.min(1024, maxLength) }), weight: 3 },
    { arbitrary: fc.integer({ min: 0, max: maxLength }), weight: 2 },
    { arbitrary: fc.constant(maxLength), weight: 1 },
  );
  const patterned = fc
    .tuple(length, fc.integer(), fc.constantFrom<BodyStyle>('random', 'protocol', 'text', 'zeros'))
    .map(([n, seed, style]) => expandBody(n, seed, style));
  return fc.oneof({ withCrossShrink: true }, { arbitrary: small, weight: 2 }, { arbitrary: patterned, weight: 3 });
}
