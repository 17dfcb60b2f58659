/**
 * The byte-level edits of a request that `gauntlet diff` adds to the mutations of
 * lib/conformance/arbitraries/mutation.ts (insert an octet, duplicate or delete a line,
 * re-chunk): framing lines inserted into the head, a byte deleted or doubled, a CRLF turned into
 * a bare LF, a bare CR, nothing or two, and letters whose case is swapped. Each is where two
 * parsers most often disagree about where a line, a field or a body ends (RFC 9112 §2.2, §6.3,
 * §7.1), which is what a differential run is looking for.
 *
 * Pure: positions are taken modulo what they index, so any naturals fast-check draws (and
 * shrinks towards 0) name a valid place.
 */
import type { WellFormedRequest } from '../conformance/arbitraries/http-message.ts';
import { serializeRequest } from '../conformance/arbitraries/http-message.ts';

/**
 * A field that can be inserted into a head because it decides where a message ends: the value may
 * depend on the body. Besides the plain framing fields: Content-Length spelled as a signed or a
 * hexadecimal number (not 1*DIGIT, RFC 9110 §8.6: a lenient integer parser reads a length a
 * strict one refuses), a coding whose name merely contains "chunked" (RFC 9112 §6.3: only a
 * final "chunked" frames a body), and Expect: 100-continue (RFC 9110 §10.1.1: a server refusing
 * the head at once must still read or close past the content the client sent without waiting).
 */
export const FRAMING_LINES = [
  'cl-body',
  'cl-body+1',
  'cl-0',
  'cl-body-signed',
  'cl-body-hex',
  'te-chunked',
  'te-identity',
  'te-xchunked',
  'connection-close',
  'expect-continue',
] as const;
export type FramingLine = (typeof FRAMING_LINES)[number];

/** A field line inserted after head line `after` (taken modulo the line count, at least after the request line). */
export interface LineInsert {
  field: FramingLine;
  after: number;
}

/** What a CRLF becomes. */
export const CRLF_REPLACEMENTS = ['LF', 'CR', 'none', 'twice'] as const;
export type CrlfReplacement = (typeof CRLF_REPLACEMENTS)[number];

export type ByteEdit =
  /** Remove the byte at `at` (modulo the length). */
  | { kind: 'delete-byte'; at: number }
  /** Write the byte at `at` twice. */
  | { kind: 'duplicate-byte'; at: number }
  /** Replace the `nth` CRLF of the bytes (modulo their count). */
  | { kind: 'crlf'; nth: number; to: CrlfReplacement }
  /** Swap the case of the ASCII letters in `length` bytes from `at`. */
  | { kind: 'case'; at: number; length: number };

/** The text of an inserted framing field for a request whose framed body has `bodyLength` octets. */
export function framingLineText(field: FramingLine, bodyLength: number): string {
  switch (field) {
    case 'cl-body':
      return `Content-Length: ${bodyLength}`;
    case 'cl-body+1':
      return `Content-Length: ${bodyLength + 1}`;
    case 'cl-0':
      return 'Content-Length: 0';
    case 'cl-body-signed':
      return `Content-Length: +${bodyLength}`;
    case 'cl-body-hex':
      return `Content-Length: 0x${bodyLength.toString(16)}`;
    case 'te-xchunked':
      return 'Transfer-Encoding: xchunked';
    case 'expect-continue':
      return 'Expect: 100-continue';
    case 'te-chunked':
      return 'Transfer-Encoding: chunked';
    case 'te-identity':
      return 'Transfer-Encoding: identity';
    case 'connection-close':
      return 'Connection: close';
  }
}

/** The request with framing field lines inserted into its head (its bytes rebuilt); described in `applied`. */
export function insertLines(
  req: WellFormedRequest,
  inserts: readonly LineInsert[],
  applied: string[],
): WellFormedRequest {
  if (inserts.length === 0) return req;
  const lines = [...req.lines];
  for (const ins of inserts) {
    const text = framingLineText(ins.field, req.framedBody.length);
    // Never before the request line: line 0 stays the request line.
    const at = 1 + (ins.after % lines.length);
    lines.splice(at, 0, text);
    applied.push(`inserted the line ${JSON.stringify(text)} as head line ${at}`);
  }
  return { ...req, lines, bytes: serializeRequest(lines, req.framedBody) };
}

/** Offsets of every CRLF in `bytes`. */
function crlfOffsets(bytes: Uint8Array): number[] {
  const at: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) at.push(i);
  return at;
}

const REPLACEMENT_BYTES: Record<CrlfReplacement, number[]> = {
  LF: [0x0a],
  CR: [0x0d],
  none: [],
  twice: [0x0d, 0x0a, 0x0d, 0x0a],
};

function splice(bytes: Uint8Array, at: number, remove: number, insert: readonly number[]): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

function swapCase(b: number): number {
  if (b >= 0x41 && b <= 0x5a) return b + 0x20;
  if (b >= 0x61 && b <= 0x7a) return b - 0x20;
  return b;
}

/** One edit applied, with its description; an edit that finds nothing to change leaves the bytes as they are. */
function applyEdit(bytes: Uint8Array, edit: ByteEdit): { bytes: Uint8Array; applied: string | null } {
  if (bytes.length === 0) return { bytes, applied: null };
  switch (edit.kind) {
    case 'delete-byte': {
      const at = edit.at % bytes.length;
      return { bytes: splice(bytes, at, 1, []), applied: `deleted the byte at offset ${at}` };
    }
    case 'duplicate-byte': {
      const at = edit.at % bytes.length;
      return { bytes: splice(bytes, at, 0, [bytes[at]!]), applied: `doubled the byte at offset ${at}` };
    }
    case 'crlf': {
      const all = crlfOffsets(bytes);
      if (all.length === 0) return { bytes, applied: null };
      const at = all[edit.nth % all.length]!;
      const what = edit.to === 'none' ? 'removed' : edit.to === 'twice' ? 'doubled' : `replaced by a bare ${edit.to}`;
      return { bytes: splice(bytes, at, 2, REPLACEMENT_BYTES[edit.to]), applied: `the CRLF at offset ${at} ${what}` };
    }
    case 'case': {
      const at = edit.at % bytes.length;
      const end = Math.min(bytes.length, at + Math.max(1, edit.length));
      const out = Uint8Array.from(bytes);
      for (let i = at; i < end; i++) out[i] = swapCase(out[i]!);
      return { bytes: out, applied: `swapped the case of offsets ${at} to ${end - 1}` };
    }
  }
}

/** The edits applied in order to `bytes`; pure. */
export function applyEdits(bytes: Uint8Array, edits: readonly ByteEdit[]): { bytes: Uint8Array; applied: string[] } {
  let out = bytes;
  const applied: string[] = [];
  for (const edit of edits) {
    const step = applyEdit(out, edit);
    out = step.bytes;
    if (step.applied) applied.push(step.applied);
  }
  return { bytes: out, applied };
}
