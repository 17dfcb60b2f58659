/**
 * The report files of a bench run, written beside results.json in its folder: the comparison is
 * stored in results.json, then every format the registry (formats.ts) lists for bench.
 */
import type { RunResults } from '../types.ts';
import type { ResultsStore } from '../results-store.ts';
import { compareRun } from '../compare/index.ts';
import { formatsFor } from './formats.ts';
import type { BenchReport } from './report-format.ts';

export { renderTerminalReport } from './terminal/report.ts';
export { reportSections } from './html/bench-report.ts';

/** What report.html shows beyond the run: the conformance grid and the perf claims' verdicts. */
export type ReportFileOptions = Pick<BenchReport, 'check' | 'gate'>;

/**
 * Stores the comparison in results.json and writes every bench format of the registry.
 * Resolves to the paths written besides results.json.
 */
export async function writeReportFiles(store: ResultsStore, run: RunResults, options: ReportFileOptions = {}): Promise<string[]> {
  const comparison = compareRun(run);
  await store.save({ ...run, comparison });
  const report: BenchReport = { ...options, results: run, comparison, dir: store.dir };
  const written: string[] = [];
  for (const format of formatsFor('bench')) written.push(await store.writeText(format.file, await format.render(report)));
  return written;
}
