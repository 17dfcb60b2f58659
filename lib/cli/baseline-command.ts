import { parseArgs } from 'node:util';
import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { REPORTS_DIR } from '../paths.ts';
import { ResultsStore, timestampName } from '../results-store.ts';
import { UsageError, nonNegativeInt, SERVER_OPTION_HELP, RUNTIME_OPTION_HELP, containerEngineProblem, describeRuntimeSelection } from './args.ts';
import { DEFAULT_BASELINE_FILE, DEFAULT_BASELINE_KEEP } from '../perf/config.ts';
import { appendGate, emptyBaseline, readBaseline, writeBaseline, type BaselineFile } from '../perf/baseline.ts';
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

async function readGateResults(path: string): Promise<GateResults> {
  const st = await stat(path).catch(() => null);
  if (!st) throw new UsageError(`--from ${JSON.stringify(path)} does not exist`);
  const file = st.isDirectory() ? join(path, 'results.json') : path;
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--from ${JSON.stringify(path)}: ${file} cannot be read as JSON: ${(err as Error).message}`);
  }
  const r = data as Partial<GateResults>;
  if (r?.kind !== 'gate' || !Array.isArray(r.measurements)) {
    throw new UsageError(`--from ${JSON.stringify(path)}: ${file} is not the results.json of a gauntlet gate`);
  }
  return r as GateResults;
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
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    process.stdout.write(`${BASELINE_USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'save' && sub !== 'show') throw new UsageError(`baseline takes "save" or "show", got ${JSON.stringify(sub)}`);
  let values;
  try {
    values = parseArgs({
      args: rest,
      allowPositionals: false,
      options: { ...GATE_OPTIONS, from: { type: 'string' }, keep: { type: 'string' } },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${BASELINE_USAGE}\n`);
    return 0;
  }
  const keep = values.keep === undefined ? undefined : nonNegativeInt(values.keep, '--keep');
  if (keep === 0) throw new UsageError('--keep must be at least 1');

  if (sub === 'show') {
    const file = resolve(values.baseline ?? DEFAULT_BASELINE_FILE);
    const baseline = await readBaseline(file);
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
    gate = await readGateResults(resolve(values.from));
    file = resolve(values.baseline ?? gate.settings.baseline?.file ?? DEFAULT_BASELINE_FILE);
  } else {
    const { config, servers, root } = await resolveGateSetup({ ...values, 'no-baseline': false });
    file = resolve(values.baseline ?? config.baseline?.file ?? DEFAULT_BASELINE_FILE);
    // Checked before anything is started or written: without an engine nothing can be measured.
    const engineProblem = await containerEngineProblem(config.runtime);
    if (engineProblem) {
      process.stderr.write(`gauntlet baseline save: ${engineProblem}\n`);
      return 2;
    }
    const store = await ResultsStore.create(values.out ? resolve(values.out) : join(REPORTS_DIR, `baseline-${timestampName(new Date())}`));
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
  const baseline = (await readBaseline(file)) ?? emptyBaseline(keep ?? DEFAULT_BASELINE_KEEP);
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
