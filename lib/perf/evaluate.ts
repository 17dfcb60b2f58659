/**
 * Checks claims and baselines against measurements: pure functions from samples to verdicts,
 * shared by `gauntlet gate`, the paired comparison of the matchers, and the specs. Each lives
 * with what it judges (a kind of claim in claim-kinds/, regressions in regression.ts, reading a
 * measurement in measurement.ts); this module gathers them under one name.
 */
export { isPrecise } from './measurement.ts';
export { checkRelative, decideRelative, failureReason, familyFailures } from './claim-kinds/relative.ts';
export { checkAbsolute } from './claim-kinds/absolute.ts';
export { checkRegression } from './regression.ts';
