import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { REPORTS_DIR } from '../paths.ts';
import { ResultsStore, timestampName } from '../results-store.ts';
import {
  UsageError,
  SERVER_OPTION_HELP,
  RUNTIME_OPTION_HELP,
  containerEngineProblem,
  describeRuntimeSelection,
  flagError,
  parseFlags,
  resolveOut,
  wholeNumber,
} from './args.ts';
import { DEFAULT_BASELINE_FILE, DEFAULT_BASELINE_KEEP } from '../perf/config.ts';
import { BaselineError, appendGate, emptyBaseline, readBaseline, writeBaseline, type BaselineFile } from '../perf/baseline.ts';
import { runGate } from '../perf/gate.ts';
import type { GateResults } from '../perf/types.ts';
import { GATE_OPTIONS, gateProgress, interruptHandler, resolveGateSetup, runtimeSelectionOf } from './gate-command.ts';
import { median } from '../stats.ts';

export const BASELINE_USAGE = `usage: gauntlet baseline save [options]
       gauntlet baseline show [--baseline FILE]

save: measures the gate's servers (gauntlet.config.ts, or --server and --claim) over its matrix,
each next to the yardstick (a trivial server), and adds the run to the baseline file, keyed by
server, mode and cell, with the machine's CPU model, core count and runtime versions. The last
--keep runs of each server, mode and cell are kept; gates compare against their median.

show: prints what the baseline holds.

options:
  --from PATH            take the measurements of an earlier gate (its folder or results.json)
                         instead of measuring; it must have measured the yardstick
  --keep N               runs kept per server, mode and cell (default ${DEFAULT_BASELINE_KEEP})
  --baseline FILE        the baseline file (default ${DEFAULT_BASELINE_FILE})
  --config FILE          the threshold file (default gauntlet.config.ts when present)
${SERVER_OPTION_HELP}
${RUNTIME_OPTION_HELP}
                         (override the file's runtime, cpus and memory; the yardstick always
                         runs as a process)
  --claim TEXT           claims (they decide which servers are measured; default: the file's)
  --mode close|keepalive the load mode (repeatable; default close, or the file's)
  --matrix M             seed (default), tugas9, or N:C1,C2,...
  --max-time S           seconds of measuring per cell (default 10)
  --warmup S             seconds of load each server gets before its first cell (default 3)
  --out DIR              the report folder of the measurement (default reports/baseline-<timestamp>)
  -h, --help             this text`;

async function readGateResults(path: string, given: string): Promise<GateResults> {
  const st = await stat(path).catch(() => null);
  if (!st) throw flagError('--from', given, 'does not exist');
  const file = st.isDirectory() ? join(path, 'results.json') : path;
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw flagError('--from', given, `${file} cannot be read as JSON: ${(err as Error).message}`);
  }
  const r = data as Partial<GateResults>;
  if (r?.kind !== 'gate' || !Array.isArray(r.measurements)) {
    throw flagError('--from', given, `${file} is not the results.json of a gauntlet gate`);
  }
  return r as GateResults;
}

export const BASELINE_OPTIONS = { ...GATE_OPTIONS, from: { type: 'string' }, keep: { type: 'string' } } as const;

/** The flags each subcommand takes (besides --help): any other is a mistake, not silently ignored. */
const SHOW_FLAGS = new Set(['baseline']);
/** With --from nothing is measured: only where the measurements come from and go to matter. */
const FROM_FLAGS = new Set(['from', 'baseline', 'keep']);

/** `gauntlet baseline save|show`'s flags, each checked against what the subcommand does. */
export function parseBaselineFlags(sub: 'save' | 'show', argv: string[]) {
  const values = parseFlags(argv, BASELINE_OPTIONS);
  if (values.help) return values;
  const given = Object.entries(values)
    .filter(([name, v]) => name !== 'help' && v !== undefined && v !== false)
    .map(([name]) => name);
  const allowed = sub === 'show' ? SHOW_FLAGS : values.from !== undefined ? FROM_FLAGS : null;
  const stray = allowed ? given.find((name) => !allowed.has(name)) : undefined;
  if (stray) {
    const why = sub === 'show' ? 'baseline show takes only --baseline FILE' : 'with --from nothing is measured: it takes only --baseline and --keep';
    throw new UsageError(`--${stray} does not apply: ${why}`);
  }
  if (values.keep !== undefined) wholeNumber('--keep', values.keep, 1);
  if (values.from !== undefined && values.from.trim() === '') throw flagError('--from', values.from, 'is empty: name a gate folder or its results.json');
  if (values.baseline !== undefined && values.baseline.trim() === '') throw flagError('--baseline', values.baseline, 'is empty: name a file');
  resolveOut(values.out);
  return values;
}

/** The baseline file, read before anything is measured: a file that is there but wrong is a usage error. */
async function readBaselineFlag(file: string, given: string | undefined): Promise<BaselineFile | null> {
  try {
    return await readBaseline(file);
  } catch (err) {
    if (err instanceof BaselineError) throw new UsageError(`${given !== undefined ? `--baseline ${JSON.stringify(given)}: ` : ''}${err.message}`);
    throw err;
  }
}

function describe(baseline: BaselineFile, file: string): string {
  const lines = [`${relative(process.cwd(), file) || file}: keeps the last ${baseline.keep} runs per server, mode and cell`];
  for (const [server, modes] of Object.entries(baseline.entries)) {
    for (const [mode, cells] of Object.entries(modes ?? {})) {
      const parts = Object.entries(cells ?? {}).map(([cell, runs]) => {
        const m = median(runs.map((r) => median(r.normalised)));
        return `${cell}: ${runs.length} run${runs.length === 1 ? '' : 's'}, ${m.toFixed(3)}x yardstick`;
      });
      lines.push(`  ${server} (${mode}): ${parts.join('; ')}`);
    }
  }
  const last = Object.values(baseline.entries)
    .flatMap((m) => Object.values(m ?? {}).flatMap((c) => Object.values(c ?? {}).flat()))
    .sort((a, b) => a.savedAt.localeCompare(b.savedAt))
    .pop();
  if (last) lines.push(`  last saved ${last.savedAt} on ${last.machine.cpuModel}, ${last.machine.cores} cores, node ${last.machine.node}, python ${last.machine.python ?? 'none'}`);
  return lines.join('\n');
}

/** `gauntlet baseline save|show`. */
export async function baselineCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    process.stderr.write(`${BASELINE_USAGE}\n`);
    return 2;
  }
  if (sub === '-h' || sub === '--help' || sub === 'help') {
    process.stdout.write(`${BASELINE_USAGE}\n`);
    return 0;
  }
  if (sub !== 'save' && sub !== 'show') throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: baseline takes save or show`);
  const values = parseBaselineFlags(sub, rest);
  if (values.help) {
    process.stdout.write(`${BASELINE_USAGE}\n`);
    return 0;
  }
  const keep = values.keep === undefined ? undefined : wholeNumber('--keep', values.keep, 1);

  if (sub === 'show') {
    const file = resolve(values.baseline ?? DEFAULT_BASELINE_FILE);
    const baseline = await readBaselineFlag(file, values.baseline);
    if (!baseline) {
      process.stdout.write(`${file}: no baseline yet (gauntlet baseline save writes one)\n`);
      return 1;
    }
    process.stdout.write(`${describe(baseline, file)}\n`);
    return 0;
  }

  let gate: GateResults;
  let file: string;
  if (values.from !== undefined) {
    gate = await readGateResults(resolve(values.from), values.from);
    file = resolve(values.baseline ?? gate.settings.baseline?.file ?? DEFAULT_BASELINE_FILE);
    await readBaselineFlag(file, values.baseline);
  } else {
    const { config, servers, root } = await resolveGateSetup({ ...values, 'no-baseline': false });
    file = resolve(values.baseline ?? config.baseline?.file ?? DEFAULT_BASELINE_FILE);
    // Read before measuring (resolveGateSetup read the configuration's): a baseline file that
    // cannot take the run should not cost the run.
    if (config.baseline?.file !== file) await readBaselineFlag(file, values.baseline);
    // Checked before anything is started or written: without an engine nothing can be measured.
    const engineProblem = await containerEngineProblem(config.runtime);
    if (engineProblem) {
      process.stderr.write(`gauntlet baseline save: ${engineProblem}\n`);
      return 2;
    }
    const store = await ResultsStore.create(resolveOut(values.out) ?? join(REPORTS_DIR, `baseline-${timestampName(new Date())}`));
    process.stderr.write(
      `gauntlet baseline save: measuring ${servers.map((s) => s.name).join(', ')} next to the yardstick, ` +
        `${describeRuntimeSelection(runtimeSelectionOf(config))}\n  writing to ${store.dir}\n`,
    );
    const abort = new AbortController();
    const release = interruptHandler(abort);
    try {
      gate = await runGate({
        config,
        servers,
        root,
        withYardstick: true,
        compareBaseline: false,
        save: async (r) => void (await store.writeText('results.json', `${JSON.stringify(r, null, 2)}\n`)),
        signal: abort.signal,
        events: gateProgress(),
      });
    } finally {
      release();
    }
    if (gate.status !== 'complete') {
      process.stderr.write(`gauntlet baseline save: the measurement did not complete (${gate.status}); the baseline is unchanged\n`);
      return gate.status === 'interrupted' ? 130 : 1;
    }
    const broken = gate.servers.filter((s) => s.error);
    if (broken.length > 0) {
      process.stderr.write(`gauntlet baseline save: ${broken.map((s) => `${s.name}: ${s.error}`).join('\n')}\nthe baseline is unchanged\n`);
      return 1;
    }
  }
  // Read again: the file may have changed while the servers were measured.
  const baseline = (await readBaselineFlag(file, values.baseline)) ?? emptyBaseline(keep ?? DEFAULT_BASELINE_KEEP);
  let added: number;
  try {
    added = appendGate(baseline, gate, keep ?? baseline.keep);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  await writeBaseline(file, baseline);
  process.stdout.write(`saved ${added} cell${added === 1 ? '' : 's'} to the baseline\n${describe(baseline, file)}\n`);
  return 0;
}
