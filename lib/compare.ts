/**
 * formatRatio (lib/report/format.ts) at the path lib/perf/ and scripts/perf-gate-experiments.ts
 * import it from. The comparison itself is lib/compare/index.ts; its renderers are in lib/report/.
 */
export { formatRatio } from './report/format.ts';
