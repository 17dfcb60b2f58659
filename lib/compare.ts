/**
 * Pairs of servers that differ only in concurrency model (same language, different
 * model), compared cell by cell on requests per second, and a conclusion computed from
 * those figures. The comparison is plain data (it goes into results.json and feeds perf
 * gates); the render functions turn it into terminal text, markdown or HTML fragments.
 *
 * How a cell is decided depends on what the run holds:
 * - several runs per cell (the default): the gate's two-part rule on the per-round figures,
 *   a cell is "faster" only when the signed-rank test says so AND the interval of the ratio
 *   lies beyond the tolerance; otherwise "no clear difference";
 * - one run per cell (the seed's way): the faster of the two unless they are within 5%, with a
 *   caveat that one run cannot tell noise from a difference.
 * Either way a cell where a side had failed requests, or stopped early, is never ranked: a
 * server that refuses every connection is not fast.
 */
import type { CellRecord, RunResults, ServerRecord } from './types.ts';
import { cellSlots, firstLine, medianRun, rpsOf, runsByServer, runsPerCell, skippedReason, slotKey, type CellSlot } from './report/cells.ts';
import { comparePaired, DEFAULT_ALPHA, DEFAULT_TOLERANCE, type Outcome } from './perf/decide.ts';
import {
  cellLabel,
  escapeHtml,
  escapeMarkdown,
  fixed,
  inlineCodeSpans,
  integer,
  plural,
  sanitizeTerminal,
} from './report/format.ts';
import { renderTextTable, type Tone } from './report/text-table.ts';

/**
 * Two figures within this fraction of each other are a tie: the faster is at most 5%
 * faster than the slower (max / min <= 1.05). A single run of a few dozen requests
 * moves by more than that from one run to the next, so a smaller difference is no win.
 */
export const TIE_THRESHOLD = 0.05;

/** A cell shorter than this (seconds) is too short for a stable requests-per-second figure. */
export const SHORT_CELL_S = 0.1;

/** Models that say nothing about how a server handles concurrency: never paired. */
const UNKNOWN_MODELS = new Set(['', 'unknown', 'ad-hoc', 'adhoc', 'other', 'n/a', 'none', '?']);

export interface ServerRef {
  name: string;
  model: string;
  language: string;
}

/** How the cells of a comparison were decided (see the top of this file). */
export type DecisionRule = 'one-run' | 'two-part';

export interface CellComparison extends CellSlot {
  /** Requests per second of each side's median run (its only run for a one-run cell). */
  rpsA: number;
  rpsB: number;
  /**
   * rpsA / rpsB (with several runs, the gate's ratio of the round-corrected medians); null when
   * one side completed no request or a side failed requests, so that no ratio is read as a speed.
   */
  ratio: number | null;
  /**
   * The faster side; 'tie' when no side is: within the tie threshold (one run) or no clear
   * difference by the two-part rule (several runs); 'failed' when a side had failed requests.
   */
  winner: 'a' | 'b' | 'tie' | 'failed';
  /** Runs of the cell per side. */
  runsA: number;
  runsB: number;
  /** Failed requests over every run of the cell, and the requests asked for in them. */
  failedA: number;
  failedB: number;
  requestedA: number;
  requestedB: number;
  /** Why a side's run stopped early (the engine's reason), when one did. */
  stoppedA?: string;
  stoppedB?: string;
  non2xxA: number;
  non2xxB: number;
  timeTakenA: number;
  timeTakenB: number;
  /** The two-part rule's reading (several runs only): outcome, p-value and 95% interval of the ratio. */
  decision?: { outcome: Outcome; p: number; lo: number; hi: number; rounds: number };
}

export interface LeftOutCell extends CellSlot {
  /** 'a', 'b' or 'both': who has no result; 'idle': both ran but neither completed a request. */
  missing: 'a' | 'b' | 'both' | 'idle';
  /** Why the missing side was skipped (it had stopped answering, or crashed), when it was. */
  reason?: string;
}

export interface ProblemCount {
  requests: number;
  cells: number;
  /** Requests asked for in those cells (every run), so that "200 of 200" can be said. */
  of: number;
}

export interface PairSummary {
  /** Cells measured by both with at least one completed request, failed ones included. */
  compared: number;
  /** Cells not ranked because a side had failed requests or stopped early. */
  failed: number;
  winsA: number;
  winsB: number;
  ties: number;
  /** The side that won more cells; null when both won as many. */
  leader: 'a' | 'b' | null;
  /**
   * Median of rpsA / rpsB over cells with a finite ratio. With an even count it is the
   * geometric mean of the middle two, so that the median of b / a is exactly its inverse.
   */
  medianRatio: number | null;
  minRatio: number | null;
  maxRatio: number | null;
  failedA: ProblemCount;
  failedB: ProblemCount;
  non2xxA: ProblemCount;
  non2xxB: ProblemCount;
}

export interface PairComparison {
  a: ServerRef;
  b: ServerRef;
  cells: CellComparison[];
  leftOut: LeftOutCell[];
  summary: PairSummary;
  /** One sentence (or two) computed from the figures above. */
  verdict: string;
}

export interface UnpairedServer extends ServerRef {
  reason: string;
}

export interface Comparison {
  /** How the cells were decided: the tie threshold (one run) or the gate's two-part rule. */
  rule: DecisionRule;
  tieThreshold: number;
  /** The two-part rule's tolerance and significance level. */
  tolerance: number;
  alpha: number;
  /** The most records any cell has; 1 for an ordinary run. */
  runsPerCell: number;
  pairs: PairComparison[];
  unpaired: UnpairedServer[];
  /** The verdicts, one per pair, or a sentence saying why there is nothing to compare. */
  conclusion: string[];
  /** What the verdicts cannot tell, computed from the run (runs per cell, cell length). */
  caveats: string[];
}

export interface CompareOptions {
  tieThreshold?: number;
  /** The two-part rule's tolerance (default the gate's, 10%). */
  tolerance?: number;
  alpha?: number;
}

/** Fewer paired runs than this and the two-sided signed-rank test cannot reach p < 0.05. */
export const MIN_ROUNDS_FOR_SIGNIFICANCE = 6;

function ref(server: ServerRecord): ServerRef {
  return { name: server.name, model: server.model, language: server.language };
}

function norm(text: string): string {
  return text.trim().toLowerCase();
}

export function isKnownModel(model: string): boolean {
  return !UNKNOWN_MODELS.has(norm(model));
}

/**
 * Every pair of servers with the same language and different known models, in the
 * order the run lists the servers (a before b).
 */
export function concurrencyPairs(servers: ServerRecord[]): [ServerRecord, ServerRecord][] {
  const pairs: [ServerRecord, ServerRecord][] = [];
  servers.forEach((a, i) => {
    for (const b of servers.slice(i + 1)) {
      if (!isKnownModel(a.model) || !isKnownModel(b.model) || !isKnownModel(a.language)) continue;
      if (norm(a.language) !== norm(b.language) || norm(a.model) === norm(b.model)) continue;
      pairs.push([a, b]);
    }
  });
  return pairs;
}

/** Median in log space: see PairSummary.medianRatio. */
export function medianRatio(ratios: number[]): number | null {
  if (ratios.length === 0) return null;
  const sorted = [...ratios].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid] ?? null;
  const lo = sorted[mid - 1];
  const hi = sorted[mid];
  return lo === undefined || hi === undefined ? null : Math.sqrt(lo * hi);
}

/** "1.83x", "30.5x", "405x", "0.0025x": about three significant figures. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio <= 0) return 'n/a';
  if (ratio < 0.01) return `${ratio.toPrecision(2)}x`;
  if (ratio >= 100) return `${ratio.toFixed(0)}x`;
  if (ratio >= 10) return `${ratio.toFixed(1)}x`;
  return `${ratio.toFixed(2)}x`;
}

function percent(threshold: number): string {
  return `${Number((threshold * 100).toFixed(2))}%`;
}

function problems(cells: CellComparison[], pick: (c: CellComparison) => number, of: (c: CellComparison) => number): ProblemCount {
  const hit = cells.filter((c) => pick(c) > 0);
  return { requests: hit.reduce((sum, c) => sum + pick(c), 0), cells: hit.length, of: hit.reduce((sum, c) => sum + of(c), 0) };
}

/** Totals of one side's runs of a cell. */
function sideTotals(runs: readonly CellRecord[]): { failed: number; requested: number; non2xx: number; stopped?: string } {
  let failed = 0;
  let requested = 0;
  let non2xx = 0;
  let stopped: string | undefined;
  for (const r of runs) {
    failed += r.result.failedRequests;
    requested += r.result.requested;
    non2xx += r.result.non2xx;
    stopped ??= r.result.stopped?.reason;
  }
  return { failed, requested, non2xx, ...(stopped ? { stopped } : {}) };
}

/** Requests per second of the runs both sides made in the same round, in round order. */
export function pairedRounds(runsA: readonly CellRecord[], runsB: readonly CellRecord[]): { a: number[]; b: number[] } {
  const byRound = new Map<number, CellRecord>();
  runsB.forEach((r, i) => byRound.set(r.round ?? i, r));
  const a: number[] = [];
  const b: number[] = [];
  runsA.forEach((r, i) => {
    const other = byRound.get(r.round ?? i);
    if (!other) return;
    a.push(rpsOf(r));
    b.push(rpsOf(other));
  });
  return { a, b };
}

/** The winner of a cell whose sides both completed requests and failed none. */
function decideCell(
  runsA: readonly CellRecord[],
  runsB: readonly CellRecord[],
  rpsA: number,
  rpsB: number,
  rule: DecisionRule,
  o: Required<CompareOptions>,
): Pick<CellComparison, 'winner' | 'ratio' | 'decision'> {
  if (rule === 'one-run') {
    const ratio = rpsA > 0 && rpsB > 0 ? rpsA / rpsB : null;
    const faster = Math.max(rpsA, rpsB);
    const slower = Math.min(rpsA, rpsB);
    // The epsilon keeps a ratio of exactly 1 + threshold a tie despite floating-point error.
    const winner = slower > 0 && faster / slower <= 1 + o.tieThreshold + 1e-9 ? 'tie' : rpsA > rpsB ? 'a' : 'b';
    return { winner, ratio };
  }
  const { a, b } = pairedRounds(runsA, runsB);
  const v = comparePaired(a, b, { tolerance: o.tolerance, alpha: o.alpha });
  // Below 6 pairs the exact signed-rank test cannot reach p < 0.05; the normal approximation,
  // used when differences tie, sometimes can, which would make a winner of too few runs.
  const enough = a.length >= MIN_ROUNDS_FOR_SIGNIFICANCE;
  const winner = enough && v.outcome === 'faster' ? 'a' : enough && v.outcome === 'slower' ? 'b' : 'tie';
  const ratio = rpsA > 0 && rpsB > 0 && Number.isFinite(v.ratio) ? v.ratio : null;
  return { winner, ratio, decision: { outcome: v.outcome, p: v.p, lo: v.interval.lo, hi: v.interval.hi, rounds: v.n } };
}

/** The decision rule a run's data supports: the two-part rule once cells ran more than once. */
export function decisionRule(run: RunResults): DecisionRule {
  return runsPerCell(run) >= 2 ? 'two-part' : 'one-run';
}

function resolveOptions(options: CompareOptions): Required<CompareOptions> {
  return {
    tieThreshold: options.tieThreshold ?? TIE_THRESHOLD,
    tolerance: options.tolerance ?? DEFAULT_TOLERANCE,
    alpha: options.alpha ?? DEFAULT_ALPHA,
  };
}

export function comparePair(
  run: RunResults,
  a: ServerRecord,
  b: ServerRecord,
  options: CompareOptions = {},
): PairComparison {
  const o = resolveOptions(options);
  const rule = decisionRule(run);
  const runsA = runsByServer(run, a.name);
  const runsB = runsByServer(run, b.name);
  const cells: CellComparison[] = [];
  const leftOut: LeftOutCell[] = [];

  for (const slot of cellSlots(run)) {
    const listA = runsA.get(slotKey(slot)) ?? [];
    const listB = runsB.get(slotKey(slot)) ?? [];
    const ra = medianRun(listA);
    const rb = medianRun(listB);
    if (!ra || !rb) {
      const missing = !ra && !rb ? 'both' : !ra ? 'a' : 'b';
      const reason = [!ra ? skippedReason(a, slot) : null, !rb ? skippedReason(b, slot) : null].filter(Boolean).join('; ');
      leftOut.push({ ...slot, missing, ...(reason ? { reason } : {}) });
      continue;
    }
    const ta = sideTotals(listA);
    const tb = sideTotals(listB);
    const rpsA = rpsOf(ra);
    const rpsB = rpsOf(rb);
    const failed = ta.failed > 0 || tb.failed > 0 || ta.stopped !== undefined || tb.stopped !== undefined;
    if (rpsA <= 0 && rpsB <= 0 && !failed) {
      leftOut.push({ ...slot, missing: 'idle' });
      continue;
    }
    const decided: Pick<CellComparison, 'winner' | 'ratio' | 'decision'> = failed
      ? { winner: 'failed', ratio: null }
      : decideCell(listA, listB, rpsA, rpsB, rule, o);
    cells.push({
      ...slot,
      rpsA,
      rpsB,
      ...decided,
      runsA: listA.length,
      runsB: listB.length,
      failedA: ta.failed,
      failedB: tb.failed,
      requestedA: ta.requested,
      requestedB: tb.requested,
      ...(ta.stopped ? { stoppedA: ta.stopped } : {}),
      ...(tb.stopped ? { stoppedB: tb.stopped } : {}),
      non2xxA: ta.non2xx,
      non2xxB: tb.non2xx,
      timeTakenA: ra.result.timeTakenS,
      timeTakenB: rb.result.timeTakenS,
    });
  }

  const ranked = cells.filter((c) => c.winner !== 'failed');
  const ratios = ranked.flatMap((c) => (c.ratio === null ? [] : [c.ratio]));
  const winsA = cells.filter((c) => c.winner === 'a').length;
  const winsB = cells.filter((c) => c.winner === 'b').length;
  const summary: PairSummary = {
    compared: cells.length,
    failed: cells.length - ranked.length,
    winsA,
    winsB,
    ties: cells.filter((c) => c.winner === 'tie').length,
    leader: winsA > winsB ? 'a' : winsB > winsA ? 'b' : null,
    medianRatio: medianRatio(ratios),
    minRatio: ratios.length ? Math.min(...ratios) : null,
    maxRatio: ratios.length ? Math.max(...ratios) : null,
    failedA: problems(cells, (c) => c.failedA, (c) => c.requestedA),
    failedB: problems(cells, (c) => c.failedB, (c) => c.requestedB),
    non2xxA: problems(cells, (c) => c.non2xxA, (c) => c.requestedA),
    non2xxB: problems(cells, (c) => c.non2xxB, (c) => c.requestedB),
  };
  const pair: PairComparison = { a: ref(a), b: ref(b), cells, leftOut, summary, verdict: '' };
  pair.verdict = verdict(pair, rule, o, cellSlots(run).length);
  return pair;
}

function ratioRange(ratios: number[]): string {
  const median = medianRatio(ratios);
  if (median === null) return '';
  if (ratios.length === 1) return ` (ratio ${formatRatio(median)})`;
  return ` (median ratio ${formatRatio(median)}, from ${formatRatio(Math.min(...ratios))} to ${formatRatio(Math.max(...ratios))})`;
}

function listCells(cells: CellSlot[]): string {
  const labels = cells.map(cellLabel);
  if (labels.length <= 1) return labels.join('');
  return `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}`;
}

/** The words for a cell where neither side is called faster, under each rule. */
function tieWords(rule: DecisionRule, threshold: number): string {
  return rule === 'two-part' ? 'no clear difference' : `within ${percent(threshold)} (a tie)`;
}

/** "x failed 200 of 200 requests in 1 cell (stopped early: connection refused)". */
function failureClause(
  name: string,
  cells: CellComparison[],
  pick: (c: CellComparison) => { failed: number; requested: number; stopped?: string },
): string | null {
  const hit = cells.map(pick).filter((x) => x.failed > 0 || x.stopped !== undefined);
  if (hit.length === 0) return null;
  const failed = hit.reduce((n, x) => n + x.failed, 0);
  const of = hit.reduce((n, x) => n + x.requested, 0);
  const stopped = hit.filter((x) => x.stopped !== undefined);
  let text = `${name} failed ${integer(failed)} of ${plural(of, 'request')} in ${plural(hit.length, 'cell')}`;
  if (stopped.length > 0) text += ` (stopped early in ${stopped.length}: ${stopped[0]!.stopped})`;
  return text;
}

/** The verdict for one pair: who was faster, by how much, and what weakens the claim. */
function verdict(pair: PairComparison, rule: DecisionRule, o: Required<CompareOptions>, matrixCells: number): string {
  const { a, b, cells, summary: s } = pair;
  const ranked = s.compared - s.failed;
  const tie = tieWords(rule, o.tieThreshold);
  const rankedCells = cells.filter((c) => c.winner !== 'failed');
  let main: string;

  if (s.compared === 0) {
    main = `${a.name} and ${b.name} could not be compared: no cell has a completed request from both`;
  } else if (ranked === 0) {
    main = `${a.name} and ${b.name} could not be ranked: every cell measured by both had failed requests`;
  } else if (s.leader) {
    const [lead, other] = s.leader === 'a' ? [a, b] : [b, a];
    const leadWins = s.leader === 'a' ? s.winsA : s.winsB;
    const otherWins = s.leader === 'a' ? s.winsB : s.winsA;
    // Ratios from the leader's side, so the sentence reads "X was faster ... (median 1.8x)".
    const ratios = rankedCells.flatMap((c) => (c.ratio === null ? [] : [s.leader === 'a' ? c.ratio : 1 / c.ratio]));
    const rest: string[] = [];
    if (otherWins > 0) rest.push(`slower in ${otherWins}`);
    if (s.ties > 0) rest.push(`${tie} in ${s.ties}`);
    main = `${lead.name} was faster than ${other.name} in ${leadWins} of ${plural(ranked, 'cell')}`;
    if (rest.length) main += `, ${rest.join(' and ')}`;
    main += ratioRange(ratios);
  } else if (s.ties === ranked) {
    const ratios = rankedCells.flatMap((c) => (c.ratio === null ? [] : [c.ratio]));
    const where = ranked === 1 ? 'the only cell ranked' : `all ${ranked} cells`;
    main =
      rule === 'two-part'
        ? `${a.name} and ${b.name} showed no clear difference in ${where}${ratioRange(ratios)}`
        : `${a.name} and ${b.name} were ${tie} in ${where}${ratioRange(ratios)}`;
  } else {
    const ratios = rankedCells.flatMap((c) => (c.ratio === null ? [] : [c.ratio]));
    const ties =
      s.ties === 0
        ? ''
        : rule === 'two-part'
          ? ` and ${s.ties} showed no clear difference`
          : ` and ${s.ties} ${s.ties === 1 ? 'was a tie' : 'were ties'} (within ${percent(o.tieThreshold)})`;
    main =
      `Neither ${a.name} nor ${b.name} was consistently faster: ${a.name} was faster in ${s.winsA}, ` +
      `${b.name} in ${s.winsB}${ties} of ${ranked} cells` +
      (ratios.length ? ` (${a.name}/${b.name}${ratioRange(ratios).replace(/^ \(/, ': ')}` : '');
  }

  const noRatio = rankedCells.filter((c) => c.ratio === null);
  if (noRatio.length > 0) {
    const zeroA = noRatio.filter((c) => c.rpsA <= 0).length;
    const zeroB = noRatio.length - zeroA;
    const who = [zeroA ? `${a.name} in ${plural(zeroA, 'cell')}` : '', zeroB ? `${b.name} in ${plural(zeroB, 'cell')}` : '']
      .filter(Boolean)
      .join(' and ');
    main += `; no ratio where one side completed no request (${who})`;
  }

  // A fast error page is not a fast server: say when the figures include non-2xx answers.
  const non2xx: string[] = [];
  for (const [server, count] of [
    [a, s.non2xxA],
    [b, s.non2xxB],
  ] as const) {
    if (count.requests > 0) non2xx.push(`${server.name} answered ${plural(count.requests, 'request')} in ${plural(count.cells, 'cell')} with a non-2xx status`);
  }
  let sentence = main;
  if (non2xx.length) sentence += `${ranked === 0 ? '; ' : ', but '}${non2xx.join(' and ')}`;
  sentence += '.';

  const failedCells = cells.filter((c) => c.winner === 'failed');
  if (failedCells.length > 0) {
    const who = [
      failureClause(a.name, failedCells, (c) => ({ failed: c.failedA, requested: c.requestedA, ...(c.stoppedA ? { stopped: c.stoppedA } : {}) })),
      failureClause(b.name, failedCells, (c) => ({ failed: c.failedB, requested: c.requestedB, ...(c.stoppedB ? { stopped: c.stoppedB } : {}) })),
    ].filter((x): x is string => x !== null);
    const where = failedCells.length > 1 && failedCells.length === s.compared ? `all ${s.compared} cells` : listCells(failedCells);
    sentence += ` Not ranked because of failed requests: ${where} (${who.join('; ')}).`;
  }

  if (pair.leftOut.length > 0) {
    const reasons: [LeftOutCell['missing'], string][] = [
      ['a', `not measured for ${a.name}`],
      ['b', `not measured for ${b.name}`],
      ['both', `not measured for either`],
      ['idle', `neither completed a request`],
    ];
    const parts = reasons.flatMap(([kind, why]) => {
      const hit = pair.leftOut.filter((c) => c.missing === kind);
      if (hit.length === 0) return [];
      // A skip names its reason ("x stopped answering in n=10 c=1"), the same for every cell it hit.
      const skipped = [...new Set(hit.flatMap((c) => (c.reason ? [c.reason] : [])))];
      return [`${listCells(hit)} (${skipped.length ? skipped.join('; ') : why})`];
    });
    const total = Math.max(matrixCells, s.compared + pair.leftOut.length);
    sentence += ` ${pair.leftOut.length} of ${plural(total, 'cell')} ${pair.leftOut.length === 1 ? 'was' : 'were'} left out: ${parts.join('; ')}.`;
  }
  return sentence;
}

/** A line for each server that stopped answering or crashed: the conclusion names them. */
function serverTrouble(run: RunResults): string[] {
  return run.servers.flatMap((server) => {
    const skipped = server.skippedCells?.length ?? 0;
    const rest = skipped > 0 ? `; its ${plural(skipped, 'remaining cell')} ${skipped === 1 ? 'was' : 'were'} skipped` : '';
    if (server.stoppedAnswering) return [`${server.stoppedAnswering}${rest}.`];
    if (server.error && skipped > 0) return [`${server.name} ${firstLine(server.error)}${rest}.`];
    return [];
  });
}


/** What the verdicts cannot tell, from the run: the rule used, its limits, short cells. */
function caveatsOf(run: RunResults, rule: DecisionRule, o: Required<CompareOptions>, compared: CellComparison[]): string[] {
  const caveats: string[] = [];
  const runs = runsPerCell(run);
  if (rule === 'one-run') {
    caveats.push(
      `One run per cell cannot tell noise from a difference: cells within ${percent(o.tieThreshold)} are called ties and the ` +
        'other ratios carry no uncertainty estimate; run several rounds (`--rounds`) or use `gauntlet gate` for a sound comparison.',
    );
  } else {
    caveats.push(
      `Each cell ran up to ${runs} times per server, the servers interleaved round by round; the tables show each cell's median run. ` +
        `A cell is called faster only when the signed-rank test over the rounds (p < ${o.alpha}) and the 95% interval of the ratio ` +
        `both put the difference beyond ${percent(o.tolerance)} (the rule of \`gauntlet gate\`); otherwise "no clear difference".`,
    );
    if (runs < MIN_ROUNDS_FOR_SIGNIFICANCE) {
      caveats.push(
        `With ${runs} runs per cell the signed-rank test cannot reach p < ${o.alpha} (it needs ${MIN_ROUNDS_FOR_SIGNIFICANCE} at least): ` +
          'no cell can be called faster.',
      );
    }
  }
  const slots = new Map<string, CellComparison[]>();
  for (const c of compared) slots.set(slotKey(c), [...(slots.get(slotKey(c)) ?? []), c]);
  const short = [...slots.values()].filter((list) => list.some((c) => c.timeTakenA < SHORT_CELL_S || c.timeTakenB < SHORT_CELL_S)).length;
  if (short > 0) {
    caveats.push(
      `In ${short} of the ${plural(slots.size, 'compared cell')} a server finished in under ${SHORT_CELL_S * 1000} ms: ` +
        'over so short a time, timer resolution and scheduling weigh as much as the server.',
    );
  }
  return caveats;
}

/** Compares every pair of servers that differ only in concurrency model. */
export function compareRun(run: RunResults, options: CompareOptions = {}): Comparison {
  const o = resolveOptions(options);
  const rule = decisionRule(run);
  const pairs = concurrencyPairs(run.servers).map(([a, b]) => comparePair(run, a, b, o));
  const paired = new Set(pairs.flatMap((p) => [p.a.name, p.b.name]));
  const unpaired = run.servers
    .filter((s) => !paired.has(s.name))
    .map((s): UnpairedServer => ({
      ...ref(s),
      reason: !isKnownModel(s.model)
        ? 'its concurrency model is unknown'
        : !isKnownModel(s.language)
          ? 'its language is unknown'
          : `no other ${s.language} server with a different model`,
    }));

  const conclusion = [
    ...(pairs.length > 0
      ? pairs.map((p) => p.verdict)
      : ['No two servers differ only in concurrency model (same language, different model), so none were compared.']),
    ...serverTrouble(run),
  ];
  const compared = pairs.flatMap((p) => p.cells);
  const caveats = compared.length > 0 ? caveatsOf(run, rule, o, compared) : [];
  return {
    rule,
    tieThreshold: o.tieThreshold,
    tolerance: o.tolerance,
    alpha: o.alpha,
    runsPerCell: runsPerCell(run),
    pairs,
    unpaired,
    conclusion,
    caveats,
  };
}

// ---------------------------------------------------------------------------------------
// Rendering

export type FragmentFormat = 'text' | 'markdown' | 'html';

interface CellRow {
  group: number;
  cells: string[];
  tones: Tone[];
}

/** The "Faster" column: a name, "tie" or "no clear difference", or who failed how much. */
function winnerText(pair: PairComparison, c: CellComparison, rule: DecisionRule): string {
  if (c.winner === 'a') return pair.a.name;
  if (c.winner === 'b') return pair.b.name;
  if (c.winner === 'tie') return rule === 'two-part' ? 'no clear difference' : 'tie';
  const who: string[] = [];
  if (c.failedA > 0 || c.stoppedA) who.push(`${pair.a.name} failed ${integer(c.failedA)} of ${integer(c.requestedA)}`);
  if (c.failedB > 0 || c.stoppedB) who.push(`${pair.b.name} failed ${integer(c.failedB)} of ${integer(c.requestedB)}`);
  return who.join(', ');
}

function intervalText(c: CellComparison): string {
  if (!c.decision || c.ratio === null || !(c.decision.lo > 0)) return 'n/a';
  return `${formatRatio(c.decision.lo)}-${formatRatio(c.decision.hi)}`;
}

/** The per-cell comparison of one pair as header + rows of plain (unescaped) text. */
function pairTable(pair: PairComparison, rule: DecisionRule): { headers: string[]; rows: CellRow[] } {
  const showFailed = pair.cells.some((c) => c.failedA > 0 || c.failedB > 0);
  const showNon2xx = pair.cells.some((c) => c.non2xxA > 0 || c.non2xxB > 0);
  const median = rule === 'two-part' ? ', median run' : '';
  // With rounds, the ratio is the gate's paired one (the median of the per-round ratios), a over
  // b with its interval: it can differ from the ratio of the two median runs shown beside it.
  const ab = `${pair.a.name}/${pair.b.name}`;
  const by = rule === 'two-part' ? `${ab} (per round)` : 'By';
  const headers = ['Cell', `${pair.a.name} (#/sec${median})`, `${pair.b.name} (#/sec${median})`, 'Faster', by];
  if (rule === 'two-part') headers.push(`${ab} 95% interval`);
  if (showFailed) headers.push(`Failed ${pair.a.name}`, `Failed ${pair.b.name}`);
  if (showNon2xx) headers.push(`Non-2xx ${pair.a.name}`, `Non-2xx ${pair.b.name}`);
  const rows = pair.cells.map((c): CellRow => {
    // "By" is faster over slower, so that it reads as a speed-up whichever side won;
    // the data keeps a / b.
    const by = c.ratio === null ? 'n/a' : formatRatio(rule === 'two-part' ? c.ratio : Math.max(c.ratio, 1 / c.ratio));
    const cells = [cellLabel(c), fixed(c.rpsA, 2), fixed(c.rpsB, 2), winnerText(pair, c, rule), by];
    const tone: Tone = c.winner === 'failed' ? 'bad' : c.winner === 'tie' ? 'dim' : 'good';
    const tones: Tone[] = ['plain', 'plain', 'plain', tone, 'plain'];
    if (rule === 'two-part') {
      cells.push(intervalText(c));
      tones.push('plain');
    }
    if (showFailed) {
      cells.push(integer(c.failedA), integer(c.failedB));
      tones.push(c.failedA > 0 ? 'bad' : 'plain', c.failedB > 0 ? 'bad' : 'plain');
    }
    if (showNon2xx) {
      cells.push(integer(c.non2xxA), integer(c.non2xxB));
      tones.push(c.non2xxA > 0 ? 'warn' : 'plain', c.non2xxB > 0 ? 'warn' : 'plain');
    }
    return { group: c.group, cells, tones };
  });
  return { headers, rows };
}

function pairTitle(pair: PairComparison): string {
  return `${pair.a.name} (${pair.a.model}) vs ${pair.b.name} (${pair.b.model}), ${pair.a.language}`;
}

function tieNote(comparison: Comparison): string {
  const by = "By = the faster's requests per second over the slower's";
  if (comparison.rule === 'two-part') {
    return (
      'a/b (per round) = the median over the rounds of a\'s requests per second over b\'s, with its 95% interval; ' +
      `a cell is faster only when the signed-rank test (p < ${comparison.alpha}) and the whole interval put the difference ` +
      `beyond ${percent(comparison.tolerance)}, "no clear difference" otherwise; a cell with failed requests is never ranked.`
    );
  }
  return `${by}; within ${percent(comparison.tieThreshold)} counts as a tie; a cell with failed requests is never ranked.`;
}

function unpairedLine(s: UnpairedServer): string {
  return `${s.name} (${s.model}, ${s.language}) is not compared: ${s.reason}.`;
}

function textTables(comparison: Comparison, color: boolean): string {
  const blocks: string[] = [];
  for (const pair of comparison.pairs) {
    const { headers, rows } = pairTable(pair, comparison.rule);
    const groups: CellRow[][] = [];
    for (const row of rows) {
      const last = groups[groups.length - 1];
      if (last && last[0]?.group === row.group) last.push(row);
      else groups.push([row]);
    }
    const lines = [sanitizeTerminal(pairTitle(pair))];
    if (rows.length > 0) {
      lines.push(
        renderTextTable({
          headers: headers.map(sanitizeTerminal),
          align: headers.map((_, i) => (i === 0 || i === 3 ? 'left' : 'right')),
          groups: groups.map((g) => g.map((r) => r.cells.map(sanitizeTerminal))),
          color,
          headerWidth: 16,
          tone: (g, r, c) => groups[g]?.[r]?.tones[c] ?? 'plain',
        }),
      );
    }
    blocks.push(lines.join('\n'));
  }
  if (comparison.pairs.some((p) => p.cells.length > 0)) blocks.push(tieNote(comparison));
  for (const s of comparison.unpaired) blocks.push(sanitizeTerminal(unpairedLine(s)));
  return blocks.join('\n\n');
}

function markdownCell(text: string): string {
  return escapeMarkdown(text);
}

function markdownTables(comparison: Comparison): string {
  const blocks: string[] = [];
  for (const pair of comparison.pairs) {
    const { headers, rows } = pairTable(pair, comparison.rule);
    const lines = [`**${escapeMarkdown(pairTitle(pair))}**`];
    if (rows.length > 0) {
      lines.push('');
      lines.push(`| ${headers.map(markdownCell).join(' | ')} |`);
      lines.push(`|${headers.map((_, i) => (i === 0 || i === 3 ? ' --- ' : ' ---: ')).join('|')}|`);
      for (const row of rows) lines.push(`| ${row.cells.map(markdownCell).join(' | ')} |`);
    }
    blocks.push(lines.join('\n'));
  }
  if (comparison.pairs.some((p) => p.cells.length > 0)) blocks.push(escapeMarkdown(tieNote(comparison)));
  if (comparison.unpaired.length > 0) {
    blocks.push(comparison.unpaired.map((s) => `- ${escapeMarkdown(unpairedLine(s), { lineStart: true })}`).join('\n'));
  }
  return blocks.join('\n\n');
}

function htmlTables(comparison: Comparison): string {
  const blocks: string[] = [];
  for (const pair of comparison.pairs) {
    const { headers, rows } = pairTable(pair, comparison.rule);
    const lines = [`<h3>${escapeHtml(pairTitle(pair))}</h3>`];
    if (rows.length > 0) {
      lines.push('<table class="cmp">');
      lines.push(`  <tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`);
      for (const row of rows) {
        const tds = row.cells.map((text, i) => {
          const tone = row.tones[i] ?? 'plain';
          const cls = tone === 'plain' ? '' : ` class="${tone}"`;
          return `<td${cls}>${escapeHtml(text)}</td>`;
        });
        lines.push(`  <tr>${tds.join('')}</tr>`);
      }
      lines.push('</table>');
    }
    blocks.push(lines.join('\n'));
  }
  if (comparison.pairs.some((p) => p.cells.length > 0)) blocks.push(`<p class="note">${escapeHtml(tieNote(comparison))}</p>`);
  if (comparison.unpaired.length > 0) {
    blocks.push(`<ul class="unpaired">\n${comparison.unpaired.map((s) => `  <li>${escapeHtml(unpairedLine(s))}</li>`).join('\n')}\n</ul>`);
  }
  return blocks.join('\n');
}

export interface RenderOptions {
  /** ANSI colour in the text format (default off). */
  color?: boolean;
}

/** The per-cell tables of every pair (no heading). */
export function renderComparisonTables(comparison: Comparison, format: FragmentFormat, options: RenderOptions = {}): string {
  if (format === 'markdown') return markdownTables(comparison);
  if (format === 'html') return htmlTables(comparison);
  return textTables(comparison, options.color ?? false);
}

/** The verdicts and the caveats (no heading). */
export function renderConclusion(comparison: Comparison, format: FragmentFormat): string {
  if (format === 'html') {
    const verdicts = comparison.conclusion.map((v) => `<p class="verdict">${escapeHtml(v)}</p>`);
    const caveats = comparison.caveats.length
      ? [`<ul class="caveats">\n${comparison.caveats.map((c) => `  <li>${inlineCodeSpans(c, 'html')}</li>`).join('\n')}\n</ul>`]
      : [];
    return [...verdicts, ...caveats].join('\n');
  }
  if (format === 'markdown') {
    const verdicts = comparison.conclusion.map((v) => escapeMarkdown(v, { lineStart: true }));
    const caveats = comparison.caveats.length
      ? [`Caveats:\n\n${comparison.caveats.map((c) => `- ${inlineCodeSpans(c, 'markdown')}`).join('\n')}`]
      : [];
    return [...verdicts, ...caveats].join('\n\n');
  }
  const verdicts = comparison.conclusion.map(sanitizeTerminal);
  const caveats = comparison.caveats.length ? [`Caveats:\n${comparison.caveats.map((c) => `  - ${c}`).join('\n')}`] : [];
  return [...verdicts, ...caveats].join('\n\n');
}

/** Tables and conclusion together, with headings suited to the format. */
export function renderComparison(comparison: Comparison, format: FragmentFormat, options: RenderOptions = {}): string {
  const tables = renderComparisonTables(comparison, format, options);
  const conclusion = renderConclusion(comparison, format);
  if (format === 'html') {
    return `<h2>Comparison</h2>\n${tables}\n<h2>Conclusion</h2>\n${conclusion}`;
  }
  if (format === 'markdown') {
    return `## Comparison\n\n${tables}\n\n## Conclusion\n\n${conclusion}`;
  }
  const bold = (t: string): string => (options.color ? `\u001b[1m${t}\u001b[22m` : t);
  return [bold('Comparison'), tables, bold('Conclusion'), conclusion].filter((p) => p !== '').join('\n\n');
}
