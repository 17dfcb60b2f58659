/**
 * The group ranges: byte-range requests on a static file (RFC 9110 §14, §15.3.7, §15.5.17). One
 * range, open-ended and suffix ranges, several ranges (multipart/byteranges, every part's bytes
 * compared with the file under the root), 416 for what cannot be satisfied, what a server must
 * ignore (another unit, Range on HEAD or POST, a false If-Range), and many overlapping ranges,
 * which must not turn into a response many times the file.
 *
 * Range support is optional ("A server MAY ignore the Range header field", §14.2): a server that
 * answers 200 with the whole file makes the cases about 206 responses n/a, and only
 * ranges-supported says that it did not support them. The expected bytes are always read from
 * the file under the server's root, so the cases hold whatever the fixture holds. If-Range cases
 * send validators the way conditional-requests.ts explains (the Last-Modified of the fixture, or
 * an entity-tag in the reference servers' form), n/a when the server's own differs.
 */
import { headerValue } from '../response-parser.ts';
import type { CaseDefinition, CheckContext, NotApplicable, ParsedResponse } from '../types.ts';
import {
  ANY_STATUS,
  OK,
  afterPersistentFirst,
  all,
  bodyEqualsFile,
  file,
  framedResponses,
  get,
  getClose,
  hasEcho,
  hasHeader,
  inOrder,
  latin1,
  notApplicable,
  nothingAfterHead,
  onStatus,
  one,
  post,
  req,
  rootFile,
  status,
  whenStatus,
  type Check,
  SEND_VALID,
} from './helpers.ts';
import { NO_SUCH_ETAG, PAST, etagCandidates, keptFields, lastModifiedOf, opaqueTag } from './conditional-requests.ts';
import { attachPeers } from '../peers/attach.ts';

/** The file of the single-range cases: 34 bytes of CSS. */
const SMALL = 'style.css';
/** The file of the multipart cases: far-apart ranges, so that no server may merge them. */
const LARGE = 'large.bin';

const PARTIAL_OR_WHOLE = [status(206), status(200)];

/** Which bytes a range asks for, given the file's size: [first, last], both inclusive. */
type Want = (size: number) => [number, number];

function rangeRequest(path: string, range: string, fields: Record<string, string> = {}): string {
  return getClose(path, { Range: range, ...fields });
}

/** A single-part 206's Content-Range, parsed: null when it is not `bytes first-last/size`. */
function parseContentRange(value: string | undefined): { first: number; last: number; size: number } | null {
  const m = value === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+)$/.exec(value.trim());
  return m ? { first: Number(m[1]), last: Number(m[2]), size: Number(m[3]) } : null;
}

function isMultipart(r: ParsedResponse): boolean {
  return /^multipart\/byteranges\b/i.test(headerValue(r, 'content-type') ?? '');
}

/** A 206 with one part: its Content-Range names `want` of `name`, and its content is those bytes. */
function singlePart(name: string, want: Want, what: 'content' | 'content-range'): Check {
  return onStatus(206, (ctx) => {
    const r = ctx.exchange.responses[0];
    if (!r) return 'no response came back';
    const data = rootFile(ctx, name);
    const [first, last] = want(data.length);
    const expected = `bytes ${first}-${last}/${data.length}`;
    if (isMultipart(r)) return 'one range was asked for, but the 206 is multipart/byteranges';
    if (what === 'content-range') {
      const cr = headerValue(r, 'content-range');
      return cr?.trim() === expected ? null : `Content-Range should be "${expected}" but was "${cr ?? ''}"`;
    }
    const framing = framedResponses(ctx);
    if (framing) return framing;
    const slice = data.subarray(first, last + 1);
    if (Buffer.from(r.body).equals(slice)) return null;
    return `the content should be bytes ${first}-${last} of ${name} (${slice.length} bytes) but was ${r.body.length} other bytes: ${JSON.stringify(latin1(r.body.subarray(0, 40)))}`;
  });
}

/** Both: the Content-Range and the bytes. */
function partOf(name: string, want: Want): Check {
  return all(singlePart(name, want, 'content-range'), singlePart(name, want, 'content'));
}

interface Part {
  contentType: string | undefined;
  contentRange: string | undefined;
  data: Buffer;
}

/** The boundary parameter of a multipart Content-Type (quoted or not), or null. */
function boundaryOf(contentType: string): string | null {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

/** The parts of a multipart body (RFC 2046 §5.1.1), or a sentence saying where it breaks. */
export function parseMultipart(body: Buffer, boundary: string): Part[] | string {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const between = Buffer.from(`\r\n--${boundary}`, 'latin1');
  let at = body.indexOf(delimiter);
  if (at < 0) return `the content has no "--${boundary}" delimiter`;
  const parts: Part[] = [];
  for (;;) {
    const after = at + delimiter.length;
    if (latin1(body.subarray(after, after + 2)) === '--') return parts;
    const lineEnd = body.indexOf('\r\n', after);
    const headEnd = lineEnd < 0 ? -1 : body.indexOf('\r\n\r\n', lineEnd);
    if (headEnd < 0) return `part ${parts.length + 1} has no end of its header section`;
    const next = body.indexOf(between, headEnd + 4);
    if (next < 0) return `part ${parts.length + 1} is not followed by a delimiter (no closing "--${boundary}--")`;
    const fields = latin1(body.subarray(lineEnd + 2, headEnd)).split('\r\n');
    const field = (name: string) =>
      fields
        .find((f) => f.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    parts.push({
      contentType: field('content-type'),
      contentRange: field('content-range'),
      data: body.subarray(headEnd + 4, next),
    });
    at = next + 2;
  }
}

/** The parts of a multipart 206 in `index`, or why they cannot be read; n/a for a single-part 206. */
function multipartParts(ctx: CheckContext, index = 0): Part[] | string | NotApplicable {
  const r = ctx.exchange.responses[index];
  if (r?.status !== 206)
    return notApplicable(`the server answered ${r?.status ?? 'nothing'}, not 206: nothing to check`);
  if (!isMultipart(r)) return notApplicable('the server sent one part (a subset of the ranges): no multipart to check');
  const boundary = boundaryOf(headerValue(r, 'content-type') ?? '');
  if (boundary === null) return 'the multipart/byteranges Content-Type has no boundary parameter';
  return parseMultipart(Buffer.from(r.body), boundary);
}

/** Every part of a multipart 206 of `name` is framed, has a Content-Range and the file's bytes there. */
function multipartOf(name: string, index = 0): Check {
  return (ctx) => {
    const parts = multipartParts(ctx, index);
    if (typeof parts === 'string' || !Array.isArray(parts)) return parts;
    const data = rootFile(ctx, name);
    for (const [i, p] of parts.entries()) {
      const cr = parseContentRange(p.contentRange);
      if (!cr) return `part ${i + 1} has no valid Content-Range ("${p.contentRange ?? ''}")`;
      if (cr.size !== data.length || cr.last >= data.length || cr.first > cr.last)
        return `part ${i + 1} says "${p.contentRange}", which is not a range of the ${data.length} bytes of ${name}`;
      if (!p.data.equals(data.subarray(cr.first, cr.last + 1)))
        return `part ${i + 1} (${p.contentRange}) does not hold those bytes of ${name} (${p.data.length} bytes came)`;
    }
    return parts.length > 0 ? framedResponses(ctx) : 'the multipart content has no part';
  };
}

/** A 206 anywhere is wrong: the Range had to be ignored. */
const never206: Check = ({ exchange }) =>
  exchange.responses[0]?.status === 206 ? 'the Range was applied (206) where it had to be ignored' : null;

// ---------------------------------------------------------------------------
// The RFC's sentences
// ---------------------------------------------------------------------------

const SINGLE_PART =
  'RFC 9110 §15.3.7.1: "If a single part is being transferred, the server generating the 206 response MUST generate a Content-Range header field, describing what range of the selected representation is enclosed, and a content consisting of the range."';
const MULTIPART =
  'RFC 9110 §15.3.7.2: "If multiple parts are being transferred, the server generating the 206 response MUST generate "multipart/byteranges" content, as defined in Section 14.6, and a Content-Type header field containing the "multipart/byteranges" media type and its required boundary parameter." "Within the header area of each body part in the multipart content, the server MUST generate a Content-Range header field corresponding to the range being enclosed in that body part."';
const UNSATISFIABLE =
  'RFC 9110 §14.2: "If all of the preconditions are true, the server supports the Range header field for the target resource, the received Range field-value contains a valid ranges-specifier, and either the range-unit is not supported for that target resource or the ranges-specifier is unsatisfiable with respect to the selected representation, the server SHOULD send a 416 (Range Not Satisfiable) response."';
const ONLY_GET =
  'RFC 9110 §14.2: "A server MUST ignore a Range header field received with a request method that is unrecognized or for which range handling is not defined. For this specification, GET is the only method for which range handling is defined."';
const IF_RANGE_FALSE =
  'RFC 9110 §13.1.5: "A recipient of an If-Range header field MUST ignore the Range header field if the If-Range condition evaluates to false. Otherwise, the recipient SHOULD process the Range header field as requested."';
const INVALID_MAY =
  'RFC 9110 §14.2: "A server that supports range requests MAY ignore or reject a Range header field that contains an invalid ranges-specifier (Section 14.1.1), a ranges-specifier with more than two overlapping ranges, or a set of many small ranges that are not listed in ascending order".';

/** Overlapping ranges of the whole file: 40 times "0-". */
const OVERLAPPING = `bytes=${Array.from({ length: 40 }, () => '0-').join(',')}`;
const REFERENCE_ETAG = etagCandidates(SMALL)[1]!;
const SMALL_MODIFIED = lastModifiedOf(SMALL).imf;

/** The fields a single-part 206 keeps from the 200 (RFC 9110 §15.3.7): Date present, the rest equal. */
const KEPT_BY_206 = [
  'date',
  'etag',
  'cache-control',
  'expires',
  'vary',
  'content-location',
  'content-type',
  'last-modified',
];

/**
 * A pipelined 200 then 206 of SMALL: the 206 has what the 200 had of KEPT_BY_206 ("if the field
 * would have been sent in a 200"; a Date only when the 200 had one). Without a 200 there is
 * nothing to compare with, and the case fails on its outcome (keptFields says why).
 */
const keepsFields: Check = afterPersistentFirst(({ exchange }) => {
  const [full, partial] = exchange.responses;
  if (full?.status !== 200) return 'the plain GET was not answered 200: there is no 200 to compare the 206 with';
  if (partial?.status !== 206)
    return notApplicable(`the range request was answered ${partial?.status ?? 'not at all'}, not 206`);
  return keptFields(full, partial, KEPT_BY_206);
});

/**
 * A pipelined pair: bytes=0-9 of SMALL, then `range`. UNSATISFIABLE binds a server that "supports
 * the Range header field for the target resource": the first answer says whether this one does
 * (206), and a 200 there (Range ignored, which §14.2 allows) makes the case n/a, not a warning.
 */
function whenRangeSupported(range: string): Pick<CaseDefinition, 'request' | 'accept' | 'check'> {
  return {
    request: one(get(`/${SMALL}`, { Range: 'bytes=0-9' }) + rangeRequest(`/${SMALL}`, range)),
    accept: PARTIAL_OR_WHOLE,
    check: afterPersistentFirst(({ exchange }) => {
      const [probe, second] = exchange.responses;
      if (probe?.status !== 206)
        return notApplicable(
          `bytes=0-9 was answered ${probe?.status ?? 'not at all'}, not 206: the server does not support Range for this file`,
        );
      if (!second) return `the request for ${range} after bytes=0-9 was not answered`;
      return second.status === 416
        ? null
        : `the server supports Range (bytes=0-9 was answered 206), yet ${range} was answered ${second.status}, not 416`;
    }),
  };
}

/** The server's validator differs from the one the If-Range sent: the case tested nothing. */
function ifRangeSent(kind: 'etag' | 'last-modified', sent: string): Check {
  return ({ exchange }) => {
    const r = exchange.responses[0];
    const own = r ? headerValue(r, kind) : undefined;
    const same =
      kind === 'etag' ? opaqueTag(own) === opaqueTag(sent) : own !== undefined && Date.parse(own) === Date.parse(sent);
    return same
      ? null
      : notApplicable(`the server's ${kind} is "${own ?? ''}", not the "${sent}" the If-Range carried`);
  };
}

export const cases: CaseDefinition[] = [
  {
    id: 'ranges-supported',
    name: 'A byte range of a file is answered 206',
    rfc: 'RFC 9110 §14.2',
    // "ought to" is no requirement keyword (RFC 2119): reported only.
    level: 'informational',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=0-9')),
    accept: [status(206)],
    notes:
      'RFC 9110 §14.2: "A server MAY ignore the Range header field. However, origin servers and intermediate caches ought to support byte ranges when possible, since they support efficient recovery from partially failed transfers and partial retrieval of large representations."',
  },
  {
    id: 'ranges-single-content',
    name: 'A 206 for bytes=0-9 carries exactly those 10 bytes, framed exactly',
    rfc: 'RFC 9110 §15.3.7.1',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=0-9')),
    accept: PARTIAL_OR_WHOLE,
    check: singlePart(SMALL, () => [0, 9], 'content'),
    notes: `${SINGLE_PART} "the byte positions specified are inclusive" (RFC 9110 §14.1.2): 0-9 is ten bytes.`,
  },
  {
    id: 'ranges-single-content-range',
    name: 'A 206 for bytes=0-9 says Content-Range: bytes 0-9/<size>',
    rfc: 'RFC 9110 §15.3.7.1; RFC 9110 §14.4',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=0-9')),
    accept: PARTIAL_OR_WHOLE,
    check: singlePart(SMALL, () => [0, 9], 'content-range'),
    notes: SINGLE_PART,
  },
  {
    id: 'ranges-single-not-multipart',
    name: 'One range is never answered with a multipart response',
    rfc: 'RFC 9110 §15.3.7.2',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=5-14')),
    accept: PARTIAL_OR_WHOLE,
    check: onStatus(206, ({ exchange }) =>
      isMultipart(exchange.responses[0]!) ? 'one range was asked for, but the 206 is multipart/byteranges' : null,
    ),
    notes:
      'RFC 9110 §15.3.7.2: "A server MUST NOT generate a multipart response to a request for a single range, since a client that does not request multiple parts might not support multipart responses."',
  },
  {
    id: 'ranges-single-byte',
    name: 'bytes=0-0 is the first byte alone',
    rfc: 'RFC 9110 §14.1.2; RFC 9110 §15.3.7.1',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=0-0')),
    accept: PARTIAL_OR_WHOLE,
    check: partOf(SMALL, () => [0, 0]),
    notes: `${SINGLE_PART} A range end taken as exclusive gives no byte here.`,
  },
  {
    id: 'ranges-last-byte',
    name: 'A range of the last byte alone is that byte',
    rfc: 'RFC 9110 §14.1.2; RFC 9110 §15.3.7.1',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=33-33')),
    accept: PARTIAL_OR_WHOLE,
    check: partOf(SMALL, (size) => [size - 1, size - 1]),
    notes: `${SINGLE_PART} The fixture has 34 bytes: offset 33 is its last.`,
  },
  {
    id: 'ranges-open-ended',
    name: 'bytes=10- is everything from offset 10 to the end',
    rfc: 'RFC 9110 §14.1.2; RFC 9110 §15.3.7.1',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=10-')),
    accept: PARTIAL_OR_WHOLE,
    check: partOf(SMALL, (size) => [10, size - 1]),
    notes: `${SINGLE_PART} RFC 9110 §14.1.2: "If the last-pos value is absent, or if the value is greater than or equal to the current length of the representation data, the byte range is interpreted as the remainder of the representation".`,
  },
  {
    id: 'ranges-last-pos-past-end',
    name: 'A range ending past the end of the file stops at its last byte',
    rfc: 'RFC 9110 §14.1.2; RFC 9110 §15.3.7.1',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=20-1000')),
    accept: PARTIAL_OR_WHOLE,
    check: partOf(SMALL, (size) => [20, size - 1]),
    notes: `${SINGLE_PART} RFC 9110 §14.1.2: the server "replaces the value of last-pos with a value that is one less than the current length of the selected representation".`,
  },
  {
    id: 'ranges-suffix',
    name: 'bytes=-5 is the last five bytes',
    rfc: 'RFC 9110 §14.1.2; RFC 9110 §15.3.7.1',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=-5')),
    accept: PARTIAL_OR_WHOLE,
    check: partOf(SMALL, (size) => [size - 5, size - 1]),
    notes: `${SINGLE_PART} RFC 9110 §14.1.2: "A client can refer to the last N bytes (N > 0) of the selected representation using a suffix-range."`,
  },
  {
    id: 'ranges-suffix-longer-than-file',
    name: 'A suffix longer than the file is the whole file',
    rfc: 'RFC 9110 §14.1.2; RFC 9110 §15.3.7.1',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=-1000')),
    accept: PARTIAL_OR_WHOLE,
    check: partOf(SMALL, (size) => [0, size - 1]),
    notes: `${SINGLE_PART} RFC 9110 §14.1.2: "If the selected representation is shorter than the specified suffix-length, the entire representation is used."`,
  },
  {
    id: 'ranges-large-file-middle',
    name: 'A range in the middle of a 256 KiB file holds the bytes at that offset',
    rfc: 'RFC 9110 §15.3.7.1',
    level: 'MUST',
    request: one(rangeRequest(`/${LARGE}`, 'bytes=100000-100999')),
    accept: PARTIAL_OR_WHOLE,
    check: partOf(LARGE, () => [100000, 100999]),
    timeoutMs: 4000,
    notes: SINGLE_PART,
  },
  {
    id: 'ranges-large-numerals',
    name: 'A last-pos of 25 digits does not overflow: the range is served to the end, ignored or refused',
    rfc: 'RFC 9110 §14.1.2',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=3-9999999999999999999999999')),
    accept: [status(206), status(200), status(416)],
    check: partOf(SMALL, (size) => [3, size - 1]),
    notes:
      'RFC 9110 §14.1.2: "Since there is no predefined limit to the length of content, recipients MUST anticipate potentially large decimal numerals and prevent parsing errors due to integer conversion overflows." A 206 must hold bytes 3 to the end ("If the last-pos value is ... greater than or equal to the current length of the representation data, the byte range is interpreted as the remainder of the representation"); a 416 (nginx refuses numbers it cannot hold) is no overflow, only a range left unserved.',
  },
  {
    id: 'ranges-huge-numeral',
    name: 'A last-pos of 5000 digits is answered like any position past the end: served to the end, ignored or refused',
    rfc: 'RFC 9110 §14.1.2',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, `bytes=3-${'9'.repeat(5000)}`)),
    accept: [status(206), status(200), status(416)],
    check: partOf(SMALL, (size) => [3, size - 1]),
    notes:
      'RFC 9110 §14.1.2: "Since there is no predefined limit to the length of content, recipients MUST anticipate potentially large decimal numerals and prevent parsing errors due to integer conversion overflows." A numeral longer than a general-purpose conversion takes (Python refuses more than 4300 digits) is where a parser that converts it whole throws instead of answering; the field line (about 5 KB) is within every common limit of a field.',
  },
  {
    id: 'ranges-multipart',
    name: 'Two ranges are answered multipart/byteranges, each part with its Content-Range and the bytes there',
    rfc: 'RFC 9110 §15.3.7.2; RFC 9110 §14.6',
    level: 'MUST',
    request: one(rangeRequest(`/${LARGE}`, 'bytes=0-99,200000-200099')),
    accept: PARTIAL_OR_WHOLE,
    check: multipartOf(LARGE),
    timeoutMs: 4000,
    notes: `${MULTIPART} The ranges are 200 KB apart, so that no server may merge them into one.`,
  },
  {
    id: 'ranges-multipart-no-content-range',
    name: 'A multipart 206 has no Content-Range in its own header section',
    rfc: 'RFC 9110 §15.3.7.2',
    level: 'MUST',
    request: one(rangeRequest(`/${LARGE}`, 'bytes=0-99,200000-200099')),
    accept: PARTIAL_OR_WHOLE,
    check: (ctx) => {
      const parts = multipartParts(ctx);
      if (!Array.isArray(parts)) return parts;
      const cr = headerValue(ctx.exchange.responses[0]!, 'content-range');
      return cr === undefined ? null : `the multipart 206 carries Content-Range "${cr}" in its header section`;
    },
    timeoutMs: 4000,
    notes:
      'RFC 9110 §15.3.7.2: "To avoid confusion with single-part responses, a server MUST NOT generate a Content-Range header field in the HTTP header section of a multiple part response (this field will be sent in each part instead)."',
  },
  {
    id: 'ranges-multipart-part-content-type',
    name: 'Each part of a multipart 206 carries the Content-Type the file has',
    rfc: 'RFC 9110 §15.3.7.2',
    level: 'SHOULD',
    request: one(
      req(`HEAD /${LARGE} HTTP/1.1`, { Host: 'localhost' }) + rangeRequest(`/${LARGE}`, 'bytes=0-99,200000-200099'),
    ),
    accept: OK,
    check: (ctx) => {
      const parts = multipartParts(ctx, 1);
      if (!Array.isArray(parts)) return parts;
      const type = headerValue(ctx.exchange.responses[0]!, 'content-type');
      if (type === undefined) return notApplicable('the HEAD response has no Content-Type to compare with');
      const wrong = parts.findIndex((p) => p.contentType !== type.trim());
      return wrong < 0
        ? null
        : `part ${wrong + 1} has Content-Type "${parts[wrong]!.contentType ?? ''}", the file "${type}"`;
    },
    methods: ['HEAD', 'GET'],
    timeoutMs: 4000,
    notes:
      'RFC 9110 §15.3.7.2: "If the selected representation would have had a Content-Type header field in a 200 (OK) response, the server SHOULD generate that same Content-Type header field in the header area of each body part."',
  },
  {
    id: 'ranges-multipart-order',
    name: 'The parts of a multipart 206 come in the order the ranges were asked for',
    rfc: 'RFC 9110 §15.3.7.2',
    level: 'SHOULD',
    request: one(rangeRequest(`/${LARGE}`, 'bytes=200000-200099,0-99')),
    accept: PARTIAL_OR_WHOLE,
    check: (ctx) => {
      const parts = multipartParts(ctx);
      if (!Array.isArray(parts)) return parts;
      const firsts = parts.map((p) => parseContentRange(p.contentRange)?.first);
      return firsts.length === 2 && firsts[0] === 200000 && firsts[1] === 0
        ? null
        : `the parts start at ${firsts.join(', ')}, not at 200000 then 0`;
    },
    timeoutMs: 4000,
    notes:
      'RFC 9110 §15.3.7.2: "A server that generates a multipart response SHOULD send the parts in the same order that the corresponding range-spec appeared in the received Range header field, excluding those ranges that were deemed unsatisfiable or that were coalesced into other ranges."',
  },
  {
    id: 'ranges-206-keeps-fields',
    name: 'A 206 carries the Date, ETag, Last-Modified and Content-Type the 200 has',
    rfc: 'RFC 9110 §15.3.7',
    level: 'MUST',
    request: one(get(`/${SMALL}`) + rangeRequest(`/${SMALL}`, 'bytes=0-9')),
    accept: OK,
    check: keepsFields,
    notes:
      'RFC 9110 §15.3.7: "A server that generates a 206 response MUST generate the following header fields, in addition to those required in the subsections below, if the field would have been sent in a 200 (OK) response to the same request: Date, Cache-Control, ETag, Expires, Content-Location, and Vary." And without If-Range, "a sender MUST generate all of the representation header fields that would have been sent in a 200 (OK) response to the same request."',
  },
  {
    id: 'ranges-unsatisfiable-416',
    name: 'A range that starts past the end of the file is answered 416 by a server that supports ranges',
    rfc: 'RFC 9110 §14.2; RFC 9110 §15.5.17',
    level: 'SHOULD',
    ...whenRangeSupported('bytes=1000-2000'),
    notes: `${UNSATISFIABLE} Whether the server supports Range for the file is asked first (bytes=0-9 on the same connection); n/a when it does not.`,
  },
  {
    id: 'ranges-first-pos-at-length-416',
    name: 'A range that starts at the length of the file (one past its last byte) is answered 416 by a server that supports ranges',
    rfc: 'RFC 9110 §14.1.2; RFC 9110 §14.2',
    level: 'SHOULD',
    ...whenRangeSupported('bytes=34-'),
    notes: `${UNSATISFIABLE} Whether the server supports Range for the file is asked first (bytes=0-9 on the same connection); n/a when it does not. RFC 9110 §14.1.2: an int-range is satisfiable only with "a first-pos that is less than the current length of the selected representation"; the fixture has 34 bytes.`,
  },
  {
    id: 'ranges-416-content-range',
    name: 'A 416 says Content-Range: bytes */<size>',
    rfc: 'RFC 9110 §15.5.17',
    level: 'SHOULD',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=1000-2000')),
    accept: [status(416), status(200)],
    check: onStatus(416, (ctx) => {
      const want = `bytes */${rootFile(ctx, SMALL).length}`;
      const cr = headerValue(ctx.exchange.responses[0]!, 'content-range');
      return cr?.trim() === want ? null : `the 416 should say Content-Range "${want}" but says "${cr ?? ''}"`;
    }),
    notes:
      'RFC 9110 §15.5.17: "A server that generates a 416 response to a byte-range request SHOULD generate a Content-Range header field specifying the current length of the selected representation (Section 14.4)."',
  },
  {
    id: 'ranges-416-framed',
    name: 'A 416 is framed exactly: the next pipelined request is answered as itself',
    rfc: 'RFC 9112 §6.2; RFC 9110 §2.2',
    level: 'MUST',
    request: one(get(`/${SMALL}`, { Range: 'bytes=1000-' }) + getClose('/hello.txt')),
    accept: [status(416), status(200)],
    check: onStatus(416, all(framedResponses, inOrder([{ status: 416 }, file(200, 'hello.txt')], { all: true }))),
    notes: SEND_VALID,
  },
  {
    id: 'ranges-unknown-unit-ignored',
    name: 'A Range in a unit other than bytes is ignored: 200 with the whole file',
    rfc: 'RFC 9110 §14.2',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'items=0-4')),
    accept: OK,
    check: bodyEqualsFile(SMALL),
    notes:
      'RFC 9110 §14.2: "An origin server MUST ignore a Range header field that contains a range unit it does not understand."',
  },
  {
    id: 'ranges-invalid-ignored',
    name: 'An invalid range (last-pos before first-pos) is ignored (200 with the whole file) or refused, never served',
    rfc: 'RFC 9110 §14.1.1; RFC 9110 §14.2',
    level: 'informational',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=9-2')),
    accept: [status(200), status(416), status(400)],
    check: whenStatus(200, 200, bodyEqualsFile(SMALL)),
    notes: `${INVALID_MAY} RFC 9110 §14.1.1: "An int-range is invalid if the last-pos value is present and less than the first-pos."`,
  },
  {
    id: 'ranges-post-ignored',
    name: 'Range on a POST is ignored (no 206)',
    rfc: 'RFC 9110 §14.2',
    level: 'MUST',
    request: one(post('/echo', '0123456789', { Range: 'bytes=0-1', Connection: 'close' })),
    accept: [ANY_STATUS],
    check: (ctx) => {
      const r = ctx.exchange.responses[0];
      if (!r) return 'no response came back';
      if (r.status === 206) return 'the Range of a POST was applied (206)';
      if (r.status < 200 || r.status > 299)
        return notApplicable(`POST /echo was answered ${r.status}: no content to judge`);
      return hasEcho(ctx) && latin1(r.body) !== '0123456789'
        ? `the echo should be the whole content "0123456789" but was ${JSON.stringify(latin1(r.body))}`
        : null;
    },
    wants: ['echo'],
    notes: ONLY_GET,
  },
  {
    id: 'ranges-head-ignored',
    name: 'Range on a HEAD is ignored: 200 with the Content-Length of the whole file',
    rfc: 'RFC 9110 §14.2',
    level: 'MUST',
    request: one(req(`HEAD /${SMALL} HTTP/1.1`, { Host: 'localhost', Range: 'bytes=0-9', Connection: 'close' })),
    accept: OK,
    check: (ctx) => {
      const r = ctx.exchange.responses[0];
      if (!r) return 'no response came back';
      const cl = headerValue(r, 'content-length');
      const size = rootFile(ctx, SMALL).length;
      return cl === undefined || Number(cl) === size
        ? null
        : `the HEAD says Content-Length ${cl}, the file has ${size} bytes`;
    },
    methods: ['HEAD'],
    notes: `${ONLY_GET} HEAD is answered as a GET without Range would be, without content.`,
  },
  {
    id: 'ranges-head-no-content',
    name: 'Nothing follows the head of a response to HEAD with a Range, whatever its status',
    rfc: 'RFC 9110 §9.3.2',
    level: 'MUST',
    request: one(req(`HEAD /${SMALL} HTTP/1.1`, { Host: 'localhost', Range: 'bytes=0-9', Connection: 'close' })),
    accept: [ANY_STATUS],
    check: nothingAfterHead,
    methods: ['HEAD'],
    notes:
      'RFC 9110 §9.3.2: "The HEAD method is identical to GET except that the server MUST NOT send content in the response." Checked on the raw bytes: a range handler that writes its part regardless of the method shows here.',
  },
  {
    id: 'ranges-overlapping-no-amplification',
    name: 'Forty overlapping ranges of the whole file do not bring forty copies of it',
    rfc: 'RFC 9110 §17.15; RFC 9110 §14.2',
    level: 'security',
    request: one(rangeRequest('/index.html', OVERLAPPING)),
    accept: [ANY_STATUS],
    check: (ctx) => {
      const r = ctx.exchange.responses[0];
      if (!r) return 'no response came back';
      const size = rootFile(ctx, 'index.html').length;
      const limit = 2 * size + 1024;
      const got = ctx.exchange.truncated?.receivedBytes ?? r.body.length;
      return got <= limit
        ? null
        : `the response content is ${got} bytes for a ${size}-byte file (over ${limit}): each overlapping range was sent again`;
    },
    notes: `RFC 9110 §17.15: "Unconstrained multiple range requests are susceptible to denial-of-service attacks because the effort required to request many overlapping ranges of the same data is tiny compared to the time, memory, and bandwidth consumed by attempting to serve the requested data in many parts." "Servers ought to ignore, coalesce, or reject egregious range requests, such as requests for more than two overlapping ranges". ${INVALID_MAY}`,
  },
  {
    id: 'ranges-accept-ranges',
    name: 'A file response advertises Accept-Ranges: bytes',
    rfc: 'RFC 9110 §14.3',
    level: 'informational',
    request: one(getClose(`/${SMALL}`)),
    accept: OK,
    check: hasHeader('Accept-Ranges'),
    notes:
      'RFC 9110 §14.3: "a server that supports byte-range requests can send the field Accept-Ranges: bytes to indicate that it supports byte range requests for that target resource". Optional, reported only.',
  },
  {
    id: 'ranges-if-range-etag-mismatch',
    name: 'A Range with an If-Range tag that matches nothing is answered 200 with the whole file',
    rfc: 'RFC 9110 §13.1.5',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=0-9', { 'If-Range': NO_SUCH_ETAG })),
    accept: OK,
    check: bodyEqualsFile(SMALL),
    notes: `${IF_RANGE_FALSE} "If the entity-tag validator provided exactly matches the ETag field value for the selected representation using the strong comparison function (Section 8.8.3.2), the condition is true. Otherwise, the condition is false."`,
  },
  {
    id: 'ranges-if-range-weak-etag',
    name: "A Range with If-Range: the file's entity-tag marked weak is answered 200 (strong comparison)",
    rfc: 'RFC 9110 §13.1.5',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=0-9', { 'If-Range': `W/"${REFERENCE_ETAG}"` })),
    accept: PARTIAL_OR_WHOLE,
    check: all(never206, ifRangeSent('etag', `"${REFERENCE_ETAG}"`), bodyEqualsFile(SMALL)),
    notes: `${IF_RANGE_FALSE} A weak tag never matches by strong comparison. The tag is the file's in the reference servers' form; n/a for a server whose tag differs.`,
  },
  {
    id: 'ranges-if-range-etag-match',
    name: "A Range with If-Range: the file's entity-tag is answered 206",
    rfc: 'RFC 9110 §13.1.5',
    level: 'SHOULD',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=0-9', { 'If-Range': `"${REFERENCE_ETAG}"` })),
    accept: PARTIAL_OR_WHOLE,
    check: all(ifRangeSent('etag', `"${REFERENCE_ETAG}"`), ({ exchange }) =>
      exchange.responses[0]?.status === 206 ? null : 'If-Range matches the file, yet the Range was ignored (200)',
    ),
    notes: `${IF_RANGE_FALSE} The tag is the file's in the reference servers' form; n/a for a server whose tag differs.`,
  },
  {
    id: 'ranges-if-range-date-mismatch',
    name: 'A Range with an If-Range date that is not Last-Modified is answered 200 with the whole file',
    rfc: 'RFC 9110 §13.1.5',
    level: 'MUST',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=0-9', { 'If-Range': PAST })),
    accept: OK,
    check: bodyEqualsFile(SMALL),
    notes: `${IF_RANGE_FALSE} "If the HTTP-date validator provided exactly matches the Last-Modified field value for the selected representation, the condition is true. Otherwise, the condition is false."`,
  },
  {
    id: 'ranges-if-range-date-match',
    name: "A Range with If-Range: the file's Last-Modified is answered 206",
    rfc: 'RFC 9110 §13.1.5',
    level: 'SHOULD',
    request: one(rangeRequest(`/${SMALL}`, 'bytes=0-9', { 'If-Range': SMALL_MODIFIED })),
    accept: PARTIAL_OR_WHOLE,
    check: all(ifRangeSent('last-modified', SMALL_MODIFIED), ({ exchange }) =>
      exchange.responses[0]?.status === 206
        ? null
        : 'If-Range is the Last-Modified of the file, yet the Range was ignored (200)',
    ),
    notes: `${IF_RANGE_FALSE} The date is the file's modification time; n/a for a server whose Last-Modified differs.`,
  },
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'ranges-post-ignored': ['COMP-RANGE-POST'],
  'ranges-overlapping-no-amplification': ['MAL-RANGE-OVERLAPPING'],
  'ranges-invalid-ignored': ['COMP-RANGE-INVALID'],
});
