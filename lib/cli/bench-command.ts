/**
 * `gauntlet bench`: measures servers over a matrix as ab does, then runs the conformance cases
 * against the same servers, so that one report folder holds both. The skeleton every command
 * shares (exit codes, interrupts, the report folder) is in command.ts; this file is what is
 * particular to bench.
 */
import { describeRuntimeSelection } from './args.ts';
import { parseBenchArgs, BENCH_USAGE } from './bench-args.ts';
import { peopleStream, printRecord } from './json-output.ts';
import { progressReporter } from './progress.ts';
import { CsvWriter } from '../report/csv/writer.ts';
import type { BenchEvents } from '../bench.ts';
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
import { runBench } from '../bench.ts';
import { shapeMethod } from '../load/ab-request.ts';
import type { ResultsStore } from '../results-store.ts';
import { writeReportFiles, renderTerminalReport } from '../report/files.ts';
import type { BenchArgs } from './bench-args.ts';
import type { CheckRun } from '../conformance/types.ts';
import type { RunResults } from '../types.ts';
import { runCheck, writeCheckFiles } from '../conformance/check-run.ts';
import { loadCases } from '../conformance/registry.ts';
import { countVerdicts, countsLine } from '../conformance/summary.ts';
import { sanitizeTerminal } from '../report/format.ts';
import { checkProgress } from './progress.ts';
import { useColor } from './color.ts';
import { requireLocust } from '../locust/processes.ts';
import type { LoadEngine } from '../locust/engine.ts';
import { checkShardRecord } from '../shard/check-shard.ts';

/** Cases run at once against a server, as `gauntlet check` does by default. */
const CHECK_CONCURRENCY = 8;

/**
 * Runs every conformance case against the servers just measured and prints one line per
 * server (the grid is in report.html and check.html). Conformance results do not change
 * bench's exit code: `gauntlet check` is the command whose exit code is about them.
 */
async function conformanceAfterBench(
  args: BenchArgs,
  signal: AbortSignal,
  out: NodeJS.WriteStream,
): Promise<CheckRun | null> {
  const cases = await loadCases();
  if (cases.length === 0) return null;
  process.stderr.write(
    `\nconformance: ${cases.length} case(s) against ${args.servers.length} server(s) (--no-check to skip)\n`,
  );
  const check = await runCheck(
    {
      servers: args.servers,
      cases,
      root: args.root,
      concurrency: CHECK_CONCURRENCY,
      signal,
      // The same runtime as the measurements, so that the grid is about the servers measured.
      runtime: args.runtime,
      cpus: args.cpus,
      memoryMb: args.memoryMb,
      tls: args.tls,
      insecure: args.insecure,
    },
    checkProgress(process.stderr),
  );
  // A shard's conformance is its servers' every case: merge joins it with the other shards'.
  if (args.shard)
    check.shard = checkShardRecord(
      args.shard,
      args.shard.servers,
      cases.map((l) => l.case.id),
      [],
      'servers',
    );
  const lines = check.servers.map((s) => {
    const results = check.results.filter((r) => r.server === s.name);
    return `  ${sanitizeTerminal(s.name)}: ${s.error ? `did not complete: ${sanitizeTerminal(s.error.split('\n')[0] ?? '')}` : countsLine(countVerdicts(results))}`;
  });
  out.write(`\nConformance (${cases.length} cases; the grid is in report.html)\n\n${lines.join('\n')}\n`);
  return check;
}

/** The request path for the first line: a --url server's own path is said when it applies. */
function describePath(args: BenchArgs): string {
  const ownPaths = !args.pathGiven && args.servers.some((s) => s.url !== undefined);
  if (ownPaths) return `${args.path} (--url servers: their URL's path)`;
  const paths = args.shape?.paths?.join(', ') ?? args.path;
  return args.shape?.method || args.shape?.body ? `${paths} (${shapeMethod(args.shape)})` : paths;
}

/** ", engine locust (2 workers on this machine)", or nothing for the built-in engine. */
function describeEngine(engine: LoadEngine): string {
  if (engine.name !== 'locust') return '';
  const { workers, master } = engine.placement;
  const where = master ? `connecting to ${master.host}:${master.port}` : 'on this machine';
  return `, engine locust (${workers} worker${workers === 1 ? '' : 's'} ${where})`;
}

/**
 * Exit code of a finished (not interrupted) bench run: 1 when a server failed to start, crashed
 * or stopped answering (the others were still measured), 0 otherwise.
 */
export function benchExitCode(results: RunResults): typeof EXIT_OK | typeof EXIT_FAILED {
  return results.servers.some((s) => s.error || s.stoppedAnswering) ? EXIT_FAILED : EXIT_OK;
}

/**
 * `gauntlet bench`: the main job. Exit codes: 0 all measured; 1 a server failed to start,
 * crashed or stopped answering (the others were still measured); 2 usage; 130 interrupted (what
 * was measured is kept). Findings and conformance results are reported, and do not change the
 * exit code.
 */
export async function benchCommand(argv: string[]): Promise<number> {
  const args = await parseBenchArgs(argv);
  if (args.help) return printUsage(BENCH_USAGE);
  if (await refusedForEngine('gauntlet bench', args.runtime)) return EXIT_USAGE;
  // A missing Locust is said before any server starts, naming the package.
  if (args.engine.name === 'locust') requireLocust();
  const store = await openRunStore({
    label: 'gauntlet bench',
    out: args.out,
    defaultName: runFolderName(''),
    summary:
      `${args.shard ? `shard ${args.shard.index}/${args.shard.count} of ${args.shard.servers.length} servers: ` : ''}${args.servers.length} server(s), matrix ${args.matrix.name}${args.rate === undefined ? '' : `, rate ${args.rate}/s`}, mode ${args.mode}, path ${describePath(args)}, ` +
      `${describeRuntimeSelection(args)}${args.tls ? ', over TLS' : ''}${describeEngine(args.engine)}, ${args.rounds === 1 ? '1 run per cell' : `${args.rounds} runs per cell (servers interleaved)`}`,
  });
  return whileInterruptible('stopping the server and writing what was measured', (signal) =>
    measureAndReport(args, store, signal),
  );
}

/**
 * The progress on stderr and, with --csv, a CSV line as each run of a cell finishes: written then,
 * not at the end, so that Ctrl-C or a kill keeps in the CSV what was measured.
 */
function benchEvents(csv: CsvWriter | null): BenchEvents {
  const progress = progressReporter();
  return {
    ...progress,
    serverNote: (_spec, note) => process.stderr.write(`      ${note}\n`),
    cellDone: (record) => {
      progress.cellDone?.(record);
      csv?.append(record);
    },
  };
}

/** The measurement, then the conformance cases, the reports and the exit code. */
async function measureAndReport(args: BenchArgs, store: ResultsStore, signal: AbortSignal): Promise<number> {
  const csv = args.csv === undefined ? null : CsvWriter.open(args.csv);
  try {
    return await measureAndReportTo(args, store, signal, csv);
  } finally {
    csv?.close();
  }
}

/** measureAndReport's work, the CSV (when asked for) open around it. */
async function measureAndReportTo(
  args: BenchArgs,
  store: ResultsStore,
  signal: AbortSignal,
  csv: CsvWriter | null,
): Promise<number> {
  const results = await runBench(
    {
      servers: args.servers,
      matrix: args.matrix,
      mode: args.mode,
      path: args.path,
      urlPaths: !args.pathGiven,
      ...(args.shape && { shape: args.shape }),
      root: args.root,
      warmup: args.warmup,
      timeoutMs: args.timeoutMs,
      rounds: args.rounds,
      keepGoing: args.keepGoing,
      ...(args.rate !== undefined && { rate: args.rate }),
      engine: args.engine,
      ...(args.shard && { shard: args.shard }),
      store,
      signal,
      runtime: args.runtime,
      cpus: args.cpus,
      memoryMb: args.memoryMb,
      tls: args.tls,
      insecure: args.insecure,
    },
    benchEvents(csv),
  );
  // With --json, stdout is the results alone, for a program to read: the tables go to stderr.
  const tables = peopleStream(args.json);
  tables.write(`\n${renderTerminalReport(results, { color: useColor(tables) })}\n`);
  // The conformance cases against the same servers, so that one folder holds the whole picture.
  const check =
    !args.noCheck && results.status !== 'interrupted' ? await conformanceAfterBench(args, signal, tables) : null;
  const files = await writeReportFiles(store, results, { check });
  if (check) files.push(...(await writeCheckFiles(store, check)));
  // The file as written (the comparison included), so that stdout and results.json never differ.
  if (args.json) await printRecord(store.resultsFile);
  announceReports([store.resultsFile, ...files, ...(csv ? [csv.file] : [])]);
  if (results.status === 'interrupted' || check?.status === 'interrupted') return EXIT_INTERRUPTED;
  return benchExitCode(results);
}
