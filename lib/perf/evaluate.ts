/**
 * Checks claims and baselines against measurements: pure functions from samples to verdicts,
 * shared by `gauntlet gate` and the vitest matchers.
 */
import type { AbsoluteClaim, Metric, RelativeClaim } from './claims.ts';
import { checkBound, comparePaired, holds, compareToRuns, relativeWidth, type BoundVerdict, type DecisionOptions, type RatioVerdict } from './decide.ts';
import type { CellMeasurement, Sample, SideSamples } from './sampler.ts';
import { rpsOf, totalsOf } from './sampler.ts';
import { bootstrapMedian } from './significance.ts';
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

/**
 * A relative claim on one measurement: `>=` fails only when a is significantly slower beyond the
 * tolerance; `>` passes only when a is significantly faster beyond it.
 *
 * `confirming`: this measurement is the second look at a comparison that failed. It must agree
 * for the failure to stand; when its own interval is undecided, its estimate decides: a `>=`
 * claim still fails if the ratio is beyond the tolerance on the slow side, a `>` claim still fails
 * unless the ratio is beyond it on the fast side.
 */
export function checkRelative(
  claim: Pick<RelativeClaim, 'a' | 'b' | 'op' | 'factor'>,
  m: CellMeasurement,
  options: DecisionOptions,
  confirming = false,
): RelativeCheck {
  const verdict = comparePaired(rpsOf(side(m, claim.a)), rpsOf(side(m, claim.b)), { ...options, factor: claim.factor });
  const tol = verdict.tolerance;
  let outcome = verdict.outcome;
  if (confirming && outcome === 'undecided') outcome = verdict.ratio < 1 - tol ? 'slower' : verdict.ratio > 1 + tol ? 'faster' : 'within';
  const pass = claim.op === '>=' ? outcome !== 'slower' : outcome === 'faster';
  return { verdict, pass };
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
    const totals = totalsOf(s);
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
 * also beyond the fail threshold. `confirming`: see checkRelative.
 */
export function checkRegression(
  s: SideSamples,
  yardstick: SideSamples,
  runs: BaselineRun[],
  settings: { alert: number; fail: number; alpha: number; confidence: number },
  confirming = false,
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
      // A second look at a failing regression agrees by its estimate when its interval cannot.
      level =
        confirming && verdict.ratio < 1 - settings.fail && runs.length >= MIN_RUNS_TO_FAIL
          ? 'fail'
          : confirming && verdict.ratio < 1 - settings.alert
            ? 'alert'
            : 'undecided';
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
