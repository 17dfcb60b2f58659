/**
 * Runs conformance cases against a running server and decides each verdict.
 *
 * A case's first response slot is matched against its accepted outcomes (a status range, a
 * close, a timeout); its own check then reads the exchange; a liveness probe on a fresh
 * connection follows when the case asks for one. A miss fails a MUST case, warns for a SHOULD
 * case and is only reported for an informational one. A connection the server refuses or never
 * accepts, and an exchange that runs into a limit of the client (its deadline, a response head
 * too large), fail the case whatever its level: they are the server's doing. A problem of the
 * harness itself (no local port left, a case whose check throws) is a harness error, never the
 * server's fault.
 *
 * runCases adds what only a whole run can see: a case whose connection was refused is tried
 * once more on its own; a server that has stopped answering is found out (a run of unanswered
 * cases, then a probe that gets nothing) and the cases left get `not-run`; a server that
 * exits is restarted, and the case that made it exit is named.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Capability, CaseResult, ConformanceCase, Exchange, Level, Outcome, ServerDeath, Verdict } from './types.ts';
import { compactExchange, exchange, requestBytes } from './raw-client.ts';
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

/** The most a liveness probe takes, ms: a server dripping its answer cannot stretch it. */
export const ALIVE_DEADLINE_MS = ALIVE_TIMEOUT_MS + 1_000;

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
  if (ex.closedBy === 'client-limit') return { kind: 'other' };
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
    const more = ex.responses.length > 1 ? ` (and ${ex.responses.length - 1} more response${ex.responses.length > 2 ? 's' : ''})` : '';
    const cut = first.truncated ? ` with a body longer than the ${ex.truncated?.keptBytes ?? 0} bytes the client keeps` : first.incomplete ? ' with its body cut short' : '';
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
    deadlineMs: ALIVE_DEADLINE_MS,
    methods: ['GET'],
    expectResponses: 1,
  });
  const unreached = ex.connectFailure ?? ex.harnessError;
  if (unreached) {
    return { problem: `the server stopped answering: afterwards, ${unreached}`, exchange: ex };
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
  if (ex.connectFailure) return result('fail', ex.connectFailure, ex);

  const problems: string[] = [];
  const observed = observedOutcome(ex);
  // A limit reached is the server's failure whatever was accepted: it never finished answering.
  const overLimit = ex.limit !== undefined;
  if (ex.limit) {
    problems.push(`${ex.limit.message}: ${describeObserved(ex, timeoutMs)}`);
  } else if (!c.accept.some((o) => outcomeMatches(o, observed))) {
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
  const verdict = died || overLimit ? 'fail' : missVerdict(c.level);
  return result(verdict, problems.join('; '), ex, alive);
}

/** How a server that exited during a run is described. */
export interface ServerExit {
  /** "exit code 1", "killed by SIGSEGV" */
  exit: string;
  /** Its last lines of output. */
  outputTail: string;
}

/** A server the run started itself, so that it can tell when it exits and start it again. */
export interface ServerWatch {
  /** Settles when the server now running exits. */
  exited(): Promise<ServerExit>;
  /** Starts the server again after an exit: where it now listens, or why it could not start. */
  restart(): Promise<{ host: string; port: number } | { error: string }>;
}

export interface RunCasesOptions {
  /** How many cases run at once (default 8); each case is its own connection. */
  concurrency?: number;
  /** Stops starting new cases; the ones started finish. */
  signal?: AbortSignal;
  /** Called as each case finishes (in completion order). */
  onResult?: (result: CaseResult, done: number, total: number) => void;
  /**
   * Unanswered cases in a row after which the server is probed on its own (default
   * UNANSWERED_BEFORE_PROBE; 0 never probes). A probe that gets no response stops the run.
   */
  probeAfterUnanswered?: number;
  /** Watches a server the caller started: its exits are found, it is restarted, the case that killed it named. */
  watch?: ServerWatch;
  /** Most restarts of a watched server (default MAX_RESTARTS); after that it is down. */
  maxRestarts?: number;
  /** Called when a watched server has exited, once the run has dealt with it (restarted it or not). */
  onExit?: (death: ServerDeath) => void;
}

/** What a run of cases against one server found, beyond the verdicts. */
export interface CasesRun {
  /** In the order of the cases; cases not started because of `signal` are left out. */
  results: CaseResult[];
  /** Each exit of a watched server. */
  deaths: ServerDeath[];
  /** Why the run stopped early, when the server stopped answering. */
  stoppedAnswering?: string;
}

/** Unanswered cases in a row before the server is probed. */
export const UNANSWERED_BEFORE_PROBE = 4;
/** Most restarts of a server that keeps exiting. */
export const MAX_RESTARTS = 5;
/** How long a result that looks like the server went away waits for news of its exit, ms. */
const EXIT_NOTICE_MS = 300;

/**
 * What the results of one run keep of the bytes servers sent: each keeps what it received (up
 * to RECEIVE_KEEP_BYTES) until the run has kept this much, and COMPACT_KEEP_BYTES after. A
 * healthy server stays far below (its biggest responses are a few hundred KiB in all); one
 * that floods every case cannot make a run hold hundreds of MiB.
 */
export const RUN_RETAIN_BYTES = 16 * 1024 * 1024;
export const COMPACT_KEEP_BYTES = 64 * 1024;

/**
 * A case the server did not answer: no connection, not a byte within the silence limit, or
 * a response never finished by the deadline. A healthy server has a few (cases about
 * timeouts wait on purpose), never a long run of them and then a failed probe.
 */
export function unanswered(r: CaseResult): boolean {
  const ex = r.exchange;
  if (!ex || ex.harnessError) return false;
  if (ex.connectFailure) return true;
  if (ex.limit?.kind === 'deadline') return true;
  return ex.received.length === 0 && ex.closedBy === 'client-timeout';
}

/** A result that looks as if the server went away during it: worth a moment's wait for news of an exit. */
function looksGone(r: CaseResult): boolean {
  const ex = r.exchange;
  if (!ex) return false;
  if (ex.connectFailure || ex.reset) return true;
  if (ex.closedBy === 'server' && ex.responses.length === 0) return true;
  return Boolean(r.aliveExchange && (r.aliveExchange.connectFailure || r.aliveExchange.reset));
}

/**
 * Whether the server answers at all: GET / on a fresh connection, any complete response
 * within ALIVE_TIMEOUT_MS. Null when it does, else what happened instead.
 */
export async function probeAnswering(target: Pick<CaseTarget, 'host' | 'port'>): Promise<string | null> {
  const ex = await exchange(target.host, target.port, [{ data: ALIVE_REQUEST(target.host, target.port) }], {
    timeoutMs: ALIVE_TIMEOUT_MS,
    deadlineMs: ALIVE_DEADLINE_MS,
    methods: ['GET'],
    expectResponses: 1,
    settleMs: 0,
  });
  if (ex.responses.some((r) => !r.incomplete)) return null;
  return describeObserved(ex, ALIVE_TIMEOUT_MS);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/**
 * The line of a dying server's output that says why: the last one naming an error or a panic
 * (runtimes print a version or a stack after it), else the last line.
 */
export function tellingLine(tail: string): string {
  const lines = tail.split('\n').map((l) => l.trim()).filter(Boolean);
  return [...lines].reverse().find((l) => /\w*(Error|Exception)\b|panic|fatal|Traceback/i.test(l) && !/^at /.test(l)) ?? lines.at(-1) ?? '';
}

/** The reason of the case that made the server exit. */
export function killerReason(exit: ServerExit): string {
  const said = tellingLine(exit.outputTail);
  return `the server exited during this case (${exit.exit})${said ? `; its last output: ${said}` : ''}`;
}

function notRun(c: ConformanceCase, server: string, why: string): CaseResult {
  return { caseId: c.id, server, verdict: 'not-run', reason: `not run: ${why}`, exchange: null, durationMs: 0 };
}

/**
 * Runs cases against one server, a few at a time, and resolves with their results in the
 * order of `cases`, and what happened to the server on the way:
 *
 * - a case whose connection the server refused or did not accept is run again on its own,
 *   with nothing else in flight, before its failure stands;
 * - after `probeAfterUnanswered` unanswered cases in a row, GET / is sent with nothing else in
 *   flight; if it gets no response either, the server has stopped answering, and the cases
 *   not yet run get `not-run` with that reason;
 * - with a `watch`, an exit of the server makes the cases then in flight suspects: alone, a
 *   suspect is the case that killed it and fails with the exit; several are run again one at
 *   a time after a restart, to find the one that kills it. The server is restarted (at most
 *   `maxRestarts` times); when it cannot be, the cases left get `not-run`: the server is down.
 */
export async function runCasesDetailed(cases: readonly ConformanceCase[], first: CaseTarget, opts: RunCasesOptions = {}): Promise<CasesRun> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 8));
  const probeAfter = Math.max(0, Math.floor(opts.probeAfterUnanswered ?? UNANSWERED_BEFORE_PROBE));
  const maxRestarts = opts.maxRestarts ?? MAX_RESTARTS;
  const server = first.name ?? `${first.host}:${first.port}`;
  let target: CaseTarget = { ...first, name: server };
  const results: Array<CaseResult | undefined> = new Array(cases.length);
  const deaths: ServerDeath[] = [];
  let done = 0;
  let retained = 0;
  /** The result as kept: its exchanges compacted once the run has kept RUN_RETAIN_BYTES. */
  const keep = (i: number, r: CaseResult): CaseResult => {
    const c = cases[i]!;
    const limit = retained >= RUN_RETAIN_BYTES ? COMPACT_KEEP_BYTES : Number.MAX_SAFE_INTEGER;
    const out = { ...r };
    if (r.exchange) out.exchange = compactExchange(r.exchange, limit, c.methods ?? requestMethods(requestBytes(c.request)));
    if (r.aliveExchange) out.aliveExchange = compactExchange(r.aliveExchange, limit, ['GET']);
    retained += (out.exchange?.received.length ?? 0) + (out.aliveExchange?.received.length ?? 0);
    return out;
  };
  const emit = (i: number, given: CaseResult) => {
    const r = keep(i, given);
    const counted = results[i] === undefined;
    results[i] = r;
    if (counted) done += 1;
    opts.onResult?.(r, done, cases.length);
  };

  type Solo = { i: number; kind: 'retry' | 'suspect'; earlier: CaseResult };
  /** The suspects of one exit, run again one at a time to find the one that kills the server. */
  type Suspects = { death: ServerDeath; exit: ServerExit; earlier: Map<number, CaseResult>; waiting: Set<number>; replayed: Map<number, CaseResult> };
  const groups: Suspects[] = [];
  const queue = cases.map((_, i) => i);
  const solos: Solo[] = [];
  // Cases started and not yet settled; those still exchanging count against the concurrency.
  const pending = new Map<number, Promise<void>>();
  const exchanging = new Set<number>();
  // Results of cases in flight when the server exited, held until the exit is dealt with.
  const heldAtExit = new Map<number, CaseResult>();
  let inFlightAtExit: number[] = [];
  let exit: ServerExit | null = null;
  let unansweredRun = 0;
  let probeDue = false;
  let stopped: string | null = null;
  let restarts = 0;
  // Results held a moment for news of an exit: no case starts while there are any.
  let wary = 0;

  let wake: () => void = () => {};
  let woken = new Promise<void>((r) => (wake = r));
  const nextWake = () => {
    woken = new Promise<void>((r) => (wake = r));
  };
  let exitNews: Promise<ServerExit> = new Promise(() => {});
  const watchExit = () => {
    if (!opts.watch) return;
    const watching = opts.watch.exited();
    exitNews = watching;
    void watching.then((e) => {
      if (exitNews !== watching) return;
      exit = e;
      inFlightAtExit = [...pending.keys()];
      wake();
    });
  };
  watchExit();

  const settleResult = (i: number, r: CaseResult, kind: 'normal' | Solo['kind']) => {
    // A case in flight at the exit that saw the server go is a suspect; one answered in full is not.
    if (exit && inFlightAtExit.includes(i) && looksGone(r)) {
      heldAtExit.set(i, r);
      return;
    }
    if (unanswered(r)) unansweredRun += 1;
    else unansweredRun = 0;
    // An answer before the probe is made says what the probe would: the server answers.
    probeDue = probeAfter > 0 && unansweredRun >= probeAfter;
    if (kind === 'normal' && r.exchange?.connectFailure) {
      solos.push({ i, kind: 'retry', earlier: r });
      return;
    }
    if (kind === 'suspect') {
      const group = groups.find((g) => g.waiting.has(i));
      if (group) {
        group.waiting.delete(i);
        group.replayed.set(i, r);
        return closeGroup(group);
      }
    }
    if (kind === 'retry' && r.exchange?.connectFailure) {
      emit(i, { ...r, reason: `${r.reason}; the same when tried again alone` });
      return;
    }
    emit(i, r);
  };

  const start = (i: number, kind: 'normal' | Solo['kind']) => {
    const c = cases[i]!;
    const at = target;
    exchanging.add(i);
    const work = (async () => {
      let r: CaseResult;
      try {
        r = await runCase(c, at);
      } catch (err) {
        // runCase turns every problem into a verdict; anything left is a fault of the harness.
        r = { caseId: c.id, server, verdict: 'harness-error', reason: `the harness failed running the case: ${errorText(err)}`, exchange: null, durationMs: 0 };
      }
      exchanging.delete(i);
      // News of an exit comes a moment after the server's sockets close: a result that looks as
      // if the server went away is held that long, and no case starts meanwhile, so that the
      // suspects of an exit are the cases that were in flight, not the ones refused after it.
      const wait = opts.watch && !exit && looksGone(r);
      if (wait) wary += 1;
      wake();
      if (wait) {
        await Promise.race([exitNews, delay(EXIT_NOTICE_MS)]);
        wary -= 1;
      }
      settleResult(i, r, kind);
    })().finally(() => {
      pending.delete(i);
      wake();
    });
    pending.set(i, work);
    return work;
  };

  /** A suspect's first result, failed with the exit it was in flight for (how many others were, and what the server said). */
  const inFlightAtExitResult = (g: Suspects, i: number, alone?: CaseResult): CaseResult => {
    const r = g.earlier.get(i)!;
    const others = g.earlier.size - 1;
    const said = tellingLine(g.exit.outputTail);
    const then = alone ? `; run alone afterwards, it ${alone.verdict === 'pass' ? 'passed' : `got: ${alone.reason}`}` : '';
    return {
      ...r,
      verdict: 'fail',
      reason: `the server exited (${g.exit.exit}) while this case and ${others} other${others === 1 ? ' was' : 's were'} in flight${said ? `; its last output: ${said}` : ''}${then}`,
    };
  };
  /**
   * Once every suspect of an exit has run alone: when one of them was found to kill the server,
   * the others keep their results of running alone; when none was, the exit stays on all of
   * them, named honestly as cases in flight when it happened.
   */
  const closeGroup = (g: Suspects) => {
    if (g.waiting.size > 0) return;
    groups.splice(groups.indexOf(g), 1);
    for (const [i, alone] of g.replayed) emit(i, g.death.caseId !== undefined ? alone : inFlightAtExitResult(g, i, alone));
  };

  const giveUp = (why: string) => {
    stopped ??= why;
    for (const s of solos.splice(0)) {
      const g = s.kind === 'suspect' ? groups.find((x) => x.waiting.has(s.i)) : undefined;
      if (s.kind === 'retry') emit(s.i, { ...s.earlier, reason: `${s.earlier.reason}; not tried again: ${why}` });
      else if (g) emit(s.i, inFlightAtExitResult(g, s.i));
      else emit(s.i, notRun(cases[s.i]!, server, why));
    }
    for (const g of groups.splice(0)) for (const [i, alone] of g.replayed) emit(i, g.death.caseId !== undefined ? alone : inFlightAtExitResult(g, i, alone));
    for (const i of queue.splice(0)) emit(i, notRun(cases[i]!, server, why));
  };

  /** An exit: name the case that did it (or queue the suspects), and start the server again. */
  const afterExit = async (e: ServerExit) => {
    await Promise.all(pending.values());
    const suspects = inFlightAtExit.filter((i) => heldAtExit.has(i));
    exit = null;
    inFlightAtExit = [];
    const death: ServerDeath = { exit: e.exit, outputTail: e.outputTail, inFlight: suspects.map((i) => cases[i]!.id), restarted: false };
    deaths.push(death);
    if (suspects.length === 1) {
      const i = suspects[0]!;
      death.caseId = cases[i]!.id;
      // Found by running the suspects of an earlier exit one at a time: that exit was its doing too.
      for (const d of deaths) if (d.caseId === undefined && d.inFlight.includes(death.caseId)) d.caseId = death.caseId;
      emit(i, { ...heldAtExit.get(i)!, verdict: 'fail', reason: killerReason(e) });
      for (const g of groups) {
        if (!g.waiting.delete(i)) continue;
        closeGroup(g);
        break;
      }
    } else if (suspects.length > 1) {
      // Run each again alone, first of all, to find the one that kills the server.
      groups.push({ death, exit: e, earlier: new Map(suspects.map((i) => [i, heldAtExit.get(i)!])), waiting: new Set(suspects), replayed: new Map() });
      solos.unshift(...suspects.map((i) => ({ i, kind: 'suspect' as const, earlier: heldAtExit.get(i)! })));
    }
    heldAtExit.clear();
    if (restarts >= maxRestarts) {
      death.notRestartedBecause = `it exited ${deaths.length} times; restarted at most ${maxRestarts} times`;
      opts.onExit?.(death);
      return giveUp(`the server is down: ${death.notRestartedBecause}`);
    }
    restarts += 1;
    const again = await opts.watch!.restart();
    if ('error' in again) {
      death.notRestartedBecause = `it did not start again: ${firstLine(again.error)}`;
      opts.onExit?.(death);
      return giveUp(`the server is down (${e.exit}); ${death.notRestartedBecause}`);
    }
    death.restarted = true;
    target = { ...target, host: again.host, port: again.port };
    unansweredRun = 0;
    watchExit();
    opts.onExit?.(death);
  };

  for (;;) {
    nextWake();
    if (exit) {
      await afterExit(exit);
      continue;
    }
    if (opts.signal?.aborted && !stopped) {
      // Nothing new starts, no probe either; the cases tried once keep what they got.
      queue.length = 0;
      probeDue = false;
      for (const s of solos.splice(0)) emit(s.i, s.earlier);
    }
    if (stopped) giveUp(stopped);
    const idle = pending.size === 0;
    if (probeDue && !stopped) {
      if (!idle) {
        await woken;
        continue;
      }
      probeDue = false;
      const inARow = unansweredRun;
      const problem = await probeAnswering(target);
      if (problem !== null && opts.watch && !exit) await Promise.race([exitNews, delay(EXIT_NOTICE_MS)]);
      if (exit) continue;
      if (problem === null) unansweredRun = 0;
      else giveUp(`the server stopped answering: ${inARow} cases in a row got no answer, then GET / on a fresh connection ${problem}`);
      continue;
    }
    const solo = solos[0];
    if (solo && !stopped) {
      if (!idle) {
        await woken;
        continue;
      }
      solos.shift();
      await start(solo.i, solo.kind);
      continue;
    }
    if (!stopped && queue.length > 0 && exchanging.size < concurrency && wary === 0) {
      start(queue.shift()!, 'normal');
      continue;
    }
    if (idle && queue.length === 0 && solos.length === 0) break;
    await Promise.race([woken, exitNews.then(() => undefined)]);
  }
  return {
    results: results.filter((r): r is CaseResult => r !== undefined),
    deaths,
    ...(stopped && !deaths.some((d) => !d.restarted) ? { stoppedAnswering: stopped } : {}),
  };
}

/**
 * Runs cases against one server, a few at a time, and resolves with their results in the
 * order of `cases` (see runCasesDetailed for what a run does about a server that fails it).
 */
export async function runCases(cases: readonly ConformanceCase[], target: CaseTarget, opts: RunCasesOptions = {}): Promise<CaseResult[]> {
  return (await runCasesDetailed(cases, target, opts)).results;
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
