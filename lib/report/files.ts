/**
 * A command's report files, written into its run's folder: every format the registry
 * (formats.ts) lists for the command, in registry order. A bench run's comparison is stored in
 * results.json first, so that every format renders the comparison the folder keeps.
 */
import type { RunResults } from '../types.ts';
import type { ResultsStore } from '../results-store.ts';
import { compareRun } from '../compare/index.ts';
import { formatsFor } from './formats.ts';
import type { BenchReport, ReportCommand, ReportInputs } from './report-format.ts';

export { renderTerminalReport } from './terminal/report.ts';
export { reportSections } from './html/bench-report.ts';

/** What report.html shows beyond the run: the conformance grid and the perf claims' verdicts. */
export type ReportFileOptions = Pick<BenchReport, 'check' | 'gate'>;

/**
 * Stores the comparison in results.json and writes every bench format of the registry.
 * Resolves to the paths written besides results.json.
 */
export async function writeReportFiles(
  store: ResultsStore,
  run: RunResults,
  options: ReportFileOptions = {},
): Promise<string[]> {
  const comparison = compareRun(run);
  await store.save({ ...run, comparison });
  const report: BenchReport = { ...options, results: run, comparison, dir: store.dir };
  return writeFormatFiles(store, 'bench', report);
}

/** Writes every format the registry lists for `command`, rendered from `input`; resolves to their paths, in registry order. */
export async function writeFormatFiles<Command extends ReportCommand>(
  store: ResultsStore,
  command: Command,
  input: ReportInputs[Command],
): Promise<string[]> {
  const written: string[] = [];
  for (const format of formatsFor(command))
    written.push(await store.writeText(format.file, format.chunks ? format.chunks(input) : await format.render(input)));
  return written;
}
