/**
 * Runs conformance cases against a running server and decides each verdict.
 *
 * A case's first response slot is matched against its accepted outcomes (a status range, a
 * close, a timeout); its own check then reads the exchange; a liveness probe on a fresh
 * connection follows when the case asks for one. A miss fails a MUST case, warns for a SHOULD
 * case and is only reported for an informational one. A problem of the harness (no connection
 * at all, a case whose check throws) is a harness error, never the server's fault.
 */
import { performance } from 'node:perf_hooks';
import type { Capability, CaseResult, ConformanceCase, Exchange, Level, Outcome, Verdict } from './types.ts';
import { exchange, requestBytes } from './raw-client.ts';
import { statusText } from './response-parser.ts';

/** The server a case runs against. */
export interface CaseTarget {
  host: string;
  port: number;
  /** The document root the server was started with. */
  root: string;
  capabilities: readonly Capability[] | readonly string[];
  /** The server's name, for results (default host:port). */
  name?: string;
}

/** The default wait for a server, ms, when a case states none. */
export const DEFAULT_CASE_TIMEOUT_MS = 2_000;

/** How long the liveness probe of a `thenAlive` case waits for its 200, ms. */
export const ALIVE_TIMEOUT_MS = 3_000;

/**
 * The environment servers are started with for conformance: short header and idle timeouts, so
 * that cases about timeouts (408, idle keep-alive connections) take a second, not five.
 */
export const CONFORMANCE_ENV: Readonly<Record<string, string>> = {
  GAUNTLET_HEADER_TIMEOUT_MS: '1000',
  GAUNTLET_IDLE_TIMEOUT_MS: '1000',
};

/**
 * The methods of the requests in some bytes, in order, read as leniently as possible: request
 * lines separated by their heads and bodies (Content-Length or chunked). It only has to tell
 * the response parser which responses answer HEAD; it stops at the first thing it cannot read.
 */
export function requestMethods(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const methods: string[] = [];
  let pos = 0;
  while (pos < text.length && methods.length < 1000) {
    while (text.startsWith('\r\n', pos) || text.startsWith('\n', pos)) pos += text.startsWith('\r\n', pos) ? 2 : 1;
    const lineEnd = text.indexOf('\n', pos);
    if (lineEnd < 0) break;
    const line = text.slice(pos, lineEnd).replace(/\r$/, '');
    const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) \S+ HTTP\/\d\.\d$/.exec(line);
    if (!m || m[1] === undefined) break;
    methods.push(m[1]);
    const crlf = text.indexOf('\r\n\r\n', lineEnd - 1);
    const lf = text.indexOf('\n\n', lineEnd);
    const ends = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((e) => e >= 0);
    if (ends.length === 0) break;
    const bodyStart = Math.min(...ends);
    const head = text.slice(lineEnd + 1, bodyStart);
    if (/^transfer-encoding:.*chunked/im.test(head)) {
      let p = bodyStart;
      for (;;) {
        const nl = text.indexOf('\n', p);
        if (nl < 0) return methods;
        // Only plain hex digits: a "-1" read as a number would walk backwards forever.
        const hex = /^([0-9A-Fa-f]{1,12})(?:[;\s]|$)/.exec(text.slice(p, nl));
        if (!hex?.[1]) return methods;
        const size = parseInt(hex[1], 16);
        p = nl + 1;
        if (size === 0) {
          const end = text.indexOf('\r\n\r\n', p - 2);
          pos = end < 0 ? text.length : end + 4;
          break;
        }
        p += size;
        if (text.startsWith('\r\n', p)) p += 2;
        else if (text.startsWith('\n', p)) p += 1;
      }
    } else {
      const cl = /^content-length:[ \t]*(\d+)[ \t]*\r?$/im.exec(head);
      pos = bodyStart + (cl?.[1] ? Number(cl[1]) : 0);
    }
  }
  return methods;
}

/** What the first response slot held. */
export type Observed =
  | { kind: 'status'; status: number }
  | { kind: 'close' }
  | { kind: 'timeout' }
  /** Bytes that are not a response, or a response cut short, or a client-side stop. */
  | { kind: 'other' };

export function observedOutcome(ex: Exchange): Observed {
  const first = ex.responses[0];
  if (first) return { kind: 'status', status: first.status };
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
  return 'connection left open';
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
  const end = describeEnd(ex, timeoutMs);
  const first = ex.responses[0];
  if (first) {
    const at = firstByteMs(ex);
    const more = ex.responses.length > 1 ? ` (and ${ex.responses.length - 1} more response${ex.responses.length > 2 ? 's' : ''})` : '';
    const cut = first.incomplete ? ' with its body cut short' : '';
    return `got ${statusText(first)}${at === null ? '' : ` after ${ms(at)}`}${cut}${more}, ${end}`;
  }
  if (ex.received.length === 0) {
    if (ex.closedBy === 'server') return `got no response; ${end}`;
    if (ex.closedBy === 'client-timeout') return `got nothing for ${timeoutMs} ms and the connection stayed open`;
    return `got nothing; ${end}`;
  }
  const interim = ex.interim.length > 0 ? `${ex.interim.map(statusText).join(', ')} but no final response` : '';
  const garbage = ex.trailingGarbage > 0 ? `${ex.trailingGarbage} bytes that are not an HTTP response (${printable(ex.received.subarray(ex.received.length - ex.trailingGarbage))})` : '';
  return `got ${[interim, garbage].filter(Boolean).join(' and ')}; ${end}`;
}

function missVerdict(level: Level): Verdict {
  if (level === 'MUST') return 'fail';
  if (level === 'SHOULD') return 'warn';
  return 'info';
}

const ALIVE_REQUEST = (host: string, port: number) => `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`;

/**
 * After a case, a fresh connection must still get 200 for GET /. Returns null when it did, or
 * what happened instead; a refused connection here means the server died.
 */
async function probeAlive(target: CaseTarget): Promise<{ problem: string | null; exchange: Exchange }> {
  const ex = await exchange(target.host, target.port, [{ data: ALIVE_REQUEST(target.host, target.port) }], {
    timeoutMs: ALIVE_TIMEOUT_MS,
    methods: ['GET'],
    expectResponses: 1,
  });
  if (ex.harnessError) {
    return { problem: `the server stopped answering: afterwards, ${ex.harnessError}`, exchange: ex };
  }
  const first = ex.responses[0];
  if (first?.status === 200) return { problem: null, exchange: ex };
  return {
    problem: `afterwards, GET / on a fresh connection should get 200 but ${describeObserved(ex, ALIVE_TIMEOUT_MS)}`,
    exchange: ex,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Runs one case against one server. Never rejects: every problem is a verdict. */
export async function runCase(c: ConformanceCase, target: CaseTarget): Promise<CaseResult> {
  const started = performance.now();
  const server = target.name ?? `${target.host}:${target.port}`;
  const result = (verdict: Verdict, reason: string, ex: Exchange | null, alive?: Exchange | null): CaseResult => ({
    caseId: c.id,
    server,
    verdict,
    reason,
    exchange: ex,
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    ...(alive === undefined ? {} : { aliveExchange: alive }),
  });

  const missing = (c.needs ?? []).filter((cap) => !(target.capabilities as readonly string[]).includes(cap));
  if (missing.length > 0) {
    return result('skip', `needs ${missing.join(', ')}, which ${server} does not declare`, null);
  }

  const timeoutMs = c.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  let ex: Exchange;
  try {
    ex = await exchange(target.host, target.port, c.request, {
      timeoutMs,
      methods: c.methods ?? requestMethods(requestBytes(c.request)),
    });
  } catch (err) {
    return result('harness-error', `the harness failed while exchanging: ${errorText(err)}`, null);
  }
  if (ex.harnessError) return result('harness-error', ex.harnessError, ex);

  const problems: string[] = [];
  const observed = observedOutcome(ex);
  if (!c.accept.some((o) => outcomeMatches(o, observed))) {
    problems.push(`expected ${describeAccepted(c.accept, timeoutMs)}; ${describeObserved(ex, timeoutMs)}`);
  } else if (c.check) {
    let checked: string | null;
    try {
      checked = c.check({ exchange: ex, root: target.root });
    } catch (err) {
      return result('harness-error', `the case's check threw ${errorText(err)}`, ex);
    }
    if (checked) problems.push(checked);
  }

  let alive: Exchange | null | undefined;
  let died = false;
  if (c.thenAlive) {
    const probe = await probeAlive(target);
    alive = probe.exchange;
    if (probe.problem) {
      problems.push(probe.problem);
      died = true;
    }
  }

  if (problems.length === 0) return result('pass', '', ex, alive);
  // A server that stops answering after a case failed it, whatever the case's level.
  const verdict = died ? 'fail' : missVerdict(c.level);
  return result(verdict, problems.join('; '), ex, alive);
}

export interface RunCasesOptions {
  /** How many cases run at once (default 8); each case is its own connection. */
  concurrency?: number;
  /** Stops starting new cases; the ones started finish. */
  signal?: AbortSignal;
  /** Called as each case finishes (in completion order). */
  onResult?: (result: CaseResult, done: number, total: number) => void;
}

/**
 * Runs cases against one server, a few at a time, and resolves with their results in the
 * order of `cases`. Cases not started because of `signal` are left out.
 */
export async function runCases(cases: readonly ConformanceCase[], target: CaseTarget, opts: RunCasesOptions = {}): Promise<CaseResult[]> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 8));
  const results: Array<CaseResult | undefined> = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      if (opts.signal?.aborted) return;
      const i = next++;
      const c = cases[i];
      if (c === undefined) return;
      const r = await runCase(c, target);
      results[i] = r;
      done += 1;
      opts.onResult?.(r, done, cases.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));
  return results.filter((r): r is CaseResult => r !== undefined);
}

/**
 * Starts every case at once, each waiting its turn in a pool of `concurrency`, and returns one
 * promise per case id. Test files use it to run cases in parallel while asserting on each
 * case in its own test.
 */
export function scheduleCases(cases: readonly ConformanceCase[], target: CaseTarget, concurrency = 8): Map<string, Promise<CaseResult>> {
  let active = 0;
  const waiting: Array<() => void> = [];
  const acquire = () =>
    new Promise<void>((resolve) => {
      if (active < concurrency) {
        active += 1;
        resolve();
      } else waiting.push(() => resolve());
    });
  const release = () => {
    const nextWaiting = waiting.shift();
    if (nextWaiting) nextWaiting();
    else active -= 1;
  };
  const map = new Map<string, Promise<CaseResult>>();
  for (const c of cases) {
    map.set(
      c.id,
      acquire().then(async () => {
        try {
          return await runCase(c, target);
        } finally {
          release();
        }
      }),
    );
  }
  return map;
}

/** A verdict that fails the server: a MUST miss, or a server that stopped answering. */
export function isFailure(verdict: Verdict): boolean {
  return verdict === 'fail';
}
