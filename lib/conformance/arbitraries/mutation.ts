/**
 * Mutations of a well-formed request: the small edits that turn it into one a server must
 * survive. Each breaks a rule of RFC 9112 or changes the framing:
 *
 * - insert CR, LF, NUL, SP or HTAB anywhere: "Field values containing CR, LF, or NUL
 *   characters are invalid and dangerous" (RFC 9110 §5.5); a bare CR or LF ends a line early,
 *   SP breaks `request-line = method SP request-target SP HTTP-version` (RFC 9112 §3) or
 *   puts whitespace between a field name and its colon (RFC 9112 §5.1), HTAB or SP at the
 *   start of a line is obs-fold (RFC 9112 §5.2);
 * - duplicate a line: two Host fields ("MUST respond with a 400 (Bad Request) ... more than
 *   one Host header field line", RFC 9112 §3.2), two Content-Length or Transfer-Encoding
 *   fields, two request lines;
 * - delete a line: no Host, no framing field (the body becomes the next request), no request
 *   line;
 * - re-chunk the body: cut a chunked body differently (still well formed), or chunk a body
 *   whose Content-Length stays, so the declared length no longer matches the octets.
 *
 * Whatever the server makes of them, it must answer or close and keep serving others.
 */
import fc from 'fast-check';
import { serializeRequest, type WellFormedRequest } from './http-message.ts';
import { chunkSizes, encodeChunked } from './chunked-body.ts';

export const INSERTABLE = { CR: 0x0d, LF: 0x0a, NUL: 0x00, SP: 0x20, HTAB: 0x09 } as const;
export type InsertableName = keyof typeof INSERTABLE;

export type Mutation =
  /** Insert one octet; `at` is taken modulo (length + 1) of the bytes at that point. */
  | { kind: 'insert'; octet: InsertableName; at: number }
  /** Repeat a head line right after itself; `line` is taken modulo the line count. */
  | { kind: 'duplicate-line'; line: number }
  /** Remove a head line; `line` is taken modulo the line count. */
  | { kind: 'delete-line'; line: number }
  /** Chunk the body again with these sizes (cyclic). */
  | { kind: 'rechunk'; pattern: number[] };

export interface MutatedRequest {
  original: WellFormedRequest;
  mutations: Mutation[];
  /** The mutated bytes. */
  bytes: Uint8Array;
  /** What each mutation did, in words ("inserted NUL at offset 12 (in the request line)"). */
  applied: string[];
}

export interface MutationOptions {
  /** Most mutations per request (default 3). */
  maxMutations?: number;
}

/** One line shown in a description. */
function show(line: string): string {
  return JSON.stringify(line.length > 40 ? `${line.slice(0, 40)}...` : line);
}

/** Applies `mutations` to `req`: line edits and re-chunking first, in order, then the insertions, in order. Pure. */
export function applyMutations(
  req: WellFormedRequest,
  mutations: readonly Mutation[],
): { bytes: Uint8Array; applied: string[] } {
  let lines = [...req.lines];
  let framed = req.framedBody;
  const applied: string[] = [];
  for (const m of mutations) {
    if (m.kind === 'duplicate-line' && lines.length > 0) {
      const i = m.line % lines.length;
      applied.push(`duplicated line ${i} ${show(lines[i]!)}`);
      lines = [...lines.slice(0, i + 1), lines[i]!, ...lines.slice(i + 1)];
    } else if (m.kind === 'delete-line' && lines.length > 0) {
      const i = m.line % lines.length;
      applied.push(`deleted line ${i} ${show(lines[i]!)}`);
      lines = [...lines.slice(0, i), ...lines.slice(i + 1)];
    } else if (m.kind === 'rechunk') {
      const sizes = chunkSizes(req.body.length, m.pattern, 64);
      framed = encodeChunked(req.body, { sizes });
      applied.push(
        req.framing === 'chunked'
          ? `re-chunked the body as ${sizes.join('+') || 'no data chunks'}`
          : `chunk-encoded the body as ${sizes.join('+') || 'no data chunks'} with the ${req.framing === 'content-length' ? 'Content-Length' : 'absence of framing fields'} unchanged`,
      );
    }
  }
  let bytes = serializeRequest(lines, framed);
  const headLength = () => {
    const text = Buffer.from(bytes).toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    return end < 0 ? bytes.length : end + 4;
  };
  for (const m of mutations) {
    if (m.kind !== 'insert') continue;
    const at = m.at % (bytes.length + 1);
    const where = at < headLength() ? 'in the head' : 'in the body';
    const out = new Uint8Array(bytes.length + 1);
    out.set(bytes.subarray(0, at), 0);
    out[at] = INSERTABLE[m.octet];
    out.set(bytes.subarray(at), at + 1);
    bytes = out;
    applied.push(`inserted ${m.octet} at offset ${at} (${where})`);
  }
  return { bytes, applied };
}

/** One mutation; insertions are the most frequent, and biased to the head, where parsing happens. */
export function oneMutation(): fc.Arbitrary<Mutation> {
  const octet = fc.constantFrom<InsertableName>('CR', 'LF', 'NUL', 'SP', 'HTAB');
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.record({ kind: fc.constant('insert' as const), octet, at: fc.nat({ max: 120 }) }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('insert' as const), octet, at: fc.nat() }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('duplicate-line' as const), line: fc.nat({ max: 8 }) }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('delete-line' as const), line: fc.nat({ max: 8 }) }), weight: 2 },
    {
      arbitrary: fc.record({
        kind: fc.constant('rechunk' as const),
        pattern: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }),
      }),
      weight: 1,
    },
  );
}

/** A request from `requests` with 1 to `maxMutations` mutations applied. */
export function mutation(
  requests: fc.Arbitrary<WellFormedRequest>,
  opts: MutationOptions = {},
): fc.Arbitrary<MutatedRequest> {
  return fc
    .tuple(requests, fc.array(oneMutation(), { minLength: 1, maxLength: Math.max(1, opts.maxMutations ?? 3) }))
    .map(([original, mutations]) => {
      const { bytes, applied } = applyMutations(original, mutations);
      return { original, mutations, bytes, applied };
    });
}
