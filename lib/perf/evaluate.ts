/**
 * Checks claims and baselines against measurements: pure functions from samples to verdicts,
 * shared by `gauntlet gate`, the paired comparison of the matchers, and the specs. Each lives
 * with what it judges (a kind of claim in claim-kinds/, regressions in regression.ts, reading a
 * measurement in measurement.ts); this module gathers them under one name.
 */
export { isPrecise, metricValue, side, sideFailures, widthOf, type PrecisionNeed } from './measurement.ts';
export {
  checkRelative,
  decideRelative,
  failureReason,
  familyFailures,
  verdictPasses,
  type RelativeCheck,
  type RelativeDecision,
} from './claim-kinds/relative.ts';
export { checkAbsolute, type AbsoluteCheck } from './claim-kinds/absolute.ts';
export { checkRegression, MIN_RUNS_TO_FAIL, type RegressionCheck } from './regression.ts';
