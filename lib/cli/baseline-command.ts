/**
 * `gauntlet baseline save|show`: the file each gate compares a server with (its own earlier
 * runs, normalised by the yardstick). Saving measures as a gate does, or takes an earlier gate's
 * results.json; the measuring and the file format are lib/perf's.
 */
import { URL_OPTION_HELP } from './url-flag.ts';
import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import {
  UsageError,
  SERVER_OPTION_HELP,
  RUNTIME_OPTION_HELP,
  describeRuntimeSelection,
  flagError,
  parseFlags,
  resolveOut,
  wholeNumber,
} from './args.ts';
import { DEFAULT_BASELINE_FILE, DEFAULT_BASELINE_KEEP } from '../perf/config.ts';
import {
  BaselineError,
  appendGate,
  emptyBaseline,
  readBaseline,
  writeBaseline,
  type BaselineFile,
} from '../perf/baseline.ts';
import { runGate } from '../perf/gate.ts';
import type { GateResults } from '../perf/types.ts';
import { GATE_OPTIONS, resolveGateSetup, runtimeSelectionOf, saveGateResults } from './gate-command.ts';
import { gateProgress } from './progress.ts';
import {
  EXIT_FAILED,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
  openRunStore,
  printUsage,
  refusedForEngine,
  runFolderName,
  whileInterruptible,
} from './command.ts';
import { runCommandOf } from '../envelope.ts';
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
${URL_OPTION_HELP}
${RUNTIME_OPTION_HELP}
                         (override the file's runtime, cpus and memory; the yardstick always
                         runs as a process)
  --claim TEXT           claims (they decide which servers are measured; default: the file's)
  --mode close|keepalive the load mode (repeatable; default close, or the file's)
  --matrix M             seed (default), tugas9, or N:C1,C2,... (N requests, or a duration
                         such as 10s)
  --engine gauntlet|locust, --workers N, --locust-master HOST:PORT
                         the load engine, as gauntlet gate takes it (Locust: durations only;
                         its runs are kept apart from the built-in engine's)
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
  // Gates written before the run envelope say `kind: 'gate'` instead of `command: 'gate'`.
  if (runCommandOf(data) !== 'gate' || !Array.isArray((data as Partial<GateResults>).measurements)) {
    throw flagError('--from', given, `${file} is not the results.json of a gauntlet gate`);
  }
  return data as GateResults;
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
    const why =
      sub === 'show'
        ? 'baseline show takes only --baseline FILE'
        : 'with --from nothing is measured: it takes only --baseline and --keep';
    throw new UsageError(`--${stray} does not apply: ${why}`);
  }
  if (values.keep !== undefined) wholeNumber('--keep', values.keep, 1);
  if (values.from !== undefined && values.from.trim() === '')
    throw flagError('--from', values.from, 'is empty: name a gate folder or its results.json');
  if (values.baseline !== undefined && values.baseline.trim() === '')
    throw flagError('--baseline', values.baseline, 'is empty: name a file');
  resolveOut(values.out);
  return values;
}

/** The baseline file, read before anything is measured: a file that is there but wrong is a usage error. */
async function readBaselineFlag(file: string, given: string | undefined): Promise<BaselineFile | null> {
  try {
    return await readBaseline(file);
  } catch (err) {
    if (err instanceof BaselineError)
      throw new UsageError(`${given !== undefined ? `--baseline ${JSON.stringify(given)}: ` : ''}${err.message}`);
    throw err;
  }
}

function describe(baseline: BaselineFile, file: string): string {
  const lines = [
    `${relative(process.cwd(), file) || file}: keeps the last ${baseline.keep} runs per server, mode and cell`,
  ];
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
  if (last)
    lines.push(
      `  last saved ${last.savedAt} on ${last.machine.cpuModel}, ${last.machine.cores} cores, node ${last.machine.node}, python ${last.machine.python ?? 'none'}`,
    );
  return lines.join('\n');
}

/** `gauntlet baseline save|show`. */
export async function baselineCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    process.stderr.write(`${BASELINE_USAGE}\n`);
    return EXIT_USAGE;
  }
  if (sub === '-h' || sub === '--help' || sub === 'help') return printUsage(BASELINE_USAGE);
  if (sub !== 'save' && sub !== 'show')
    throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: baseline takes save or show`);
  const values = parseBaselineFlags(sub, rest);
  if (values.help) return printUsage(BASELINE_USAGE);
  if (sub === 'show') return showBaseline(values);
  const keep = values.keep === undefined ? undefined : wholeNumber('--keep', values.keep, 1);
  const measured =
    values.from !== undefined ? await earlierGate(values, values.from) : await measureForBaseline(values);
  if (typeof measured === 'number') return measured;
  const { gate, file } = measured;
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
  return EXIT_OK;
}

type BaselineFlags = ReturnType<typeof parseBaselineFlags>;

/** A gate's measurements to add to a baseline, and the baseline file they go to. */
interface BaselineInput {
  gate: GateResults;
  file: string;
}

/** `baseline show`: 1 when there is no baseline yet. */
async function showBaseline(values: BaselineFlags): Promise<number> {
  const file = resolve(values.baseline ?? DEFAULT_BASELINE_FILE);
  const baseline = await readBaselineFlag(file, values.baseline);
  if (!baseline) {
    process.stdout.write(`${file}: no baseline yet (gauntlet baseline save writes one)\n`);
    return EXIT_FAILED;
  }
  process.stdout.write(`${describe(baseline, file)}\n`);
  return EXIT_OK;
}

/** `baseline save --from`: an earlier gate's measurements, nothing measured. */
async function earlierGate(values: BaselineFlags, from: string): Promise<BaselineInput> {
  const gate = await readGateResults(resolve(from), from);
  const file = resolve(values.baseline ?? gate.settings.baseline?.file ?? DEFAULT_BASELINE_FILE);
  await readBaselineFlag(file, values.baseline);
  return { gate, file };
}

/**
 * `baseline save`: the gate's servers measured next to the yardstick; an exit code instead when
 * the measurement cannot go to the baseline (interrupted, failed, a server that did not run).
 */
async function measureForBaseline(values: BaselineFlags): Promise<BaselineInput | number> {
  const label = 'gauntlet baseline save';
  const { config, servers, root } = await resolveGateSetup({ ...values, 'no-baseline': false });
  const file = resolve(values.baseline ?? config.baseline?.file ?? DEFAULT_BASELINE_FILE);
  // Read before measuring (resolveGateSetup read the configuration's): a baseline file that
  // cannot take the run should not cost the run.
  if (config.baseline?.file !== file) await readBaselineFlag(file, values.baseline);
  if (await refusedForEngine(label, config.runtime)) return EXIT_USAGE;
  const store = await openRunStore({
    label,
    out: resolveOut(values.out),
    defaultName: runFolderName('baseline-'),
    summary: `measuring ${servers.map((s) => s.name).join(', ')} next to the yardstick, ${describeRuntimeSelection(runtimeSelectionOf(config))}`,
  });
  const gate = await whileInterruptible('stopping the servers and writing what was measured', (signal) =>
    runGate({
      config,
      servers,
      root,
      withYardstick: true,
      compareBaseline: false,
      save: saveGateResults(store),
      signal,
      events: gateProgress(),
    }),
  );
  if (gate.status !== 'complete') {
    process.stderr.write(`${label}: the measurement did not complete (${gate.status}); the baseline is unchanged\n`);
    return gate.status === 'interrupted' ? EXIT_INTERRUPTED : EXIT_FAILED;
  }
  const broken = gate.servers.filter((s) => s.error);
  if (broken.length > 0) {
    process.stderr.write(
      `${label}: ${broken.map((s) => `${s.name}: ${s.error}`).join('\n')}\nthe baseline is unchanged\n`,
    );
    return EXIT_FAILED;
  }
  return { gate, file };
}
