/**
 * Validators, conditional requests and byte ranges of static files (RFC 9110 §8.8, §13, §14).
 *
 * Pure functions over header values, a file's size and its modification time. The order of
 * evaluation is RFC 9110 §13.2.2:
 *   1. If-Match (strong comparison): 412 when false; else If-Unmodified-Since: 412 when the
 *      file changed after the date;
 *   2. If-None-Match (weak comparison): 304 when false; else If-Modified-Since (GET and HEAD):
 *      304 when the file has not changed since the date;
 *   3. Range, for GET only, after If-Range: 206, 416, or the whole file (200).
 *
 * Range policy, as nginx has it: a set of ranges whose lengths add up to more than the file is
 * answered 200 with the whole file (RFC 9110 §14.2: a server "MAY ignore or reject a Range header
 * field that contains ... a ranges-specifier with more than two overlapping ranges"), so that a
 * response is never much larger than the file however many ranges are asked for. Ranges are
 * neither coalesced nor reordered: the parts follow the order of the request.
 */
import { randomBytes } from 'node:crypto';

/** The separator of multipart/byteranges parts: random per process, unlikely in any file. */
export const BOUNDARY = `gauntlet-${randomBytes(8).toString('hex')}`;

/** A file's strong ETag and Last-Modified, from the stat the server already took. */
export interface Validators {
  etag: string;
  lastModified: string;
  /** Last-Modified in whole seconds since the epoch. */
  modifiedS: number;
  /** The field lines a 200 carries: ETag, Last-Modified, Accept-Ranges (each ending CRLF). */
  fields: string;
}

export function validatorsFor(size: number, mtimeNs: bigint, nowMs = Date.now()): Validators {
  // Size and modification time in microseconds, in hex (Apache's form): it changes whenever the
  // file is rewritten, so it is a strong validator for a static file. The microseconds come from
  // the exact nanoseconds: a float mtimeMs * 1000 is one off about a third of the time, and the
  // Python servers (st_mtime_ns // 1000) and the cases' If-Range would then disagree.
  const etag = `"${size.toString(16)}-${(mtimeNs / 1000n).toString(16)}"`;
  // "An origin server with a clock ... MUST NOT generate a Last-Modified date that is later than
  // the server's time of message origination" (RFC 9110 §8.8.2.1).
  const modifiedS = Math.min(Number(mtimeNs / 1_000_000_000n), Math.floor(nowMs / 1000));
  const lastModified = new Date(modifiedS * 1000).toUTCString();
  return {
    etag,
    lastModified,
    modifiedS,
    fields: `ETag: ${etag}\r\nLast-Modified: ${lastModified}\r\nAccept-Ranges: bytes\r\n`,
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP-date
// ---------------------------------------------------------------------------------------------

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// The three forms (RFC 9110 §5.6.7): "A recipient that parses a timestamp value in an HTTP
// field MUST accept all three HTTP-date formats."
const IMF = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

function timestamp(year: number, month: string, day: string, h: string, m: string, s: string): number | null {
  const mon = MONTHS.indexOf(month);
  const [d, hh, mm, ss] = [Number(day.trim()), Number(h), Number(m), Number(s)];
  const t = Date.UTC(year, mon, d, hh, mm, Math.min(ss, 59));
  // Date.UTC rolls 31 Feb over into March: such a date is not a date.
  if (new Date(t).getUTCDate() !== d || hh > 23 || mm > 59 || ss > 60) return null;
  return t / 1000;
}

/** Seconds since the epoch of an HTTP-date in any of its three forms, or null. */
export function parseHttpDate(raw: string, nowMs = Date.now()): number | null {
  const value = raw.trim();
  let m = IMF.exec(value);
  if (m) return timestamp(Number(m[3]), m[2]!, m[1]!, m[4]!, m[5]!, m[6]!);
  m = RFC850.exec(value);
  if (m) {
    // "Recipients of a timestamp value in rfc850-date format, which uses a two-digit year, MUST
    // interpret a timestamp that appears to be more than 50 years in the future as representing
    // the most recent year in the past that had the same last two digits."
    const thisYear = new Date(nowMs).getUTCFullYear();
    let year = thisYear - (thisYear % 100) + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    return timestamp(year, m[2]!, m[1]!, m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME.exec(value);
  if (m) return timestamp(Number(m[6]), m[1]!, m[2]!, m[3]!, m[4]!, m[5]!);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Entity tags and preconditions
// ---------------------------------------------------------------------------------------------

const ETAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

/** '*', the (weak, opaque-tag) pairs of a list, or null when the value is not that syntax. */
export function parseEtags(value: string): '*' | Array<{ weak: boolean; tag: string }> | null {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  const tags: Array<{ weak: boolean; tag: string }> = [];
  for (const raw of trimmed.split(',')) {
    const item = raw.trim();
    if (item === '') continue; // empty list elements are allowed (RFC 9110 §5.6.1)
    const m = ETAG.exec(item);
    if (!m) return null;
    tags.push({ weak: m[1] !== undefined, tag: m[2]! });
  }
  return tags.length > 0 ? tags : null;
}

function opaque(etag: string): string {
  return etag.slice(etag.indexOf('"') + 1, -1);
}

/** If-Match uses the strong comparison (RFC 9110 §13.1.1): a weak tag never matches. */
export function ifMatchPasses(value: string, etag: string): boolean {
  const tags = parseEtags(value);
  if (tags === '*') return true;
  if (tags === null) return false;
  const own = opaque(etag);
  return tags.some((t) => !t.weak && t.tag === own);
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2); '*' fails on an existing file. */
export function ifNoneMatchPasses(value: string, etag: string): boolean {
  const tags = parseEtags(value);
  if (tags === '*') return false;
  if (tags === null) return true;
  const own = opaque(etag);
  return !tags.some((t) => t.tag === own);
}

/** The request fields this module reads, lower-case names; repeated fields joined with ", ". */
export type ConditionalFields = Partial<
  Record<'if-match' | 'if-none-match' | 'if-modified-since' | 'if-unmodified-since' | 'if-range' | 'range', string>
>;

/**
 * The fields this module reads, or null when the request has none: the common request costs one
 * scan of its field names and no allocation.
 */
export function conditionalFields(headers: ReadonlyArray<[string, string]>): ConditionalFields | null {
  let found: Record<string, string> | null = null;
  for (const [name, value] of headers) {
    if (!(name.startsWith('if-') || name === 'range')) continue;
    found ??= {};
    const before = found[name];
    found[name] = before === undefined ? value : `${before}, ${value}`;
  }
  return found;
}

export type Precondition = 'ok' | 'not-modified' | 'failed';

/** 'ok', 'not-modified' (304) or 'failed' (412), in the order of RFC 9110 §13.2.2. */
export function preconditions(
  fields: ConditionalFields,
  method: string,
  v: Validators,
  nowMs = Date.now(),
): Precondition {
  const safe = method === 'GET' || method === 'HEAD';
  const ifMatch = fields['if-match'];
  if (ifMatch !== undefined) {
    if (!ifMatchPasses(ifMatch, v.etag)) return 'failed';
  } else if (fields['if-unmodified-since'] !== undefined) {
    // An invalid date (a list of dates included) is ignored (RFC 9110 §13.1.4).
    const t = parseHttpDate(fields['if-unmodified-since'], nowMs);
    if (t !== null && v.modifiedS > t) return 'failed';
  }
  const ifNoneMatch = fields['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (!ifNoneMatchPasses(ifNoneMatch, v.etag)) return safe ? 'not-modified' : 'failed';
  } else if (safe && fields['if-modified-since'] !== undefined) {
    // If-Modified-Since only without If-None-Match, and only for GET and HEAD (§13.1.3).
    const t = parseHttpDate(fields['if-modified-since'], nowMs);
    if (t !== null && v.modifiedS <= t) return 'not-modified';
  }
  return 'ok';
}

/**
 * RFC 9110 §13.1.5: an entity-tag by strong comparison, or a date equal to Last-Modified when
 * that date is a strong validator (at least a second before now).
 */
export function ifRangePasses(value: string, v: Validators, nowMs = Date.now()): boolean {
  const trimmed = value.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith('W/')) {
    const m = ETAG.exec(trimmed);
    return m !== null && m[1] === undefined && m[2] === opaque(v.etag);
  }
  const t = parseHttpDate(trimmed, nowMs);
  return t !== null && t === v.modifiedS && v.modifiedS < Math.floor(nowMs / 1000);
}

// ---------------------------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------------------------

/** One selected byte range, both ends inclusive. */
export interface ByteRange {
  first: number;
  last: number;
}

const BYTES = /^bytes=(.*)$/is;
const SPEC = /^(\d*)-(\d*)$/;

/** A decimal of any length as a number: digits past 2^53 only mean "beyond any file". */
function decimal(digits: string): number {
  return digits.length > 15 ? Number.MAX_SAFE_INTEGER : Number(digits);
}

/** One range-spec resolved against the size: a range, 'skip' (unsatisfiable) or 'invalid'. */
function resolveSpec(item: string, size: number): ByteRange | 'skip' | 'invalid' {
  const m = SPEC.exec(item);
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  const [first, last] = [m[1]!, m[2]!];
  if (first === '') {
    // suffix-range: the last N bytes, the whole file when it is shorter than N
    const n = decimal(last);
    return n === 0 ? 'skip' : { first: Math.max(0, size - n), last: size - 1 };
  }
  const start = decimal(first);
  // "An int-range is invalid if the last-pos value is present and less than the first-pos."
  if (last !== '' && decimal(last) < start) return 'invalid';
  if (start >= size) return 'skip';
  return { first: start, last: last === '' ? size - 1 : Math.min(decimal(last), size - 1) };
}

/**
 * The ranges a Range value selects, in the order given. null: ignore the field (another unit,
 * invalid syntax, or more bytes than the file); []: valid but unsatisfiable (416).
 */
export function parseRanges(value: string, size: number): ByteRange[] | null {
  // "An origin server MUST ignore a Range header field that contains a range unit it does not understand."
  const m = BYTES.exec(value.trim());
  if (!m) return null;
  const ranges: ByteRange[] = [];
  let total = 0;
  let seen = false;
  for (const raw of m[1]!.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    seen = true;
    const r = resolveSpec(item, size);
    if (r === 'invalid') return null;
    if (r === 'skip') continue;
    ranges.push(r);
    total += r.last - r.first + 1;
  }
  if (!seen || total > size) return null;
  return ranges;
}

/** null for a full response, [] for 416, or the ranges of a 206 (GET only). */
export function byteRangePlan(
  fields: ConditionalFields,
  method: string,
  v: Validators,
  size: number,
  nowMs = Date.now(),
): ByteRange[] | null {
  const value = fields.range;
  // "GET is the only method for which range handling is defined" (RFC 9110 §14.2).
  if (value === undefined || method !== 'GET' || size === 0) return null;
  const ifRange = fields['if-range'];
  if (ifRange !== undefined && !ifRangePasses(ifRange, v, nowMs)) return null;
  return parseRanges(value, size);
}

export function contentRange(r: ByteRange, size: number): string {
  return `Content-Range: bytes ${r.first}-${r.last}/${size}\r\n`;
}

/** The content of a multipart/byteranges response (RFC 9110 §14.6) and its Content-Type value. */
export function multipart(
  ranges: readonly ByteRange[],
  body: Buffer,
  contentType: string,
  size: number,
): { content: Buffer; contentType: string } {
  const pieces: Buffer[] = [];
  for (const r of ranges) {
    const partHead = `\r\n--${BOUNDARY}\r\nContent-Type: ${contentType}\r\n${contentRange(r, size)}\r\n`;
    pieces.push(Buffer.from(partHead, 'latin1'), body.subarray(r.first, r.last + 1));
  }
  pieces.push(Buffer.from(`\r\n--${BOUNDARY}--\r\n`, 'latin1'));
  return { content: Buffer.concat(pieces), contentType: `multipart/byteranges; boundary=${BOUNDARY}` };
}
