/**
 * chunked-body (RFC 9112 §7.1, §7.1.1, §7.1.2; quoted-string from RFC 9110 §5.6.4):
 *
 *     chunked-body   = *chunk
 *                      last-chunk
 *                      trailer-section
 *                      CRLF
 *     chunk          = chunk-size [ chunk-ext ] CRLF
 *                      chunk-data CRLF
 *     chunk-size     = 1*HEXDIG
 *     last-chunk     = 1*("0") [ chunk-ext ] CRLF
 *     chunk-data     = 1*OCTET ; a sequence of chunk-size octets
 *
 *     chunk-ext      = *( BWS ";" BWS chunk-ext-name
 *                         [ BWS "=" BWS chunk-ext-val ] )
 *     chunk-ext-name = token
 *     chunk-ext-val  = token / quoted-string
 *
 *     trailer-section = *( field-line CRLF )
 *
 *     quoted-string  = DQUOTE *( qdtext / quoted-pair ) DQUOTE
 *     qdtext         = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
 *     quoted-pair    = "\" ( HTAB / SP / VCHAR / obs-text )
 *
 * A body and one way of chunking it: chunk sizes with leading zeros and either case of hex
 * digits, extensions ("A recipient MUST ignore unrecognized chunk extensions", §7.1.1) and
 * trailer fields. BWS is generated now and then although "a sender MUST NOT generate BWS in
 * messages", because "a recipient MUST parse for such bad whitespace and remove it before
 * interpreting the protocol element" (RFC 9110 §5.6.3); it can be turned off.
 */
import fc from 'fast-check';
import { token } from './token.ts';
import { fieldVchar } from './field-value.ts';
import { headerField, SEMANTIC_FIELDS, type HeaderField } from './field-line.ts';
import { messageBody } from './message-body.ts';

/** How one chunk-size is written. */
export interface SizeStyle {
  upper: boolean;
  /** Leading zeros before the significant digits. */
  zeros: number;
}

/** Everything that decides the bytes of a chunked body besides the content itself. */
export interface ChunkPlan {
  /** Sizes of the data chunks, in order; they add up to the body's length, none is 0. */
  sizes: readonly number[];
  /** chunk-ext of each chunk line, the last-chunk's at index sizes.length; missing means none. */
  extensions?: readonly string[];
  /** Style of each chunk-size (cyclic); default lower case, no leading zeros. */
  styles?: readonly SizeStyle[];
  /** How many "0" the last-chunk has (default 1). */
  lastZeros?: number;
  /** Field lines of the trailer section, without CRLF. */
  trailers?: readonly string[];
}

export interface ChunkedBody {
  /** The content the chunks carry. */
  body: Uint8Array;
  /** The chunked-body octets as sent. */
  encoded: Uint8Array;
  plan: ChunkPlan;
  trailers: HeaderField[];
}

export interface ChunkedBodyOptions {
  body?: fc.Arbitrary<Uint8Array>;
  /** Most data chunks (default 32); the last one takes whatever is left. */
  maxChunks?: number;
  /** Generate chunk extensions (default true). */
  extensions?: boolean;
  /** Generate trailer fields (default true). */
  trailers?: boolean;
  /** Generate BWS around ";" and "=" in extensions (default true). */
  bws?: boolean;
}

/** Cuts `length` octets into chunks following a cyclic pattern of sizes, at most `maxChunks` of them. */
export function chunkSizes(length: number, pattern: readonly number[], maxChunks = 32): number[] {
  const sizes: number[] = [];
  let left = length;
  for (let k = 0; left > 0; k++) {
    const want = Math.max(1, pattern.length === 0 ? left : pattern[k % pattern.length]!);
    const size = sizes.length >= maxChunks - 1 ? left : Math.min(want, left);
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

function sizeText(size: number, style: SizeStyle | undefined): string {
  const hex = size.toString(16);
  return '0'.repeat(style?.zeros ?? 0) + (style?.upper ? hex.toUpperCase() : hex);
}

/** The chunked-body octets for `body` cut as `plan` says. Pure. */
export function encodeChunked(body: Uint8Array, plan: ChunkPlan): Uint8Array {
  const parts: Buffer[] = [];
  const styles = plan.styles ?? [];
  let offset = 0;
  plan.sizes.forEach((size, i) => {
    const style = styles.length > 0 ? styles[i % styles.length] : undefined;
    parts.push(Buffer.from(`${sizeText(size, style)}${plan.extensions?.[i] ?? ''}\r\n`, 'latin1'));
    parts.push(Buffer.from(body.subarray(offset, offset + size)));
    parts.push(Buffer.from('\r\n', 'latin1'));
    offset += size;
  });
  const last = `${'0'.repeat(Math.max(1, plan.lastZeros ?? 1))}${plan.extensions?.[plan.sizes.length] ?? ''}\r\n`;
  const trailer = (plan.trailers ?? []).map((line) => `${line}\r\n`).join('');
  parts.push(Buffer.from(`${last}${trailer}\r\n`, 'latin1'));
  return Uint8Array.from(Buffer.concat(parts));
}

const bwsArb = (on: boolean) =>
  on
    ? fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constant(''), weight: 6 },
        { arbitrary: fc.string({ unit: fc.constantFrom(' ', '\t'), minLength: 1, maxLength: 2 }), weight: 1 },
      )
    : fc.constant('');

/** qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text */
const QDTEXT = [
  '\t',
  ' ',
  '!',
  ...Array.from({ length: 0x5b - 0x23 + 1 }, (_, i) => String.fromCharCode(0x23 + i)),
  ...Array.from({ length: 0x7e - 0x5d + 1 }, (_, i) => String.fromCharCode(0x5d + i)),
];

/** quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE */
export function quotedString(maxLength = 12): fc.Arbitrary<string> {
  const obsText = fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c));
  const qdtext = fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constantFrom(...QDTEXT), weight: 12 },
    { arbitrary: obsText, weight: 1 },
  );
  // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ): an escaped DQUOTE or backslash among them.
  const quotedPair = fc
    .oneof(
      { arbitrary: fc.constantFrom('"', '\\'), weight: 2 },
      { arbitrary: fc.constantFrom('\t', ' '), weight: 1 },
      { arbitrary: fieldVchar(true), weight: 2 },
    )
    .map((c) => `\\${c}`);
  return fc
    .array(
      fc.oneof({ withCrossShrink: true }, { arbitrary: qdtext, weight: 6 }, { arbitrary: quotedPair, weight: 1 }),
      { maxLength },
    )
    .map((items) => `"${items.join('')}"`);
}

/** chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) */
export function chunkExt(opts: { bws?: boolean; maxItems?: number } = {}): fc.Arbitrary<string> {
  const bws = bwsArb(opts.bws ?? true);
  const value = fc.oneof(
    { withCrossShrink: true },
    { arbitrary: token({ maxLength: 10 }), weight: 2 },
    { arbitrary: quotedString(), weight: 1 },
  );
  const item = fc
    .record({
      b1: bws,
      b2: bws,
      name: token({ maxLength: 10 }),
      val: fc.option(fc.tuple(bws, bws, value), { freq: 2 }),
    })
    .map(({ b1, b2, name, val }) => `${b1};${b2}${name}${val === null ? '' : `${val[0]}=${val[1]}${val[2]}`}`);
  return fc.array(item, { maxLength: opts.maxItems ?? 3 }).map((items) => items.join(''));
}

/** Trailer field names never carry framing, routing or content metadata (RFC 9110 §6.5.1). */
const TRAILER_AVOID = [...SEMANTIC_FIELDS, 'content-type', 'content-range', 'trailer', 'authorization', 'set-cookie'];

/** How to chunk a body of any length: the data of a ChunkPlan before the length is known. */
export interface Chunking {
  /** Chunk sizes, used cyclically; empty means one chunk for the whole body. */
  pattern: number[];
  /** Extensions spread cyclically over the chunk lines, the last-chunk's included. */
  extensions: string[];
  styles: SizeStyle[];
  lastZeros: number;
  trailers: HeaderField[];
}

/** Chunks `body` as `chunking` says: at most `maxChunks` data chunks, the last taking what is left. */
export function applyChunking(body: Uint8Array, chunking: Chunking, maxChunks = 32): ChunkedBody {
  const sizes = chunkSizes(body.length, chunking.pattern, maxChunks);
  const ext = chunking.extensions;
  const extensions = ext.length === 0 ? [] : Array.from({ length: sizes.length + 1 }, (_, i) => ext[i % ext.length]!);
  const plan: ChunkPlan = {
    sizes,
    extensions,
    styles: chunking.styles,
    lastZeros: chunking.lastZeros,
    trailers: chunking.trailers.map((t) => t.line),
  };
  return { body, encoded: encodeChunked(body, plan), plan, trailers: chunking.trailers };
}

/** A way of chunking a body: sizes, extensions, size spellings, trailers. */
export function chunking(opts: Omit<ChunkedBodyOptions, 'body' | 'maxChunks'> = {}): fc.Arbitrary<Chunking> {
  const pattern = fc.oneof(
    { withCrossShrink: true },
    // one chunk for the whole body
    { arbitrary: fc.constant([] as number[]), weight: 1 },
    { arbitrary: fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 6 }), weight: 2 },
    { arbitrary: fc.array(fc.integer({ min: 1, max: 16 * 1024 }), { minLength: 1, maxLength: 6 }), weight: 2 },
  );
  const ext =
    opts.extensions === false
      ? fc.constant('')
      : fc.oneof(
          { withCrossShrink: true },
          { arbitrary: fc.constant(''), weight: 3 },
          { arbitrary: chunkExt({ bws: opts.bws ?? true }), weight: 2 },
        );
  const trailer = headerField({ avoid: TRAILER_AVOID });
  const zeros = fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant(0), weight: 4 },
    { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 1 },
  );
  return fc.record({
    pattern,
    extensions: opts.extensions === false ? fc.constant([] as string[]) : fc.array(ext, { maxLength: 8 }),
    styles: fc.array(fc.record({ upper: fc.boolean(), zeros }), { maxLength: 4 }),
    lastZeros: fc.oneof(
      { withCrossShrink: true },
      { arbitrary: fc.constant(1), weight: 4 },
      { arbitrary: fc.integer({ min: 2, max: 4 }), weight: 1 },
    ),
    trailers:
      opts.trailers === false
        ? fc.constant([] as HeaderField[])
        : fc.oneof(
            { withCrossShrink: true },
            { arbitrary: fc.constant([] as HeaderField[]), weight: 2 },
            { arbitrary: fc.array(trailer, { minLength: 1, maxLength: 3 }), weight: 1 },
          ),
  });
}

/** A body and a chunking of it. */
export function chunkedBody(opts: ChunkedBodyOptions = {}): fc.Arbitrary<ChunkedBody> {
  const maxChunks = Math.max(1, opts.maxChunks ?? 32);
  return fc.tuple(opts.body ?? messageBody(), chunking(opts)).map(([body, c]) => applyChunking(body, c, maxChunks));
}
