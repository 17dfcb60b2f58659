/**
 * What a property is made of and what it yields: the server it runs against, its settings, its
 * result. Kept apart from the properties themselves so that reports and the CLI can read results
 * without loading fast-check or any arbitrary.
 */
import type { Capability, Level } from '../types.ts';

/** The server a property runs against. */
export interface PropertyTarget {
  host: string;
  port: number;
  /** The document root the server was started with. */
  root: string;
  capabilities: readonly Capability[] | readonly string[];
  /** The server's name, for messages (default host:port). */
  name?: string;
  /** The flag that selects the server again, for replay commands (default `--server NAME`). */
  serverFlag?: string;
}

export type PropertyVerdict = 'pass' | 'fail' | 'skip';

export interface PropertyResult {
  id: string;
  name: string;
  rfc: string;
  level: Level;
  verdict: PropertyVerdict;
  seed: number;
  /** Runs that passed before the verdict (for a failure: the run that found it, counted from 1). */
  numRuns: number;
  /** For a failure: what went wrong, the shrunk request, and the wire log of its exchanges. */
  counterexample?: string;
  /** The command that runs this property against this server again, with this seed. */
  replay: string;
  /** One sentence: what the server did wrong, or why the property was skipped. */
  reason?: string;
  /** fast-check's path to the shrunk counterexample (`--shrink-path` replays it). */
  path?: string;
  numShrinks?: number;
  /** The time box ended the search before numRuns runs. */
  interrupted?: boolean;
  durationMs: number;
}

/** How a property runs. */
export interface PropertySettings {
  seed: number;
  /** Most runs (values tried) per property and server. */
  numRuns: number;
  /** Time for searching, ms: no new value is tried after it unless a failure is being shrunk. */
  timeMs: number;
  /** Time for shrinking a failure, ms, counted from the failure. */
  shrinkTimeMs: number;
  /** Replays this counterexample path only (from a failure's report). */
  path?: string;
  /** The mode the settings come from, when not quick: replay commands name it. */
  mode?: PropertiesMode;
  /**
   * The check's own signal (Ctrl-C): once it fires no new value is tried, exchanges under way
   * end, and properties not yet started are not started.
   */
  signal?: AbortSignal;
}

/**
 * How much `gauntlet check` searches: none, quick (a few seconds a server, run on every check),
 * full (many more values, for a release or a server under work).
 */
export type PropertiesMode = 'none' | 'quick' | 'full';

export const PROPERTIES_MODES: readonly PropertiesMode[] = ['none', 'quick', 'full'];

/** A property ready to run against any server. */
export interface GauntletProperty {
  id: string;
  name: string;
  rfc: string;
  /** A MUST property that fails fails the run; a SHOULD one warns. */
  level: Level;
  needs: Capability[];
  notes: string;
  run(target: PropertyTarget, settings?: PropertySettings): Promise<PropertyResult>;
}
