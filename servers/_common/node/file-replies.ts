/**
 * What a file request's preconditions and Range make of it (conditional.ts decides): 304, 412,
 * 416, or 206 with one range or several. A request without those fields never comes here, so
 * the common response keeps its cached bytes (handler.ts).
 */
import {
  type ByteRange,
  type ConditionalFields,
  byteRangePlan,
  contentRange,
  multipart,
  preconditions,
} from './conditional.ts';
import type { FileEntry } from './files.ts';
import { type ConnectionMode, type ResponseBuilder } from './responses.ts';

/** What to send instead of the whole file, or null when the whole file (200) it is. */
export type FileVariant =
  | { kind: 'bytes'; status: number; data: Buffer }
  /** One range of a file too big to hold: the head, then `length` bytes from `first` on disk. */
  | { kind: 'stream'; head: string; first: number; length: number };

const TEXT_FIELDS = 'Content-Type: text/plain; charset=utf-8\r\n';

/**
 * The variant of a file response that `fields` ask for, or null for the plain 200. `isHead`
 * answers HEAD: the same status and fields as GET, no content (Range is GET's alone).
 */
export function fileVariant(
  responses: ResponseBuilder,
  entry: FileEntry,
  fields: ConditionalFields,
  method: string,
  mode: ConnectionMode,
): FileVariant | null {
  const v = entry.validators;
  const isHead = method === 'HEAD';
  const verdict = preconditions(fields, method, v);
  if (verdict === 'failed') {
    return { kind: 'bytes', status: 412, data: responses.error(412, { omitBody: isHead }, mode) };
  }
  if (verdict === 'not-modified') {
    // A 304 keeps the validators and has no content, nor Content-Length (RFC 9110 §15.4.5).
    const head = responses.head(304, `ETag: ${v.etag}\r\nLast-Modified: ${v.lastModified}\r\n`, null, mode);
    return { kind: 'bytes', status: 304, data: Buffer.from(head, 'latin1') };
  }
  const ranges = byteRangePlan(fields, method, v, entry.size);
  if (ranges === null) return null;
  if (ranges.length === 0) {
    const text = Buffer.from('416 Range Not Satisfiable\n', 'latin1');
    const head = `Content-Range: bytes */${entry.size}\r\n${TEXT_FIELDS}`;
    return { kind: 'bytes', status: 416, data: responses.build(416, head, text, mode) };
  }
  const typeField = `Content-Type: ${entry.contentType}\r\n`;
  if (ranges.length === 1) return singleRange(responses, entry, ranges[0]!, typeField, mode);
  // Several ranges of a file too big to hold are answered whole: a server "MAY ignore the Range
  // header field" (RFC 9110 §14.2), and a multipart body is built in memory.
  if (entry.body === null) return null;
  const { content, contentType } = multipart(ranges, entry.body, entry.contentType, entry.size);
  const data = responses.build(206, `Content-Type: ${contentType}\r\n${v.fields}`, content, mode);
  return { kind: 'bytes', status: 206, data };
}

function singleRange(
  responses: ResponseBuilder,
  entry: FileEntry,
  r: ByteRange,
  typeField: string,
  mode: ConnectionMode,
): FileVariant {
  const length = r.last - r.first + 1;
  const fields = `${typeField}${contentRange(r, entry.size)}${entry.validators.fields}`;
  if (entry.body === null) {
    return { kind: 'stream', head: responses.head(206, fields, length, mode), first: r.first, length };
  }
  const data = responses.build(206, fields, entry.body.subarray(r.first, r.last + 1), mode);
  return { kind: 'bytes', status: 206, data };
}
