/**
 * The reporting layer in one import: the shared pieces (formatting, the run's cells, facts and
 * notes, the seed table's model, the comparison's tables), each output's renderers, and the
 * registry of report formats.
 */
export * from './format.ts';
export * from './cells.ts';
export * from './run-info.ts';
export * from './seed-table.ts';
export * from './comparison.ts';
export * from './gate-words.ts';
export * from './formats.ts';
export * from './report-format.ts';
export * from './terminal/text-table.ts';
export * from './terminal/seed-table.ts';
export * from './terminal/report.ts';
export * from './terminal/check-grid.ts';
export * from './terminal/gate-report.ts';
export * from './markdown/report.ts';
export * from './markdown/gate-report.ts';
export * from './html/tg-table.ts';
export * from './html/page.ts';
export * from './html/report.ts';
export * from './html/conformance-section.ts';
export * from './html/check-report.ts';
export * from './json/check-json.ts';
export * from './junit/xml.ts';
export * from './junit/check-junit.ts';
export {
  compareRun,
  comparePair,
  concurrencyPairs,
  isKnownModel,
  medianRatio,
  TIE_THRESHOLD,
  SHORT_CELL_S,
  MIN_ROUNDS_FOR_SIGNIFICANCE,
  decisionRule,
  pairedRounds,
  type DecisionRule,
  type Comparison,
  type CompareOptions,
  type PairComparison,
  type PairSummary,
  type CellComparison,
  type LeftOutCell,
  type ProblemCount,
  type ServerRef,
  type UnpairedServer,
} from '../compare/index.ts';
