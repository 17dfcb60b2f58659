/**
 * Checks claims and baselines against measurements: pure functions from samples to verdicts,
 * shared by `gauntlet gate` and the vitest matchers.
 */
import type { AbsoluteClaim, Metric, RelativeClaim } from './claims.ts';
import { checkBound, comparePaired, holds, compareToRuns, relativeWidth, type BoundVerdict, type DecisionOptions, type RatioVerdict } from './decide.ts';
import type { CellMeasurement, Sample, SideSamples } from './sampler.ts';
import { allTotalsOf, rpsOf } from './sampler.ts';
import { bootstrapMedian, holmAdjust } from './significance.ts';
import { median } from '../stats.ts';
import { normalisedRps, type BaselineRun } from './baseline.ts';
import type { RegressionLevel } from './types.ts';

export function side(m: CellMeasurement, name: string): SideSamples {
  const s = m.sides.find((x) => x.name === name);
  if (!s) throw new Error(`${name} was not measured in this cell`);
  return s;
}

/** One sample's value of a noisy metric. */
export function metricValue(sample: Sample, metric: Metric): number {
  if (metric.kind === 'rps') return sample.rps;
  if (metric.kind === 'latency') return sample.latencyMs[metric.stat];
  return metric.count === 'failed' ? sample.failed : sample.non2xx;
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

/** Failed requests of one side of a cell, of those that ended, over every run of the cell (its warm-up included). */
export function sideFailures(s: SideSamples): { failed: number; requested: number } {
  const t = allTotalsOf(s);
  // Requests that ended (complete or failed): a run the engine stopped never sent the rest.
  return { failed: t.failed, requested: t.complete + t.failed };
}

/**
 * A claim between servers holds only when neither fails: a server whose requests fail would
 * otherwise be timed on what it did not do (a refused connection is quick). Returns the reason
 * the cell fails, or null. `allowFailures` claims skip this.
 */
export function failureReason(claim: Pick<RelativeClaim, 'a' | 'b' | 'allowFailures'>, m: CellMeasurement, where: string): string | null {
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

export type AbsoluteCheck =
  | { kind: 'count'; value: number; pass: boolean }
  | { kind: 'bound'; bound: BoundVerdict; pass: boolean };

/** `confirming`: the second look at a failed bound; a median that still misses the bound fails, even if its interval reaches it. */
export function checkAbsolute(
  claim: Pick<AbsoluteClaim, 'metric' | 'op' | 'value'>,
  s: SideSamples,
  confidence: number,
  confirming = false,
): AbsoluteCheck {
  if (claim.metric.kind === 'count') {
    // Every run of the cell counts, its warm-up and a run that stopped included: a failure in
    // the warm-up is as much a failure as one in a round.
    const totals = allTotalsOf(s);
    const value = claim.metric.count === 'failed' ? totals.failed : totals.non2xx;
    // Failed requests are facts, not noise: a count is checked as it is, with no interval.
    return { kind: 'count', value, pass: holds(value, claim.op, claim.value) };
  }
  const metric = claim.metric;
  const values = s.samples.map((x) => metricValue(x, metric));
  const bound = checkBound(values, claim.op, claim.value, confidence);
  return { kind: 'bound', bound, pass: confirming ? bound.outcome === 'pass' : bound.outcome !== 'fail' };
}

/**
 * Baseline runs needed before a regression can fail a gate. Runs measured at different times
 * differ by more than the samples within one run do (the machine's other work changes), and only
 * several runs show by how much.
 */
export const MIN_RUNS_TO_FAIL = 3;

export interface RegressionCheck {
  verdict: RatioVerdict;
  level: RegressionLevel;
}

/**
 * A server's normalised figure against the baseline's runs. Alert: significant and the whole
 * interval beyond the alert threshold (the two-part rule). Fail: an alert whose estimate is
 * also beyond the fail threshold. Each measurement is decided by its own full verdict; a second
 * look lowers the level when it disagrees (the gate keeps the less severe of the two).
 */
export function checkRegression(
  s: SideSamples,
  yardstick: SideSamples,
  runs: BaselineRun[],
  settings: { alert: number; fail: number; alpha: number; confidence: number },
): RegressionCheck {
  const current = normalisedRps(s, yardstick);
  const verdict = compareToRuns(
    current,
    runs.map((r) => r.normalised),
    { tolerance: settings.alert, alpha: settings.alpha, confidence: settings.confidence },
  );
  let level: RegressionLevel;
  switch (verdict.outcome) {
    case 'slower':
      // Fewer runs than MIN_RUNS_TO_FAIL cannot show how much runs on different days differ:
      // an alert, never a failure.
      level = verdict.ratio < 1 - settings.fail && runs.length >= MIN_RUNS_TO_FAIL ? 'fail' : 'alert';
      break;
    case 'faster':
      level = 'improved';
      break;
    case 'within':
      level = 'within';
      break;
    default:
      level = 'undecided';
  }
  return { verdict, level };
}

/** How far a measurement is from the precision it aims at: the relative width of an interval. */
export type PrecisionNeed =
  | { kind: 'pair'; a: string; b: string; factor: number; tolerance: number }
  | { kind: 'median'; server: string; metric: Metric; tolerance: number }
  | { kind: 'normalised'; server: string; yardstick: string; tolerance: number };

export function widthOf(need: PrecisionNeed, m: CellMeasurement, confidence: number): number {
  switch (need.kind) {
    case 'pair': {
      const v = comparePaired(rpsOf(side(m, need.a)), rpsOf(side(m, need.b)), { confidence, factor: need.factor });
      return relativeWidth(v.interval, v.ratio);
    }
    case 'median': {
      const metric = need.metric;
      const values = side(m, need.server).samples.map((x) => metricValue(x, metric));
      return relativeWidth(bootstrapMedian(values, { confidence }), median(values));
    }
    case 'normalised': {
      const values = normalisedRps(side(m, need.server), side(m, need.yardstick));
      return relativeWidth(bootstrapMedian(values, { confidence }), median(values));
    }
  }
}

/** True when every interval is narrower than its tolerance (a need with tolerance 0 is never met: the caps decide). */
export function isPrecise(needs: PrecisionNeed[], m: CellMeasurement, confidence: number): boolean {
  return needs.every((n) => widthOf(n, m, confidence) <= n.tolerance);
}
