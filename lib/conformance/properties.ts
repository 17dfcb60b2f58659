/**
 * Properties: requirements checked on generated requests rather than on hand-written ones.
 *
 * Each property pairs an arbitrary of lib/conformance/arbitraries/ with a check that runs
 * real exchanges against a server, and fast-check searches for a request that breaks it,
 * then shrinks that request to a small one. A property never throws: it returns a result
 * with a verdict, the seed, and for a failure the shrunk request with the wire log of its
 * exchanges and the command that replays it.
 *
 * One seed serves every property of a run: GAUNTLET_SEED, or a random one, always printed.
 * Runs are time-boxed (GAUNTLET_PROPERTY_TIME_MS of searching and GAUNTLET_SHRINK_TIME_MS of
 * shrinking per property and server) and counted (GAUNTLET_NUM_RUNS), so that every property
 * against every server stays a matter of seconds; GAUNTLET_PROPERTY_PATH replays the exact
 * counterexample a failure reported.
 */
import fc from 'fast-check';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { exchange, partBytes, unreachable, type ExchangeOptions } from './raw-client.ts';
import { contentLength, headerValues, statusText } from './response-parser.ts';
import { escapedLines, printfReplay, renderWireLog, shellQuote } from './wire-log.ts';
import type { Capability, Exchange, ParsedResponse, RequestPart } from './types.ts';
import { request, serializeRequest, hostValue, type WellFormedRequest } from './arbitraries/request.ts';
import { requestTarget, type RequestTarget } from './arbitraries/request-target.ts';
import { messageBody } from './arbitraries/message-body.ts';
import { method as methodArb } from './arbitraries/method.ts';
import { splitPoints, type SplitBytes } from './arbitraries/split-points.ts';
import { pathAttack, OUTSIDE_MARKER, type PathAttack } from './arbitraries/path-attack.ts';
import { mutation, type MutatedRequest } from './arbitraries/mutation.ts';

/** The server a property runs against. */
export interface PropertyTarget {
  host: string;
  port: number;
  /** The document root the server was started with. */
  root: string;
  capabilities: readonly Capability[] | readonly string[];
  /** The server's name, for replay commands (default host:port). */
  name?: string;
}

export type PropertyVerdict = 'pass' | 'fail' | 'skip';

export interface PropertyResult {
  id: string;
  name: string;
  rfc: string;
  verdict: PropertyVerdict;
  seed: number;
  /** Runs that passed before the verdict (for a failure: the run that found it, counted from 1). */
  numRuns: number;
  /** For a failure: what went wrong, the shrunk request, and the wire log of its exchanges. */
  counterexample?: string;
  /** The command that runs this property against this server again, with this seed. */
  replay: string;
  /** One sentence: what the server did wrong, or why the property was skipped. */
  reason?: string;
  /** fast-check's path to the shrunk counterexample (GAUNTLET_PROPERTY_PATH replays it). */
  path?: string;
  numShrinks?: number;
  /** The time box ended the search before numRuns runs. */
  interrupted?: boolean;
  durationMs: number;
}

/** How a property runs. */
export interface PropertySettings {
  seed: number;
  /** Most runs (values tried) per property and server. */
  numRuns: number;
  /** Time for searching, ms: no new value is tried after it unless a failure is being shrunk. */
  timeMs: number;
  /** Time for shrinking a failure, ms, counted from the failure. */
  shrinkTimeMs: number;
  /** Replays this counterexample path only (from a failure's report). */
  path?: string;
}

export const DEFAULT_NUM_RUNS = 40;
export const DEFAULT_PROPERTY_TIME_MS = 4_000;
export const DEFAULT_SHRINK_TIME_MS = 3_000;
/** A single run (one value, all its exchanges) that takes longer than this fails: the server hangs. */
export const RUN_LIMIT_MS = 15_000;

let chosenSeed: number | null = null;

function positiveEnv(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) <= 0) throw new Error(`${key} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/**
 * The seed of this run: GAUNTLET_SEED, or a random one chosen once per process. Printed the
 * first time it is asked for, so that any run, passing or not, can be repeated.
 */
export function runSeed(env: NodeJS.ProcessEnv = process.env): number {
  if (chosenSeed !== null) return chosenSeed;
  const raw = env.GAUNTLET_SEED?.trim();
  if (raw !== undefined && raw !== '') {
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new Error(`GAUNTLET_SEED must be a whole number, got ${JSON.stringify(raw)}`);
    chosenSeed = Number(raw);
  } else {
    chosenSeed = Math.floor(Math.random() * 0x7fffffff);
  }
  console.log(`fast-check seed: ${chosenSeed} (replay with GAUNTLET_SEED=${chosenSeed})`);
  return chosenSeed;
}

/** Settings from the environment: GAUNTLET_SEED, GAUNTLET_NUM_RUNS, GAUNTLET_PROPERTY_TIME_MS, GAUNTLET_SHRINK_TIME_MS, GAUNTLET_PROPERTY_PATH. */
export function propertySettings(env: NodeJS.ProcessEnv = process.env): PropertySettings {
  const settings: PropertySettings = {
    seed: runSeed(env),
    numRuns: positiveEnv(env, 'GAUNTLET_NUM_RUNS', DEFAULT_NUM_RUNS),
    timeMs: positiveEnv(env, 'GAUNTLET_PROPERTY_TIME_MS', DEFAULT_PROPERTY_TIME_MS),
    shrinkTimeMs: positiveEnv(env, 'GAUNTLET_SHRINK_TIME_MS', DEFAULT_SHRINK_TIME_MS),
  };
  const path = env.GAUNTLET_PROPERTY_PATH?.trim();
  if (path) {
    if (!/^\d+(:\d+)*$/.test(path)) throw new Error(`GAUNTLET_PROPERTY_PATH must look like 12:0:3, got ${JSON.stringify(path)}`);
    settings.path = path;
  }
  return settings;
}

// ---------------------------------------------------------------------------------------------
// Exchanges and what a failure shows of them
// ---------------------------------------------------------------------------------------------

interface Logged {
  label: string;
  exchange: Exchange;
  timeoutMs: number;
}

/**
 * The exchanges of one run, kept for the wire log of a failure. Each is bounded by its own
 * deadline, and all of them end when the run's time is up (`callOff`), so that a run that
 * outlasts RUN_LIMIT_MS leaves no connection behind.
 */
class Probe {
  readonly logged: Logged[] = [];
  /** The first exchange of the run could not even connect: the server was gone before this value was tried. */
  goneAtStart = false;
  private started = 0;
  private readonly calls = new AbortController();
  constructor(readonly target: PropertyTarget) {}

  /** Ends every exchange of the run still under way, and any started later. */
  callOff(): void {
    this.calls.abort();
  }

  get authority(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  async send(label: string, parts: readonly RequestPart[], opts: ExchangeOptions): Promise<Exchange> {
    const first = this.started++ === 0;
    const ex = await exchange(this.target.host, this.target.port, parts, { ...opts, signal: this.calls.signal });
    if (first && unreachable(ex)) this.goneAtStart = true;
    this.logged.push({ label, exchange: ex, timeoutMs: opts.timeoutMs });
    return ex;
  }
}

/** Longest wire log kept in a report, lines; a request written one byte at a time is mostly its writes. */
const MAX_LOG_LINES = 160;

function clipLines(text: string, max = MAX_LOG_LINES): string {
  const lines = text.split('\n');
  if (lines.length <= max) return text;
  const head = Math.floor(max * 0.7);
  const tail = max - head;
  return [...lines.slice(0, head), `... ${lines.length - head - tail} lines not shown ...`, ...lines.slice(lines.length - tail)].join('\n');
}

function wireLogs(logged: readonly Logged[]): string {
  return logged.map((l) => `--- ${l.label} ---\n${clipLines(renderWireLog(l.exchange, { timeoutMs: l.timeoutMs }))}`).join('\n');
}

/** Bytes as escaped lines, indented, shortened in the middle when long. */
function showBytes(bytes: Uint8Array, indent = '    ', max = 4096): string {
  const shown = bytes.length <= max ? bytes : Buffer.concat([bytes.subarray(0, (max * 3) / 4), bytes.subarray(bytes.length - max / 4)]);
  const lines = escapedLines(shown).map((l) => `${indent}${l}`);
  if (bytes.length > max) lines.splice(Math.ceil(lines.length * 0.75), 0, `${indent}... ${bytes.length - max} bytes not shown ...`);
  return lines.join('\n');
}

/** A request as a failure shows it: its bytes, how they were written, and a shell line sending them. */
function showRequest(title: string, parts: readonly RequestPart[]): string {
  const bytes = Buffer.concat(parts.map(partBytes));
  const out = [`${title} (${bytes.length} bytes${parts.length > 1 ? `, in ${parts.length} writes` : ''}):`, showBytes(bytes)];
  if (parts.length > 1) {
    let offset = 0;
    const writes = parts.map((p) => {
      const start = offset;
      offset += partBytes(p).length;
      return `${start}${p.delayMs ? `(+${p.delayMs}ms)` : ''}`;
    });
    out.push(`  writes start at offsets (pause before): ${writes.join(' ')}`);
  }
  const printf = printfReplay(parts);
  if (printf) out.push(`  send it by hand: ${printf}`);
  return out.join('\n');
}

function whole(bytes: Uint8Array): RequestPart[] {
  return [{ data: bytes }];
}

function observed(ex: Exchange): string {
  if (ex.harnessError) return `the harness could not reach the server: ${ex.harnessError}`;
  if (ex.connectFailure) return `no connection: ${ex.connectFailure}`;
  if (ex.limit) return `the client stopped reading: ${ex.limit.message}`;
  const rs = ex.responses.map((r) => `${statusText(r)}${r.incomplete ? ' (cut short)' : ''}`);
  const end =
    ex.closedBy === 'server'
      ? ex.reset
        ? 'the connection was reset'
        : 'the server closed the connection'
      : ex.closedBy === 'client-timeout'
        ? 'the server went silent'
        : 'the server kept the connection open';
  return `${rs.length === 0 ? 'no response' : rs.join(', ')}; ${end}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** Where two byte strings first differ, in words. */
function bytesDiffer(what: string, got: Uint8Array, want: Uint8Array): string {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  return `${what}: ${got.length} bytes where ${want.length} were expected, first difference at offset ${i}`;
}

/** The connection options of a response's Connection fields, lower-cased. */
function connectionOptions(r: Pick<ParsedResponse, 'headers'>): string[] {
  return headerValues(r, 'connection').flatMap((v) => v.split(',').map((t) => t.trim().toLowerCase()));
}

/** A response in the form results are compared in: status and body. */
function outcomeKey(ex: Exchange): string {
  const r = ex.responses[0];
  if (!r) return ex.closedBy === 'client-timeout' ? 'no response (silence)' : 'no response (closed)';
  return `${r.status} with a ${r.body.length}-byte body${r.incomplete ? ' (cut short)' : ''} ${Buffer.from(r.body).toString('base64')}`;
}

function outcomeText(ex: Exchange): string {
  const r = ex.responses[0];
  if (!r) return observed(ex);
  return `${statusText(r)} with a ${r.body.length}-byte body${r.incomplete ? ' (cut short)' : ''}`;
}

/**
 * What is wrong with the framing of the one response to a request, or null: RFC 9112 §6.3
 * and RFC 9110 §8.6 from the sender's side.
 */
function framingProblem(ex: Exchange, method: string, version: string): string | null {
  if (unreachable(ex)) return `could not exchange: ${unreachable(ex)}`;
  const n = ex.responses.length;
  if (n === 0) return `expected exactly one response, got ${observed(ex)}`;
  if (n > 1) return `expected exactly one response, got ${n}: ${observed(ex)}`;
  const r = ex.responses[0]!;
  if (ex.limit) return `the client stopped reading: ${ex.limit.message}`;
  if (r.incomplete) return `the response ${statusText(r)} was cut short: its ${r.framing} framing promised more bytes than arrived before ${ex.closedBy === 'server' ? 'the close' : 'the server went silent'}`;
  if (ex.trailingGarbage > 0) {
    const extra = ex.received.subarray(ex.received.length - ex.trailingGarbage, ex.received.length - ex.trailingGarbage + 60);
    return `${ex.trailingGarbage} bytes followed the response that belong to no response ("${escapedLines(extra).join('')}"): its framing did not delimit it`;
  }
  if (!/^1\.\d$/.test(r.version)) return `the response is HTTP/${r.version}, not HTTP/1.x`;
  // "Since HTTP/1.0 did not define any 1xx status codes, a server MUST NOT send a 1xx response to an HTTP/1.0 client." (RFC 9110 §15.2)
  if (version === 'HTTP/1.0' && ex.interim.length > 0) return `an HTTP/1.0 request got a ${statusText(ex.interim[0]!)} interim response`;
  const lengths = headerValues(r, 'content-length');
  const codings = headerValues(r, 'transfer-encoding');
  // "A sender MUST NOT send a Content-Length header field in any message that contains a Transfer-Encoding header field." (RFC 9112 §6.2)
  if (lengths.length > 0 && codings.length > 0) return `the response has both Content-Length (${lengths.join(', ')}) and Transfer-Encoding (${codings.join(', ')})`;
  // "A server MUST NOT send a response containing Transfer-Encoding unless the corresponding request indicates HTTP/1.1 (or later minor revisions)." (RFC 9112 §6.1)
  if (codings.length > 0 && version === 'HTTP/1.0') return `an HTTP/1.0 request got a response with Transfer-Encoding: ${codings.join(', ')}`;
  // "A server MUST NOT send a Content-Length header field in any response with a status code of 1xx (Informational) or 204 (No Content)." (RFC 9110 §8.6)
  if (r.status === 204 && lengths.length > 0) return `a 204 response carries Content-Length: ${lengths.join(', ')}`;
  if (lengths.length > 0) {
    const n = contentLength(lengths);
    if (n === null) return `the response's Content-Length is not one valid length: ${lengths.map((v) => JSON.stringify(v)).join(', ')}`;
    // A HEAD response states the length a GET would have had, over no body; 304 likewise.
    if (method !== 'HEAD' && r.status !== 304 && n !== r.body.length) return `Content-Length says ${n} but the body has ${r.body.length} bytes`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

/** How one property is made: an arbitrary per server, and a check of one value against it. */
interface PropertyDef<T> {
  id: string;
  name: string;
  rfc: string;
  needs?: Capability[];
  /** Why it matters, and the sentence of the RFC it rests on. */
  notes: string;
  arbitrary(target: PropertyTarget): fc.Arbitrary<T>;
  /** The value as a failure shows it (the request or requests). */
  show(value: T): string;
  /** Runs the exchanges for one value; null when the property holds for it, else what went wrong. */
  check(value: T, probe: Probe): Promise<string | null>;
}

/** A property ready to run against any server. */
export interface GauntletProperty {
  id: string;
  name: string;
  rfc: string;
  needs: Capability[];
  notes: string;
  run(target: PropertyTarget, settings?: PropertySettings): Promise<PropertyResult>;
}

/** Regular files under the root, as URL paths ("/" for a root with an index.html); what targets name when they should name something. */
export function knownFiles(root: string, maxFiles = 64): string[] {
  const files: string[] = [];
  const walk = (dir: string, prefix: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of entries) {
      if (files.length >= maxFiles) return;
      // Names that need encoding would make the equivalent spellings harder to get right; they are skipped.
      if (!/^[A-Za-z0-9._~-]+$/.test(name) || name === '.' || name === '..') continue;
      const full = join(dir, name);
      let st;
      try {
        st = statSync(full);
      } catch {
        continue;
      }
      if (st.isFile()) files.push(`${prefix}/${name}`);
      else if (st.isDirectory() && depth < 3) walk(full, `${prefix}/${name}`, depth + 1);
    }
  };
  walk(root, '', 0);
  if (files.includes('/index.html')) files.unshift('/');
  return files.length > 0 ? files : ['/'];
}

function filesOf(target: PropertyTarget): string[] {
  return knownFiles(target.root);
}

const FIXED_TARGET = (t: string): fc.Arbitrary<RequestTarget> => fc.constant({ target: t, path: t, query: null, names: null });

/** The exchange options for one request expected to get one response. */
function oneResponse(method: string, timeoutMs = 2_000): ExchangeOptions {
  return { timeoutMs, methods: [method], expectResponses: 1, settleMs: 25 };
}

function showWellFormed(r: WellFormedRequest, title = 'request'): string {
  return `${showRequest(title, whole(r.bytes))}\n  expected: ${r.method} ${r.path}${r.query === null ? '' : ` (query ${JSON.stringify(r.query)})`}, ${r.body.length}-byte body framed by ${r.framing}${r.keepAlive ? '' : ', connection to close after the response'}`;
}

const wellFormedResponse: PropertyDef<WellFormedRequest> = {
  id: 'prop-well-formed-response',
  name: 'Every well-formed request gets exactly one well-formed response whose framing is self-consistent',
  rfc: 'RFC 9112 §6.3, §9.6; RFC 9110 §8.6',
  notes:
    'Content-Length equals the body length, never both Content-Length and Transfer-Encoding ("A sender MUST NOT send a Content-Length header field in any message that contains a Transfer-Encoding header field", RFC 9112 §6.2), no bytes after the response, and a request saying close gets the connection closed ("A server that receives a "close" connection option MUST initiate closure of the connection ... after it sends the final response to the request that contained the "close" connection option", RFC 9112 §9.6).',
  arbitrary: (target) =>
    request({
      // GET and HEAD reach the files, where most of the framing is; other methods get errors.
      method: fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constantFrom('GET', 'HEAD'), weight: 3 }, { arbitrary: methodArb(), weight: 2 }),
      target: requestTarget({ files: filesOf(target), arbitraryShare: 0.3 }),
      versions: ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'],
      content: messageBody({ maxLength: 8 * 1024 }),
    }),
  show: (r) => showWellFormed(r),
  async check(r, probe) {
    // A request that keeps the connection open is answered and then the client waits a moment
    // for anything more; one that closes it is watched until the server closes.
    const opts: ExchangeOptions = r.keepAlive ? oneResponse(r.method) : { timeoutMs: 2_000, methods: [r.method] };
    const ex = await probe.send('the request', whole(r.bytes), opts);
    const problem = framingProblem(ex, r.method, r.version);
    if (problem) return problem;
    if (!r.keepAlive && ex.closedBy !== 'server') {
      return `the request ${r.version === 'HTTP/1.0' ? 'is HTTP/1.0 without keep-alive' : 'said Connection: close'} but the server kept the connection open ${opts.timeoutMs} ms after the response`;
    }
    return null;
  },
};

const fragmentationInvariance: PropertyDef<SplitBytes<WellFormedRequest>> = {
  id: 'prop-fragmentation-invariance',
  name: 'A request split at arbitrary points, down to one byte per write with pauses, gets the same status and body as sent whole',
  rfc: 'RFC 9112 §2.2',
  notes:
    'TCP delivers a byte stream, and "A recipient MUST parse an HTTP message as a sequence of octets" (RFC 9112 §2.2): where the segments happen to end carries no meaning. Parsers that assume a whole line, a whole head or a whole chunk-size line per read break here.',
  arbitrary: (target) =>
    splitPoints(
      request({
        target: requestTarget({ files: filesOf(target), arbitraryShare: 0.3 }),
        content: messageBody({ maxLength: 4 * 1024 }),
      }),
      { bytesOf: (r) => r.bytes, maxDelayMs: 5, delayBudgetMs: 120, everyByteUpTo: 256 },
    ),
  show: (s) => `${showWellFormed(s.input, 'request sent whole')}\n${showRequest('the same request split', s.parts)}`,
  async check(s, probe) {
    const method = s.input.method;
    const [ex1, ex2] = await Promise.all([probe.send('sent whole', whole(s.bytes), oneResponse(method)), probe.send('sent split', s.parts, oneResponse(method))]);
    if (unreachable(ex1)) return `could not exchange: ${unreachable(ex1)}`;
    if (unreachable(ex2)) return `could not exchange: ${unreachable(ex2)}`;
    if (outcomeKey(ex1) !== outcomeKey(ex2)) {
      return `sent whole it got ${outcomeText(ex1)}; split into ${s.parts.length} writes it got ${outcomeText(ex2)}`;
    }
    return null;
  },
};

const pipeliningOrder: PropertyDef<WellFormedRequest[]> = {
  id: 'prop-pipelining-order',
  name: 'N pipelined GET/HEAD requests in one write get N responses, in order, equal to sending them one at a time',
  rfc: 'RFC 9112 §9.3.2',
  notes:
    '"A server MAY process a sequence of pipelined requests in parallel if they all have safe methods, but it MUST send the corresponding responses in the same order that the requests were received." (RFC 9112 §9.3.2). Only a response announcing "Connection: close" may end the sequence early: "A server that sends a "close" connection option MUST initiate closure of the connection ... after it sends the response containing "close"" (RFC 9112 §9.6).',
  arbitrary: (target) =>
    fc.array(
      request({
        method: fc.constantFrom('GET', 'GET', 'HEAD'),
        target: requestTarget({ files: filesOf(target), arbitraryShare: 0.15 }),
        host: fc.constant(`${target.host}:${target.port}`),
        body: 'never',
        connection: false,
        maxExtraFields: 2,
      }),
      { minLength: 2, maxLength: 6 },
    ),
  show: (rs) =>
    `${rs.length} requests, pipelined in one write:\n${rs.map((r, i) => `  ${i + 1}. ${escapedLines(r.bytes).join('')}`).join('\n')}\n${showRequest('the pipelined write', whole(Buffer.concat(rs.map((r) => r.bytes))))}`,
  async check(rs, probe) {
    // One at a time: each on its own connection, all at once.
    const single = await Promise.all(rs.map((r, i) => probe.send(`request ${i + 1} alone`, whole(r.bytes), oneResponse(r.method))));
    const broken = single.find((ex) => unreachable(ex));
    if (broken) return `could not exchange: ${unreachable(broken)}`;
    // One at a time, a response that says close (or has none) ends what a pipeline can expect.
    let expected = rs.length;
    for (const [i, ex] of single.entries()) {
      const r = ex.responses[0];
      if (!r || connectionOptions(r).includes('close')) {
        expected = r ? i + 1 : i;
        break;
      }
    }
    const all = Buffer.concat(rs.map((r) => r.bytes));
    const piped = await probe.send('all pipelined', whole(all), {
      timeoutMs: 1_500,
      methods: rs.map((r) => r.method),
      expectResponses: expected,
      settleMs: 30,
    });
    if (unreachable(piped)) return `could not exchange: ${unreachable(piped)}`;
    for (let i = 0; i < Math.min(expected, piped.responses.length); i++) {
      const want = single[i]!;
      const got: Exchange = { ...piped, responses: [piped.responses[i]!] };
      if (outcomeKey(want) !== outcomeKey(got)) {
        return `response ${i + 1} of the pipeline is ${outcomeText(got)}, but request ${i + 1} alone got ${outcomeText(want)}${i > 0 ? ' (responses out of order or mixed up)' : ''}`;
      }
    }
    if (piped.responses.length !== expected) {
      return `${rs.length} pipelined requests got ${piped.responses.length} responses where ${expected} were expected (${observed(piped)})`;
    }
    if (piped.trailingGarbage > 0) return `${piped.trailingGarbage} bytes after the last pipelined response belong to no response`;
    return null;
  },
};

/** Two requests, the first to be held incomplete at `cut` (an offset inside its head) while the second is sent. */
interface IsolatedPair {
  held: WellFormedRequest;
  other: WellFormedRequest;
  /** Bytes of `held` sent before the pause: 1 up to the end of its request line or further, never its whole head. */
  cut: number;
}

/** The offset of the end of the head (after CRLF CRLF), or the length when none. */
function headLength(bytes: Uint8Array): number {
  const i = Buffer.from(bytes).indexOf('\r\n\r\n');
  return i < 0 ? bytes.length : i + 4;
}

/** How long the first connection holds its incomplete head, and when the second starts in it. */
const HOLD_MS = 250;
const OTHER_START_MS = 40;

const connectionIsolation: PropertyDef<IsolatedPair> = {
  id: 'prop-connection-isolation',
  name: 'A request is answered as if alone while another connection holds an incomplete request',
  rfc: 'RFC 9110 §3.3; RFC 9112 §2.2',
  notes:
    'Each connection carries its own byte stream: "HTTP is defined as a stateless protocol, meaning that each request message\'s semantics can be understood in isolation, and that the relationship between connections and messages on them has no impact on the interpretation of those messages" (RFC 9110 §3.3). A server that keeps one receive buffer, one parser or one "current request" for all its connections answers one client at a time correctly and mixes them up as soon as two overlap: here the first connection sends part of its head and pauses, the second sends a whole request, then the first finishes. Both must get what each gets alone. The overlap is made on purpose, so it does not depend on how busy the machine is.',
  arbitrary: (target) => {
    const one = request({
      method: fc.constantFrom('GET', 'GET', 'HEAD'),
      target: requestTarget({ files: filesOf(target), arbitraryShare: 0.1 }),
      host: fc.constant(`${target.host}:${target.port}`),
      body: 'never',
      connection: false,
      maxExtraFields: 2,
    });
    return fc
      .record({ held: one, other: one, at: fc.double({ min: 0, max: 1, noNaN: true }) })
      .map(({ held, other, at }) => ({ held, other, cut: 1 + Math.floor(at * (headLength(held.bytes) - 2)) }));
  },
  show: (v) =>
    `${showRequest(`connection 1: ${v.cut} bytes, then ${HOLD_MS} ms later the rest`, [
      { data: v.held.bytes.subarray(0, v.cut) },
      { data: v.held.bytes.subarray(v.cut), delayMs: HOLD_MS },
    ])}\n${showRequest(`connection 2, ${OTHER_START_MS} ms after connection 1 began`, whole(v.other.bytes))}`,
  async check(v, probe) {
    const heldParts: RequestPart[] = [{ data: v.held.bytes.subarray(0, v.cut) }, { data: v.held.bytes.subarray(v.cut), delayMs: HOLD_MS }];
    const first = probe.send('connection 1 (held incomplete)', heldParts, oneResponse(v.held.method, 2_000 + HOLD_MS));
    await new Promise((r) => setTimeout(r, OTHER_START_MS));
    const second = probe.send('connection 2 (while 1 is incomplete)', whole(v.other.bytes), oneResponse(v.other.method));
    const [exHeld, exOther] = await Promise.all([first, second]);
    const [aloneHeld, aloneOther] = await Promise.all([
      probe.send('request 1 alone', whole(v.held.bytes), oneResponse(v.held.method)),
      probe.send('request 2 alone', whole(v.other.bytes), oneResponse(v.other.method)),
    ]);
    for (const ex of [exHeld, exOther, aloneHeld, aloneOther]) if (unreachable(ex)) return `could not exchange: ${unreachable(ex)}`;
    if (outcomeKey(exOther) !== outcomeKey(aloneOther)) {
      return `request 2, sent while connection 1 held an incomplete head, got ${outcomeText(exOther)}; alone it gets ${outcomeText(aloneOther)}`;
    }
    if (outcomeKey(exHeld) !== outcomeKey(aloneHeld)) {
      return `request 1, completed after request 2 was answered on another connection, got ${outcomeText(exHeld)}; alone it gets ${outcomeText(aloneHeld)}`;
    }
    return null;
  },
};

/** Fields compared between HEAD and GET: all but Date, which may tick between the two. */
function comparableFields(r: ParsedResponse): string[] {
  return r.headers
    .filter(([n]) => n.toLowerCase() !== 'date')
    .map(([n, v]) => `${n.toLowerCase()}: ${v}`)
    .sort();
}

const headMatchesGet: PropertyDef<WellFormedRequest> = {
  id: 'prop-head-matches-get',
  name: "HEAD gets GET's status and header fields (Content-Length and Content-Type included, Date aside) and no body",
  rfc: 'RFC 9110 §9.3.2',
  notes:
    '"The HEAD method is identical to GET except that the server MUST NOT send content in the response." and "The server SHOULD send the same header fields in response to a HEAD request as it would have sent if the request method had been GET." (RFC 9110 §9.3.2). A HEAD response that carries a body desynchronises every later response on the connection.',
  arbitrary: (target) =>
    request({
      method: fc.constant('GET'),
      target: requestTarget({ files: filesOf(target), arbitraryShare: 0.3 }),
      host: fc.constant(`${target.host}:${target.port}`),
      body: 'never',
      connection: false,
    }),
  show: (r) => `${showWellFormed(r, 'GET request')}\n  the HEAD request is the same with HEAD for GET`,
  async check(r, probe) {
    const headLines = [`HEAD${r.lines[0]!.slice(r.method.length)}`, ...r.lines.slice(1)];
    const head = serializeRequest(headLines, new Uint8Array(0));
    const [get, hd] = await Promise.all([probe.send('GET', whole(r.bytes), oneResponse('GET')), probe.send('HEAD', whole(head), oneResponse('HEAD'))]);
    if (unreachable(get)) return `could not exchange: ${unreachable(get)}`;
    if (unreachable(hd)) return `could not exchange: ${unreachable(hd)}`;
    const g = get.responses[0];
    const h = hd.responses[0];
    if (!g) return `GET got ${observed(get)}`;
    if (!h) return `HEAD got ${observed(hd)} where GET got ${statusText(g)}`;
    if (hd.responses.length > 1 || hd.trailingGarbage > 0) {
      return `the HEAD response was followed by ${hd.trailingGarbage > 0 ? `${hd.trailingGarbage} more bytes` : 'another response'}: a body was sent`;
    }
    if (h.status !== g.status) return `HEAD got ${statusText(h)} where GET got ${statusText(g)}`;
    const gf = comparableFields(g);
    const hf = comparableFields(h);
    const missing = gf.filter((f) => !hf.includes(f));
    const extra = hf.filter((f) => !gf.includes(f));
    if (missing.length > 0 || extra.length > 0) {
      return `HEAD's header fields differ from GET's: ${[
        missing.length ? `GET has ${missing.map((f) => JSON.stringify(f)).join(', ')} that HEAD lacks` : '',
        extra.length ? `HEAD has ${extra.map((f) => JSON.stringify(f)).join(', ')} that GET lacks` : '',
      ]
        .filter(Boolean)
        .join('; ')}`;
    }
    return null;
  },
};

const echoRoundtrip: PropertyDef<WellFormedRequest> = {
  id: 'prop-echo-roundtrip',
  name: 'POST /echo answers exactly the bytes sent, for any body (0-64 KiB, binary) and any chunking (extensions, trailers)',
  rfc: 'RFC 9112 §6.2, §7.1',
  needs: ['echo'],
  notes:
    'The body a server reads must be the octets the client framed: "The chunked transfer coding wraps content in order to transfer it as a series of chunks, each with its own size indicator, followed by an OPTIONAL trailer section" (RFC 9112 §7.1); "A recipient MUST ignore unrecognized chunk extensions" (§7.1.1). Bodies include CRLFs, chunk-size lines and request lines, which a server must never read as framing.',
  arbitrary: (target) =>
    request({
      method: fc.constant('POST'),
      target: FIXED_TARGET('/echo'),
      host: fc.constant(`${target.host}:${target.port}`),
      body: 'always',
      content: messageBody({ maxLength: 64 * 1024 }),
      connection: false,
    }),
  show: (r) => showWellFormed(r),
  async check(r, probe) {
    const ex = await probe.send('POST /echo', whole(r.bytes), oneResponse('POST', 3_000));
    const problem = framingProblem(ex, 'POST', r.version);
    if (problem) return problem;
    const res = ex.responses[0]!;
    if (res.status !== 200) return `POST /echo got ${statusText(res)}, not 200`;
    if (!sameBytes(res.body, r.body)) return bytesDiffer('the echoed body differs from the one sent', res.body, r.body);
    return null;
  },
};

const noTraversal: PropertyDef<PathAttack> = {
  id: 'prop-no-traversal',
  name: 'No generated path reaches a file outside the document root',
  rfc: 'RFC 9110 §17.3; RFC 3986 §5.2.4',
  notes:
    '"an origin server needs to avoid accessing names that have a special significance to the system when mapping the target resource to files, folders, or directories" (RFC 9110 §17.3). Each target resolves to <root>/../outside-root.txt for a server that decodes too much or too often; the response must never be 200 and never contain that file.',
  arbitrary: (target) => pathAttack({ root: target.root }),
  show: (a) => `target ${JSON.stringify(a.target)} (tricks: ${a.techniques.join(', ')})`,
  async check(a, probe) {
    const bytes = Buffer.from(`GET ${a.target} HTTP/1.1\r\nHost: ${probe.authority}\r\nConnection: close\r\n\r\n`, 'latin1');
    const ex = await probe.send('GET', whole(bytes), { timeoutMs: 2_000, methods: ['GET'] });
    if (unreachable(ex)) return `could not exchange: ${unreachable(ex)}`;
    if (Buffer.from(ex.received).toString('latin1').includes(OUTSIDE_MARKER)) {
      return `the response contains ${OUTSIDE_MARKER}: the file outside the root was served`;
    }
    const r = ex.responses[0];
    if (r?.status === 200) return `a path that resolves outside the root got 200 (a ${r.body.length}-byte body)`;
    return null;
  },
};

/** How long the client waits on a mutated request before giving up on it, ms of silence. */
const MUTATED_SILENCE_MS = 500;
/** How long a fresh connection waits for its 200, ms. */
const ALIVE_TIMEOUT_MS = 3_000;

const mutationLiveness: PropertyDef<MutatedRequest> = {
  id: 'prop-mutation-liveness',
  name: 'Mutated requests never crash or hang the server: afterwards a fresh connection still gets 200 for GET /',
  rfc: 'RFC 9112 §2.2',
  notes:
    'A request with a stray CR, LF, NUL, SP or HTAB, a duplicated or missing line, or a body chunked against its framing is at worst an error: "the server SHOULD respond with a 400 (Bad Request) response and close the connection" (RFC 9112 §2.2). It must never take down the server or stall it for other clients.',
  arbitrary: (target) =>
    mutation(
      request({
        target: requestTarget({ files: filesOf(target), arbitraryShare: 0.3 }),
        host: fc.oneof({ withCrossShrink: true }, fc.constant(`${target.host}:${target.port}`), hostValue()),
        content: messageBody({ maxLength: 256 }),
      }),
      { maxMutations: 3 },
    ),
  show: (m) => `${showWellFormed(m.original, 'original request')}\n  mutations: ${m.applied.join('; ')}\n${showRequest('mutated request', whole(m.bytes))}`,
  async check(m, probe) {
    const alive = Buffer.from(`GET / HTTP/1.1\r\nHost: ${probe.authority}\r\nConnection: close\r\n\r\n`, 'latin1');
    const aliveOpts: ExchangeOptions = { timeoutMs: ALIVE_TIMEOUT_MS, methods: ['GET'], expectResponses: 1, settleMs: 0 };
    // A server already down or stalled says nothing about this request (an earlier one did it).
    const before = await probe.send('GET / first, to see the server well', whole(alive), aliveOpts);
    if (before.responses[0]?.status !== 200) {
      probe.goneAtStart = true;
      return `before the mutated request, GET / got ${observed(before)}`;
    }
    // Whatever the answer to the mutated request is, it is not judged: only that the server lives on.
    const mutated = await probe.send('mutated request', whole(m.bytes), { timeoutMs: MUTATED_SILENCE_MS, methods: [m.original.method], expectResponses: 1, settleMs: 20 });
    if (unreachable(mutated)) return `could not reach the server for the mutated request: ${unreachable(mutated)}`;
    const ex = await probe.send('then GET / on a fresh connection', whole(alive), aliveOpts);
    if (unreachable(ex)) return `after the mutated request the server stopped accepting connections: ${unreachable(ex)}`;
    const r = ex.responses[0];
    if (r?.status !== 200) return `after the mutated request, GET / on a fresh connection got ${observed(ex)} instead of 200`;
    return null;
  },
};

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/**
 * Time-boxes fast-check: no new value is tried once `searchMs` have passed without a failure,
 * and shrinking stops `shrinkMs` after the first failure. The check happens before each run,
 * never during one, so a run's exchanges always finish and its wire log is whole.
 */
function timeBox(searchMs: number, shrinkMs: number): fc.UniversalPlugin {
  return <Ts>() => {
    const started = performance.now();
    let failedAt: number | null = null;
    const plugin: fc.PluginInstance<Ts> = {
      decorateRun: (nestedRun) => (value) => {
        const now = performance.now();
        if ((failedAt === null && now - started >= searchMs) || (failedAt !== null && now - failedAt >= shrinkMs)) {
          return new fc.PreconditionFailure(true);
        }
        const out = nestedRun(value);
        const note = (o: Awaited<typeof out>) => {
          if (o !== null && !fc.PreconditionFailure.isFailure(o)) failedAt ??= performance.now();
          return o;
        };
        return out !== null && typeof (out as Promise<unknown>).then === 'function' ? (out as Promise<Awaited<typeof out>>).then(note) : note(out as Awaited<typeof out>);
      },
    };
    return plugin;
  };
}

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The command that runs a property against a server again. */
export function propertyReplay(serverName: string, id: string, seed: number, path?: string): string {
  const env = [`GAUNTLET_SEED=${seed}`, ...(path ? [`GAUNTLET_PROPERTY_PATH=${path}`] : [])].join(' ');
  return `${env} npx vitest run --project conformance spec/conformance/properties.test.ts -t ${shellQuote(`${serverName} ${id}`)}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function define<T>(def: PropertyDef<T>): GauntletProperty {
  return {
    id: def.id,
    name: def.name,
    rfc: def.rfc,
    needs: def.needs ?? [],
    notes: def.notes,
    run: (target, settings) => runDefinition(def, target, settings),
  };
}

async function runDefinition<T>(def: PropertyDef<T>, target: PropertyTarget, given?: PropertySettings): Promise<PropertyResult> {
  const started = performance.now();
  const serverName = target.name ?? `${target.host}:${target.port}`;
  const elapsed = () => Math.round(performance.now() - started);
  let settings: PropertySettings;
  try {
    settings = given ?? propertySettings();
  } catch (err) {
    return { id: def.id, name: def.name, rfc: def.rfc, verdict: 'fail', seed: 0, numRuns: 0, reason: errorText(err), replay: '', durationMs: elapsed() };
  }
  const base = { id: def.id, name: def.name, rfc: def.rfc, seed: settings.seed };
  const missing = (def.needs ?? []).filter((c) => !(target.capabilities as readonly string[]).includes(c));
  if (missing.length > 0) {
    return { ...base, verdict: 'skip', numRuns: 0, reason: `needs ${missing.join(', ')}, which ${serverName} does not declare`, replay: propertyReplay(serverName, def.id, settings.seed), durationMs: elapsed() };
  }

  // The evidence of the latest failing run: the shrunk counterexample is the last one to fail.
  let evidence: { shown: string; problem: string; logs: string } | null = null;
  let finished = false;
  // Once the server is gone, no later value tells anything about itself: such runs count as
  // passing, so that shrinking keeps the value that took the server down instead of replacing
  // it with whatever comes next.
  let gone: string | null = null;
  let reached = false;
  const property = fc.asyncProperty(def.arbitrary(target), async (value) => {
    const probe = new Probe(target);
    let problem: string | null;
    try {
      problem = await withDeadline(def.check(value, probe), RUN_LIMIT_MS, 'one run of the property');
    } catch (err) {
      problem = errorText(err);
    } finally {
      probe.callOff();
    }
    if (probe.goneAtStart) {
      gone ??= problem ?? 'unreachable';
      return true;
    }
    reached = true;
    if (problem !== null && !finished) {
      let shown: string;
      try {
        shown = def.show(value);
      } catch (err) {
        shown = `(the value could not be shown: ${errorText(err)})`;
      }
      evidence = { shown, problem, logs: wireLogs(probe.logged) };
    }
    return problem === null;
  });

  try {
    const details = await fc.check(property, {
      seed: settings.seed,
      numRuns: settings.numRuns,
      ...(settings.path ? { path: settings.path, endOnFailure: true } : {}),
      plugins: [
        timeBox(settings.timeMs, settings.shrinkTimeMs),
        // A backstop for the whole call, should a run outlast its own deadline.
        fc.interruptAfterTimeLimit(settings.timeMs + settings.shrinkTimeMs + RUN_LIMIT_MS + 5_000),
      ],
    });
    finished = true;
    const shrunk = evidence as { shown: string; problem: string; logs: string } | null;
    if (!details.failed && gone !== null) {
      const reason = reached
        ? `the server stopped answering during the property, after a run that passed (${gone}); the request that took it down was not identified`
        : `the server could not be reached at all (${gone})`;
      return { ...base, verdict: 'fail', numRuns: details.numRuns, reason, counterexample: reason, replay: propertyReplay(serverName, def.id, settings.seed), durationMs: elapsed() };
    }
    if (!details.failed) {
      return { ...base, verdict: 'pass', numRuns: details.numRuns, replay: propertyReplay(serverName, def.id, settings.seed), ...(details.interrupted ? { interrupted: true } : {}), durationMs: elapsed() };
    }
    const path = details.counterexamplePath ?? undefined;
    const problem = shrunk?.problem ?? (details.errorInstance ? errorText(details.errorInstance) : 'no run completed within the time box');
    const counterexample = shrunk
      ? [shrunk.shown, 'wire log:', shrunk.logs, `(fast-check: seed ${settings.seed}, path ${path ?? '-'}, failed at run ${details.numRuns}, ${details.numShrinks} shrinks)`].join('\n')
      : problem;
    return {
      ...base,
      verdict: 'fail',
      numRuns: details.numRuns,
      reason: problem,
      counterexample,
      replay: propertyReplay(serverName, def.id, settings.seed, path),
      ...(path ? { path } : {}),
      numShrinks: details.numShrinks,
      ...(details.interrupted ? { interrupted: true } : {}),
      durationMs: elapsed(),
    };
  } catch (err) {
    finished = true;
    return { ...base, verdict: 'fail', numRuns: 0, reason: `the property could not run: ${errorText(err)}`, replay: propertyReplay(serverName, def.id, settings.seed), durationMs: elapsed() };
  }
}

/** Every property, in a stable order. */
export const PROPERTIES: readonly GauntletProperty[] = [
  define(wellFormedResponse),
  define(fragmentationInvariance),
  define(pipeliningOrder),
  define(connectionIsolation),
  define(headMatchesGet),
  define(echoRoundtrip),
  define(noTraversal),
  define(mutationLiveness),
];

export function propertyById(id: string): GauntletProperty | undefined {
  return PROPERTIES.find((p) => p.id === id);
}

/**
 * Starts every property against one server, `concurrency` at a time, and returns each
 * property's result by id as soon as it is scheduled (await the ones you need).
 */
export function scheduleProperties(
  target: PropertyTarget,
  properties: readonly GauntletProperty[] = PROPERTIES,
  concurrency = 2,
  settings?: PropertySettings,
): Map<string, Promise<PropertyResult>> {
  const resolvers = new Map<string, (r: PropertyResult) => void>();
  const results = new Map<string, Promise<PropertyResult>>();
  for (const p of properties) results.set(p.id, new Promise((resolve) => resolvers.set(p.id, resolve)));
  const queue = [...properties];
  const worker = async () => {
    for (let p = queue.shift(); p; p = queue.shift()) resolvers.get(p.id)!(await p.run(target, settings));
  };
  for (let i = 0; i < Math.max(1, concurrency); i++) void worker();
  return results;
}

/** The message of a failed property: what went wrong, the seed, the shrunk request with its wire log, and the replay command. */
export function propertyFailureMessage(serverName: string, r: PropertyResult): string {
  return [
    `${serverName} ${r.id} (${r.rfc}): ${r.name}`,
    `${r.verdict}: ${r.reason ?? ''}`,
    `fast-check seed: ${r.seed} (replay with GAUNTLET_SEED=${r.seed})`,
    r.counterexample ?? '',
    `replay: ${r.replay}`,
  ]
    .filter(Boolean)
    .join('\n');
}
