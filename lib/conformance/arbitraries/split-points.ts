/**
 * Split points of a byte string: where a request is cut into separate writes, and how long to
 * pause before each. There is no ABNF for this, because there is no such thing on the wire:
 * TCP delivers a byte stream whose segment boundaries carry no meaning, and "A recipient MUST
 * parse an HTTP message as a sequence of octets" (RFC 9112 §2.2). So a server must give the
 * same answer however the octets are cut, down to one octet per write.
 *
 * Two shapes: a few cuts anywhere, or every octet of the first `everyByteUpTo` octets on its
 * own (the rest in one write, so that a 64 KiB body does not become 65536 writes). Pauses are
 * 0 to `maxDelayMs` each, within a total budget so that one run stays short.
 */
import fc from 'fast-check';
import type { RequestPart } from '../types.ts';

export interface SplitBytes<T = Uint8Array> {
  /** What the bytes were taken from (the bytes themselves unless `bytesOf` was given). */
  input: T;
  /** The whole byte string. */
  bytes: Uint8Array;
  /** Offsets where a new write starts (ascending, each in 1..length-1). */
  points: number[];
  /** The writes: concatenated, they are `bytes`. */
  parts: RequestPart[];
}

export interface SplitPointsOptions<T = Uint8Array> {
  /** The bytes of a generated value, for inputs that are not bytes themselves (a request, say). */
  bytesOf?: (input: T) => Uint8Array;
  /** Longest pause before a write, ms (default 5). */
  maxDelayMs?: number;
  /** Most pause time in total per split, ms (default 150); later writes follow at once. */
  delayBudgetMs?: number;
  /** Most cuts in the "anywhere" shape (default 24). */
  maxCuts?: number;
  /** How many leading octets the "every octet" shape sends one by one (default 256). */
  everyByteUpTo?: number;
}

/** Cuts `bytes` at `points` (any order, out-of-range and repeated ones ignored); the write after cut i waits delays[i % n] ms. */
export function splitAt(
  bytes: Uint8Array,
  points: readonly number[],
  delays: readonly number[] = [],
  delayBudgetMs = Infinity,
): SplitBytes {
  const cuts = [...new Set(points.filter((p) => p > 0 && p < bytes.length))].sort((a, b) => a - b);
  const parts: RequestPart[] = [];
  let start = 0;
  let spent = 0;
  [...cuts, bytes.length].forEach((end, i) => {
    if (end <= start && bytes.length > 0) return;
    const part: RequestPart = { data: bytes.slice(start, end) };
    // The first write goes at once; pauses sit between writes.
    const want = i === 0 || delays.length === 0 ? 0 : Math.max(0, delays[(i - 1) % delays.length]!);
    const delay = spent + want <= delayBudgetMs ? want : 0;
    spent += delay;
    if (delay > 0) part.delayMs = delay;
    parts.push(part);
    start = end;
  });
  return { input: bytes, bytes, points: cuts, parts };
}

/** A byte string from `input` and a way of cutting it into writes with small pauses. */
export function splitPoints<T = Uint8Array>(
  input: fc.Arbitrary<T>,
  opts: SplitPointsOptions<T> = {},
): fc.Arbitrary<SplitBytes<T>> {
  const bytesOf = opts.bytesOf ?? ((value: T) => value as unknown as Uint8Array);
  const maxDelayMs = Math.max(0, opts.maxDelayMs ?? 5);
  const budget = opts.delayBudgetMs ?? 150;
  const everyByteUpTo = Math.max(1, opts.everyByteUpTo ?? 256);
  const delay = fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant(0), weight: 2 },
    { arbitrary: fc.integer({ min: 0, max: maxDelayMs }), weight: 1 },
  );
  const shape = fc.oneof(
    { withCrossShrink: true },
    // Cuts anywhere: positions are taken modulo the length, so any naturals will do.
    {
      arbitrary: fc
        .array(fc.nat(), { minLength: 1, maxLength: Math.max(1, opts.maxCuts ?? 24) })
        .map((cuts) => ({ every: false, cuts })),
      weight: 3,
    },
    { arbitrary: fc.constant({ every: true, cuts: [] as number[] }), weight: 1 },
  );
  return fc.tuple(input, shape, fc.array(delay, { maxLength: 32 })).map(([value, { every, cuts }, delays]) => {
    const bytes = bytesOf(value);
    const n = bytes.length;
    const points = every
      ? Array.from({ length: Math.min(n, everyByteUpTo) }, (_, i) => i + 1)
      : n < 2
        ? []
        : cuts.map((c) => 1 + (c % (n - 1)));
    return { ...splitAt(bytes, points, delays, budget), input: value };
  });
}
