/**
 * What a perf gate produces: plain JSON-serialisable data, written to the gate's results.json
 * and read back by `gauntlet baseline save --from`.
 */
import type { RunEnvelope } from '../envelope.ts';
import type { LoadMode, Matrix, ServerRecord } from '../types.ts';
import type { RequestShapeRecord } from '../load/ab-request.ts';
import type { BoundVerdict, Outcome, RatioVerdict } from './decide.ts';
import type { CellMeasurement, StopReason, WarmupReport } from './sampler.ts';

/** The side name the yardstick is measured under (parentheses keep it apart from server names). */
export const YARDSTICK = '(yardstick)';

export interface GateSettings {
  /** The configuration file, when one was used. */
  configFile: string | null;
  modes: LoadMode[];
  matrix: Matrix;
  path: string;
  /** The request, when the configuration shaped it (`request`); absent: ab's GET of `path`. */
  request?: RequestShapeRecord;
  tolerance: number;
  alpha: number;
  confidence: number;
  sampling: {
    minRounds: number;
    maxRounds: number;
    maxTimeMs: number;
    minSampleMs: number;
    /** Load each server got before its first cell, per mode, ms. */
    warmupMs: number;
  };
  /** Whether a failing comparison is measured once more before it fails. */
  remeasure: boolean;
  /** Where the servers and the load generator ran ("servers pinned to core 1, ..."), or "not pinned". */
  pinning: string;
  baseline: BaselineSettings | null;
  /**
   * The engine that sent the cells' load (absent in results written before the gate took
   * `--engine`): Gauntlet's own, or Locust with the workers its master waited for.
   */
  engine?: GateEngineRecord;
}

/** The load engine of a gate, as its results record it. */
export interface GateEngineRecord {
  name: 'gauntlet' | 'locust';
  /** Locust: the workers the master waited for. */
  workers?: number;
  /** Locust with `--locust-master`: where the master listened ("HOST:PORT"); its workers ran elsewhere. */
  master?: string;
}

export interface BaselineSettings {
  file: string;
  /** Runs kept per server, mode and cell. */
  keep: number;
  /** A significant regression beyond this fraction is an alert. */
  alert: number;
  /** A regression whose estimate is beyond this fraction fails the gate. */
  fail: number;
}

/** One measurement of one cell in one mode: a group of servers measured together, interleaved. */
export interface GateMeasurement extends CellMeasurement {
  mode: LoadMode;
  group: number;
  /** 0 for the first measurement; 1 when the cell was measured once more after a failing comparison. */
  attempt: number;
}

/** How the deciding measurement of a cell was taken, for the report. */
export interface MeasurementInfo {
  /** Rounds taken (each round: one sample of every side). */
  rounds: number;
  /** Runs of the cell per sample: more than 1 when one run is too short to time alone. */
  batch: number;
  /** Median time of one run during the warm-up, ms (the fastest side's). */
  runMs: number;
  stoppedBy: StopReason;
  /** Seconds the measurement took. */
  seconds: number;
}

/** Why a cell of a claim passed or failed. */
export interface ClaimCell {
  mode: LoadMode;
  group: number;
  /** Requests of the cell; 0 in a cell of a duration. */
  requests: number;
  concurrency: number;
  /** Seconds the cell sent for, when it is a cell of a duration (its `requests` is then 0). */
  durationS?: number;
  /** For an absolute claim, the server it was checked on. */
  server?: string;
  status: 'pass' | 'fail' | 'error';
  /** Relative claims: the comparison's outcome; absolute: pass / borderline / fail. */
  outcome: Outcome | BoundVerdict['outcome'];
  /** Relative claims, one per attempt (two when the first failed and the cell was measured again). */
  verdicts?: RatioVerdict[];
  /** Noisy absolute metrics, one per attempt. */
  bounds?: BoundVerdict[];
  /** Count metrics: the total over every measured run. */
  count?: number;
  /** Why the cell could not be checked (a server that did not start, for example). */
  error?: string;
  /**
   * Why the cell failed without a comparison deciding it: a server failed requests (a claim
   * between servers holds only when neither fails) or stopped answering.
   */
  reason?: string;
  /**
   * Relative `>=` claims over several cells: the cell's p-value after Holm's adjustment over the
   * claim's cells; a "slower" cell fails only when it is under alpha.
   */
  adjustedP?: number;
  /** The deciding measurement (the second when there were two). */
  measured?: MeasurementInfo;
  /** Sentences for the report: batching, caps, a second measurement. */
  notes: string[];
}

export interface ClaimResult {
  claim: string;
  kind: 'relative' | 'absolute';
  status: 'pass' | 'fail';
  cells: ClaimCell[];
  /** One sentence computed from the cells: where it holds, where not and by how much. */
  summary: string;
}

export type RegressionLevel = 'ok' | 'improved' | 'within' | 'undecided' | 'alert' | 'fail' | 'no-baseline';

export interface RegressionResult {
  server: string;
  mode: LoadMode;
  group: number;
  /** Requests of the cell; 0 in a cell of a duration. */
  requests: number;
  concurrency: number;
  /** Seconds the cell sent for, when it is a cell of a duration. */
  durationS?: number;
  level: RegressionLevel;
  /** Current normalised figure against the baseline's (median of its runs), one per attempt. */
  verdicts: RatioVerdict[];
  /** Runs in the baseline for this cell. */
  baselineRuns: number;
  /** Median requests per second now and in the baseline (raw, not normalised), for the report. */
  rpsNow: number;
  rpsBaseline: number | null;
  measured: MeasurementInfo;
  notes: string[];
}

export interface Alert {
  level: 'warning' | 'error';
  title: string;
  message: string;
}

/** A server's warm-up before its first cell in a mode: its failures are reported, not dropped. */
export interface WarmupRecord extends WarmupReport {
  server: string;
  mode: LoadMode;
}

/** The whole of a gate's results.json: the run envelope, then what the gate measured and judged. */
export interface GateResults extends RunEnvelope<ServerRecord> {
  command: 'gate';
  settings: GateSettings;
  measurements: GateMeasurement[];
  /** Every server warm-up (absent in results written before warm-ups were recorded). */
  warmups?: WarmupRecord[];
  claims: ClaimResult[];
  regressions: RegressionResult[];
  alerts: Alert[];
  /** True when every claim held, no regression reached the fail threshold and every server ran. */
  passed: boolean;
}
