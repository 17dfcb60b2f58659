/**
 * The requests a differential run sends: generated from the grammar (lib/conformance/arbitraries/:
 * a well-formed request for a file of the root, or a POST /echo with a body), then, now and then,
 * changed by the mutations of mutation.ts (an octet inserted, a line duplicated or deleted, a body
 * re-chunked) and by the edits of edits.ts (framing lines inserted, a byte deleted or doubled, a
 * CRLF bent, a case swapped), and written whole or split into writes (split-points.ts). Every part
 * is a plain value, so fast-check shrinks a disagreement towards the well-formed request it came
 * from, fewer edits and one write.
 */
import fc from 'fast-check';
import { request, type WellFormedRequest } from '../conformance/arbitraries/http-message.ts';
import { requestTarget } from '../conformance/arbitraries/request-target.ts';
import { messageBody } from '../conformance/arbitraries/message-body.ts';
import { applyMutations, oneMutation, type Mutation } from '../conformance/arbitraries/mutation.ts';
import { splitPoints } from '../conformance/arbitraries/split-points.ts';
import { fixedTarget, knownFiles } from '../conformance/properties/targets.ts';
import type { RequestPart } from '../conformance/types.ts';
import { CRLF_REPLACEMENTS, FRAMING_LINES, applyEdits, insertLines, type ByteEdit, type LineInsert } from './edits.ts';

/** One generated request: what it was made from, its bytes, and how they are written. */
export interface DiffRequest {
  /** The well-formed request it started as. */
  original: WellFormedRequest;
  inserts: LineInsert[];
  mutations: Mutation[];
  edits: ByteEdit[];
  /** The bytes sent, after every change. */
  bytes: Uint8Array;
  /** What each change did, in words; empty for the request as generated. */
  applied: string[];
  /** The writes: one, or the bytes cut at split points with small pauses. */
  parts: RequestPart[];
}

export interface GeneratorOptions {
  /** The document root the servers serve: generated targets name its files. */
  root: string;
  /** Longest body of a request for a file, octets (default 2 KiB). */
  maxBody?: number;
  /** Longest body of a POST /echo, octets (default 12 KiB: past a buffer of 8 KiB). */
  maxEchoBody?: number;
}

/** The request with its lines inserted, then mutation.ts's mutations, then the byte edits. Pure. */
export function buildRequest(
  original: WellFormedRequest,
  inserts: readonly LineInsert[],
  mutations: readonly Mutation[],
  edits: readonly ByteEdit[],
): Omit<DiffRequest, 'parts'> {
  const applied: string[] = [];
  const lined = insertLines(original, inserts, applied);
  const mutated = applyMutations(lined, mutations);
  applied.push(...mutated.applied);
  const edited = applyEdits(mutated.bytes, edits);
  applied.push(...edited.applied);
  return {
    original,
    inserts: [...inserts],
    mutations: [...mutations],
    edits: [...edits],
    bytes: edited.bytes,
    applied,
  };
}

function lineInsert(): fc.Arbitrary<LineInsert> {
  return fc.record({ field: fc.constantFrom(...FRAMING_LINES), after: fc.nat({ max: 8 }) });
}

function byteEdit(): fc.Arbitrary<ByteEdit> {
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.record({ kind: fc.constant('delete-byte' as const), at: fc.nat({ max: 160 }) }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('duplicate-byte' as const), at: fc.nat({ max: 160 }) }), weight: 2 },
    {
      arbitrary: fc.record({
        kind: fc.constant('crlf' as const),
        nth: fc.nat({ max: 12 }),
        to: fc.constantFrom(...CRLF_REPLACEMENTS),
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('case' as const),
        at: fc.nat({ max: 120 }),
        length: fc.integer({ min: 1, max: 8 }),
      }),
      weight: 1,
    },
  );
}

/** None most of the time (the request as generated), else one or two of `one`. */
function fewOrNone<T>(one: fc.Arbitrary<T>, noneWeight: number): fc.Arbitrary<T[]> {
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant([] as T[]), weight: noneWeight },
    { arbitrary: fc.array(one, { minLength: 1, maxLength: 2 }), weight: 2 },
  );
}

/** The well-formed requests: a file of the root by any method (GET and HEAD most often), or an echo. */
function originals(opts: GeneratorOptions): fc.Arbitrary<WellFormedRequest> {
  const files = knownFiles(opts.root);
  return fc.oneof(
    { withCrossShrink: true },
    {
      arbitrary: request({
        target: requestTarget({ files, arbitraryShare: 0.15 }),
        content: messageBody({ maxLength: opts.maxBody ?? 2048 }),
      }),
      weight: 3,
    },
    {
      arbitrary: request({
        method: fc.constant('POST'),
        target: fixedTarget('/echo'),
        body: 'always',
        content: messageBody({ maxLength: opts.maxEchoBody ?? 12 * 1024 }),
      }),
      weight: 2,
    },
  );
}

/** The requests of a differential run. */
export function diffRequests(opts: GeneratorOptions): fc.Arbitrary<DiffRequest> {
  const edited = fc
    .record({
      original: originals(opts),
      inserts: fewOrNone(lineInsert(), 6),
      mutations: fewOrNone(oneMutation(), 3),
      edits: fewOrNone(byteEdit(), 3),
    })
    .map((r) => buildRequest(r.original, r.inserts, r.mutations, r.edits));
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: edited.map((e): DiffRequest => ({ ...e, parts: [{ data: e.bytes }] })), weight: 3 },
    {
      arbitrary: splitPoints(edited, {
        bytesOf: (e) => e.bytes,
        maxDelayMs: 5,
        delayBudgetMs: 60,
        maxCuts: 8,
        everyByteUpTo: 64,
      }).map((s): DiffRequest => ({ ...s.input, parts: s.parts })),
      weight: 1,
    },
  );
}
