/**
 * Locust as a load engine (`--engine locust`): a cell run through Locust's master and workers,
 * its figures read back into Gauntlet's CellResult. lib/load/ stays the built-in engine.
 */
export {
  runLocustCell,
  locustCellProblem,
  masterArgs,
  workerArgs,
  DEFAULT_WORKER_WAIT_S,
  type LocustPlacement,
  type LocustRunOptions,
} from './run-cell.ts';
export { locustfileText, locustCellJson, encodeLocustCell, type LocustCell } from './locustfile.ts';
export { locustCellResult, parseLocustSummary, LOCUST_NOTES, type LocustSummary } from './stats.ts';
export { requireLocust, locustProblem, LocustMissingError, LOCUST_MISSING, startLocust } from './processes.ts';
