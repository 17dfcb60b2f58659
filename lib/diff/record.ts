/**
 * The record of a differential run, as diff.json stores it: the run envelope (lib/envelope.ts,
 * with `command: "diff"`), what was asked (seed, budget, quirks), how many requests went out,
 * and the disagreement found, shrunk, with what each server understood, both wire logs and the
 * command that replays it. schemas/diff.schema.json describes every field.
 */
import { SCHEMA_VERSION, type MachineInfo, type RunStatus } from '../envelope.ts';
import type { Field, Understood } from './understood.ts';
import type { FieldDifference } from './compare.ts';
import type { ResultsStore } from '../results-store.ts';

export interface DiffServerRecord {
  name: string;
  command: string;
  source: string;
  url?: string;
  /** What went wrong with it: did not start, stopped answering, exited. */
  error?: string;
}

/** The request of a disagreement, as shown and as sent. */
export interface DiffRequestRecord {
  /** The bytes as escaped text (\r, \n, \xNN). */
  escaped: string;
  length: number;
  /** Where each write starts, and its pause before it, ms. */
  writes: Array<{ offset: number; delayMs: number }>;
  /** The changes made to the well-formed request it started as; empty when it is that request. */
  applied: string[];
  /** The well-formed request it started as: method, target, body length and framing. */
  original: { method: string; target: string; bodyLength: number; framing: string };
  /** A shell line sending it (with the probe) to $PORT, when it is short enough. */
  printf: string | null;
}

export interface DiffServerEvidence {
  server: string;
  understood: Understood;
  /** The exchange (request and probe), then the fresh GET /, as wire logs. */
  wireLog: string;
}

export interface Disagreement {
  request: DiffRequestRecord;
  differences: FieldDifference[];
  servers: DiffServerEvidence[];
  /** fast-check's path to the shrunk request: with the seed, `--shrink-path` replays it. */
  path: string | null;
  numShrinks: number;
  /** The command that sends this request again. */
  replay: string;
}

/** How the run ended: the servers agreed, disagreed, or could not be compared. */
export type DiffVerdict = 'agree' | 'disagree' | 'error';

export interface DiffRun {
  schemaVersion: number;
  tool: 'gauntlet';
  command: 'diff';
  version: string;
  startedAt: string;
  finishedAt: string | null;
  status: RunStatus;
  machine: MachineInfo;
  servers: DiffServerRecord[];
  seed: number;
  /** The most requests the run was to send (--requests). */
  budget: number;
  /** Requests sent before the first disagreement, the budget, the time limit or Ctrl-C. */
  requests: number;
  /** The quirks file, or null for none. */
  quirksFile: string | null;
  /** Requests on which some difference was accepted by a quirk, by the quirk's `why`. */
  accepted: Array<{ why: string; fields: Field[]; requests: number }>;
  verdict: DiffVerdict;
  /** Why the run could not compare (a server did not start, or stopped answering). */
  error?: string;
  /** The search stopped at --time-limit before the budget was spent. */
  timedOut?: boolean;
  disagreement: Disagreement | null;
  /** The command that runs the same search again. */
  replay: string;
}

/** An empty run record, before any server starts. */
export function newDiffRun(facts: {
  version: string;
  machine: MachineInfo;
  seed: number;
  budget: number;
  quirksFile: string | null;
  replay: string;
}): DiffRun {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: 'gauntlet',
    command: 'diff',
    version: facts.version,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    status: 'running',
    machine: facts.machine,
    servers: [],
    seed: facts.seed,
    budget: facts.budget,
    requests: 0,
    quirksFile: facts.quirksFile,
    accepted: [],
    verdict: 'agree',
    disagreement: null,
    replay: facts.replay,
  };
}

/** diff.json in the report folder; resolves to its path. */
export async function writeDiffJson(store: ResultsStore, run: DiffRun): Promise<string> {
  return store.writeText('diff.json', `${JSON.stringify(run, null, 2)}\n`);
}
