import { join } from 'node:path';
import type { ServerSpec } from '../types.ts';
import type { CaseResult, CheckRun, ServerDeath } from '../conformance/types.ts';
import {
  SERVER_OPTION_HELP,
  RUNTIME_OPTION_HELP,
  RUNTIME_OPTIONS,
  containerEngineProblem,
  describeRuntimeSelection,
  parseRuntimeOptions,
  resolveRoot,
  resolveOut,
  resolveServers,
  parseFlags,
  wholeNumber,
  flagError,
} from './args.ts';
import type { Runtime } from '../runtime.ts';
import { runtimeClause } from './progress.ts';
import { killAllNow, type RunningServer } from '../launcher.ts';
import { handleSignal } from '../exit-hooks.ts';
import { DEFAULT_DOC_ROOT, REPORTS_DIR } from '../paths.ts';
import { ResultsStore, timestampName } from '../results-store.ts';
import { sanitizeTerminal } from '../report/format.ts';
import { CASES_DIR, CASE_GROUPS, CaseError, loadCases, selectCases, type LoadedCase } from '../conformance/registry.ts';
import { CONFORMANCE_ENV } from '../conformance/runner.ts';
import { renderGrid } from '../conformance/grid.ts';
import { runCheck, writeCheckFiles, type CheckEvents } from '../conformance/check-run.ts';
import { countVerdicts, countsLine, runFailed } from '../conformance/summary.ts';

export const CHECK_USAGE = `usage: gauntlet check [options]

Runs the HTTP/1.1 conformance cases (spec/conformance/cases/) against each server, one server at
a time, prints a grid of cases by servers, and writes check.junit.xml, check.json and check.html.
A MUST requirement missed fails (exit code 1), a SHOULD requirement missed warns, informational
cases never fail. A server that does not start, or stops during the check, fails.

options:
${SERVER_OPTION_HELP}
${RUNTIME_OPTION_HELP}
  --case ID              run only this case (repeatable)
  --group G              run only the cases of this group (repeatable): ${CASE_GROUPS.join(', ')}
  --out DIR              the report folder (default reports/<timestamp>-check)
  --concurrency N        cases run at once against a server, each on its own connection (default 8)
  --root DIR             the document root given to servers as {root} (default fixtures/www)
  --cases DIR            load the case files from DIR (default spec/conformance/cases)
  -h, --help             this text

Servers are started with ${Object.entries(CONFORMANCE_ENV).map(([k, v]) => `${k}=${v}`).join(' and ')} in their
environment, so that cases about timeouts finish quickly against servers that read them.`;

export interface CheckArgs {
  servers: ServerSpec[];
  caseIds: string[];
  groups: string[];
  out: string | null;
  concurrency: number;
  root: string;
  casesDir: string;
  /** Where the servers run. */
  runtime: Runtime;
  /** Container CPU limit, when given. */
  cpus?: number;
  /** Container memory limit in MiB, when given. */
  memoryMb?: number;
  help: boolean;
}

export const CHECK_OPTIONS = {
  server: { type: 'string', multiple: true },
  ...RUNTIME_OPTIONS,
  case: { type: 'string', multiple: true },
  group: { type: 'string', multiple: true },
  out: { type: 'string' },
  concurrency: { type: 'string', default: '8' },
  root: { type: 'string', default: DEFAULT_DOC_ROOT },
  cases: { type: 'string', default: CASES_DIR },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `gauntlet check`'s command line, every value checked before anything starts or is written. */
export async function parseCheckArgs(argv: string[]): Promise<CheckArgs> {
  const v = parseFlags(argv, CHECK_OPTIONS);
  const base = { caseIds: v.case ?? [], groups: v.group ?? [] };
  if (v.help) return { ...base, out: null, casesDir: CASES_DIR, servers: [], concurrency: 1, root: v.root, runtime: 'process', help: true };
  for (const g of base.groups) {
    if (!(CASE_GROUPS as readonly string[]).includes(g)) throw flagError('--group', g, `is not a group; groups: ${CASE_GROUPS.join(', ')}`);
  }
  const concurrency = wholeNumber('--concurrency', v.concurrency, 1);
  const casesDir = resolveRoot(v.cases, '--cases');
  const root = resolveRoot(v.root);
  const out = resolveOut(v.out);
  const servers = await resolveServers(v.server);
  return { ...base, out, casesDir, servers, ...parseRuntimeOptions(v, servers), concurrency, root, help: false };
}

/**
 * The case files of --cases. Invalid cases there are the user's input, as a manifest is: a usage
 * error naming the folder and each problem (the project's own cases failing is no usage error).
 */
export async function loadCheckCases(casesDir: string): Promise<LoadedCase[]> {
  try {
    return await loadCases(casesDir);
  } catch (err) {
    if (err instanceof CaseError && casesDir !== CASES_DIR) throw flagError('--cases', casesDir, `invalid conformance cases: ${err.problems.join('; ')}`);
    throw err;
  }
}

/**
 * The cases that --case and --group select, each unknown id or empty group a usage error
 * naming the flag and the value.
 */
export function selectedCases<T extends LoadedCase>(loaded: readonly T[], args: Pick<CheckArgs, 'caseIds' | 'groups' | 'casesDir'>): T[] {
  if (loaded.length === 0) throw flagError('--cases', args.casesDir, 'holds no case files');
  const ids = loaded.map((l) => l.case.id);
  for (const id of args.caseIds) {
    if (!ids.includes(id)) {
      const near = ids.filter((k) => k.includes(id) || id.includes(k) || commonPrefix(k, id) >= 6).slice(0, 5);
      throw flagError('--case', id, `no case has this id${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`);
    }
  }
  const selected = selectCases(loaded, { ids: args.caseIds, groups: args.groups });
  if (selected.length === 0) {
    const [first = '', ...more] = args.groups;
    throw flagError('--group', first, `no case is in ${more.length ? `the groups ${args.groups.join(', ')}` : 'this group'}`);
  }
  return selected;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** What a check reports while it goes, on stderr (also used by `gauntlet bench`). */
export function checkProgress(stream: NodeJS.WriteStream): CheckEvents {
  const tty = Boolean(stream.isTTY);
  let lastDraw = 0;
  return {
    starting(spec: ServerSpec, i: number, n: number) {
      stream.write(`[${i + 1}/${n}] starting ${sanitizeTerminal(spec.name)}\n`);
    },
    ready(server: RunningServer, cases: number) {
      stream.write(`      up at ${server.url} (pid ${server.pid}) ${runtimeClause(server.runtime)}; ${cases} case${cases === 1 ? '' : 's'}\n`);
    },
    result(_r: CaseResult, done: number, total: number) {
      const now = Date.now();
      if (!tty || (now - lastDraw < 100 && done < total)) return;
      lastDraw = now;
      stream.write(`\r\x1b[2K      ${done}/${total}`);
    },
    finished(name: string, results: CaseResult[], ms: number) {
      if (tty) stream.write('\r\x1b[2K');
      stream.write(`      ${sanitizeTerminal(name)}: ${countsLine(countVerdicts(results))} (${(ms / 1000).toFixed(1)} s)\n`);
    },
    failed(name: string, message: string) {
      if (tty) stream.write('\r\x1b[2K');
      stream.write(`      ${sanitizeTerminal(name)} FAILED: ${sanitizeTerminal(message)}\n`);
    },
    exited(name: string, death: ServerDeath, server: RunningServer) {
      if (tty) stream.write('\r\x1b[2K');
      const during = death.caseId ? ` during ${death.caseId}` : death.inFlight.length > 0 ? ` with ${death.inFlight.length} case(s) in flight` : '';
      const then = death.restarted ? `restarted at ${server.url} (pid ${server.pid})` : `not restarted: ${death.notRestartedBecause ?? ''}`;
      stream.write(`      ${sanitizeTerminal(name)} exited (${death.exit})${sanitizeTerminal(during)}; ${sanitizeTerminal(then)}\n`);
    },
  };
}

/**
 * `gauntlet check`. Exit codes: 0 no MUST requirement missed; 1 a MUST miss, or a server that
 * failed to start or stopped; 2 usage; 130 interrupted (what was checked is still reported).
 */
export async function checkCommand(argv: string[]): Promise<number> {
  const args = await parseCheckArgs(argv);
  if (args.help) {
    process.stdout.write(`${CHECK_USAGE}\n`);
    return 0;
  }
  const selected = selectedCases(await loadCheckCases(args.casesDir), args);
  // Checked before anything is started or written: without an engine no server can run.
  const engineProblem = await containerEngineProblem(args.runtime);
  if (engineProblem) {
    process.stderr.write(`gauntlet check: ${engineProblem}\n`);
    return 2;
  }

  const store = await ResultsStore.create(args.out ?? join(REPORTS_DIR, `${timestampName(new Date())}-check`));
  process.stderr.write(
    `gauntlet check: ${selected.length} case(s), ${args.servers.length} server(s), ${describeRuntimeSelection(args)}\n  writing to ${store.dir}\n`,
  );

  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write(`\n${signal}: finishing the cases under way and writing what was checked (again to quit at once)\n`);
      abort.abort();
    } else {
      killAllNow();
      process.exit(130);
    }
  };
  const releaseSignals = [handleSignal('SIGINT', onSignal), handleSignal('SIGTERM', onSignal)];
  let run: CheckRun;
  try {
    run = await runCheck(
      {
        servers: args.servers,
        cases: selected,
        root: args.root,
        concurrency: args.concurrency,
        signal: abort.signal,
        runtime: args.runtime,
        cpus: args.cpus,
        memoryMb: args.memoryMb,
      },
      checkProgress(process.stderr),
    );
  } finally {
    for (const release of releaseSignals) release();
  }

  process.stdout.write(`\n${renderGrid(run, { color: Boolean(process.stdout.isTTY) })}\n`);
  const files = await writeCheckFiles(store, run);
  process.stderr.write(`\nreports: ${files.join(', ')}\n`);
  if (run.status === 'interrupted') return 130;
  return runFailed(run) ? 1 : 0;
}
