/**
 * The report files of a bench run, written beside results.json in its folder.
 */
import type { RunResults } from '../types.ts';
import type { ResultsStore } from '../results-store.ts';
import { compareRun } from '../compare.ts';
import { renderMarkdownReport } from './markdown.ts';
import { renderHtmlReport } from './html.ts';

export { renderTerminalReport } from './terminal.ts';

/**
 * Stores the comparison in results.json and writes report.md and report.html.
 * Resolves to the paths written besides results.json.
 */
export async function writeReportFiles(store: ResultsStore, run: RunResults): Promise<string[]> {
  const comparison = compareRun(run);
  await store.save({ ...run, comparison });
  return [
    await store.writeText('report.md', renderMarkdownReport(run, { comparison })),
    await store.writeText('report.html', renderHtmlReport(run, { comparison })),
  ];
}
