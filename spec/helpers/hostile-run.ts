/**
 * One hostile server x one gauntlet command, run under the watchdog (guarded-run.ts), with what
 * the command wrote read back: results.json for bench and gate, check.json for check. Shared by
 * the hostile spec and scripts/hostile-table.ts, so that the table in docs/reliability.md is
 * measured by exactly the runs the spec asserts on.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { guardedRun, type GuardOptions, type GuardedRun } from './guarded-run.ts';

export type HostileCommand = 'bench' | 'check' | 'gate';

export const HOSTILE_DIR = join(PROJECT_ROOT, 'fixtures', 'hostile');

/** The folder of a hostile server, by its short name ("hang"). */
export function hostileDir(server: string): string {
  return join(HOSTILE_DIR, server);
}

/** The manifest name of a hostile server: "hostile-" and its folder's name. */
export function hostileName(server: string): string {
  return `hostile-${server}`;
}

/** The well-behaved server a hostile one is compared with, when a row asks for one. */
export const REFERENCE_SERVER = 'python-async';

export interface HostileRunSpec {
  server: string;
  command: HostileCommand;
  /** Options after the command's standard ones (see commandArgs). */
  args: readonly string[];
  /** Also start the reference server (a well-behaved one of the same language, another model). */
  withReference?: boolean;
}

/** What a run printed and wrote. */
export interface HostileOutcome {
  spec: HostileRunSpec;
  run: GuardedRun;
  /** The command line, as a user would type it (the report folder elided). */
  commandLine: string;
  /** results.json (bench, gate) or check.json (check), parsed; null when none was written. */
  written: Record<string, unknown> | null;
}

/**
 * The command's arguments: the hostile server (and the reference when asked), the standard
 * options of each command, the row's own, and a fresh report folder.
 *  - bench: the seed matrix without the conformance cases (`check` is its own row);
 *  - check: every case;
 *  - gate: no baseline (no yardstick, no history), the claim "failed == 0" unless the row states
 *    its own claims.
 */
export function commandArgs(spec: HostileRunSpec, out: string | null): string[] {
  const servers = ['--server', hostileDir(spec.server)];
  if (spec.withReference) servers.push('--server', REFERENCE_SERVER);
  const standard: Record<HostileCommand, string[]> = {
    bench: ['--matrix', 'seed', '--no-check'],
    check: [],
    gate: ['--no-baseline', ...(spec.args.includes('--claim') ? [] : ['--claim', 'failed == 0'])],
  };
  return [spec.command, ...servers, ...standard[spec.command], ...spec.args, ...(out ? ['--out', out] : [])];
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** `gauntlet <args>` with paths relative to the project, for tables and failure messages. */
export function displayCommand(spec: HostileRunSpec): string {
  return ['gauntlet', ...commandArgs(spec, null)]
    .map((a) => shellQuote(a.startsWith(`${PROJECT_ROOT}/`) ? a.slice(PROJECT_ROOT.length + 1) : a))
    .join(' ');
}

const WRITTEN_FILE: Record<HostileCommand, string> = {
  bench: 'results.json',
  check: 'check.json',
  gate: 'results.json',
};

async function readJson(file: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Runs one row under the watchdog and reads back what the command wrote. */
export async function runHostile(spec: HostileRunSpec, guard: GuardOptions = {}): Promise<HostileOutcome> {
  const out = await mkdtemp(join(tmpdir(), `gauntlet-hostile-${spec.server}-${spec.command}-`));
  try {
    // The reference server's folder is not watched: other runs on this machine use it too. What
    // this run started of it is found among the CLI's descendants.
    const run = await guardedRun(commandArgs(spec, out), { watch: [hostileDir(spec.server)], ...guard });
    const written = await readJson(join(out, WRITTEN_FILE[spec.command]));
    return { spec, run, commandLine: displayCommand(spec), written };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** The first lines of a run's output, for a failure message. */
export function outputHead(run: GuardedRun, lines = 25): string {
  const pick = (text: string) => text.split('\n').slice(0, lines).join('\n');
  return `--- stderr (first ${lines} lines) ---\n${pick(run.stderr)}\n--- stdout (first ${lines} lines) ---\n${pick(run.stdout)}`;
}
