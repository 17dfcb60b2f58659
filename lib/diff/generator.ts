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
import { request, serializeRequest, type WellFormedRequest } from '../conformance/arbitraries/http-message.ts';
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

/** The field that makes a GET or HEAD of an existing file conditional on the client having none. */
export const IF_NONE_MATCH_ANY = 'If-None-Match: *';

/**
 * The request with `line` as its first field line (after the request line), its bytes rebuilt.
 * Pure.
 */
export function withFieldLine(req: WellFormedRequest, line: string): WellFormedRequest {
  const lines = [req.lines[0]!, line, ...req.lines.slice(1)];
  return { ...req, lines, bytes: serializeRequest(lines, req.framedBody) };
}

/**
 * GET or HEAD of a file with If-None-Match: *: the file exists, so the answer is a 304 (RFC 9110
 * §13.1.2), which "is terminated by the end of the header section" (§15.4.5) whatever the 200
 * would have carried. Only GET and HEAD: for other methods the answer (412, or the method's own)
 * is a server's choice, not framing.
 */
function conditionalGets(files: readonly string[]): fc.Arbitrary<WellFormedRequest> {
  return request({
    method: fc.constantFrom('GET', 'HEAD'),
    target: requestTarget({ files, arbitraryShare: 0 }),
    body: 'never',
  }).map((r) => withFieldLine(r, IF_NONE_MATCH_ANY));
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
    {
      // Content on the methods that seldom carry it (RFC 9110 §9.3.1, §9.3.2, §9.3.7: it has no
      // meaning there, but it is framed like any other and must be read past).
      arbitrary: request({
        method: fc.constantFrom('GET', 'HEAD', 'OPTIONS'),
        target: requestTarget({ files, arbitraryShare: 0.15 }),
        body: 'always',
        content: messageBody({ maxLength: opts.maxBody ?? 2048 }),
      }),
      weight: 1,
    },
    { arbitrary: conditionalGets(files), weight: 1 },
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
