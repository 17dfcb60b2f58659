/**
 * Judging the cells of a pair: which side was faster in each cell, under the rule the run's data
 * supports, and the pair's summary of wins, ties, failures and ratios.
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
import type { CellRecord, RunResults, ServerRecord } from '../types.ts';
import {
  cellSlots,
  medianRun,
  rpsOf,
  runsByServer,
  runsPerCell,
  skippedReason,
  slotKey,
  type CellSlot,
} from '../report/cells.ts';
import { comparePaired, DEFAULT_ALPHA, DEFAULT_TOLERANCE } from '../perf/decide.ts';
import type { CellComparison, CompareOptions, DecisionRule, LeftOutCell, PairSummary, ProblemCount } from './types.ts';

/**
 * Two figures within this fraction of each other are a tie: the faster is at most 5%
 * faster than the slower (max / min <= 1.05). A single run of a few dozen requests
 * moves by more than that from one run to the next, so a smaller difference is no win.
 */
export const TIE_THRESHOLD = 0.05;

/** A cell shorter than this (seconds) is too short for a stable requests-per-second figure. */
export const SHORT_CELL_S = 0.1;

/** Fewer paired runs than this and the two-sided signed-rank test cannot reach p < 0.05. */
export const MIN_ROUNDS_FOR_SIGNIFICANCE = 6;

/** The options with every default filled in. */
export type ResolvedCompareOptions = Required<CompareOptions>;

export function resolveOptions(options: CompareOptions): ResolvedCompareOptions {
  return {
    tieThreshold: options.tieThreshold ?? TIE_THRESHOLD,
    tolerance: options.tolerance ?? DEFAULT_TOLERANCE,
    alpha: options.alpha ?? DEFAULT_ALPHA,
  };
}

/** The decision rule a run's data supports: the two-part rule once cells ran more than once. */
export function decisionRule(run: RunResults): DecisionRule {
  return runsPerCell(run) >= 2 ? 'two-part' : 'one-run';
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

/** Totals of one side's runs of a cell. */
interface SideTotals {
  failed: number;
  requested: number;
  non2xx: number;
  stopped?: string;
}

function sideTotals(runs: readonly CellRecord[]): SideTotals {
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

type CellDecision = Pick<CellComparison, 'winner' | 'ratio' | 'decision'>;

/** The winner of a cell whose sides both completed requests and failed none. */
function decideCell(
  runsA: readonly CellRecord[],
  runsB: readonly CellRecord[],
  rpsA: number,
  rpsB: number,
  rule: DecisionRule,
  settings: ResolvedCompareOptions,
): CellDecision {
  if (rule === 'one-run') {
    const ratio = rpsA > 0 && rpsB > 0 ? rpsA / rpsB : null;
    const faster = Math.max(rpsA, rpsB);
    const slower = Math.min(rpsA, rpsB);
    // The epsilon keeps a ratio of exactly 1 + threshold a tie despite floating-point error.
    const winner = slower > 0 && faster / slower <= 1 + settings.tieThreshold + 1e-9 ? 'tie' : rpsA > rpsB ? 'a' : 'b';
    return { winner, ratio };
  }
  const rounds = pairedRounds(runsA, runsB);
  const reading = comparePaired(rounds.a, rounds.b, { tolerance: settings.tolerance, alpha: settings.alpha });
  // Below 6 pairs the exact signed-rank test cannot reach p < 0.05; the normal approximation,
  // used when differences tie, sometimes can, which would make a winner of too few runs.
  const enough = rounds.a.length >= MIN_ROUNDS_FOR_SIGNIFICANCE;
  const winner = enough && reading.outcome === 'faster' ? 'a' : enough && reading.outcome === 'slower' ? 'b' : 'tie';
  const ratio = rpsA > 0 && rpsB > 0 && Number.isFinite(reading.ratio) ? reading.ratio : null;
  return {
    winner,
    ratio,
    decision: {
      outcome: reading.outcome,
      p: reading.p,
      lo: reading.interval.lo,
      hi: reading.interval.hi,
      rounds: reading.n,
    },
  };
}

/** One cell of a pair: judged, or left out with the reason. */
type JudgedCell = { compared: CellComparison } | { leftOut: LeftOutCell };

function judgeCell(
  slot: CellSlot,
  listA: readonly CellRecord[],
  listB: readonly CellRecord[],
  sides: { a: ServerRecord; b: ServerRecord },
  rule: DecisionRule,
  settings: ResolvedCompareOptions,
): JudgedCell {
  const medianA = medianRun(listA);
  const medianB = medianRun(listB);
  if (!medianA || !medianB) {
    const missing = !medianA && !medianB ? 'both' : !medianA ? 'a' : 'b';
    const reason = [!medianA ? skippedReason(sides.a, slot) : null, !medianB ? skippedReason(sides.b, slot) : null]
      .filter(Boolean)
      .join('; ');
    return { leftOut: { ...slot, missing, ...(reason ? { reason } : {}) } };
  }
  const totalsA = sideTotals(listA);
  const totalsB = sideTotals(listB);
  const rpsA = rpsOf(medianA);
  const rpsB = rpsOf(medianB);
  const failed =
    totalsA.failed > 0 || totalsB.failed > 0 || totalsA.stopped !== undefined || totalsB.stopped !== undefined;
  if (rpsA <= 0 && rpsB <= 0 && !failed) return { leftOut: { ...slot, missing: 'idle' } };
  const decided: CellDecision = failed
    ? { winner: 'failed', ratio: null }
    : decideCell(listA, listB, rpsA, rpsB, rule, settings);
  return {
    compared: {
      ...slot,
      rpsA,
      rpsB,
      ...decided,
      runsA: listA.length,
      runsB: listB.length,
      failedA: totalsA.failed,
      failedB: totalsB.failed,
      requestedA: totalsA.requested,
      requestedB: totalsB.requested,
      ...(totalsA.stopped ? { stoppedA: totalsA.stopped } : {}),
      ...(totalsB.stopped ? { stoppedB: totalsB.stopped } : {}),
      non2xxA: totalsA.non2xx,
      non2xxB: totalsB.non2xx,
      timeTakenA: medianA.result.timeTakenS,
      timeTakenB: medianB.result.timeTakenS,
    },
  };
}

/** Every cell of the run for servers a and b, in report order: those compared and those left out. */
export function judgeCells(
  run: RunResults,
  a: ServerRecord,
  b: ServerRecord,
  settings: ResolvedCompareOptions,
): { cells: CellComparison[]; leftOut: LeftOutCell[] } {
  const rule = decisionRule(run);
  const runsA = runsByServer(run, a.name);
  const runsB = runsByServer(run, b.name);
  const cells: CellComparison[] = [];
  const leftOut: LeftOutCell[] = [];
  for (const slot of cellSlots(run)) {
    const judged = judgeCell(
      slot,
      runsA.get(slotKey(slot)) ?? [],
      runsB.get(slotKey(slot)) ?? [],
      { a, b },
      rule,
      settings,
    );
    if ('compared' in judged) cells.push(judged.compared);
    else leftOut.push(judged.leftOut);
  }
  return { cells, leftOut };
}

function problems(
  cells: CellComparison[],
  pick: (c: CellComparison) => number,
  of: (c: CellComparison) => number,
): ProblemCount {
  const hit = cells.filter((c) => pick(c) > 0);
  return {
    requests: hit.reduce((sum, c) => sum + pick(c), 0),
    cells: hit.length,
    of: hit.reduce((sum, c) => sum + of(c), 0),
  };
}

/** Wins, ties, failures and the spread of the ratios over a pair's compared cells. */
export function summarize(cells: CellComparison[]): PairSummary {
  const ranked = cells.filter((c) => c.winner !== 'failed');
  const ratios = ranked.flatMap((c) => (c.ratio === null ? [] : [c.ratio]));
  const winsA = cells.filter((c) => c.winner === 'a').length;
  const winsB = cells.filter((c) => c.winner === 'b').length;
  return {
    compared: cells.length,
    failed: cells.length - ranked.length,
    winsA,
    winsB,
    ties: cells.filter((c) => c.winner === 'tie').length,
    leader: winsA > winsB ? 'a' : winsB > winsA ? 'b' : null,
    medianRatio: medianRatio(ratios),
    minRatio: ratios.length ? Math.min(...ratios) : null,
    maxRatio: ratios.length ? Math.max(...ratios) : null,
    failedA: problems(
      cells,
      (c) => c.failedA,
      (c) => c.requestedA,
    ),
    failedB: problems(
      cells,
      (c) => c.failedB,
      (c) => c.requestedB,
    ),
    non2xxA: problems(
      cells,
      (c) => c.non2xxA,
      (c) => c.requestedA,
    ),
    non2xxB: problems(
      cells,
      (c) => c.non2xxB,
      (c) => c.requestedB,
    ),
  };
}
