/**
 * Judging a cell, with no I/O: the first look at every check and every baseline comparison of a
 * group, which of them fail in a way a second measurement may change, and the cell's verdicts
 * once every measurement is taken. Each kind of claim judges its own checks (claim-kinds/);
 * regressions are judged in regression.ts.
 */
import type { ClaimBase } from './claim-syntax.ts';
import { kindOf } from './claim-kinds/registry.ts';
import type { CellContext, CellLooks, CheckVerdict, ClaimCheck } from './claim-kinds/kind.ts';
import { judgeRegression, regressionLook, type RegressionCheck, type RegressionSubject } from './regression.ts';
import type { GateMeasurement, RegressionResult } from './types.ts';

/** A check and what its kind made of the first measurement. */
export interface CheckLook<C extends ClaimBase = ClaimBase> {
  check: ClaimCheck<C>;
  look: unknown;
}

/** A server compared with its baseline, and the first measurement's comparison (null: not comparable). */
export interface RegressionLook {
  subject: RegressionSubject;
  look: RegressionCheck | null;
}

/** Everything a group's first measurement says, check by check. */
export interface FirstLooks<C extends ClaimBase = ClaimBase> {
  checks: Array<CheckLook<C>>;
  regressions: RegressionLook[];
}

export function lookFirst<C extends ClaimBase>(
  checks: Array<ClaimCheck<C>>,
  subjects: RegressionSubject[],
  first: GateMeasurement,
  context: CellContext,
): FirstLooks<C> {
  return {
    checks: checks.map((check) => ({ check, look: kindOf(check.claim).firstLook(check, first, context) })),
    regressions: subjects.map((subject) => ({ subject, look: regressionLook(subject, first) })),
  };
}

/**
 * What fails on the first measurement and is measured once more before it fails: counts are facts,
 * not noise, and are not among them.
 */
export function failingOf(first: FirstLooks): string[] {
  const failing: string[] = [];
  for (const { check, look } of first.checks) {
    const what = kindOf(check.claim).failing(check, look);
    if (what !== null) failing.push(what);
  }
  for (const { subject, look } of first.regressions)
    if (look?.level === 'fail') failing.push(`${subject.server} against the baseline`);
  return failing;
}

/** A cell's verdict for one check, with the claim it belongs to. */
export interface JudgedCheck<C extends ClaimBase = ClaimBase> {
  claim: C;
  verdict: CheckVerdict;
}

/** The cell's verdicts from every measurement taken; a regression that could not be compared has none. */
export function judgeCell<C extends ClaimBase>(
  first: FirstLooks<C>,
  looks: CellLooks,
  context: CellContext,
): { checks: Array<JudgedCheck<C>>; regressions: RegressionResult[] } {
  const checks = first.checks.map(({ check, look }) => ({
    claim: check.claim,
    verdict: kindOf(check.claim).judge(check, look, looks, context),
  }));
  const regressions: RegressionResult[] = [];
  for (const { subject, look } of first.regressions) {
    const result = judgeRegression(subject, looks, context.place, look);
    if (result) regressions.push(result);
  }
  return { checks, regressions };
}
