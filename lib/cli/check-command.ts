/**
 * `gauntlet check`: its command line, its progress on stderr, and the run itself, cases then
 * properties against each server, with the grid on stdout and the three report files.
 */
import type { ServerSpec } from '../types.ts';
import {
  SERVER_OPTION_HELP,
  RUNTIME_OPTION_HELP,
  RUNTIME_OPTIONS,
  describeRuntimeSelection,
  parseRuntimeOptions,
  resolveRoot,
  resolveOut,
  resolveServers,
  parseFlags,
  wholeNumber,
  flagError,
  UsageError,
} from './args.ts';
import { URL_OPTION, URL_OPTION_HELP, serverValuesInOrder } from './url-flag.ts';
import { NO_TLS, TLS_OPTIONS, TLS_OPTION_HELP, parseTlsFlags, type TlsFlags } from './tls-flag.ts';
import type { Runtime } from '../runtime.ts';
import { checkProgress } from './progress.ts';
import { useColor } from './color.ts';
import { DEFAULT_DOC_ROOT } from '../paths.ts';
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
import {
  CASES_DIR,
  CASE_GROUPS,
  CaseError,
  caseGroups,
  loadCases,
  selectCases,
  type LoadedCase,
} from '../conformance/registry.ts';
import { CONFORMANCE_ENV } from '../conformance/runner.ts';
import { renderGrid } from '../report/terminal/check-grid.ts';
import { runCheck, writeCheckFiles } from '../conformance/check-run.ts';
import { runFailed } from '../conformance/summary.ts';
import { PROPERTIES_MODES, type GauntletProperty, type PropertiesMode } from '../conformance/properties/types.ts';
import { PROPERTIES, PROPERTY_IDS, propertyById } from '../conformance/properties/registry.ts';
import { isShrinkPath, modeSettings, runSeed, seedLine, seedProblem } from '../conformance/properties/settings.ts';
import { propertiesFailed } from '../conformance/properties/record.ts';
import { JSON_OPTION_HELP, peopleStream, printRecord } from './json-output.ts';
import { join } from 'node:path';
import { shardLabel, type Shard } from '../shard/split.ts';
import { SHARD_OPTION, shardFlag } from './shard-flag.ts';

export const CHECK_USAGE = `usage: gauntlet check [options]

Runs the HTTP/1.1 conformance cases (lib/conformance/cases/), then the fast-check properties
(requests generated from the RFC grammar), against each server, one server at a time, prints a
grid of cases and properties by servers, and writes check.junit.xml, check.json and check.html.
A MUST requirement missed fails (exit code 1), a SHOULD requirement missed warns, informational
cases never fail. A server that does not start, or stops during the check, fails.

options:
${SERVER_OPTION_HELP}
${URL_OPTION_HELP}
${RUNTIME_OPTION_HELP}
${TLS_OPTION_HELP}
  --case ID              run only this case (repeatable)
  --group G              run only the cases of this group (repeatable): ${CASE_GROUPS.join(', ')}
  --out DIR              the report folder (default reports/<timestamp>-check)
  --jobs N               cases run at once against a server, each on its own connection (default 8)
  --properties MODE      the properties after the cases: none, quick (default: a few seconds a
                         server) or full (many more generated requests)
  --property ID          run only this property (repeatable), and no cases unless --case or
                         --group asks for some; the properties:
${PROPERTY_IDS.map((id) => `                           ${id}`).join('\n')}
  --seed S               the properties' seed (default GAUNTLET_SEED, else a random one; printed)
  --shrink-path P        replay one counterexample of one --property: the path a failure printed
  --root DIR             the document root given to servers as {root} (default fixtures/www)
  --cases DIR            load the case files from DIR (default lib/conformance/cases)
  --shard I/N            run only shard I of N of the (server, case) and (server, property)
                         pairs, the same split on every machine; gauntlet merge joins the shards
${JSON_OPTION_HELP.replace('FILE', 'check.json')}
  -h, --help             this text

Servers are started with ${Object.entries(CONFORMANCE_ENV)
  .map(([k, v]) => `${k}=${v}`)
  .join(' and ')} in their
environment, so that cases about timeouts finish quickly against servers that read them.
A failing property prints its shrunk request and the command that replays it:
  gauntlet check --server NAME --property ID --seed S --shrink-path P`;

/** The one line --concurrency prints: it still works, under its new name. */
export const CONCURRENCY_WARNING =
  'check: --concurrency is now --jobs (cases run at once); --concurrency will be removed';

const DEFAULT_JOBS = '8';

export interface CheckArgs extends TlsFlags {
  servers: ServerSpec[];
  caseIds: string[];
  groups: string[];
  out: string | null;
  /** Cases run at once against a server (--jobs). */
  concurrency: number;
  /** The properties after the cases. */
  properties: PropertiesMode;
  /** The properties to run: every one, or those --property names. */
  propertyList: GauntletProperty[];
  /** --property was given: only those properties run, and cases only if --case or --group asks. */
  propertiesChosen: boolean;
  /** The properties' seed; null when no property runs. */
  seed: number | null;
  shrinkPath?: string;
  /** --concurrency was given: it warns once. */
  concurrencyAlias: boolean;
  root: string;
  casesDir: string;
  /** Where the servers run. */
  runtime: Runtime;
  /** Container CPU limit, when given. */
  cpus?: number;
  /** Container memory limit in MiB, when given. */
  memoryMb?: number;
  /** Print check.json on stdout, the grid on stderr (--json). */
  json: boolean;
  /** --shard: only this shard's pairs run. */
  shard?: Shard;
  help: boolean;
}

export const CHECK_OPTIONS = {
  server: { type: 'string', multiple: true },
  ...URL_OPTION,
  ...RUNTIME_OPTIONS,
  ...TLS_OPTIONS,
  case: { type: 'string', multiple: true },
  group: { type: 'string', multiple: true },
  out: { type: 'string' },
  jobs: { type: 'string' },
  /** The old name of --jobs, kept working with a warning. */
  concurrency: { type: 'string' },
  properties: { type: 'string', default: 'quick' },
  property: { type: 'string', multiple: true },
  seed: { type: 'string' },
  'shrink-path': { type: 'string' },
  root: { type: 'string', default: DEFAULT_DOC_ROOT },
  cases: { type: 'string', default: CASES_DIR },
  ...SHARD_OPTION,
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** --jobs, or its old name --concurrency; both at once is a usage error. */
function parseJobs(jobs: string | undefined, concurrency: string | undefined): number {
  if (jobs !== undefined && concurrency !== undefined)
    throw flagError('--concurrency', concurrency, 'is the old name of --jobs: give --jobs only');
  if (concurrency !== undefined) return wholeNumber('--concurrency', concurrency, 1);
  return wholeNumber('--jobs', jobs ?? DEFAULT_JOBS, 1);
}

interface PropertyFlags {
  properties: string;
  property?: string[];
  seed?: string;
  'shrink-path'?: string;
}

/** The properties a check runs, its seed and shrink path, each flag checked. */
export function parsePropertyFlags(
  v: PropertyFlags,
  env: NodeJS.ProcessEnv = process.env,
): Pick<CheckArgs, 'properties' | 'propertyList' | 'propertiesChosen' | 'seed' | 'shrinkPath'> {
  if (!(PROPERTIES_MODES as readonly string[]).includes(v.properties))
    throw flagError('--properties', v.properties, `is not a mode; modes: ${PROPERTIES_MODES.join(', ')}`);
  const properties = v.properties as PropertiesMode;
  const ids = v.property ?? [];
  const propertyList = ids.map((id) => {
    const p = propertyById(id);
    if (!p) throw flagError('--property', id, `no property has this id; properties: ${PROPERTY_IDS.join(', ')}`);
    return p;
  });
  if (properties === 'none' && ids.length > 0)
    throw flagError('--property', ids[0] ?? '', 'runs a property, and --properties is none');
  if (v.seed !== undefined && seedProblem(v.seed)) throw flagError('--seed', v.seed, 'is not a whole number');
  const path = v['shrink-path'];
  if (path !== undefined) {
    if (!isShrinkPath(path)) throw flagError('--shrink-path', path, 'is not a fast-check path such as 12:0:3');
    if (ids.length !== 1) throw flagError('--shrink-path', path, 'replays one property: give exactly one --property');
  }
  if (properties === 'none') return { properties, propertyList: [], propertiesChosen: false, seed: null };
  let seed: number;
  try {
    seed = v.seed !== undefined ? Number(v.seed) : runSeed(env);
    // The variables that tune the runs are checked now, before any server starts.
    modeSettings(properties, seed, path, env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    properties,
    propertyList: ids.length > 0 ? propertyList : [...PROPERTIES],
    propertiesChosen: ids.length > 0,
    seed,
    ...(path !== undefined ? { shrinkPath: path } : {}),
  };
}

/** `gauntlet check`'s command line, every value checked before anything starts or is written. */
export async function parseCheckArgs(argv: string[]): Promise<CheckArgs> {
  const v = parseFlags(argv, CHECK_OPTIONS);
  const base = { caseIds: v.case ?? [], groups: v.group ?? [], concurrencyAlias: v.concurrency !== undefined };
  if (v.help)
    return {
      ...base,
      out: null,
      casesDir: CASES_DIR,
      servers: [],
      concurrency: 1,
      properties: 'none',
      propertyList: [],
      propertiesChosen: false,
      seed: null,
      root: v.root,
      runtime: 'process',
      ...NO_TLS,
      json: false,
      help: true,
    };
  const concurrency = parseJobs(v.jobs, v.concurrency);
  const properties = parsePropertyFlags(v);
  const casesDir = resolveRoot(v.cases, '--cases');
  const root = resolveRoot(v.root);
  const out = resolveOut(v.out);
  const values = serverValuesInOrder(argv, CHECK_OPTIONS);
  const servers = await resolveServers(values.length ? values : undefined);
  const runtime = parseRuntimeOptions(v, servers);
  return {
    ...base,
    ...(v.shard !== undefined ? { shard: shardFlag(v.shard) } : {}),
    out,
    casesDir,
    servers,
    ...runtime,
    ...parseTlsFlags(v, servers, runtime.runtime, (problem) => new UsageError(problem)),
    concurrency,
    ...properties,
    root,
    json: v.json,
    help: false,
  };
}

/**
 * The case files of --cases. Invalid cases there are the user's input, as a manifest is: a usage
 * error naming the folder and each problem (the project's own cases failing is no usage error).
 */
export async function loadCheckCases(casesDir: string): Promise<LoadedCase[]> {
  try {
    return await loadCases(casesDir);
  } catch (err) {
    if (err instanceof CaseError && casesDir !== CASES_DIR)
      throw flagError('--cases', casesDir, `invalid conformance cases: ${err.problems.join('; ')}`);
    throw err;
  }
}

/**
 * The cases that --case and --group select, each unknown id or empty group a usage error
 * naming the flag and the value.
 */
export function selectedCases<T extends LoadedCase>(
  loaded: readonly T[],
  args: Pick<CheckArgs, 'caseIds' | 'groups' | 'casesDir'>,
): T[] {
  if (loaded.length === 0) throw flagError('--cases', args.casesDir, 'holds no case files');
  const ids = loaded.map((l) => l.case.id);
  for (const id of args.caseIds) {
    if (!ids.includes(id)) {
      const near = ids.filter((k) => k.includes(id) || id.includes(k) || commonPrefix(k, id) >= 6).slice(0, 5);
      throw flagError('--case', id, `no case has this id${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`);
    }
  }
  // Groups are the files of the case folder, so --group is checked against the cases loaded.
  const groups = caseGroups(loaded);
  for (const g of args.groups) {
    if (!groups.includes(g)) throw flagError('--group', g, `is not a group; groups: ${groups.join(', ')}`);
  }
  const selected = selectCases(loaded, { ids: args.caseIds, groups: args.groups });
  if (selected.length === 0) {
    const [first = '', ...more] = args.groups;
    throw flagError(
      '--group',
      first,
      `no case is in ${more.length ? `the groups ${args.groups.join(', ')}` : 'this group'}`,
    );
  }
  return selected;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** The cases a check runs: none when --property alone chose what runs. */
async function casesToRun(args: CheckArgs): Promise<LoadedCase[]> {
  if (args.propertiesChosen && args.caseIds.length === 0 && args.groups.length === 0) return [];
  return selectedCases(await loadCheckCases(args.casesDir), args);
}

/**
 * `gauntlet check`. Exit codes: 0 no MUST requirement missed; 1 a MUST miss (a case or a
 * property), or a server that failed to start or stopped; 2 usage; 130 interrupted (what was
 * checked is still reported).
 */
export async function checkCommand(argv: string[]): Promise<number> {
  const args = await parseCheckArgs(argv);
  if (args.help) return printUsage(CHECK_USAGE);
  if (args.concurrencyAlias) process.stderr.write(`${CONCURRENCY_WARNING}\n`);
  const selected = await casesToRun(args);
  if (await refusedForEngine('gauntlet check', args.runtime)) return EXIT_USAGE;
  const propertyCount =
    args.seed === null
      ? ''
      : `, ${args.propertyList.length} propert${args.propertyList.length === 1 ? 'y' : 'ies'} (${args.properties})`;
  const store = await openRunStore({
    label: 'gauntlet check',
    out: args.out,
    defaultName: runFolderName('', '-check'),
    summary: `${args.shard ? `shard ${shardLabel(args.shard)} of ` : ''}${selected.length} case(s)${propertyCount}, ${args.servers.length} server(s), ${describeRuntimeSelection(args)}${args.tls ? ', over TLS' : ''}`,
  });
  if (args.seed !== null) process.stderr.write(`${seedLine(args.seed)}\n`);

  const run = await whileInterruptible(
    'finishing the cases under way, stopping the properties and writing what was checked',
    (signal) =>
      runCheck(
        {
          servers: args.servers,
          cases: selected,
          root: args.root,
          concurrency: args.concurrency,
          signal,
          runtime: args.runtime,
          cpus: args.cpus,
          memoryMb: args.memoryMb,
          tls: args.tls,
          insecure: args.insecure,
          properties: args.properties,
          propertyList: args.propertyList,
          ...(args.seed !== null ? { seed: args.seed } : {}),
          ...(args.shrinkPath !== undefined ? { shrinkPath: args.shrinkPath } : {}),
          ...(args.shard ? { shard: args.shard } : {}),
        },
        checkProgress(process.stderr),
      ),
  );

  const people = peopleStream(args.json);
  people.write(`\n${renderGrid(run, { color: useColor(people) })}\n`);
  announceReports(await writeCheckFiles(store, run));
  if (args.json) await printRecord(join(store.dir, 'check.json'));
  if (run.status === 'interrupted') return EXIT_INTERRUPTED;
  return runFailed(run) || propertiesFailed(run) ? EXIT_FAILED : EXIT_OK;
}
