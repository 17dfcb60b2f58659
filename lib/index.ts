/**
 * What `import ... from 'gauntlet'` gives a project that installed the package: the configuration
 * of a gate (`defineConfig`, for gauntlet.config.ts), starting servers and measuring a cell as the
 * CLI does, and running a bench, a check, a gate or a diff from code, with the records they return.
 * The vitest matchers are a separate entry, `gauntlet/vitest` (lib/perf/matchers.ts), so that a
 * program that only measures never loads vitest's types.
 *
 * Only names a user needs are here: everything else in lib/ can change shape without notice.
 */

// A gate's configuration file.
export { defineConfig, loadConfigFile, ConfigError, type ClaimObject, type GateConfig } from './perf/config.ts';

// Servers: from a manifest or a `--server` value, started in a process or a container.
export { loadServer, parseServerFlag, readManifest, ManifestError, ServerFlagError } from './manifest.ts';
export { launch, withServer, LaunchError, type LaunchOptions, type RunningServer } from './launcher.ts';
export { launchServer, type Runtime, type ServerLaunchOptions } from './runtime.ts';
export { DEFAULT_DOC_ROOT, REFERENCE_SERVERS_DIR } from './paths.ts';

// Load: one cell, measured as ab measures it.
export { runCell, CellSpecError } from './load/run-cell.ts';

// The three commands' runs, and the folder their records are written to.
export { runBench, type BenchOptions } from './bench.ts';
export { loadCases, selectCases, type CitedCase, type LoadedCase } from './conformance/registry.ts';
export { runCheck, type CheckOptions } from './conformance/check-run.ts';
export { runGate } from './perf/gate.ts';
export { runDiff, type DiffOptions } from './diff/run.ts';
export { loadQuirks, type Quirk } from './diff/quirks.ts';
export type { DiffRun } from './diff/record.ts';
export type { GateRunOptions } from './perf/gate-context.ts';
export { ResultsStore } from './results-store.ts';

// The records.
export type {
  CellOmission,
  CellOpenModel,
  CellResult,
  CellSpec,
  LatencyPercentiles,
  LoadMode,
  LoadTarget,
  Matrix,
  RunResults,
  ServerManifest,
  ServerSpec,
} from './types.ts';
export type { RequestShape, RequestShapeRecord } from './load/ab-request.ts';
export type { CaseDefinition, CheckRun, ConformanceCase, NotApplicable, Verdict } from './conformance/types.ts';
export type { PropertyCheckRun } from './conformance/properties/record.ts';
export type { GateResults } from './perf/types.ts';
