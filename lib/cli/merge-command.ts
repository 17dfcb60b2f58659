/**
 * `gauntlet merge DIR...`: the report folders of `gauntlet check --shard i/n`, one per shard,
 * made into one report folder (check.json, check.junit.xml, check.html) by the writers an
 * unsharded check uses, with the grid on stdout; or those of `gauntlet bench --shard i/n`
 * (results.json, report.md, report.html, and their check files), with bench's tables. The shards
 * are checked to be parts of one run (lib/shard/merge-check.ts, merge-bench.ts); a folder that is
 * not, or a shard missing or given twice, is a usage error naming the folders, and nothing is
 * written.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, resolveOut } from './args.ts';
import { EXIT_FAILED, EXIT_OK, announceReports, openRunStore, printUsage, runFolderName } from './command.ts';
import { useColor } from './color.ts';
import { JSON_OPTION_HELP, peopleStream, printRecord } from './json-output.ts';
import { MergeError, mergeCheckShards, type ShardCheckFile } from '../shard/merge-check.ts';
import { writeCheckFiles } from '../conformance/check-run.ts';
import { renderGrid } from '../report/terminal/check-grid.ts';
import { runFailed } from '../conformance/summary.ts';
import { propertiesFailed, type PropertyCheckRun } from '../conformance/properties/record.ts';
import { mergeBenchShards, type ShardBenchFile } from '../shard/merge-bench.ts';
import { renderTerminalReport, writeReportFiles } from '../report/files.ts';
import type { ResultsStore } from '../results-store.ts';
import { benchExitCode } from './bench-command.ts';

export const MERGE_USAGE = `usage: gauntlet merge DIR... [options]

Merges the report folders of the shards of one check (gauntlet check --shard i/n, one folder per
shard, every shard once) into one report folder: check.json, check.junit.xml and check.html, as
one unsharded check of the same cases and servers writes them, and the grid on stdout. Shards of
different runs (other cases, properties, property seed or mode, servers, shard count or Gauntlet
version), a shard given twice or a shard missing are refused (exit 2), naming the folders. Exit 1 when the merged
verdicts fail as check's would (a MUST miss, a server that failed), or a shard was interrupted.

The folders of bench --shard i/n (a results.json each) merge the same way into results.json,
report.md and report.html (and the check files, when every shard ran the cases): every server's
cells as its shard measured them; the comparison pairs only servers of one shard, never servers
measured on different machines. Exit 1 when a server failed, as bench's, or a shard did not
finish.

options:
  --out DIR              the merged report folder (default reports/<timestamp>-merged)
${JSON_OPTION_HELP.replace('FILE', 'check.json; of bench shards, results.json')}
  -h, --help             this text`;

interface MergeArgs {
  dirs: string[];
  out: string | null;
  json: boolean;
  help: boolean;
}

/** merge's command line: folders, then --out and --json; a bad flag or folder is a usage error. */
export function parseMergeArgs(argv: string[]): MergeArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { dirs: [], out: null, json: false, help: true };
  if (positionals.length === 0) throw new UsageError('no folder to merge: name the report folder of every shard');
  for (const dir of positionals)
    if (!existsSync(join(dir, 'check.json')) && !existsSync(join(dir, 'results.json')))
      throw new UsageError(
        `${JSON.stringify(dir)} holds no check.json or results.json: name the report folders of check --shard or bench --shard`,
      );
  return { dirs: positionals, out: resolveOut(values.out), json: values.json ?? false, help: false };
}

/** Each folder's `file`, parsed; a file that is no JSON is a usage error naming it. */
async function readShards(dirs: readonly string[], file: string): Promise<ShardCheckFile[]> {
  return Promise.all(
    dirs.map(async (from) => {
      const path = join(from, file);
      try {
        return { from, record: JSON.parse(await readFile(path, 'utf8')) as unknown };
      } catch (err) {
        throw new UsageError(`${path} is not JSON: ${(err as Error).message}`);
      }
    }),
  );
}

/** Runs a merge, its refusals as usage errors. */
function merged<T>(merge: () => T): T {
  try {
    return merge();
  } catch (err) {
    if (err instanceof MergeError) throw new UsageError(err.message);
    throw err;
  }
}

/** Bench's folders (a results.json each) or check's: one kind at a time. */
function kindOf(dirs: readonly string[]): 'bench' | 'check' {
  const bench = dirs.filter((d) => existsSync(join(d, 'results.json')));
  if (bench.length === 0) return 'check';
  const other = dirs.find((d) => !bench.includes(d));
  if (other !== undefined)
    throw new UsageError(
      `${bench[0]} holds a results.json and ${other} none: merge the folders of bench --shard or of check --shard, not both`,
    );
  return 'bench';
}

/** The merged folder, opened with a line naming the shards. */
function openStore(args: MergeArgs, kind: 'bench' | 'check'): Promise<ResultsStore> {
  return openRunStore({
    label: 'gauntlet merge',
    out: args.out,
    defaultName: runFolderName('', '-merged'),
    summary: `${args.dirs.length} shard(s) of ${kind}: ${args.dirs.map((d) => resolve(d)).join(', ')}`,
  });
}

/**
 * The merged conformance of bench shards: when every shard ran the cases after measuring; a shard
 * without (--no-check) leaves the merged folder without, said on stderr.
 */
async function benchChecks(dirs: readonly string[]): Promise<PropertyCheckRun | null> {
  const without = dirs.filter((d) => !existsSync(join(d, 'check.json')));
  if (without.length === dirs.length) return null;
  if (without.length > 0) {
    process.stderr.write(`gauntlet merge: ${without.join(', ')} holds no check.json: the conformance is left out\n`);
    return null;
  }
  const files = await readShards(dirs, 'check.json');
  return merged(() => mergeCheckShards(files));
}

/** The merged reports of bench shards, bench's tables on stdout; resolves to bench's exit code. */
async function mergeBench(args: MergeArgs): Promise<number> {
  const files: ShardBenchFile[] = await readShards(args.dirs, 'results.json');
  const run = merged(() => mergeBenchShards(files));
  const check = await benchChecks(args.dirs);
  const store = await openStore(args, 'bench');
  const tables = peopleStream(args.json);
  tables.write(`\n${renderTerminalReport(run, { color: useColor(tables) })}\n`);
  const written = await writeReportFiles(store, run, { check });
  if (check) written.push(...(await writeCheckFiles(store, check)));
  if (args.json) await printRecord(store.resultsFile);
  announceReports([store.resultsFile, ...written]);
  if (run.status !== 'complete') {
    const stopped = run.merged?.shards.filter((s) => s.status !== 'complete').map((s) => s.from) ?? [];
    process.stderr.write(`gauntlet merge: not every shard finished: ${stopped.join(', ')}\n`);
    return EXIT_FAILED;
  }
  return benchExitCode(run);
}

/**
 * `gauntlet merge`. Exit codes: 0 the merged verdicts pass; 1 they fail as check's would, or a
 * shard was interrupted; 2 usage (bad folders, shards that do not fit: nothing written).
 */
export async function mergeCommand(argv: string[]): Promise<number> {
  const args = parseMergeArgs(argv);
  if (args.help) return printUsage(MERGE_USAGE);
  if (kindOf(args.dirs) === 'bench') return mergeBench(args);
  const checkFiles = await readShards(args.dirs, 'check.json');
  const run = merged(() => mergeCheckShards(checkFiles));
  const store = await openStore(args, 'check');
  const people = peopleStream(args.json);
  people.write(`\n${renderGrid(run, { color: useColor(people) })}\n`);
  announceReports(await writeCheckFiles(store, run));
  if (args.json) await printRecord(join(store.dir, 'check.json'));
  if (run.status !== 'complete') {
    const stopped = run.merged?.shards.filter((s) => s.status !== 'complete').map((s) => s.from) ?? [];
    process.stderr.write(`gauntlet merge: not every shard finished: ${stopped.join(', ')}\n`);
    return EXIT_FAILED;
  }
  return runFailed(run) || propertiesFailed(run) ? EXIT_FAILED : EXIT_OK;
}
