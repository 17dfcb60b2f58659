/**
 * What an honest harness must say about each hostile server (fixtures/hostile/), per command, as
 * data: the hostile spec asserts every row, and scripts/hostile-table.ts measures every row for
 * docs/reliability.md.
 *
 * Every row shares the bounds (BOUNDS): at most 2 minutes of wall time, under 300 MB of peak
 * resident memory for the CLI, nothing left running. On top of them each row states its exit
 * codes and a verdict, checked on what the command wrote (results.json, check.json) rather than
 * on the wording of its output, which is free to change; the output is checked only for what must
 * never appear (a stack trace, a rate of requests that did not complete).
 *
 * Most rows pass `--timeout 2 --rounds 1` (bench), a small matrix and short caps (gate) or two
 * groups of cases (check, for servers that answer every request the same way) to keep the project
 * within a few minutes: their point is the verdict, not the default timeout. The hang rows use
 * the default options of every command, to show that the 2-minute bound holds as a user runs it.
 */
import type { HostileCommand, HostileOutcome, HostileRunSpec } from '../helpers/hostile-run.ts';
import { hostileName, REFERENCE_SERVER } from '../helpers/hostile-run.ts';

export const BOUNDS = {
  /** Each run, ms. */
  wallMs: 120_000,
  /** Peak resident memory (VmHWM) of the CLI process, MB. */
  peakRssMb: 300,
} as const;

export interface HostileCase extends HostileRunSpec {
  /** The honest verdict in a few words, for the table and the test's name. */
  expected: string;
  /** Exit codes an honest run may end with. */
  exitCodes: readonly number[];
  /** The verdict's checks: each returns what is wrong, or nothing. */
  verdict: ReadonlyArray<(o: HostileOutcome) => string[]>;
}

// ---- reading what the commands wrote -------------------------------------------------------

interface BenchCell {
  server: string;
  requests: number;
  concurrency: number;
  result: { completeRequests: number; failedRequests: number; requestsPerSecond: number; requested?: number };
}
interface BenchServer {
  name: string;
  error?: string;
  stoppedAnswering?: string;
  skippedCells?: unknown[];
}
interface BenchCellComparison {
  winner: string;
}
interface BenchPair {
  a: { name: string };
  b: { name: string };
  cells: BenchCellComparison[];
  verdict: string;
}
interface CheckResultJson {
  caseId: string;
  verdict: string;
  reason: string;
}
interface GateClaim {
  claim: string;
  status: string;
  summary: string;
  cells: Array<{ status: string; error?: string; server?: string }>;
}

function benchCells(o: HostileOutcome, server: string): BenchCell[] {
  return ((o.written?.cells ?? []) as BenchCell[]).filter((c) => c.server === server);
}

function benchServer(o: HostileOutcome, server: string): BenchServer | undefined {
  return ((o.written?.servers ?? []) as BenchServer[]).find((s) => s.name === server);
}

function written(o: HostileOutcome, what: string): string[] {
  return o.written ? [] : [`no ${what} was written`];
}

// ---- bench verdicts ------------------------------------------------------------------------

/**
 * Not one request of the server completed: every measured cell shows 0 complete requests, failed
 * requests, and a rate of 0; the cells not measured are skipped with the reason (stopped answering).
 */
export function noneComplete(o: HostileOutcome): string[] {
  const name = hostileName(o.spec.server);
  const problems = written(o, 'results.json');
  if (problems.length) return problems;
  const cells = benchCells(o, name);
  const server = benchServer(o, name);
  if (cells.length === 0 && !server?.stoppedAnswering && !server?.error)
    problems.push(`${name} has no cell and no reason for it`);
  for (const c of cells) {
    const r = c.result;
    const label = `n=${c.requests} c=${c.concurrency}`;
    if (r.completeRequests !== 0) problems.push(`${label}: ${r.completeRequests} complete requests, expected 0`);
    if (r.requestsPerSecond !== 0)
      problems.push(`${label}: ${r.requestsPerSecond} requests per second for requests that did not complete`);
    if (r.failedRequests === 0) problems.push(`${label}: no failed request`);
  }
  // The progress lines must not print a rate either.
  for (const m of o.run.stderr.matchAll(new RegExp(`${name} cell \\d+/\\d+: .*?([\\d.]+) req/s`, 'g'))) {
    if (Number(m[1]) > 0) problems.push(`progress line shows ${m[1]} req/s: ${m[0]}`);
  }
  return problems;
}

/** The server is said to have stopped answering, and its remaining cells are skipped with that reason. */
export function stoppedAnswering(o: HostileOutcome): string[] {
  const name = hostileName(o.spec.server);
  const problems = written(o, 'results.json');
  if (problems.length) return problems;
  const server = benchServer(o, name);
  if (!server?.stoppedAnswering)
    problems.push(`${name} is not marked as having stopped answering (servers[].stoppedAnswering)`);
  return problems;
}

/** In every compared cell the hostile server is not the winner, and no conclusion calls it faster. */
export function neverWins(o: HostileOutcome): string[] {
  const name = hostileName(o.spec.server);
  const problems = written(o, 'results.json');
  if (problems.length) return problems;
  const comparison = o.written?.comparison as { pairs?: BenchPair[]; conclusion?: string[] } | undefined;
  const pair = comparison?.pairs?.find((p) => p.a.name === name || p.b.name === name);
  if (!pair) return [`no comparison of ${name} with ${REFERENCE_SERVER} in results.json`];
  const side = pair.a.name === name ? 'a' : 'b';
  pair.cells.forEach((c, i) => {
    if (c.winner === side) problems.push(`cell ${i + 1}: ${name} is called the winner`);
  });
  const sentences = [pair.verdict, ...(comparison?.conclusion ?? [])].join('\n');
  if (new RegExp(`${name} (was|is) faster`).test(sentences))
    problems.push(`the conclusion calls ${name} faster: ${sentences}`);
  return problems;
}

/**
 * Every request answered completed, none failed: the server serves normally. Every cell of the
 * seed matrix is there, once or once per round.
 */
export function allComplete(o: HostileOutcome): string[] {
  const name = hostileName(o.spec.server);
  const problems = written(o, 'results.json');
  if (problems.length) return problems;
  const cells = benchCells(o, name);
  const distinct = new Set(cells.map((c) => `${c.requests}x${c.concurrency}`));
  if (distinct.size !== 11) problems.push(`${distinct.size} cells measured, expected the 11 of the seed matrix`);
  for (const c of cells) {
    if (c.result.completeRequests !== c.requests || c.result.failedRequests !== 0) {
      problems.push(
        `n=${c.requests} c=${c.concurrency}: ${c.result.completeRequests} complete, ${c.result.failedRequests} failed`,
      );
    }
  }
  return problems;
}

/** Each measured cell accounts for what it sent: complete requests never exceed those asked for. */
export function consistentAccounting(o: HostileOutcome): string[] {
  const name = hostileName(o.spec.server);
  const problems = written(o, 'results.json');
  if (problems.length) return problems;
  for (const c of benchCells(o, name)) {
    const r = c.result;
    if (r.completeRequests > c.requests)
      problems.push(`n=${c.requests} c=${c.concurrency}: ${r.completeRequests} complete of ${c.requests}`);
    if (r.completeRequests === 0 && r.requestsPerSecond !== 0)
      problems.push(`n=${c.requests} c=${c.concurrency}: a rate without a complete request`);
  }
  return problems;
}

/** The crash is named with its exit code and the server's last words, and no more than it served completed. */
export function crashNamed(served: number) {
  return (o: HostileOutcome): string[] => {
    const name = hostileName(o.spec.server);
    const problems = written(o, 'results.json');
    if (problems.length) return problems;
    const error = benchServer(o, name)?.error ?? '';
    if (!/exit code 3/.test(error))
      problems.push(`servers[].error does not name exit code 3: ${JSON.stringify(error)}`);
    if (!/dies-mid-run: exiting with code 3/.test(error))
      problems.push(`servers[].error lacks the server's stderr: ${JSON.stringify(error)}`);
    const complete = benchCells(o, name).reduce((n, c) => n + c.result.completeRequests, 0);
    if (complete > served) problems.push(`${complete} complete requests, but the server answered at most ${served}`);
    return problems;
  };
}

// ---- check verdicts ------------------------------------------------------------------------

function checkResults(o: HostileOutcome): CheckResultJson[] {
  return (o.written?.results ?? []) as CheckResultJson[];
}

/** The server's faults are its verdicts: no case is a harness error, and some case failed. */
export function serverBlamed(o: HostileOutcome): string[] {
  const problems = written(o, 'check.json');
  if (problems.length) return problems;
  const results = checkResults(o);
  const harness = results.filter((r) => r.verdict === 'harness-error');
  if (harness.length) {
    problems.push(
      `${harness.length} harness-error results, first: ${harness[0]!.caseId}: ${harness[0]!.reason.split('\n')[0]}`,
    );
  }
  if (!results.some((r) => r.verdict === 'fail')) problems.push('no case failed');
  return problems;
}

/** Once the server stopped answering, the remaining cases are "not run", saying why. */
export function casesNotRun(o: HostileOutcome): string[] {
  const problems = written(o, 'check.json');
  if (problems.length) return problems;
  const notRun = checkResults(o).filter((r) => r.verdict === 'not-run');
  if (notRun.length === 0) problems.push('no case is "not run" although the server stopped answering');
  else if (!notRun.every((r) => /stopped answering|down|not answer/i.test(r.reason))) {
    problems.push(
      `a "not run" case does not say the server stopped answering: ${notRun.find((r) => !/stopped answering|down|not answer/i.test(r.reason))!.reason}`,
    );
  }
  return problems;
}

interface CheckDeath {
  exit: string;
  outputTail: string;
  caseId?: string;
  inFlight?: string[];
}

/**
 * The server's exit is pinned on the cases it hit, with its exit code and its last words. This
 * server dies on a count, not on a request, so no one case can be shown to kill it: the failed
 * cases in flight name the exit code, and the last words are in their reason or in the record of
 * that exit (check.json's servers[].deaths, which lists the cases in flight).
 */
export function crashCaseNamed(o: HostileOutcome): string[] {
  const problems = written(o, 'check.json');
  if (problems.length) return problems;
  const fails = checkResults(o).filter((r) => r.verdict === 'fail' && /exit code 3/.test(r.reason));
  if (fails.length === 0) return ['no failed case names the exit code 3'];
  const lastWords = /dies-mid-run: exiting with code 3/;
  const deaths = ((o.written?.servers ?? []) as Array<{ deaths?: CheckDeath[] }>).flatMap((s) => s.deaths ?? []);
  const carried = fails.some(
    (r) =>
      lastWords.test(r.reason) ||
      deaths.some(
        (d) =>
          /exit code 3/.test(d.exit) &&
          lastWords.test(d.outputTail) &&
          (d.caseId === r.caseId || d.inFlight?.includes(r.caseId)),
      ),
  );
  if (!carried) {
    problems.push(
      `the server's stderr is neither in a failed case nor in the record of its exit; first: ${fails[0]!.caseId}: ${fails[0]!.reason.split('\n')[0]}`,
    );
  }
  return problems;
}

// ---- gate verdicts -------------------------------------------------------------------------

function gateClaims(o: HostileOutcome): GateClaim[] {
  return (o.written?.claims ?? []) as GateClaim[];
}

/** Every claim fails, and says why in its summary. */
export function claimsFailNamed(o: HostileOutcome): string[] {
  const problems = written(o, 'results.json');
  if (problems.length) return problems;
  const claims = gateClaims(o);
  if (claims.length === 0) problems.push('no claim was evaluated');
  for (const c of claims) {
    if (c.status !== 'fail') problems.push(`claim "${c.claim}" is ${c.status}, expected fail`);
    if (!c.summary?.trim()) problems.push(`claim "${c.claim}" fails without a reason`);
  }
  if (o.written?.passed !== false) problems.push('the gate is not marked as failed (passed !== false)');
  return problems;
}

/** Every claim holds. */
export function claimsPass(o: HostileOutcome): string[] {
  const problems = written(o, 'results.json');
  if (problems.length) return problems;
  const claims = gateClaims(o);
  if (claims.length === 0) problems.push('no claim was evaluated');
  for (const c of claims) if (c.status !== 'pass') problems.push(`claim "${c.claim}" is ${c.status}: ${c.summary}`);
  return problems;
}

/** Every claim has a verdict with a sentence, whichever it is. */
export function claimsDecided(o: HostileOutcome): string[] {
  const problems = written(o, 'results.json');
  if (problems.length) return problems;
  const claims = gateClaims(o);
  if (claims.length === 0) problems.push('no claim was evaluated');
  for (const c of claims) if (!c.summary?.trim()) problems.push(`claim "${c.claim}" has no summary`);
  return problems;
}

// ---- the table -----------------------------------------------------------------------------

/** Rows with a reference server keep the default rounds: the comparison is what they are about. */
const QUICK_PAIR = ['--timeout', '2'];
/** One run per cell, the seed's one-shot table: the verdict does not need repetitions. */
const QUICK_BENCH = [...QUICK_PAIR, '--rounds', '1'];
const QUICK_GATE = ['--matrix', '10:1,5', '--max-time', '2', '--warmup', '0.5'];
/**
 * Two groups (about 50 cases) for servers that answer every request the same wrong way: what is
 * checked is whose fault the verdicts name, which a few dozen cases show as well as 300.
 */
const SOME_CASES = ['--group', 'framing', '--group', 'responses'];

function row(
  server: string,
  command: HostileCommand,
  expected: string,
  exitCodes: number[],
  verdict: HostileCase['verdict'],
  args: string[] = [],
  withReference = false,
): HostileCase {
  return { server, command, args, expected, exitCodes, verdict, ...(withReference ? { withReference } : {}) };
}

const refusing = hostileName('refuse-after-ready');

export const HOSTILE_CASES: readonly HostileCase[] = [
  // bench: the seed matrix
  row(
    'refuse-after-ready',
    'bench',
    '0 complete, stopped answering, never wins',
    [0, 1],
    [noneComplete, stoppedAnswering, neverWins],
    QUICK_PAIR,
    true,
  ),
  row('hang', 'bench', '0 complete, stopped answering (default options)', [0, 1], [noneComplete, stoppedAnswering]),
  row('endless-chunked', 'bench', '0 complete (the body never ends)', [0, 1], [noneComplete], QUICK_BENCH),
  row('endless-head', 'bench', '0 complete (the head never ends)', [0, 1], [noneComplete], QUICK_BENCH),
  row('drip', 'bench', '0 complete (timed out)', [0, 1], [noneComplete], QUICK_BENCH),
  row(
    'reset-mid-head',
    'bench',
    'every request failed, never wins',
    [0, 1],
    [noneComplete, neverWins],
    QUICK_PAIR,
    true,
  ),
  row('reset-mid-body', 'bench', 'every request failed (body cut short)', [0, 1], [noneComplete], QUICK_BENCH),
  row('close-before-byte', 'bench', 'every request failed (no answer)', [0, 1], [noneComplete], QUICK_BENCH),
  row('cl-too-short', 'bench', 'measured; accounting consistent', [0, 1], [consistentAccounting], QUICK_BENCH),
  row('cl-too-long', 'bench', 'every request failed (body cut short)', [0, 1], [noneComplete], QUICK_BENCH),
  row('dies-mid-run', 'bench', 'crash named (exit code 3, stderr)', [1], [crashNamed(30)], QUICK_BENCH),
  row('forks-keeper', 'bench', 'all complete; the escaped child is stopped', [0], [allComplete], QUICK_BENCH),
  // check: every case
  row('refuse-after-ready', 'check', 'fails; cases not run (stopped answering)', [1], [serverBlamed, casesNotRun]),
  row('hang', 'check', 'fails; cases not run (stopped answering)', [1], [serverBlamed, casesNotRun]),
  row('endless-chunked', 'check', 'fails, no harness-error', [1], [serverBlamed]),
  row('endless-head', 'check', 'fails, no harness-error', [1], [serverBlamed]),
  row('drip', 'check', 'fails, no harness-error', [1], [serverBlamed]),
  row('reset-mid-head', 'check', 'fails, no harness-error', [1], [serverBlamed]),
  row('reset-mid-body', 'check', 'fails, no harness-error', [1], [serverBlamed], SOME_CASES),
  row('close-before-byte', 'check', 'fails, no harness-error', [1], [serverBlamed]),
  row('cl-too-short', 'check', 'fails, no harness-error', [1], [serverBlamed], SOME_CASES),
  row('cl-too-long', 'check', 'fails, no harness-error', [1], [serverBlamed], SOME_CASES),
  row(
    'dies-mid-run',
    'check',
    'cases in flight fail with exit code 3, stderr kept; no harness-error',
    [1],
    [serverBlamed, crashCaseNamed],
  ),
  row('forks-keeper', 'check', 'fails (one fixed page), no harness-error', [1], [serverBlamed], SOME_CASES),
  // gate: "failed == 0" unless stated
  row(
    'refuse-after-ready',
    'gate',
    'claims fail, named',
    [1],
    [claimsFailNamed],
    [...QUICK_GATE, '--claim', 'failed == 0', '--claim', `${refusing} >= ${REFERENCE_SERVER} at every c`],
    true,
  ),
  row('hang', 'gate', 'claim fails, named (default options)', [1], [claimsFailNamed]),
  row('endless-chunked', 'gate', 'claim fails, named', [1], [claimsFailNamed], QUICK_GATE),
  row('endless-head', 'gate', 'claim fails, named', [1], [claimsFailNamed], QUICK_GATE),
  row('drip', 'gate', 'claim fails, named', [1], [claimsFailNamed], QUICK_GATE),
  row('reset-mid-head', 'gate', 'claim fails, named', [1], [claimsFailNamed], QUICK_GATE),
  row('reset-mid-body', 'gate', 'claim fails, named', [1], [claimsFailNamed], QUICK_GATE),
  row('close-before-byte', 'gate', 'claim fails, named', [1], [claimsFailNamed], QUICK_GATE),
  row('cl-too-short', 'gate', 'claim decided, with a reason', [0, 1], [claimsDecided], QUICK_GATE),
  row('cl-too-long', 'gate', 'claim fails, named', [1], [claimsFailNamed], QUICK_GATE),
  row('dies-mid-run', 'gate', 'claim fails, named', [1], [claimsFailNamed], QUICK_GATE),
  row('forks-keeper', 'gate', 'claim holds; the escaped child is stopped', [0], [claimsPass], QUICK_GATE),
];

/** The bounds every row shares, as problems. */
export function boundProblems(o: HostileOutcome): string[] {
  const r = o.run;
  const problems: string[] = [];
  if (r.killedBy)
    problems.push(
      `killed by the watchdog (${r.killedBy}) after ${(r.wallMs / 1000).toFixed(1)} s at ${r.peakRssMb.toFixed(0)} MB`,
    );
  if (r.wallMs > BOUNDS.wallMs) problems.push(`took ${(r.wallMs / 1000).toFixed(1)} s, over ${BOUNDS.wallMs / 1000} s`);
  if (r.peakRssMb >= BOUNDS.peakRssMb)
    problems.push(`peak resident memory ${r.peakRssMb.toFixed(0)} MB, not under ${BOUNDS.peakRssMb} MB`);
  for (const l of r.leftovers)
    problems.push(
      `left running: pid ${l.pid} ${l.command}${l.listening.length ? ` (listening on ${l.listening.join(', ')})` : ''}`,
    );
  return problems;
}

/** Everything wrong with a run against its row: bounds, exit code, output, verdict. */
export function caseProblems(c: HostileCase, o: HostileOutcome): string[] {
  const problems = boundProblems(o);
  if (o.run.killedBy) return problems;
  if (!c.exitCodes.includes(o.run.exitCode ?? -1)) {
    problems.push(`exit code ${o.run.exitCode ?? o.run.signal}, expected ${c.exitCodes.join(' or ')}`);
  }
  const trace = /^\s+at .+:\d+:\d+\)?$/m.exec(o.run.stderr);
  if (trace) problems.push(`a stack trace on stderr: ${trace[0].trim()}`);
  for (const check of c.verdict) problems.push(...check(o));
  return problems;
}

/** "server command" for test names and table rows. */
export function caseLabel(c: HostileCase): string {
  return `${c.server} ${c.command}`;
}
