/**
 * A readable wire log of an exchange, for every result that did not pass: the bytes written and
 * received in order with their times, control bytes made visible (\r\n, \x00), big bodies
 * shortened, who closed the connection and when; and the commands that replay the case.
 */
import { dirname, join, relative } from 'node:path';
import { REFERENCE_SERVERS_DIR, SERVERS_DIR } from '../paths.ts';
import type { Exchange, ParsedResponse, RequestPart, WireEvent } from './types.ts';
import { partBytes } from './raw-client.ts';
import { statusText } from './response-parser.ts';

export interface WireLogOptions {
  /** Longest block shown whole, bytes; longer ones keep their start and end (default 2048). */
  maxBlockBytes?: number;
  /** Timeout of the case, for the line saying the client gave up (ms). */
  timeoutMs?: number;
}

/** One byte as the wire log shows it. */
function escapeByte(b: number): string {
  if (b === 0x0d) return '\\r';
  if (b === 0x0a) return '\\n';
  if (b === 0x09) return '\\t';
  if (b === 0x5c) return '\\\\';
  if (b >= 0x20 && b < 0x7f) return String.fromCharCode(b);
  return `\\x${b.toString(16).padStart(2, '0')}`;
}

/**
 * Bytes as escaped text on one string: every byte outside printable ASCII is an escape, and a
 * backslash is doubled, so the text maps back to the bytes without ambiguity.
 */
export function escapeBytes(bytes: Uint8Array): string {
  // Runs of printable bytes are cut out whole: a string built byte by byte costs a node per
  // byte until it is flattened, which for a MiB of response is hundreds of MB.
  const parts: string[] = [];
  let run = 0;
  const flush = (end: number) => {
    if (end > run) parts.push(Buffer.from(bytes.buffer, bytes.byteOffset + run, end - run).toString('latin1'));
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= 0x20 && b < 0x7f && b !== 0x5c) continue;
    flush(i);
    parts.push(escapeByte(b));
    run = i + 1;
  }
  flush(bytes.length);
  return parts.join('');
}

/** Escaped bytes cut into display lines: after each \n, and every `width` characters otherwise. */
export function escapedLines(bytes: Uint8Array, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const b of bytes) {
    const piece = escapeByte(b);
    if (line.length + piece.length > width) {
      lines.push(line);
      line = '';
    }
    line += piece;
    if (b === 0x0a) {
      lines.push(line);
      line = '';
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** A block's lines, keeping the start and the end of a block too long to show whole. */
function blockLines(bytes: Uint8Array, max: number): string[] {
  if (bytes.length <= max) return escapedLines(bytes);
  const headLen = Math.floor((max * 3) / 4);
  const tailLen = max - headLen;
  return [
    ...escapedLines(bytes.subarray(0, headLen)),
    `... ${bytes.length - headLen - tailLen} bytes not shown ...`,
    ...escapedLines(bytes.subarray(bytes.length - tailLen)),
  ];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function time(atMs: number): string {
  return `+${atMs < 10 ? atMs.toFixed(1) : Math.round(atMs)} ms`;
}

interface Block {
  atMs: number;
  direction: 'sent' | 'received';
  bytes: Uint8Array;
}

/** Writes as they were made (each its own block: fragmentation matters), reads merged while they follow one another. */
function blocks(ex: Exchange): Block[] {
  const events: WireEvent[] =
    ex.timeline && ex.timeline.length > 0
      ? ex.timeline
      : [
          ...(ex.sent.length ? [{ atMs: 0, direction: 'sent' as const, offset: 0, length: ex.sent.length }] : []),
          ...(ex.received.length
            ? [{ atMs: 0, direction: 'received' as const, offset: 0, length: ex.received.length }]
            : []),
        ];
  // Reads are merged as ranges first and cut out once: concatenating read by read would copy
  // a flood of small reads over and over.
  const ranges: Array<{ atMs: number; direction: 'sent' | 'received'; parts: Array<[number, number]> }> = [];
  for (const ev of events) {
    const last = ranges[ranges.length - 1];
    if (last && ev.direction === 'received' && last.direction === 'received')
      last.parts.push([ev.offset, ev.offset + ev.length]);
    else ranges.push({ atMs: ev.atMs, direction: ev.direction, parts: [[ev.offset, ev.offset + ev.length]] });
  }
  return ranges.map((r) => {
    const source = r.direction === 'sent' ? ex.sent : ex.received;
    const contiguous = r.parts.every(([start], i) => i === 0 || start === r.parts[i - 1]![1]);
    const bytes = contiguous
      ? source.subarray(r.parts[0]![0], r.parts[r.parts.length - 1]![1])
      : Buffer.concat(r.parts.map(([start, end]) => source.subarray(start, end)));
    return { atMs: r.atMs, direction: r.direction, bytes };
  });
}

function responseList(responses: readonly ParsedResponse[]): string {
  return responses
    .map(
      (r) => `${statusText(r)}${r.truncated ? ' (longer than the client keeps)' : r.incomplete ? ' (cut short)' : ''}`,
    )
    .join(', ');
}

/** How the exchange ended, as the last line of a wire log. */
function endLine(ex: Exchange, timeoutMs: number | undefined): string {
  if (ex.harnessError) return `harness error: ${ex.harnessError}`;
  if (ex.connectFailure) return `no connection: ${ex.connectFailure}`;
  if (ex.closedBy === 'client-limit')
    return `the client stopped reading: ${ex.limit?.message ?? 'a limit was reached'}`;
  const when = ex.closeAfterMs === null ? '' : ` after ${Math.round(ex.closeAfterMs)} ms`;
  if (ex.closedBy === 'server')
    return ex.reset ? `the connection was reset${when} (RST)` : `the server closed the connection${when} (FIN)`;
  if (ex.closedBy === 'client-timeout') {
    return `the client gave up after ${timeoutMs === undefined ? 'its time limit' : `${timeoutMs} ms`} of silence; the server had not closed the connection`;
  }
  return 'the client closed the connection after the expected responses; the server had not closed it';
}

/**
 * The wire log of an exchange:
 *
 *     connection to 127.0.0.1:40312
 *     +0.0 ms  > sent 18 bytes
 *                GET / HTTP/1.1\r\n
 *     +1.2 ms  < received 97 bytes
 *                HTTP/1.1 400 Bad Request\r\n
 *     ...
 *     the server closed the connection after 2 ms (FIN)
 */
export function renderWireLog(ex: Exchange, opts: WireLogOptions = {}): string {
  const max = opts.maxBlockBytes ?? 2048;
  const lines: string[] = [];
  if (ex.peer) lines.push(`connection to ${ex.peer.host}:${ex.peer.port}`);
  for (const block of blocks(ex)) {
    const arrow = block.direction === 'sent' ? '> sent' : '< received';
    const stamp = time(block.atMs).padEnd(9);
    lines.push(`${stamp}${arrow} ${plural(block.bytes.length, 'byte')}`);
    for (const l of blockLines(block.bytes, max)) lines.push(`           ${l}`);
  }
  if (ex.truncated) {
    const { keptBytes, receivedBytes } = ex.truncated;
    lines.push(
      `... ${plural(receivedBytes - keptBytes, 'more byte')} received and counted, not kept: the client keeps the first ${keptBytes} (${receivedBytes} in all)`,
    );
  }
  if (ex.unsent)
    lines.push(`${plural(ex.unsent, 'byte')} of the request not sent: the server had closed the connection`);
  lines.push(endLine(ex, opts.timeoutMs));
  if (ex.limit && ex.closedBy !== 'client-limit') lines.push(`limit: ${ex.limit.message}`);
  if (!ex.harnessError && !ex.connectFailure) {
    const summary = [
      `${plural(ex.responses.length, 'response')}${ex.responses.length ? ` (${responseList(ex.responses)})` : ''}`,
    ];
    if (ex.interim.length)
      summary.push(`${plural(ex.interim.length, 'interim response')} (${responseList(ex.interim)})`);
    if (ex.trailingGarbage)
      summary.push(`${plural(ex.trailingGarbage, 'byte')} after them that do not parse as a response`);
    lines.push(summary.join('; '));
  }
  return lines.join('\n');
}

/** Quotes a word for sh, leaving safe words bare. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Bytes as a printf format inside single quotes: octal escapes for anything not printable. */
function printfFormat(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x5c) out += '\\\\';
    else if (b === 0x25) out += '%%';
    else if (b === 0x27) out += `'\\''`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\${b.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/** Above this many request bytes a printf line is no use; the gauntlet command replays it. */
const PRINTF_LIMIT = 16 * 1024;

/**
 * A shell line that sends the request parts, with their pauses, to a server listening on
 * $PORT, and shows the answer: `{ printf '...'; sleep 2; } | nc 127.0.0.1 "$PORT"`.
 * Null when the request is too big for a command line.
 */
export function printfReplay(parts: readonly RequestPart[], host = '127.0.0.1', waitS = 2): string | null {
  const all = parts.map(partBytes);
  if (all.reduce((n, b) => n + b.length, 0) > PRINTF_LIMIT) return null;
  const steps: string[] = [];
  for (const [i, bytes] of all.entries()) {
    const delay = parts[i]?.delayMs ?? 0;
    if (delay > 0) steps.push(`sleep ${Number((delay / 1000).toFixed(3))}`);
    steps.push(`printf '${printfFormat(bytes)}'`);
  }
  // The pause keeps nc's input open long enough for the answer to arrive.
  steps.push(`sleep ${waitS}`);
  return `{ ${steps.join('; ')}; } | nc ${host} "$PORT"`;
}

/** The command that runs one case against one server again: `npx gauntlet check --server NAME --case ID`. */
export function gauntletReplay(serverFlag: string, caseId: string): string {
  return `npx gauntlet check ${serverFlag} --case ${shellQuote(caseId)}`;
}

/** `--server NAME` for a server of servers/, `--server 'NAME=CMD'` for an ad-hoc one. */
export function serverFlagFor(spec: { name: string; command: string; source: string }): string {
  if (spec.source.startsWith('--server ')) {
    try {
      return `--server ${shellQuote(JSON.parse(spec.source.slice('--server '.length)) as string)}`;
    } catch {
      return `--server ${shellQuote(`${spec.name}=${spec.command}`)}`;
    }
  }
  // A manifest outside servers/ (the project's, or the package's own reference servers) is named
  // by its folder: its name alone would not resolve.
  const folder = dirname(spec.source);
  if (folder === join(SERVERS_DIR, spec.name) || folder === join(REFERENCE_SERVERS_DIR, spec.name))
    return `--server ${shellQuote(spec.name)}`;
  const rel = relative(process.cwd(), folder) || '.';
  return `--server ${shellQuote(rel.includes('/') ? rel : `./${rel}`)}`;
}
