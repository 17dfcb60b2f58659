/**
 * `gauntlet gate` and what `gauntlet baseline save` shares with it: the flags, the configuration
 * file with the command line on top, and the servers to start. The measuring and deciding are
 * lib/perf's, the reports lib/report's (the gate's formats in its registry), where the alerts go
 * gate-alerts.ts'; the skeleton every command shares (exit codes, interrupts, the report folder)
 * is command.ts.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ServerSpec } from '../types.ts';
import { DEFAULT_DOC_ROOT } from '../paths.ts';
import type { ResultsStore } from '../results-store.ts';
import {
  UsageError,
  SERVER_OPTION_HELP,
  RUNTIME_OPTION_HELP,
  RUNTIME_OPTIONS,
  describeRuntimeSelection,
  parseRuntimeOptions,
  resolveRoot,
  resolveServers,
  resolveOut,
  flagError,
  matrixFlag,
  parseFlags,
  parseMode,
  seconds,
  type RuntimeFlags,
  type RuntimeSelection,
  type ServerOrigin,
} from './args.ts';
import { gateProgress } from './progress.ts';
import { observationNote } from '../url-server.ts';
import type { GateEvents, GateRunOptions } from '../perf/gate-context.ts';
import type { GateTlsOptions } from '../perf/gate-servers.ts';
import { TLS_OPTIONS, TLS_OPTION_HELP, parseTlsFlags, type TlsFlags } from './tls-flag.ts';
import { URL_OPTION, URL_OPTION_HELP, describeServerValue, serverValuesInOrder, type ServerValue } from './url-flag.ts';
import { useColor } from './color.ts';
import {
  EXIT_FAILED,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
  announceReports,
  openRunStore,
  printUsage,
  refusedForEngine,
  runFolderName,
  whileInterruptible,
} from './command.ts';
import { ClaimSyntaxError, parseClaim } from '../perf/claims.ts';
import {
  ConfigError,
  DEFAULT_CONFIG_FILE,
  DEFAULT_BASELINE_FILE,
  findConfigFile,
  loadConfigFile,
  resolveConfig,
  type ResolvedConfig,
} from '../perf/config.ts';
import { checkClaimServers, runGate, serversNamedByClaims } from '../perf/gate.ts';
import { deliverAlerts } from './gate-alerts.ts';
import { BaselineError, readBaseline, type BaselineFile } from '../perf/baseline.ts';
import { renderGateText } from '../report/terminal/gate-report.ts';
import { writeFormatFiles } from '../report/files.ts';
import type { GateResults } from '../perf/types.ts';
import { peopleStream, printRecord } from './json-output.ts';
import { ENGINE_OPTIONS, ENGINE_OPTION_HELP, parseEngineFlags } from './engine-flags.ts';
import type { LoadEngine } from '../locust/engine.ts';
import { requireLocust } from '../locust/processes.ts';
import { engineRecord, gateEngineProblem } from '../perf/gate-engine.ts';

export const GATE_USAGE = `usage: gauntlet gate [options]

Checks claims about servers' performance (gauntlet.config.ts, or --claim) soundly: every cell
is measured repeatedly with the servers interleaved, after a warm-up; a difference counts only
when a significance test says so AND it exceeds the tolerance; a failing comparison is measured
once more, within the same time cap, and passes only on the whole rule. With a baseline file, each server is also compared with its own
earlier runs, normalised by a yardstick server measured alongside.

options:
  --config FILE          the threshold file (default ${DEFAULT_CONFIG_FILE}, .mts, .mjs, .js or .json,
                         when present)
  --claim TEXT           a claim, for example "a >= b at every c", "a: p(99) < 20ms at c=1",
                         "failed == 0" (repeatable; replaces the file's claims)
${SERVER_OPTION_HELP}
${URL_OPTION_HELP}; the URL's path is
                         its request path unless the file's "path" is given
                         (--server and --url replace the file's servers; default: the servers
                         the claims name)
${RUNTIME_OPTION_HELP}
                         (override the file's runtime, cpus and memory; the yardstick always
                         runs as a process)
${TLS_OPTION_HELP}
                         (the yardstick always talks plain HTTP)
  --mode close|keepalive the load mode (repeatable; default close, or the file's)
  --matrix M             seed (default), tugas9, or N:C1,C2,... (groups separated by ';'); N is
                         a number of requests, or a duration such as 10s (each run of such a
                         cell sends for that long; judged on its requests per second)
${ENGINE_OPTION_HELP}
                         (gate: each run of a cell is one Locust run, about 4 s more than
                         its duration; a duration matrix only; docs/perf-gates.md)
  --tolerance T          differences below T are noise: 0.1 or 10% (default 10%)
  --max-time S           seconds of measuring per cell before it stops (default 10)
  --warmup S             seconds of load each server gets before its first cell (default 3)
  --baseline FILE        the baseline to compare with (default ${DEFAULT_BASELINE_FILE}, if it exists)
  --no-baseline          do not compare with a baseline
  --no-pin               do not pin the servers and the load generator to separate cores
  --root DIR             the document root given to servers as {root} (default fixtures/www)
  --out DIR              the report folder (default reports/gate-<timestamp>)
  --annotations          print GitHub Actions annotations (default: when GITHUB_ACTIONS=true)
  --no-annotations       never print them
  --json                 print the run's record (results.json) on stdout; the report and the
                         annotations go to stderr
  -h, --help             this text

exit codes: 0 every claim held; 1 a claim failed, a regression passed the fail threshold or a
server did not run; 2 usage; 130 interrupted (what was measured is kept).`;

/** Options shared by `gate` and `baseline save`. */
export const GATE_OPTIONS = {
  config: { type: 'string' },
  claim: { type: 'string', multiple: true },
  server: { type: 'string', multiple: true },
  ...URL_OPTION,
  ...RUNTIME_OPTIONS,
  mode: { type: 'string', multiple: true },
  matrix: { type: 'string' },
  ...ENGINE_OPTIONS,
  tolerance: { type: 'string' },
  'max-time': { type: 'string' },
  warmup: { type: 'string' },
  baseline: { type: 'string' },
  'no-baseline': { type: 'boolean', default: false },
  'no-pin': { type: 'boolean', default: false },
  root: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export interface GateFlags extends RuntimeFlags {
  config?: string | undefined;
  claim?: string[] | undefined;
  server?: string[] | undefined;
  url?: string[] | undefined;
  mode?: string[] | undefined;
  matrix?: string | undefined;
  engine?: string | undefined;
  workers?: string | undefined;
  'locust-master'?: string | undefined;
  tolerance?: string | undefined;
  'max-time'?: string | undefined;
  warmup?: string | undefined;
  baseline?: string | undefined;
  'no-baseline'?: boolean | undefined;
  'no-pin'?: boolean | undefined;
  root?: string | undefined;
}

/** The largest tolerance, as the configuration file's: past it every claim would hold. */
const MAX_TOLERANCE = 0.9;

/** "0.1", "10%" -> 0.1 */
export function parseTolerance(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const v = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(v >= 0 && v <= MAX_TOLERANCE)) {
    throw flagError(
      '--tolerance',
      text,
      `must be a fraction from 0 to ${MAX_TOLERANCE} such as 0.1, or a percentage such as 10%`,
    );
  }
  return v;
}

/**
 * The engine the flags name, checked against the matrix and the request before any server starts
 * (TLS once its flags are read, in gateCommand).
 */
function gateEngine(flags: GateFlags, config: ResolvedConfig): LoadEngine {
  const engine = parseEngineFlags({
    ...(flags.engine !== undefined && { engine: flags.engine }),
    ...(flags.workers !== undefined && { workers: flags.workers }),
    ...(flags['locust-master'] !== undefined && { 'locust-master': flags['locust-master'] }),
  });
  const problem = gateEngineProblem(engine, {
    matrix: config.matrix,
    tls: false,
    chunked: config.shape?.chunked === true,
  });
  if (problem) throw new UsageError(problem);
  // A missing Locust is said before any server starts (gate and baseline save), naming the package.
  if (engine.name === 'locust') requireLocust();
  return engine;
}

/** ", engine locust (2 workers on this machine)", or nothing for the built-in engine. */
function describeEngine(engine: LoadEngine | undefined): string {
  const r = engineRecord(engine);
  if (r.name !== 'locust') return '';
  const where = r.master ? `connecting to ${r.master}` : 'on this machine';
  return `, engine locust (${r.workers} worker${r.workers === 1 ? '' : 's'} ${where})`;
}

/** The configuration file named or found, loaded; its mistakes are usage errors naming the file and field. */
async function loadGateConfig(flags: GateFlags): Promise<ResolvedConfig> {
  const file = flags.config ?? findConfigFile();
  if (flags.config !== undefined && flags.config.trim() === '')
    throw flagError('--config', flags.config, 'is empty: name a file');
  if (flags.config !== undefined && !existsSync(resolve(flags.config)))
    throw flagError('--config', flags.config, 'does not exist');
  try {
    if (file) return await loadConfigFile(file);
    if (flags.claim?.length) return resolveConfig({ claims: [] }, null);
  } catch (err) {
    // A configuration the user wrote wrong is a usage error, reported with the file and the field.
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  throw new UsageError(`no claims: write ${DEFAULT_CONFIG_FILE} or pass --claim`);
}

/**
 * The servers to start, and where each was named, for messages: the --server flags, else the
 * configuration's servers field, else the servers the claims name.
 */
function serverSources(
  flags: GateFlags,
  config: ResolvedConfig,
  flagOrder: readonly ServerValue[] | undefined,
): { values: ServerValue[]; origin: ServerOrigin } {
  const flagged = flagOrder ?? [...(flags.server ?? []), ...(flags.url ?? []).map((url) => ({ url }))];
  if (flagged.length) return { values: [...flagged], origin: describeServerValue };
  if (config.servers)
    return {
      values: config.servers,
      origin: (v, i) => `${config.file ?? 'configuration'}: servers[${i}] ${JSON.stringify(v)}`,
    };
  const claimsFrom = flags.claim?.length ? '--claim' : (config.file ?? 'configuration');
  return {
    values: serversNamedByClaims(config.claims),
    origin: (v) => `server ${JSON.stringify(v)}, named by the claims (${claimsFrom})`,
  };
}

/** What a gate runs: the resolved configuration, the servers to start and the document root. */
export interface GateSetup {
  config: ResolvedConfig;
  servers: ServerSpec[];
  root: string;
}

/**
 * The configuration from the file (if any) with the command line on top, and the servers to
 * start; `flagOrder` is the order the --server and --url flags were written in, when known.
 */
export async function resolveGateSetup(flags: GateFlags, flagOrder?: readonly ServerValue[]): Promise<GateSetup> {
  const config = await loadGateConfig(flags);
  if (flags.claim?.length) {
    config.claims = flags.claim.map((c) => {
      try {
        return parseClaim(c);
      } catch (err) {
        if (err instanceof ClaimSyntaxError)
          throw flagError('--claim', c, err.message.replace(`claim ${JSON.stringify(c)}: `, ''));
        throw err;
      }
    });
  }
  if (flags.mode?.length)
    config.modes = [...new Set(flags.mode.flatMap((m) => m.split(',')).map((m) => parseMode('--mode', m)))];
  if (flags.matrix !== undefined) config.matrix = matrixFlag(flags.matrix);
  config.engine = gateEngine(flags, config);
  if (flags.tolerance !== undefined) config.tolerance = parseTolerance(flags.tolerance);
  // The configuration file's ranges (sampling.maxTimeS, sampling.warmupS), but a cell needs some time.
  if (flags['max-time'] !== undefined)
    config.sampling.maxTimeMs = seconds('--max-time', flags['max-time'], 0.001, 3600) * 1000;
  if (flags.warmup !== undefined) config.sampling.warmupMs = seconds('--warmup', flags.warmup, 0, 600) * 1000;
  if (flags['no-pin']) config.pin = false;
  if (flags['no-baseline'] && flags.baseline !== undefined) {
    throw flagError('--baseline', flags.baseline, 'and --no-baseline contradict each other: give one');
  }
  if (flags['no-baseline']) config.baseline = null;
  else if (flags.baseline !== undefined) {
    if (flags.baseline.trim() === '') throw flagError('--baseline', flags.baseline, 'is empty: name a file');
    const file = resolve(flags.baseline);
    config.baseline = config.baseline
      ? { ...config.baseline, file }
      : { file, keep: 5, alert: config.tolerance, fail: Math.max(0.25, config.tolerance) };
  }
  await checkBaselineFile(config, flags);
  if (config.claims.length === 0)
    throw new UsageError(`no claims to check: ${config.file ? `${config.file} lists none` : 'pass --claim'}`);
  const root = flags.root !== undefined ? resolveRoot(flags.root) : resolveConfigRoot(config);
  const { values, origin } = serverSources(flags, config, flagOrder);
  const servers = await resolveServers(values.length ? values : undefined, origin);
  try {
    checkClaimServers(
      config.claims,
      servers.map((s) => s.name),
    );
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const runtime = parseRuntimeOptions(flags, servers, runtimeSelectionOf(config));
  config.runtime = runtime.runtime;
  config.cpus = runtime.cpus ?? null;
  config.memoryMb = runtime.memoryMb ?? null;
  return { config, servers, root };
}

/**
 * A baseline file that is there but cannot be read is a usage error before anything is measured,
 * naming where it was given (--baseline, or the configuration's baseline.file).
 */
export async function checkBaselineFile(
  config: ResolvedConfig,
  flags: Pick<GateFlags, 'baseline'>,
): Promise<BaselineFile | null> {
  if (!config.baseline) return null;
  try {
    return await readBaseline(config.baseline.file);
  } catch (err) {
    if (!(err instanceof BaselineError)) throw err;
    const where =
      flags.baseline !== undefined
        ? `--baseline ${JSON.stringify(flags.baseline)}`
        : `${config.file ?? 'configuration'}: baseline.file`;
    throw new UsageError(`${where}: ${err.message}`);
  }
}

/** The configuration's root (or the default), which must be a folder: the file and field named if not. */
function resolveConfigRoot(config: ResolvedConfig): string {
  const root = config.root ?? DEFAULT_DOC_ROOT;
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(
      config.root
        ? `${config.file ?? 'configuration'}: root ${JSON.stringify(root)} is not a folder`
        : `the document root ${root} is not a folder`,
    );
  }
  return root;
}

/** The configuration's runtime as the command line states it. */
export function runtimeSelectionOf(config: ResolvedConfig): RuntimeSelection {
  return {
    runtime: config.runtime,
    ...(config.cpus !== null ? { cpus: config.cpus } : {}),
    ...(config.memoryMb !== null ? { memoryMb: config.memoryMb } : {}),
  };
}

export const GATE_COMMAND_OPTIONS = {
  ...GATE_OPTIONS,
  ...TLS_OPTIONS,
  annotations: { type: 'boolean' },
  'no-annotations': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

/** `gauntlet gate`'s flags as parsed. */
export type GateCommandFlags = ReturnType<typeof parseGateFlags>;

/** `gauntlet gate`'s flags; their values are checked by resolveGateSetup. */
export function parseGateFlags(argv: string[]) {
  const flags = parseFlags(argv, GATE_COMMAND_OPTIONS);
  if (flags.help) return flags;
  if (flags.annotations && flags['no-annotations'])
    throw new UsageError('--annotations and --no-annotations contradict each other: give one');
  if (flags.out !== undefined) resolveOut(flags.out);
  return flags;
}

/** The gate's progress, with the line that says whether a URL server's process is observed. */
function withUrlNotes(events: GateEvents): GateEvents {
  return {
    ...events,
    serverReady: (server) => {
      events.serverReady?.(server);
      const note = observationNote(server);
      if (note) process.stderr.write(`  ${note}\n`);
    },
  };
}

/** `gauntlet gate`. Exit codes as GATE_USAGE says. */
export async function gateCommand(argv: string[]): Promise<number> {
  const flags = parseGateFlags(argv);
  if (flags.help) return printUsage(GATE_USAGE);
  const { config, servers, root } = await resolveGateSetup(flags, serverValuesInOrder(argv, GATE_COMMAND_OPTIONS));
  const tls = parseTlsFlags(flags, servers, config.runtime, (problem) => new UsageError(problem));
  const tlsProblem =
    config.engine && gateEngineProblem(config.engine, { matrix: config.matrix, tls: tls.tls, chunked: false });
  if (tlsProblem) throw new UsageError(tlsProblem);
  if (await refusedForEngine('gauntlet gate', config.runtime)) return EXIT_USAGE;
  const store = await openRunStore({
    label: 'gauntlet gate',
    out: flags.out ? resolve(flags.out) : null,
    defaultName: runFolderName('gate-'),
    summary:
      `${config.claims.length} claim(s) on ${servers.map((s) => s.name).join(', ')}; ` +
      `matrix ${config.matrix.name}, mode ${config.modes.join(', ')}, ${describeRuntimeSelection(runtimeSelectionOf(config))}` +
      (tls.tls ? ', over TLS' : '') +
      describeEngine(config.engine),
  });
  return whileInterruptible('stopping the servers and writing what was measured', (signal) =>
    gateAndReport({ config, servers, root }, flags, tls, store, signal),
  );
}

/** The gate, then its reports, alerts and exit code. */
async function gateAndReport(
  setup: GateSetup,
  flags: GateCommandFlags,
  tls: TlsFlags,
  store: ResultsStore,
  signal: AbortSignal,
): Promise<number> {
  const { config } = setup;
  const options: GateRunOptions & GateTlsOptions = {
    ...setup,
    ...tls,
    save: saveGateResults(store),
    signal,
    events: withUrlNotes(gateProgress()),
  };
  const results = await runGate(options);
  const people = peopleStream(flags.json);
  people.write(`\n${renderGateText(results, { color: useColor(people) })}\n`);
  const reports = await writeFormatFiles(store, 'gate', results);
  const annotations = flags['no-annotations'] ? false : flags.annotations;
  const notes = await deliverAlerts(results, {
    webhookEnv: config.webhook.env,
    webhookOn: config.webhook.on,
    ...(annotations === undefined ? {} : { annotations }),
    // With --json, stdout is the record's alone: the annotations go to stderr with the report.
    ...(flags.json ? { write: (line: string) => void people.write(`${line}\n`) } : {}),
  });
  for (const n of notes) process.stderr.write(`${n}\n`);
  announceReports([store.resultsFile, ...reports], false);
  if (flags.json) await printRecord(store.resultsFile);
  if (results.status === 'interrupted') return EXIT_INTERRUPTED;
  return results.passed ? EXIT_OK : EXIT_FAILED;
}

/** Writes a gate's results.json whole, each time the gate saves (after every cell). */
export function saveGateResults(store: ResultsStore): (results: GateResults) => Promise<void> {
  return async (results) => void (await store.writeText('results.json', `${JSON.stringify(results, null, 2)}\n`));
}
