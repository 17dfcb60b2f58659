/**
 * The envelope every run record shares (bench's results.json, check.json, gate's results.json):
 * which tool and command wrote it, in which schema version, when, how it ended, on which machine
 * and against which servers. One type for the three, so that a reader can tell any output apart
 * and check its version before reading the rest, and so that the fields mean the same thing
 * everywhere. The machine facts live here because they are part of the envelope; lib/types.ts
 * re-exports them for the records that name them.
 *
 * The schema version changes only when a field is renamed or removed, or its meaning changes:
 * an added field keeps it (docs/outputs.md). Files written before the envelope have no
 * schemaVersion and no command (a gate's has `kind: 'gate'`); readers still accept them.
 */

/** The version of the output schemas (schemas/*.schema.json) that this code writes. */
export const SCHEMA_VERSION = 1;

/** The commands that write a run record. */
export type RunCommand = 'bench' | 'check' | 'gate';

/** "running" while it goes (the file is rewritten as it goes), then how it ended. */
export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed';

/** The machine and runtime a run was measured on. */
export interface MachineInfo {
  hostname: string;
  platform: string;
  release: string;
  arch: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  node: string;
  python: string | null;
  gauntlet: string;
}

/** The fields every run record starts with; `Server` is the command's record of one server. */
export interface RunEnvelope<Server> {
  /** SCHEMA_VERSION when written; absent in files written before it existed. */
  schemaVersion: number;
  tool: 'gauntlet';
  command: RunCommand;
  /** Gauntlet's version (package.json). */
  version: string;
  /** ISO times; finishedAt is null while the run goes. */
  startedAt: string;
  finishedAt: string | null;
  status: RunStatus;
  machine: MachineInfo;
  servers: Server[];
}

/** What the envelope records about the code and the machine, read by the caller (lib/machine.ts). */
export interface RunFacts {
  version: string;
  machine: MachineInfo;
}

/** The envelope of a run starting now: status running, no server yet. */
export function runEnvelope<Server, Command extends RunCommand>(
  command: Command,
  facts: RunFacts,
  now: Date = new Date(),
): RunEnvelope<Server> & { command: Command } {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: 'gauntlet',
    command,
    version: facts.version,
    startedAt: now.toISOString(),
    finishedAt: null,
    status: 'running',
    machine: facts.machine,
    servers: [],
  };
}

/**
 * Which command wrote a parsed output file, or null when it is no Gauntlet run record. Files
 * written before the envelope have no command: a gate's says `kind: 'gate'`, a check's has
 * `results`, a bench's has `cells`.
 */
export function runCommandOf(data: unknown): RunCommand | null {
  if (typeof data !== 'object' || data === null) return null;
  const record = data as Record<string, unknown>;
  if (record.tool !== 'gauntlet') return null;
  if (record.command === 'bench' || record.command === 'check' || record.command === 'gate') return record.command;
  if (record.command !== undefined) return null;
  if (record.kind === 'gate') return 'gate';
  if (Array.isArray(record.cells)) return 'bench';
  if (Array.isArray(record.results)) return 'check';
  return null;
}
