export * from './format.ts';
export * from './cells.ts';
export * from './text-table.ts';
export * from './seed-table.ts';
export * from './tg-table.ts';
export * from './run-info.ts';
export * from './markdown.ts';
export * from './html.ts';
export * from './terminal.ts';
export {
  compareRun,
  comparePair,
  concurrencyPairs,
  isKnownModel,
  medianRatio,
  formatRatio,
  renderComparison,
  renderComparisonTables,
  renderConclusion,
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
  type FragmentFormat,
  type RenderOptions,
} from '../compare.ts';
