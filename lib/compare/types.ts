/**
 * The comparison as results.json stores it under `comparison`: pairs of servers that differ only
 * in concurrency model, their cells judged one by one, and the conclusion in sentences. The run's
 * types (lib/types.ts) name these, so this module imports only what imports nothing back.
 */
import type { CellSlot } from '../report/cell-slot.ts';

export interface ServerRef {
  name: string;
  model: string;
  language: string;
}

/**
 * How the cells of a comparison were decided: 'one-run' (the faster of one run each unless within
 * the tie threshold) or 'two-part' (the gate's rule over the rounds; lib/compare/judge.ts).
 */
export type DecisionRule = 'one-run' | 'two-part';

/**
 * The two-part rule's reading of a cell, as the gate words it (Outcome in lib/perf/decide.ts,
 * which reaches the run's types through the statistics and so cannot be named here; the judge
 * assigns one to the other, so the compiler keeps them the same).
 */
export type DecisionOutcome = 'faster' | 'slower' | 'within' | 'undecided';

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
  decision?: { outcome: DecisionOutcome; p: number; lo: number; hi: number; rounds: number };
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
