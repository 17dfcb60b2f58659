/**
 * What the first response slot of an exchange held, whether a case accepts it, and the
 * sentences a verdict's reason is made of ("expected 400 or close; got 200 OK after 3 ms, then
 * the server closed the connection"). Reasons are read by people who were not watching the
 * wire, so each says what arrived, when, and how the connection ended.
 */
import type { Exchange, Outcome } from '../types.ts';
import { statusText } from '../response-parser.ts';

/** What the first response slot held. */
export type Observed =
  | { kind: 'status'; status: number }
  | { kind: 'close' }
  | { kind: 'timeout' }
  | { kind: 'http2-frame' }
  /** Bytes that are not a response, or a response cut short, or a client-side stop. */
  | { kind: 'other' };

/** HTTP/2 frame types a server sends first on a connection: its SETTINGS, or a GOAWAY refusing it (RFC 9113 §6.5, §6.8). */
const HTTP2_FIRST_FRAME_TYPES: ReadonlySet<number> = new Set([0x4, 0x7]);
const HTTP2_FRAME_HEADER_BYTES = 9;

/**
 * The bytes open with an HTTP/2 frame header (RFC 9113 §4.1: 24-bit length, type, flags, 31-bit
 * stream id) of a SETTINGS or GOAWAY frame, which belong to stream 0.
 */
export function startsWithHttp2Frame(bytes: Uint8Array): boolean {
  if (bytes.length < HTTP2_FRAME_HEADER_BYTES) return false;
  const type = bytes[3] ?? -1;
  const streamId =
    (((bytes[5] ?? 0) & 0x7f) << 24) | ((bytes[6] ?? 0) << 16) | ((bytes[7] ?? 0) << 8) | (bytes[8] ?? 0);
  return HTTP2_FIRST_FRAME_TYPES.has(type) && streamId === 0;
}

export function observedOutcome(ex: Exchange): Observed {
  const first = ex.responses[0];
  if (first) return { kind: 'status', status: first.status };
  if (ex.closedBy === 'client-limit') return { kind: 'other' };
  if (startsWithHttp2Frame(ex.received)) return { kind: 'http2-frame' };
  const nonResponseBytes = ex.received.length - ex.interim.reduce((n, r) => n + (r.end - r.start), 0);
  if (ex.closedBy === 'server' && nonResponseBytes === 0) return { kind: 'close' };
  if (ex.closedBy === 'client-timeout' && ex.received.length === 0) return { kind: 'timeout' };
  return { kind: 'other' };
}

export function outcomeMatches(outcome: Outcome, observed: Observed): boolean {
  switch (outcome.kind) {
    case 'status':
      return observed.kind === 'status' && observed.status >= outcome.min && observed.status <= outcome.max;
    case 'close':
      return observed.kind === 'close';
    case 'timeout':
      return observed.kind === 'timeout';
    case 'http2-frame':
      return observed.kind === 'http2-frame';
  }
}

/** "400", "4xx", "400-417" */
function describeRange(min: number, max: number): string {
  if (min === max) return String(min);
  if (min % 100 === 0 && max === min + 99) return `${min / 100}xx`;
  if (min % 100 === 0 && max % 100 === 99) return `${min / 100}xx-${(max - 99) / 100}xx`;
  return `${min}-${max}`;
}

/** "400, 4xx or close" */
export function describeAccepted(accept: readonly Outcome[], timeoutMs: number): string {
  const words = accept.map((o) => {
    if (o.kind === 'status') return describeRange(o.min, o.max);
    if (o.kind === 'close') return 'close';
    if (o.kind === 'http2-frame') return 'an HTTP/2 SETTINGS or GOAWAY frame';
    return `no answer for ${timeoutMs} ms`;
  });
  const unique = [...new Set(words)];
  if (unique.length <= 1) return unique[0] ?? 'nothing';
  return `${unique.slice(0, -1).join(', ')} or ${unique[unique.length - 1]}`;
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

/** When the first byte arrived, from the exchange's timeline. */
function firstByteMs(ex: Exchange): number | null {
  const ev = ex.timeline?.find((e) => e.direction === 'received');
  return ev ? ev.atMs : null;
}

/** How the connection ended, as the end of a sentence: "then the server closed the connection after 5 ms". */
export function describeEnd(ex: Exchange, timeoutMs: number): string {
  if (ex.closedBy === 'server') {
    const when = ex.closeAfterMs === null ? '' : ` after ${ms(ex.closeAfterMs)}`;
    return ex.reset ? `the connection was reset${when}` : `the server closed the connection${when}`;
  }
  if (ex.closedBy === 'client-timeout') return `connection left open (${timeoutMs} ms of silence)`;
  if (ex.closedBy === 'client-limit') return 'the client stopped reading';
  return 'connection left open';
}

/** Bytes that could still become a response: a prefix of "HTTP/", or "HTTP/" and a head not ended yet. */
function unfinishedHead(bytes: Uint8Array): boolean {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (text.length < 5) return text.length > 0 && 'HTTP/'.startsWith(text);
  return text.startsWith('HTTP/') && !text.includes('\r\n\r\n') && !text.includes('\n\n');
}

function printable(bytes: Uint8Array, max = 40): string {
  const text = Buffer.from(bytes.subarray(0, max)).toString('latin1');
  const escaped = text.replace(/[^\x20-\x7e]/g, (c) => {
    if (c === '\r') return '\\r';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return `"${escaped}${bytes.length > max ? '...' : ''}"`;
}

/** What the exchange showed, as "got ..." for a reason sentence. */
export function describeObserved(ex: Exchange, timeoutMs: number): string {
  if (ex.connectFailure) return `got no connection: ${ex.connectFailure}`;
  const end = describeEnd(ex, timeoutMs);
  const first = ex.responses[0];
  if (first) {
    const at = firstByteMs(ex);
    const more =
      ex.responses.length > 1
        ? ` (and ${ex.responses.length - 1} more response${ex.responses.length > 2 ? 's' : ''})`
        : '';
    const cut = first.truncated
      ? ` with a body longer than the ${ex.truncated?.keptBytes ?? 0} bytes the client keeps`
      : first.incomplete
        ? ' with its body cut short'
        : '';
    return `got ${statusText(first)}${at === null ? '' : ` after ${ms(at)}`}${cut}${more}, ${end}`;
  }
  if (ex.received.length === 0) {
    if (ex.closedBy === 'server') return `got no response; ${end}`;
    if (ex.closedBy === 'client-timeout') return `got nothing for ${timeoutMs} ms and the connection stayed open`;
    return `got nothing; ${end}`;
  }
  if (ex.limit?.kind === 'head-size') {
    return `got ${ex.truncated?.receivedBytes ?? ex.received.length} bytes (${printable(ex.received)}); ${end}`;
  }
  const interim = ex.interim.length > 0 ? `${ex.interim.map(statusText).join(', ')} but no final response` : '';
  const rest = ex.received.subarray(ex.received.length - ex.trailingGarbage);
  const what = unfinishedHead(rest) ? 'of a response whose head never ended' : 'that are not an HTTP response';
  const garbage = ex.trailingGarbage > 0 ? `${ex.trailingGarbage} bytes ${what} (${printable(rest)})` : '';
  return `got ${[interim, garbage].filter(Boolean).join(' and ')}; ${end}`;
}
