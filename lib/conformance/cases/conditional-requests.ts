/**
 * The group conditional-requests: validators (ETag, Last-Modified) and the preconditions of RFC
 * 9110 §13 on a static file: If-None-Match and If-Modified-Since (304), If-Match and
 * If-Unmodified-Since (412), their order of evaluation (§13.2.2), and what a 304 keeps.
 *
 * A case is one exchange, so a case cannot first ask for a file's validators and then send them.
 * What a real client sends is the validator of an earlier response; the cases stand in for it in
 * three ways:
 * - values that need no knowledge of the file: `If-None-Match: *`, an entity-tag no server
 *   makes, a date long past or far ahead, an invalid date;
 * - the Last-Modified of a fixture file, computed from its modification time when the cases are
 *   loaded (from fixtures/www, the default root); a server whose Last-Modified differs (another
 *   root, another clock rule) makes such a case n/a, never a pass;
 * - for entity-tags, which each server makes its own way, the tags the common static servers
 *   derive from the file's stat: nginx's `"<mtime s hex>-<size hex>"` and Apache's (and the
 *   reference servers') `"<size hex>-<mtime µs hex>"`. The request is a pipelined pair: a plain GET
 *   whose ETag shows afterwards whether the server's tag was among those sent, then the
 *   conditional GET; a server with a tag of another form makes the case n/a.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DOC_ROOT } from '../../paths.ts';
import { headerValue, headerValues } from '../response-parser.ts';
import type { CaseDefinition, NotApplicable, ParsedResponse } from '../types.ts';
import {
  afterPersistentFirst,
  CLIENT_ERROR,
  OK,
  bodyEqualsFile,
  file,
  get,
  getClose,
  hasHeader,
  inOrder,
  notApplicable,
  nothingAfterHead,
  onStatus,
  one,
  req,
  status,
  type Check,
  SEND_VALID,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

// ---------------------------------------------------------------------------
// The fixture's validators, as the common servers derive them
// ---------------------------------------------------------------------------

/** The file most cases ask for: small, text, in the default root. */
export const FILE = 'hello.txt';

interface FixtureStat {
  size: number;
  mtimeMs: number;
  mtimeNs: bigint;
}

/** The stat of a file of the default root; zeros when it is missing (the cases are then n/a). */
export function fixtureStat(name: string): FixtureStat {
  try {
    const path = join(DEFAULT_DOC_ROOT, name);
    const exact = statSync(path, { bigint: true });
    // mtimeMs as a plain stat gives it: a float with the sub-millisecond part, which a server
    // working from it (mtimeMs * 1000) may round one microsecond off the exact nanoseconds.
    // BigInt stats give whole milliseconds only, so each rounding is taken from its own stat.
    return { size: Number(exact.size), mtimeMs: statSync(path).mtimeMs, mtimeNs: exact.mtimeNs };
  } catch {
    return { size: 0, mtimeMs: 0, mtimeNs: 0n };
  }
}

/**
 * The opaque-tags the common static servers give a file: nginx's, then Apache's from the exact
 * nanoseconds, then the same from a float mtimeMs (one microsecond apart at times).
 */
export function etagCandidates(name: string): string[] {
  const st = fixtureStat(name);
  const size = st.size.toString(16);
  const tags = [
    `${Math.floor(st.mtimeMs / 1000).toString(16)}-${size}`,
    `${size}-${(st.mtimeNs / 1000n).toString(16)}`,
    `${size}-${Math.floor(st.mtimeMs * 1000).toString(16)}`,
  ];
  return [...new Set(tags)];
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** The Last-Modified of a fixture file in the three HTTP-date forms (RFC 9110 §5.6.7). */
export function lastModifiedOf(name: string): { imf: string; rfc850: string; asctime: string } {
  const d = new Date(Math.floor(fixtureStat(name).mtimeMs / 1000) * 1000);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const [day, mon, year] = [d.getUTCDate(), MONTHS[d.getUTCMonth()]!, d.getUTCFullYear()];
  const weekday = WEEKDAYS[d.getUTCDay()]!;
  return {
    imf: d.toUTCString(),
    rfc850: `${weekday}, ${pad(day)}-${mon}-${pad(year % 100)} ${time} GMT`,
    asctime: `${weekday.slice(0, 3)} ${mon} ${String(day).padStart(2, ' ')} ${time} ${year}`,
  };
}

/** The opaque-tag of an entity-tag (`W/"x"` and `"x"` both give `x`), or null when it is not one. */
export function opaqueTag(value: string | undefined): string | null {
  const m = value === undefined ? null : /^(?:W\/)?"([^"]*)"$/.exec(value.trim());
  return m ? m[1]! : null;
}

export const PAST = 'Sun, 06 Nov 1994 08:49:37 GMT';
export const FUTURE = 'Fri, 01 Jan 2100 00:00:00 GMT';
export const NO_SUCH_ETAG = '"gauntlet-no-such-etag"';

const CANDIDATES = etagCandidates(FILE);
const LAST_MODIFIED = lastModifiedOf(FILE);

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

/** The server's opaque-tag, from the first response of a pipelined pair, when it is one of `sent`. */
function etagSent(first: ParsedResponse | undefined, sent: readonly string[]): { own: string } | NotApplicable {
  const own = opaqueTag(first ? headerValue(first, 'etag') : undefined);
  if (own === null) return notApplicable('the file was served without an entity-tag: nothing to compare');
  if (!sent.includes(own))
    return notApplicable(`the server's entity-tag "${own}" is none of those the request carried`);
  return { own };
}

/** The statuses a case allows: one, or an inclusive range. */
type Wanted = number | readonly [number, number];

function isWanted(status: number, want: Wanted): boolean {
  return typeof want === 'number' ? status === want : status >= want[0] && status <= want[1];
}

/**
 * A pipelined pair: the plain GET learns the server's ETag, the second request carries `sent`
 * tags; when the server's is among them, the second response must have a status of `want`. An
 * HTTP/1.0 server that closes after the first never reads the second: n/a, not a failure of the
 * comparison (afterPersistentFirst).
 */
function pairWithEtag(sent: readonly string[], want: Wanted, why: string): Check {
  return afterPersistentFirst((ctx) => {
    const [first, second] = ctx.exchange.responses;
    const found = etagSent(first, sent);
    if (!('own' in found)) return found;
    const own = found.own;
    if (!second) return 'the conditional request after the plain GET was not answered';
    return isWanted(second.status, want)
      ? null
      : `the server's entity-tag "${own}" was sent, so ${why}; the answer was ${second.status}`;
  });
}

/** The 200 carries the whole file. */
const whole: Check = bodyEqualsFile(FILE);

/** The fields a 304 must keep when the 200 to the same request had them (RFC 9110 §15.4.5). */
const KEPT_BY_304 = ['etag', 'date', 'cache-control', 'expires', 'vary', 'content-location'];

/**
 * The second response (a 304) keeps what the first (the 200) had of KEPT_BY_304: the same value,
 * Date apart, which need only be there (its second may have turned). A field the 200 lacked is
 * not asked of the 304 ("if it would have been sent in a 200"), Date included: a server without a
 * clock sends none (RFC 9110 §6.6.1). What the 200 would have sent is known only from a 200, so
 * without one the case fails on its outcome (a plain GET of an existing file is answered 200)
 * and this check says why.
 */
export function keptFields(full: ParsedResponse, later: ParsedResponse, names: readonly string[]): string | null {
  for (const name of names) {
    const had = headerValues(full, name).join(', ');
    if (had === '') continue;
    const kept = headerValues(later, name).join(', ');
    if (name === 'date' ? kept !== '' : kept === had) continue;
    return `the 200 had ${name} "${had}" but the ${later.status} ${kept ? `has "${kept}"` : 'has none'}`;
  }
  return null;
}

const keepsFields: Check = afterPersistentFirst((ctx) => {
  const [full, notModified] = ctx.exchange.responses;
  if (full?.status !== 200) return 'the plain GET was not answered 200: there is no 200 to compare the 304 with';
  if (notModified?.status !== 304)
    return notApplicable(`If-None-Match: * was answered ${notModified?.status ?? 'not at all'}, not 304`);
  return keptFields(full, notModified, KEPT_BY_304);
});

/** The date validator sent was the server's own Last-Modified; otherwise the case is n/a. */
function sameLastModified(r: ParsedResponse | undefined, sent: string): ReturnType<Check> | undefined {
  const lm = r ? headerValue(r, 'last-modified') : undefined;
  if (lm === undefined) return notApplicable('the file was served without Last-Modified: nothing to compare');
  if (Date.parse(lm) !== Date.parse(sent))
    return notApplicable(`the server's Last-Modified "${lm}" is not the file's modification time "${sent}"`);
  return undefined;
}

/**
 * A pipelined pair of If-Modified-Since requests with the file's Last-Modified: IMF-fixdate
 * first, then `form`. A server that answers the first 304 must read the second alike.
 */
function sameDateOtherForm(form: string): Check {
  return (ctx) => {
    const [first, second] = ctx.exchange.responses;
    if (first?.status !== 304)
      return (
        sameLastModified(first, LAST_MODIFIED.imf) ??
        notApplicable(`the IMF-fixdate form was answered ${first?.status ?? 'not at all'}, not 304`)
      );
    if (!second) return 'the second request was not answered';
    return second.status === 304
      ? null
      : `"${form}" is the same date as the IMF-fixdate answered 304, but was answered ${second.status}: it was not read as a date`;
  };
}

// ---------------------------------------------------------------------------
// The RFC's sentences
// ---------------------------------------------------------------------------

const INM_MUST =
  'RFC 9110 §13.1.2: "An origin server that evaluates an If-None-Match condition MUST NOT perform the requested method if the condition evaluates to false; instead, the origin server MUST respond with either a) the 304 (Not Modified) status code if the request method is GET or HEAD or b) the 412 (Precondition Failed) status code for all other request methods."';
const INM_WEAK =
  'RFC 9110 §13.1.2: "A recipient MUST use the weak comparison function when comparing entity tags for If-None-Match (Section 8.8.3.2), since weak entity tags can be used for cache validation even if there have been changes to the representation data."';
const IF_MATCH_MUST =
  'RFC 9110 §13.1.1: "An origin server that evaluates an If-Match condition MUST NOT perform the requested method if the condition evaluates to false."';
const IF_MATCH_STRONG =
  'RFC 9110 §13.1.1: "An origin server MUST use the strong comparison function when comparing entity tags for If-Match (Section 8.8.3.2), since the client intends this precondition to prevent the method from being applied if there have been any changes to the representation data."';
const IUS_MUST =
  'RFC 9110 §13.1.4: "An origin server that evaluates an If-Unmodified-Since condition MUST NOT perform the requested method if the condition evaluates to false."';
const NOT_PERFORMED =
  'The same section goes on: "Instead, the origin server MAY indicate that the conditional request failed by responding with a 412 (Precondition Failed) status code. Alternatively, if the request is a state-changing operation that appears to have already been applied to the selected representation, the origin server MAY respond with a 2xx (Successful) status code". The MUST is only not to perform the method: 412 is a MAY, and the 2xx is for a state change already applied, which a GET is not, so any 4xx keeps the rule and a 2xx (the file) breaks it.';
const IUS_INVALID =
  'RFC 9110 §13.1.4: "A recipient MUST ignore the If-Unmodified-Since header field if the received field value is not a valid HTTP-date (including when the field value appears to be a list of dates)."';
const IMS_SHOULD =
  'RFC 9110 §13.1.3: "An origin server that evaluates an If-Modified-Since condition SHOULD NOT perform the requested method if the condition evaluates to false; instead, the origin server SHOULD generate a 304 (Not Modified) response". The condition is false when "the selected representation\'s last modification date is earlier or equal to the date provided in the field value".';
const IMS_INVALID =
  'RFC 9110 §13.1.3: "A recipient MUST ignore the If-Modified-Since header field if the received field value is not a valid HTTP-date, the field value has more than one member, or if the request method is neither GET nor HEAD."';
const ORDER_MUST =
  'RFC 9110 §13.2.2: "A recipient cache or origin server MUST evaluate the request preconditions defined by this specification in the following order": If-Match, else If-Unmodified-Since (412 when false); If-None-Match, else If-Modified-Since (304 when false); then If-Range and Range.';
const THREE_FORMS =
  'RFC 9110 §5.6.7: "A recipient that parses a timestamp value in an HTTP field MUST accept all three HTTP-date formats."';
const NOT_MODIFIED_NO_CONTENT =
  'RFC 9110 §15.4.5: "A 304 response is terminated by the end of the header section; it cannot contain content or trailers." RFC 9112 §6.3: a 304 "is always terminated by the first empty line after the header fields"; bytes after it are read as the next response.';

export const cases: CaseDefinition[] = [
  {
    id: 'conditional-requests-etag-sent',
    name: 'A file response carries an ETag',
    rfc: 'RFC 9110 §8.8.3.1',
    level: 'SHOULD',
    request: one(getClose(`/${FILE}`)),
    accept: OK,
    check: hasHeader('ETag'),
    notes:
      'RFC 9110 §8.8.3.1: "An origin server SHOULD send an ETag for any selected representation for which detection of changes can be reasonably and consistently determined".',
  },
  {
    id: 'conditional-requests-last-modified-sent',
    name: 'A file response carries a Last-Modified',
    rfc: 'RFC 9110 §8.8.2.1',
    level: 'SHOULD',
    request: one(getClose(`/${FILE}`)),
    accept: OK,
    check: hasHeader('Last-Modified'),
    notes:
      'RFC 9110 §8.8.2.1: "An origin server SHOULD send Last-Modified for any selected representation for which a last modification date can be reasonably and consistently determined".',
  },
  {
    id: 'conditional-requests-etag-syntax',
    name: 'The ETag is one entity-tag: an optional W/ and a quoted opaque-tag',
    rfc: 'RFC 9110 §8.8.3; RFC 9110 §2.2',
    level: 'MUST',
    request: one(getClose(`/${FILE}`)),
    accept: OK,
    check: ({ exchange }) => {
      const values = exchange.responses[0] ? headerValues(exchange.responses[0], 'etag') : [];
      if (values.length === 0) return notApplicable('the response has no ETag: nothing to check');
      if (values.length > 1) return `the response has ${values.length} ETag fields`;
      return /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/.test(values[0]!)
        ? null
        : `ETag "${values[0]}" is not an entity-tag (entity-tag = [ weak ] opaque-tag, opaque-tag = DQUOTE *etagc DQUOTE)`;
    },
    notes: `${SEND_VALID} ETag = entity-tag; entity-tag = [ weak ] opaque-tag; opaque-tag = DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3).`,
  },
  {
    id: 'conditional-requests-last-modified-imf-fixdate',
    name: 'Last-Modified is an IMF-fixdate',
    rfc: 'RFC 9110 §5.6.7',
    level: 'MUST',
    request: one(getClose(`/${FILE}`)),
    accept: OK,
    check: ({ exchange }) => {
      const lm = exchange.responses[0] ? headerValue(exchange.responses[0], 'last-modified') : undefined;
      if (lm === undefined) return notApplicable('the response has no Last-Modified: nothing to check');
      return /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(lm) &&
        !Number.isNaN(Date.parse(lm))
        ? null
        : `Last-Modified "${lm}" is not an IMF-fixdate like "Sun, 06 Nov 1994 08:49:37 GMT"`;
    },
    notes:
      'RFC 9110 §5.6.7: "When a sender generates a field that contains one or more timestamps defined as HTTP-date, the sender MUST generate those timestamps in the IMF-fixdate format."',
  },
  {
    id: 'conditional-requests-last-modified-not-after-date',
    name: 'Last-Modified is never later than the Date of the response',
    rfc: 'RFC 9110 §8.8.2.1',
    level: 'MUST',
    request: one(getClose(`/${FILE}`)),
    accept: OK,
    check: ({ exchange }) => {
      const r = exchange.responses[0];
      const lm = r ? headerValue(r, 'last-modified') : undefined;
      const date = r ? headerValue(r, 'date') : undefined;
      if (lm === undefined || date === undefined)
        return notApplicable('Last-Modified or Date is missing: nothing to compare');
      return Date.parse(lm) <= Date.parse(date) ? null : `Last-Modified "${lm}" is later than Date "${date}"`;
    },
    notes:
      'RFC 9110 §8.8.2.1: "An origin server with a clock (as defined in Section 5.6.7) MUST NOT generate a Last-Modified date that is later than the server\'s time of message origination (Date, Section 6.6.1)."',
  },
  {
    id: 'conditional-requests-inm-star-304',
    name: 'If-None-Match: * on an existing file is answered 304',
    rfc: 'RFC 9110 §13.1.2',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-None-Match': '*' })),
    // That the 304 carries no content is responses-304-no-content's requirement, judged on this same exchange.
    accept: [status(304)],
    notes: `${INM_MUST} "If the field value is "*", the condition is false if the origin server has a current representation for the target resource."`,
  },
  {
    id: 'conditional-requests-inm-star-head-304',
    name: 'HEAD with If-None-Match: * on an existing file is answered 304',
    rfc: 'RFC 9110 §13.1.2',
    level: 'MUST',
    request: one(req(`HEAD /${FILE} HTTP/1.1`, { Host: 'localhost', 'If-None-Match': '*', Connection: 'close' })),
    accept: [status(304)],
    check: nothingAfterHead,
    methods: ['HEAD'],
    notes: INM_MUST,
  },
  {
    id: 'conditional-requests-inm-list-match-304',
    name: "If-None-Match with a list holding the file's entity-tag is answered 304",
    rfc: 'RFC 9110 §13.1.2',
    level: 'MUST',
    request: one(
      get(`/${FILE}`) +
        getClose(`/${FILE}`, { 'If-None-Match': [NO_SUCH_ETAG, ...CANDIDATES.map((t) => `"${t}"`)].join(', ') }),
    ),
    accept: OK,
    check: pairWithEtag(CANDIDATES, 304, 'If-None-Match is false and the answer is 304'),
    notes: `${INM_MUST} "If the field value is a list of entity tags, the condition is false if one of the listed tags matches the entity tag of the selected representation." The list starts with a tag that matches nothing.`,
  },
  {
    id: 'conditional-requests-inm-weak-match-304',
    name: "If-None-Match with the file's entity-tag marked weak is answered 304 (weak comparison)",
    rfc: 'RFC 9110 §13.1.2; RFC 9110 §8.8.3.2',
    level: 'MUST',
    request: one(
      get(`/${FILE}`) + getClose(`/${FILE}`, { 'If-None-Match': CANDIDATES.map((t) => `W/"${t}"`).join(', ') }),
    ),
    accept: OK,
    check: pairWithEtag(CANDIDATES, 304, 'the weak comparison matches and the answer is 304'),
    notes: `${INM_WEAK} Weak comparison: "two entity tags are equivalent if their opaque-tags match character-by-character, regardless of either or both being tagged as "weak"."`,
  },
  {
    id: 'conditional-requests-inm-no-match-200',
    name: 'If-None-Match with a tag that matches nothing is answered 200 with the file',
    rfc: 'RFC 9110 §13.1.2',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-None-Match': `${NO_SUCH_ETAG}, W/"gauntlet-other"` })),
    accept: OK,
    check: whole,
    notes:
      'RFC 9110 §13.1.2: "When an origin server receives a request that selects a representation and that request includes an If-None-Match header field, the origin server MUST evaluate the If-None-Match condition per Section 13.2 prior to performing the method." Here the condition is true: the method is performed.',
  },
  {
    id: 'conditional-requests-inm-over-ims',
    name: 'If-Modified-Since is ignored when If-None-Match is present',
    rfc: 'RFC 9110 §13.1.3',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-None-Match': NO_SUCH_ETAG, 'If-Modified-Since': FUTURE })),
    accept: OK,
    check: whole,
    notes:
      'RFC 9110 §13.1.3: "A recipient MUST ignore If-Modified-Since if the request contains an If-None-Match header field; the condition in If-None-Match is considered to be a more accurate replacement for the condition in If-Modified-Since". If-None-Match is true here, If-Modified-Since (a date after any change) would be false.',
  },
  {
    id: 'conditional-requests-304-then-next-request',
    name: 'Nothing follows a 304: the next pipelined request is answered as itself',
    rfc: 'RFC 9110 §15.4.5',
    level: 'MUST',
    request: one(get(`/${FILE}`, { 'If-None-Match': '*' }) + getClose('/style.css')),
    accept: [status(304), status(200)],
    check: onStatus(304, inOrder([{ status: 304 }, file(200, 'style.css')], { all: true })),
    notes: `${NOT_MODIFIED_NO_CONTENT} ${SEND_VALID}`,
  },
  {
    id: 'conditional-requests-304-keeps-fields',
    name: 'A 304 carries the Date and the ETag (and Cache-Control, Expires, Vary, Content-Location) the 200 would have',
    rfc: 'RFC 9110 §15.4.5',
    level: 'MUST',
    request: one(get(`/${FILE}`) + getClose(`/${FILE}`, { 'If-None-Match': '*' })),
    accept: OK,
    check: keepsFields,
    notes:
      'RFC 9110 §15.4.5: "The server generating a 304 response MUST generate any of the following header fields that would have been sent in a 200 (OK) response to the same request: Content-Location, Date, ETag, and Vary; Cache-Control and Expires". The 200 comes first in the same exchange.',
  },
  {
    id: 'conditional-requests-304-content-length',
    name: 'A 304 carries no Content-Length, or the one the 200 has',
    rfc: 'RFC 9110 §8.6',
    level: 'MUST',
    request: one(get(`/${FILE}`) + getClose(`/${FILE}`, { 'If-None-Match': '*' })),
    accept: OK,
    check: (ctx) => {
      const [full, notModified] = ctx.exchange.responses;
      if (notModified?.status !== 304)
        return notApplicable(`If-None-Match: * was answered ${notModified?.status ?? 'not at all'}, not 304`);
      const cl = headerValue(notModified, 'content-length');
      const want = full ? headerValue(full, 'content-length') : undefined;
      return cl === undefined || cl.trim() === want?.trim()
        ? null
        : `the 304 says Content-Length ${cl}, the 200 said ${want ?? 'nothing'}`;
    },
    notes:
      'RFC 9110 §8.6: "A server MAY send a Content-Length header field in a 304 (Not Modified) response to a conditional GET request (Section 15.4.5); a server MUST NOT send Content-Length in such a response unless its field value equals the decimal number of octets that would have been sent in the content of a 200 (OK) response to the same request."',
  },
  {
    id: 'conditional-requests-304-no-content-type',
    name: 'A 304 does not repeat representation metadata such as Content-Type',
    rfc: 'RFC 9110 §15.4.5',
    level: 'SHOULD',
    request: one(getClose(`/${FILE}`, { 'If-None-Match': '*' })),
    accept: [status(304), status(200)],
    check: onStatus(304, ({ exchange }) => {
      const r = exchange.responses[0]!;
      const extra = ['content-type', 'content-encoding', 'content-language'].filter(
        (n) => headerValues(r, n).length > 0,
      );
      return extra.length === 0 ? null : `the 304 carries ${extra.join(', ')}`;
    }),
    notes:
      'RFC 9110 §15.4.5: "Since the goal of a 304 response is to minimize information transfer when the recipient already has one or more cached representations, a sender SHOULD NOT generate representation metadata other than the above listed fields unless said metadata exists for the purpose of guiding cache updates (e.g., Last-Modified might be useful if the response does not have an ETag field)."',
  },
  {
    id: 'conditional-requests-ims-future-304',
    name: 'If-Modified-Since with a date after any change is answered 304',
    rfc: 'RFC 9110 §13.1.3',
    level: 'SHOULD',
    request: one(getClose(`/${FILE}`, { 'If-Modified-Since': FUTURE })),
    accept: [status(304)],
    check: nothingAfterHead,
    notes: `${IMS_SHOULD} The date is in the future: RFC 9110 does not make such a date invalid (RFC 2616 did), it only makes the condition false. A server that honours only exact dates (nginx's default) answers 200.`,
  },
  {
    id: 'conditional-requests-ims-exact-304',
    name: "If-Modified-Since with the file's own Last-Modified is answered 304",
    rfc: 'RFC 9110 §13.1.3',
    level: 'SHOULD',
    request: one(getClose(`/${FILE}`, { 'If-Modified-Since': LAST_MODIFIED.imf })),
    accept: [status(304), status(200)],
    check: (ctx) => {
      const r = ctx.exchange.responses[0];
      if (r?.status === 304) return null;
      return (
        sameLastModified(r, LAST_MODIFIED.imf) ??
        'If-Modified-Since equals the Last-Modified of the file, yet the answer is 200'
      );
    },
    notes: `${IMS_SHOULD} The date is the file's modification time (the Last-Modified a cache would send back); n/a when the server's Last-Modified differs.`,
  },
  {
    id: 'conditional-requests-ims-past-200',
    name: 'If-Modified-Since with a date before the last change is answered 200 with the file',
    rfc: 'RFC 9110 §13.2.2',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-Modified-Since': PAST })),
    accept: OK,
    check: whole,
    notes: `${ORDER_MUST} The condition is true ("Otherwise, the condition is true", RFC 9110 §13.1.3), so the method is performed.`,
  },
  {
    id: 'conditional-requests-ims-invalid-ignored',
    name: 'An If-Modified-Since that is not a date is ignored',
    rfc: 'RFC 9110 §13.1.3',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-Modified-Since': 'tomorrow, surely' })),
    accept: OK,
    check: whole,
    notes: IMS_INVALID,
  },
  {
    id: 'conditional-requests-ims-list-ignored',
    name: 'An If-Modified-Since with two dates is ignored',
    rfc: 'RFC 9110 §13.1.3',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-Modified-Since': `${FUTURE}, ${FUTURE}` })),
    accept: OK,
    check: whole,
    notes: `${IMS_INVALID} A parser that reads the first date and stops answers 304.`,
  },
  {
    id: 'conditional-requests-ims-asctime',
    name: 'If-Modified-Since in the asctime form is read as the same date',
    rfc: 'RFC 9110 §5.6.7',
    level: 'MUST',
    request: one(
      get(`/${FILE}`, { 'If-Modified-Since': LAST_MODIFIED.imf }) +
        getClose(`/${FILE}`, { 'If-Modified-Since': LAST_MODIFIED.asctime }),
    ),
    accept: [status(304), status(200)],
    check: afterPersistentFirst(sameDateOtherForm(LAST_MODIFIED.asctime)),
    notes: `${THREE_FORMS} The same date as an IMF-fixdate, then as asctime-date ("Sun Nov  6 08:49:37 1994"); n/a when the first is not answered 304.`,
  },
  {
    id: 'conditional-requests-ims-rfc850',
    name: 'If-Modified-Since in the RFC 850 form is read as the same date',
    rfc: 'RFC 9110 §5.6.7',
    level: 'MUST',
    request: one(
      get(`/${FILE}`, { 'If-Modified-Since': LAST_MODIFIED.imf }) +
        getClose(`/${FILE}`, { 'If-Modified-Since': LAST_MODIFIED.rfc850 }),
    ),
    accept: [status(304), status(200)],
    check: afterPersistentFirst(sameDateOtherForm(LAST_MODIFIED.rfc850)),
    notes: `${THREE_FORMS} The same date as an IMF-fixdate, then as rfc850-date ("Sunday, 06-Nov-94 08:49:37 GMT"); n/a when the first is not answered 304.`,
  },
  {
    id: 'conditional-requests-if-match-mismatch-412',
    name: 'If-Match with a tag that matches nothing is not performed: a 4xx (412 the usual), never the file',
    rfc: 'RFC 9110 §13.1.1',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-Match': NO_SUCH_ETAG })),
    accept: [CLIENT_ERROR],
    notes: `${IF_MATCH_MUST} ${NOT_PERFORMED}`,
  },
  {
    id: 'conditional-requests-if-match-star-200',
    name: 'If-Match: * on an existing file is answered 200 with the file',
    rfc: 'RFC 9110 §13.1.1',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-Match': '*' })),
    accept: OK,
    check: whole,
    notes:
      'RFC 9110 §13.1.1: "When an origin server receives a request that selects a representation and that request includes an If-Match header field, the origin server MUST evaluate the If-Match condition per Section 13.2 prior to performing the method." "If the field value is "*", the condition is true if the origin server has a current representation for the target resource."',
  },
  {
    id: 'conditional-requests-if-match-list-200',
    name: "If-Match with a list holding the file's entity-tag is answered 200",
    rfc: 'RFC 9110 §13.1.1',
    level: 'MUST',
    request: one(
      get(`/${FILE}`) +
        getClose(`/${FILE}`, { 'If-Match': [NO_SUCH_ETAG, ...CANDIDATES.map((t) => `"${t}"`)].join(', ') }),
    ),
    accept: OK,
    check: pairWithEtag(CANDIDATES, 200, 'If-Match is true and the method is performed (200)'),
    notes: `${IF_MATCH_STRONG} "If the field value is a list of entity tags, the condition is true if any of the listed tags match the entity tag of the selected representation."`,
  },
  {
    id: 'conditional-requests-if-match-weak-412',
    name: "If-Match with the file's entity-tag marked weak is not performed (strong comparison): a 4xx, 412 the usual",
    rfc: 'RFC 9110 §13.1.1; RFC 9110 §8.8.3.2',
    level: 'MUST',
    request: one(get(`/${FILE}`) + getClose(`/${FILE}`, { 'If-Match': CANDIDATES.map((t) => `W/"${t}"`).join(', ') })),
    accept: OK,
    check: pairWithEtag(
      CANDIDATES,
      [400, 499],
      'a weak tag never matches by strong comparison and the GET is not performed (a 4xx)',
    ),
    notes: `${IF_MATCH_STRONG} Strong comparison: "two entity tags are equivalent if both are not weak and their opaque-tags match character-by-character." ${IF_MATCH_MUST} ${NOT_PERFORMED}`,
  },
  {
    id: 'conditional-requests-ius-past-412',
    name: 'If-Unmodified-Since with a date before the last change is not performed: a 4xx (412 the usual), never the file',
    rfc: 'RFC 9110 §13.1.4',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-Unmodified-Since': PAST })),
    accept: [CLIENT_ERROR],
    notes: `${IUS_MUST} ${NOT_PERFORMED} "If the selected representation's last modification date is earlier than or equal to the date provided in the field value, the condition is true. Otherwise, the condition is false."`,
  },
  {
    id: 'conditional-requests-ius-future-200',
    name: 'If-Unmodified-Since with a date after any change is answered 200 with the file',
    rfc: 'RFC 9110 §13.1.4',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-Unmodified-Since': FUTURE })),
    accept: OK,
    check: whole,
    notes:
      'RFC 9110 §13.1.4: "When an origin server receives a request that selects a representation and that request includes an If-Unmodified-Since header field without an If-Match header field, the origin server MUST evaluate the If-Unmodified-Since condition per Section 13.2 prior to performing the method." Here it is true.',
  },
  {
    id: 'conditional-requests-ius-invalid-ignored',
    name: 'An If-Unmodified-Since that is not a date is ignored',
    rfc: 'RFC 9110 §13.1.4',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-Unmodified-Since': 'not a date' })),
    accept: OK,
    check: whole,
    notes: IUS_INVALID,
  },
  {
    id: 'conditional-requests-if-match-over-ius',
    name: 'If-Unmodified-Since is ignored when If-Match is present',
    rfc: 'RFC 9110 §13.1.4',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-Match': '*', 'If-Unmodified-Since': PAST })),
    accept: OK,
    check: whole,
    notes:
      'RFC 9110 §13.1.4: "A recipient MUST ignore If-Unmodified-Since if the request contains an If-Match header field; the condition in If-Match is considered to be a more accurate replacement for the condition in If-Unmodified-Since". If-Match: * is true here, If-Unmodified-Since alone would be false.',
  },
  {
    id: 'conditional-requests-if-match-before-inm',
    name: 'A false If-Match is answered 412 even when If-None-Match would give 304',
    rfc: 'RFC 9110 §13.2.2',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-Match': NO_SUCH_ETAG, 'If-None-Match': '*' })),
    accept: [status(412)],
    notes: ORDER_MUST,
  },
  {
    id: 'conditional-requests-inm-before-range',
    name: 'A false If-None-Match is answered 304 even with a Range',
    rfc: 'RFC 9110 §13.2.2; RFC 9110 §14.2',
    level: 'MUST',
    request: one(getClose(`/${FILE}`, { 'If-None-Match': '*', Range: 'bytes=0-4' })),
    accept: [status(304)],
    check: nothingAfterHead,
    notes: `${ORDER_MUST} RFC 9110 §14.2: "Range is ignored when a conditional GET would result in a 304 (Not Modified) response."`,
  },
  {
    id: 'conditional-requests-missing-file-ignores-preconditions',
    name: 'A missing file is answered 404 whatever its preconditions (If-Match: * is not a 412)',
    rfc: 'RFC 9110 §13.2.1',
    level: 'MUST',
    request: one(getClose('/gauntlet-no-such-file.txt', { 'If-Match': '*' })),
    accept: [CLIENT_ERROR],
    check: ({ exchange }) =>
      exchange.responses[0]?.status === 412
        ? 'the preconditions of a request for a missing file were evaluated (412): a 404 takes precedence'
        : null,
    notes:
      'RFC 9110 §13.2.1: "A server MUST ignore all received preconditions if its response to the same request without those conditions, prior to processing the request content, would have been a status code other than a 2xx (Successful) or 412 (Precondition Failed)."',
  },
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'conditional-requests-inm-list-match-304': ['CAP-ETAG-304'],
  'conditional-requests-ims-exact-304': ['CAP-LAST-MODIFIED-304'],
  'conditional-requests-304-keeps-fields': ['CAP-ETAG-IN-304'],
  'conditional-requests-inm-over-ims': ['CAP-INM-PRECEDENCE'],
  'conditional-requests-inm-star-304': ['CAP-INM-WILDCARD'],
  'conditional-requests-ims-invalid-ignored': ['CAP-IMS-INVALID'],
  'conditional-requests-inm-weak-match-304': ['CAP-ETAG-WEAK'],
});
