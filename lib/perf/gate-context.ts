/**
 * What every step of a gate shares: the options it was run with, the events it reports, the
 * results it fills in, and the error that stops it when it is interrupted. The steps (servers,
 * planning, measuring a cell, judging, recording) read and write a gate only through these.
 */
import type { CellSpec, LoadMode, ServerSpec } from '../types.ts';
import type { RunningServer } from '../launcher.ts';
import type { ResolvedConfig } from './config.ts';
import type { CellMeasurement } from './sampler.ts';
import type { ClaimCell, GateMeasurement, GateResults } from './types.ts';

export interface GateEvents {
  serverStarting?(name: string): void;
  serverReady?(server: RunningServer): void;
  serverFailed?(name: string, message: string): void;
  cellStarted?(mode: LoadMode, cell: CellSpec, sides: string[], attempt: number): void;
  round?(m: CellMeasurement): void;
  cellDone?(m: GateMeasurement, failing: string[]): void;
}

export interface GateRunOptions {
  config: ResolvedConfig;
  servers: ServerSpec[];
  /** Document root given to the servers. */
  root: string;
  /** Measure the yardstick next to every server even with no baseline to compare with (to save one). */
  withYardstick?: boolean;
  /** Compare with the baseline file when it exists (default true). */
  compareBaseline?: boolean;
  /** Called with the results after every cell, so that an interrupted gate keeps what it measured. */
  save?: (results: GateResults) => Promise<void>;
  signal?: AbortSignal;
  events?: GateEvents;
  /** Extra environment per server name (tests inject slowdowns this way). */
  env?: Record<string, Record<string, string>>;
}

export class GateInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'GateInterrupted';
  }
}

/** Throws GateInterrupted once the gate's signal has fired. */
export function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new GateInterrupted();
}

/** A cell of the matrix, with the index of the matrix group it belongs to. */
export type GateCell = CellSpec & { group: number };

/** The p-value each compared cell of a claim carries into the claim's family-wise correction. */
export type FamilyP = Map<ClaimCell, number>;
