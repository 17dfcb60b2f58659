/**
 * What a request asks for and the bytes that answer it: files under the root (GET, HEAD),
 * POST /echo, OPTIONS, and the refusals (405 with Allow, 501).
 */
import { closeSync, readSync } from 'node:fs';
import { conditionalFields } from './conditional.ts';
import { fileVariant } from './file-replies.ts';
import { type FileEntry, StaticFiles } from './files.ts';
import type { RequestHead } from './parser.ts';
import { decodePath, targetPath } from './paths.ts';
import { ConnectionMode, ResponseBuilder, httpDate } from './responses.ts';

/** Methods this server knows; any other token is 501 (RFC 9110 §9.1: "An origin server that receives a request method that is unrecognized or not implemented SHOULD respond with the 501 (Not Implemented) status code"). */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'CONNECT',
  'TRACE',
  'OPTIONS',
]);
export const FILE_ALLOW = 'GET, HEAD, OPTIONS';
export const ECHO_ALLOW = 'POST, OPTIONS';
export const SERVER_ALLOW = 'GET, HEAD, POST, OPTIONS';
export const ECHO_PATH = '/echo';

/** Bytes read from disk per write when a file is too big to hold in memory. */
export const STREAM_CHUNK = 256 * 1024;

export type Plan =
  | { kind: 'file'; segments: string[]; trailingSlash: boolean }
  | { kind: 'echo' }
  | { kind: 'options' }
  | { kind: 'error'; status: number; allow?: string; detail?: string };

/** The rest of a file response, still to be read from disk and written. */
export interface FileStream {
  fd: number;
  position: number;
  remaining: number;
}

export interface Reply {
  data: Buffer;
  /**
   * Whether the connection must close after this reply: a parse or framing error always closes;
   * a routing error (404, 405, 501) on a request read whole leaves the next request's framing intact.
   */
  close: boolean;
  stream: FileStream | null;
}

/**
 * GAUNTLET_BURN_US: microseconds of CPU spent before answering each request (default 0). It
 * makes a known slowdown on demand, so that perf gates can be shown to catch one.
 */
const BURN_NS = BigInt(Math.round(Number(process.env.GAUNTLET_BURN_US ?? 0) * 1000) || 0);

/** Keeps the CPU busy for `ns` nanoseconds (a busy wait, not a sleep: a slower server, not an idle one). */
function burn(ns: bigint): void {
  const until = process.hrtime.bigint() + ns;
  while (process.hrtime.bigint() < until) {
    // spin
  }
}

const ECHO_FIELDS = 'Content-Type: application/octet-stream\r\n';

/**
 * The fields of a 200 for a file. Built only when a response is built: a small file's cached
 * response is sent without it, so the common request allocates no string here.
 */
function fileFields(entry: FileEntry): string {
  return `Content-Type: ${entry.contentType}\r\n${entry.validators.fields}`;
}
const OPTIONS_FIELDS = `Allow: ${SERVER_ALLOW}\r\n`;

export class RequestHandler {
  readonly files: StaticFiles;
  readonly responses: ResponseBuilder;

  /** Where whole responses kept in the file cache are allocated. */
  private readonly allocateCached: (size: number) => Buffer;

  constructor(root: string, serverName: string, options: { allocateCached?: (size: number) => Buffer } = {}) {
    this.files = new StaticFiles(root);
    this.responses = new ResponseBuilder(serverName);
    this.allocateCached = options.allocateCached ?? ((size) => Buffer.allocUnsafe(size));
  }

  /** Decides from the head alone, so that a refusal can be sent before a body is read. */
  route(head: RequestHead): Plan {
    const method = head.method;
    if (!KNOWN_METHODS.has(method)) return { kind: 'error', status: 501 };
    if (method === 'OPTIONS') return { kind: 'options' };
    const path = targetPath(head.target);
    if (path === null) return { kind: 'error', status: 405, allow: FILE_ALLOW };
    if (path === ECHO_PATH)
      return method === 'POST' ? { kind: 'echo' } : { kind: 'error', status: 405, allow: ECHO_ALLOW };
    if (method !== 'GET' && method !== 'HEAD') return { kind: 'error', status: 405, allow: FILE_ALLOW };
    const decoded = decodePath(path);
    if (!decoded.ok) return { kind: 'error', status: decoded.status, detail: decoded.reason };
    return { kind: 'file', segments: decoded.segments, trailingSlash: decoded.trailingSlash };
  }

  respond(head: RequestHead, plan: Plan, body: Buffer, keepAlive: boolean): Reply {
    if (BURN_NS > 0n) burn(BURN_NS);
    const mode = !keepAlive
      ? ConnectionMode.Close
      : head.minor === 0
        ? ConnectionMode.KeepAlive
        : ConnectionMode.Persistent;
    switch (plan.kind) {
      case 'file':
        return this.file(head, plan.segments, plan.trailingSlash, mode);
      case 'echo':
        return { data: this.responses.build(200, ECHO_FIELDS, body, mode), close: !keepAlive, stream: null };
      case 'options':
        return { data: this.responses.build(204, OPTIONS_FIELDS, null, mode), close: !keepAlive, stream: null };
      case 'error':
        return this.error(
          plan.status,
          { allow: plan.allow, detail: plan.detail, omitBody: head.method === 'HEAD' },
          mode,
        );
    }
  }

  error(
    status: number,
    options: { allow?: string | undefined; detail?: string | undefined; omitBody?: boolean } = {},
    mode: ConnectionMode = ConnectionMode.Close,
  ): Reply {
    const opts: { allow?: string; detail?: string; omitBody?: boolean } = {};
    if (options.allow !== undefined) opts.allow = options.allow;
    if (options.detail !== undefined) opts.detail = options.detail;
    if (options.omitBody !== undefined) opts.omitBody = options.omitBody;
    return { data: this.responses.error(status, opts, mode), close: mode === ConnectionMode.Close, stream: null };
  }

  private file(head: RequestHead, segments: string[], trailingSlash: boolean, mode: ConnectionMode): Reply {
    const found = this.files.lookup(segments, trailingSlash);
    const isHead = head.method === 'HEAD';
    if (!found.ok) return this.error(found.status, { omitBody: isHead }, mode);
    const entry = found.entry;
    const close = mode === ConnectionMode.Close;
    // Preconditions and Range only when the request has such a field: one scan of its names.
    const conditional = conditionalFields(head.headers);
    if (conditional !== null) {
      const variant = fileVariant(this.responses, entry, conditional, head.method, mode);
      if (variant?.kind === 'bytes') return { data: variant.data, close, stream: null };
      if (variant?.kind === 'stream') return this.stream(entry, variant.head, variant.first, variant.length, close);
    }
    if (entry.body !== null) {
      // Whole responses are kept per variant until the Date value changes: a repeated request
      // for a small file is then one lookup and one write of an existing Buffer.
      const date = httpDate();
      if (entry.responsesDate !== date) {
        entry.responses = [];
        entry.responsesDate = date;
      }
      const slot = (isHead ? 3 : 0) + mode;
      let data = entry.responses[slot];
      if (data === undefined) {
        data = this.responses.build(200, fileFields(entry), entry.body, mode, isHead, this.allocateCached);
        entry.responses[slot] = data;
      }
      return { data, close, stream: null };
    }
    if (isHead) {
      const headText = this.responses.head(200, fileFields(entry), entry.size, mode);
      return { data: Buffer.from(headText, 'latin1'), close, stream: null };
    }
    const opened = this.files.open(entry);
    if (opened === null) return this.error(404);
    const headText = this.responses.head(200, fileFields(entry), opened.size, mode);
    return this.stream(entry, headText, 0, opened.size, close, opened.fd);
  }

  /**
   * A file too big to hold, from `position` for `length` bytes: the head and the first piece
   * leave in one write; the connection streams the rest.
   */
  private stream(entry: FileEntry, headText: string, position: number, length: number, close: boolean, fd = -1): Reply {
    if (fd < 0) {
      const opened = this.files.open(entry);
      if (opened === null) return this.error(404);
      fd = opened.fd;
    }
    const first = Math.min(length, STREAM_CHUNK);
    const data = Buffer.allocUnsafe(headText.length + first);
    data.write(headText, 0, 'latin1');
    const stream: FileStream = { fd, position, remaining: length };
    let got: number;
    try {
      got = first > 0 ? readSync(fd, data, headText.length, first, position) : 0;
    } catch {
      closeSync(fd);
      return this.error(500);
    }
    stream.position += got;
    stream.remaining -= got;
    return { data: got === first ? data : data.subarray(0, headText.length + got), close, stream };
  }
}
