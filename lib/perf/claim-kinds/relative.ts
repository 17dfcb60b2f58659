/**
 * Relative claims: one server's requests per second against another's, measured together in the
 * same cell, interleaved ("a >= b", "a >= 0.9 * b", "a > b at c>=100", "a >= b allowing
 * failures"). A claim between servers holds only when neither fails a request; a failing
 * comparison is measured once more; `>=` claims over several cells get Holm's correction.
 */
import {
  ClaimSyntaxError,
  EVERY_CELL,
  NAME,
  NUMBER,
  parseNumber,
  type CellFilter,
  type ClaimText,
} from '../claim-syntax.ts';
import { comparePaired, type DecisionOptions, type RatioVerdict } from '../decide.ts';
import { side, sideFailures } from '../measurement.ts';
import { rpsOf, type CellMeasurement } from '../sampler.ts';
import { holmAdjust } from '../significance.ts';
import type { ClaimCell, ClaimResult, GateMeasurement } from '../types.ts';
import { plural } from '../../report/format.ts';
import { formatRatio } from '../../report/format.ts';
import {
  cellNotes,
  cellsOf,
  differenceWords,
  formatP,
  formatRatioInterval,
  lastVerdict,
  measurementInfo,
  noTimeNotes,
  notCheckedSentence,
  outcomeWords,
  pct,
  pShort,
  samplesText,
  STOP_WORDS,
  where,
  type ClaimTable,
} from '../report-words.ts';
import type { CellContext, CellLooks, CellPlace, CheckVerdict, ClaimCheck, ClaimKind, ParseOptions } from './kind.ts';

export interface RelativeClaim {
  kind: 'relative';
  text: string;
  /** The side claimed faster (or at least as fast). */
  a: string;
  b: string;
  /** '>=': at least as fast, within the tolerance; '>': faster by more than the tolerance. */
  op: '>=' | '>';
  /** b is scaled by this factor: `a >= 0.9 * b`. */
  factor: number;
  where: CellFilter;
  /** A tolerance for this claim only. */
  tolerance?: number;
  /** Written `allowing failures`: the cell is compared even when a server failed requests. */
  allowFailures?: boolean;
}

const METRIC_WORDS =
  /^(rps|failed|non2xx|p\(\d+\)|med|median|avg|mean|min|max|requests\/s|requests_per_second|failed_requests|non_2xx)$/i;

/** Reads "a >= b", "a >= 0.9 * b", "a < b" (read as "b > a"); null when the text is no comparison of two servers. */
function parseRelative(t: ClaimText, options: ParseOptions): RelativeClaim | null {
  const relative = new RegExp(`^(${NAME})\\s*(>=|>|<=|<)\\s*(?:(${NUMBER})\\s*\\*\\s*)?(${NAME})$`, 'i').exec(t.main);
  if (!relative || METRIC_WORDS.test(relative[1]!) || /^\d/.test(relative[4]!)) return null;
  if (t.scoped) throw new ClaimSyntaxError(t.original, 'a comparison of two servers takes no "server:" prefix');
  const [, x, op, factorText, y] = relative;
  const factor = factorText === undefined ? 1 : parseNumber(factorText, t.original);
  if (!(factor > 0)) throw new ClaimSyntaxError(t.original, 'the factor must be positive');
  if (x === y) throw new ClaimSyntaxError(t.original, 'compares a server with itself');
  const flipped = op === '<=' || op === '<';
  // a <= f * b  is  b >= (1 / f) * a
  const result: RelativeClaim = {
    kind: 'relative',
    text: t.claim,
    a: flipped ? y! : x!,
    b: flipped ? x! : y!,
    op: op === '>' || op === '<' ? '>' : '>=',
    factor: flipped ? 1 / factor : factor,
    where: t.where ?? EVERY_CELL,
  };
  if (options.tolerance !== undefined) result.tolerance = options.tolerance;
  if (t.allowing) result.allowFailures = true;
  return result;
}

export interface RelativeCheck {
  verdict: RatioVerdict;
  pass: boolean;
}

/** Whether one verdict alone lets a relative claim pass: `>=` unless "slower", `>` only on "faster". */
export function verdictPasses(op: RelativeClaim['op'], outcome: RatioVerdict['outcome']): boolean {
  return op === '>=' ? outcome !== 'slower' : outcome === 'faster';
}

/**
 * A relative claim on one measurement: `>=` fails only when a is significantly slower beyond the
 * tolerance; `>` passes only when a is significantly faster beyond it (the two-part rule, whole:
 * an undecided interval never passes a `>` claim nor fails a `>=` one, on a first measurement or
 * a second).
 */
export function checkRelative(
  claim: Pick<RelativeClaim, 'a' | 'b' | 'op' | 'factor'>,
  m: CellMeasurement,
  options: DecisionOptions,
): RelativeCheck {
  const verdict = comparePaired(rpsOf(side(m, claim.a)), rpsOf(side(m, claim.b)), { ...options, factor: claim.factor });
  return { verdict, pass: verdictPasses(claim.op, verdict.outcome) };
}

export interface RelativeDecision {
  pass: boolean;
  /**
   * The p-value the family-wise correction over a claim's cells uses (see familyFailures): for a
   * `>=` cell whose every verdict said "slower", the largest of their p-values (each had to be
   * significant for the failure to stand, so the largest is the failure's level);
   * 1 for a cell that passed, and for `>` claims, which need no correction (below).
   */
  familyP: number;
}

/**
 * A cell of a relative claim from its verdicts: the first measurement's, and when it failed, the
 * second look's, computed on the rounds of both measurements (mergeMeasurements); each decided by
 * its own full two-part verdict.
 * - `>=` fails only when every verdict says "slower": a transient in the first measurement passes.
 * - `>` passes when a verdict says "faster" (significant AND the whole interval beyond the
 *   tolerance). A second look that is merely undecided never passes it: by simulation, passing
 *   on the second look's estimate let a false `>` claim at a true ratio of 1.05 pass 29% of the
 *   time with 10 rounds; with the whole rule, at most twice the rate of one measurement.
 */
export function decideRelative(op: RelativeClaim['op'], verdicts: readonly RatioVerdict[]): RelativeDecision {
  if (verdicts.length === 0) return { pass: false, familyP: 1 };
  const passes = verdicts.map((v) => verdictPasses(op, v.outcome));
  if (op === '>') return { pass: passes.some(Boolean), familyP: 1 };
  const failed = passes.every((p) => !p);
  return { pass: !failed, familyP: failed ? Math.max(...verdicts.map((v) => (Number.isNaN(v.p) ? 1 : v.p))) : 1 };
}

/**
 * The family-wise correction of a `>=` claim over its cells (Holm's step-down method): a claim
 * checked "at every c" over 22 cells would otherwise fail on a chance "slower" in any one of them
 * far more often than alpha. Each cell's familyP (see decideRelative) is adjusted over the
 * claim's m cells; a cell's failure stands only when its adjusted p-value is under alpha.
 * `>` claims need none: they pass only when every cell passes on its own (an intersection of
 * tests, whose chance of passing falsely is at most that of one cell).
 */
export function familyFailures(familyPs: readonly number[], alpha: number): { adjusted: number[]; fails: boolean[] } {
  const adjusted = holmAdjust(familyPs);
  return { adjusted, fails: familyPs.map((p, i) => p < 1 && adjusted[i]! < alpha) };
}

/**
 * A claim between servers holds only when neither fails: a server whose requests fail would
 * otherwise be timed on what it did not do (a refused connection is quick). Returns the reason
 * the cell fails, or null. `allowFailures` claims skip this.
 */
export function failureReason(
  claim: Pick<RelativeClaim, 'a' | 'b' | 'allowFailures'>,
  m: CellMeasurement,
  where: string,
): string | null {
  if (claim.allowFailures) return null;
  const reasons: string[] = [];
  for (const name of [claim.a, claim.b]) {
    const s = m.sides.find((x) => x.name === name);
    if (!s) continue;
    const { failed, requested } = sideFailures(s);
    if (failed > 0) reasons.push(`${name} failed ${failed} of ${requested} requests at ${where}`);
    else if (s.stopped) reasons.push(`${name} stopped at ${where}: ${s.stopped.reason}`);
  }
  return reasons.length ? `${reasons.join('; ')}: a claim between servers holds only when neither fails` : null;
}

/** A relative claim on one measurement: a named failure, nothing to compare, or a verdict. */
export type RelativeLook =
  { kind: 'reason'; reason: string } | { kind: 'unmeasured'; why: string } | { kind: 'check'; check: RelativeCheck };

function decisionOf(claim: RelativeClaim, context: CellContext): DecisionOptions {
  const { settings } = context;
  return { tolerance: claim.tolerance ?? settings.tolerance, alpha: settings.alpha, confidence: settings.confidence };
}

/** A relative claim judged on one measurement. */
function relativeLook(claim: RelativeClaim, m: GateMeasurement, context: CellContext): RelativeLook {
  const reason = failureReason(claim, m, context.at);
  if (reason) return { kind: 'reason', reason };
  const stopper = m.sides.find((x) => x.stopped);
  if (m.rounds === 0 || stopper) {
    const why = `not compared: ${stopper?.name ?? 'a server'} stopped answering in this cell's measurement${stopper?.stopped ? ` (${stopper.stopped.reason})` : ''}`;
    return { kind: 'unmeasured', why };
  }
  return { kind: 'check', check: checkRelative(claim, m, decisionOf(claim, context)) };
}

/**
 * A cell of a relative claim from every measurement taken. Failed requests in either measurement
 * fail it; otherwise the first verdict, and the second look's on the rounds of both, decide it
 * (decideRelative). familyP is set for the cells the family-wise correction weighs.
 */
export function judgeRelative(
  claim: RelativeClaim,
  looks: CellLooks,
  context: CellContext,
  first: RelativeLook = relativeLook(claim, looks.first, context),
): CheckVerdict {
  const { place } = context;
  const reasonFirst =
    first.kind === 'reason' ? first.reason : looks.second ? failureReason(claim, looks.second, context.at) : null;
  const second = looks.both && !reasonFirst ? relativeLook(claim, looks.both, context) : null;
  const reason = reasonFirst ?? (second?.kind === 'reason' ? second.reason : null);
  if (reason) return { cell: { ...place, status: 'fail', outcome: 'undecided', reason, notes: [reason] } };
  if (first.kind !== 'check') {
    return {
      cell: {
        ...place,
        status: 'error',
        outcome: 'undecided',
        error: first.kind === 'unmeasured' ? first.why : '',
        notes: [],
      },
    };
  }
  const verdicts: RatioVerdict[] = [first.check.verdict];
  if (second?.kind === 'check') verdicts.push(second.check.verdict);
  const decided = decideRelative(claim.op, verdicts);
  const last = verdicts[verdicts.length - 1]!;
  const cell: ClaimCell = {
    ...place,
    status: decided.pass ? 'pass' : 'fail',
    outcome: last.outcome,
    verdicts,
    measured: measurementInfo(looks.both && verdicts.length > 1 ? looks.both : looks.first, [claim.a, claim.b]),
    notes: [...cellNotes(verdicts.length > 1), ...(decided.pass ? [] : noTimeNotes(looks.noTime))],
  };
  return { cell, familyP: decided.familyP };
}

/**
 * Holm's correction over the compared cells of a `>=` claim: a "slower" cell fails only when it
 * stays significant once all the claim's cells are taken together.
 */
function correctRelative(
  claim: RelativeClaim,
  claimCells: ClaimCell[],
  familyP: ReadonlyMap<ClaimCell, number>,
  alpha: number,
): void {
  if (claim.op !== '>=') return;
  const cells = claimCells.filter((c) => familyP.has(c));
  if (cells.length < 2) return;
  const { adjusted, fails } = familyFailures(
    cells.map((c) => familyP.get(c)!),
    alpha,
  );
  cells.forEach((c, k) => {
    c.adjustedP = adjusted[k]!;
    if (c.status === 'fail' && !fails[k]) {
      c.status = 'pass';
      c.outcome = 'undecided';
      c.notes.push(
        `slower on its own (p = ${familyP.get(c)!.toPrecision(2)}), but not once the claim's ${cells.length} cells are taken together ` +
          `(Holm-adjusted p = ${adjusted[k]!.toPrecision(2)}, alpha ${alpha}): not a failure`,
      );
    }
  });
}

/** How the claim's compared cells spread over the outcomes, in words. */
function spreadWords(claim: RelativeClaim, cells: ClaimCell[], tol: string): string[] {
  const counts = { faster: 0, slower: 0, within: 0, undecided: 0 };
  for (const c of cells) {
    const v = lastVerdict(c);
    if (v) counts[v.outcome] += 1;
  }
  const than = claim.factor === 1 ? '' : ` than ${Number(claim.factor.toFixed(3))} x ${claim.b}`;
  return [
    counts.faster ? `${claim.a} faster${than} in ${counts.faster}` : '',
    counts.within
      ? `within ${tol}${than ? ` of ${Number(claim.factor.toFixed(3))} x ${claim.b}` : ''} in ${counts.within}`
      : '',
    counts.undecided ? `undecided in ${counts.undecided}` : '',
    counts.slower ? `${claim.a} slower${than} in ${counts.slower}` : '',
  ].filter(Boolean);
}

/** Where the claim holds, where it does not, and by how much. */
function summarizeRelative(claim: RelativeClaim, result: ClaimResult, tolerance: number): string {
  const cells = result.cells;
  const { modes, errors, failed } = cellsOf(cells);
  const measured = cells.length - errors.length;
  const tol = pct(claim.tolerance ?? tolerance);
  const spread = spreadWords(claim, cells, tol);
  if (failed.length === 0 && errors.length === 0) {
    return `Holds in ${measured === 1 ? 'the only cell' : `all ${measured} cells`} (${spread.join(', ')}).`;
  }
  const parts: string[] = [];
  const details = failed.map((c) => {
    const v = lastVerdict(c);
    if (c.reason || !v) return `${where(c, modes)}: ${c.reason ?? 'not compared'}`;
    const what =
      claim.op === '>' && v.outcome !== 'slower'
        ? `${claim.a} was not shown faster by more than ${tol} (${formatRatioInterval(v)}, ${formatP(v.p)}: ${outcomeWords(v)})`
        : `${claim.a} was ${differenceWords(v.ratio)}${v.factor === 1 ? '' : ` than ${Number(v.factor.toFixed(3))} x ${claim.b}`} (${formatRatioInterval(v)}, ${formatP(v.p)})`;
    return `${where(c, modes)}: ${what}`;
  });
  if (failed.length)
    parts.push(`Does not hold at ${plural(failed.length, 'cell')} of ${cells.length}: ${details.join('; ')}.`);
  if (errors.length) parts.push(notCheckedSentence(errors));
  if (measured > 0) parts.push(`Over the ${plural(measured, 'measured cell')}: ${spread.join(', ')}.`);
  return parts.join(' ');
}

/** One row per cell: the ratio, its interval, the test and how the cell was measured. */
function relativeTable(result: ClaimResult, modes: number): ClaimTable {
  const headers = ['cell', 'ratio', 'interval', 'p', 'outcome', 'samples', 'stopped', 'verdict'];
  const table: ClaimTable = { headers, rows: [], tones: [] };
  for (const c of result.cells) {
    const v = lastVerdict(c);
    table.rows.push([
      where(c, modes),
      v ? formatRatio(v.ratio) : 'n/a',
      v ? `${formatRatio(v.interval.lo)}-${formatRatio(v.interval.hi)}` : '',
      v ? pShort(v.p) : '',
      v ? (v.outcome === 'within' ? `within ${pct(v.tolerance)}` : v.outcome) : c.reason ? 'not compared' : 'error',
      samplesText(c.measured),
      c.measured ? `${STOP_WORDS[c.measured.stoppedBy]}${(c.verdicts?.length ?? 0) > 1 ? ', 2nd' : ''}` : '',
      c.status.toUpperCase(),
    ]);
    table.tones.push(c.status === 'pass' ? (v?.outcome === 'undecided' ? 'warn' : 'good') : 'bad');
  }
  return table;
}

export const relativeKind: ClaimKind<RelativeClaim, RelativeLook> = {
  kind: 'relative',
  parse: parseRelative,
  servers: (claim) => [claim.a, claim.b],
  checks: (claim) => [{ claim, servers: [claim.a, claim.b] }],
  need: ({ claim }, settings) => ({
    kind: 'pair',
    a: claim.a,
    b: claim.b,
    factor: claim.factor,
    tolerance: claim.tolerance ?? settings.tolerance,
  }),
  unchecked: (_check, place: CellPlace, error) => ({
    ...place,
    status: 'error',
    outcome: 'undecided',
    error,
    notes: [],
  }),
  firstLook: ({ claim }, first, context) => relativeLook(claim, first, context),
  failing: ({ claim }, look) => (look.kind === 'check' && !look.check.pass ? claim.text : null),
  judge: ({ claim }: ClaimCheck<RelativeClaim>, look, looks, context) => judgeRelative(claim, looks, context, look),
  correct: correctRelative,
  summarize: summarizeRelative,
  table: relativeTable,
};
