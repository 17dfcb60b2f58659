/**
 * The report files of a bench run, written beside results.json in its folder.
 */
import type { RunResults } from '../types.ts';
import type { ResultsStore } from '../results-store.ts';
import type { CheckRun } from '../conformance/types.ts';
import { compareRun } from '../compare.ts';
import { renderMarkdownReport } from './markdown.ts';
import { renderHtmlReport, type HtmlSection } from './html.ts';
import { findingsSection, renderFindingsMarkdown } from './findings.ts';
import { renderResourcesMarkdown, resourcesSection } from './resources.ts';
import { claimsSection, readClaimVerdicts, type ClaimVerdicts } from './claims.ts';

export { renderTerminalReport } from './terminal.ts';

export interface ReportFileOptions {
  /** The conformance run against the same servers, for the grid in report.html. */
  check?: CheckRun | null;
  /** Perf claims' verdicts; read from gate.json in the folder when not given. */
  gate?: ClaimVerdicts | null;
}

/** The sections report.html has beyond the seed's tables, comparison and conclusion. */
export async function reportSections(
  run: RunResults,
  options: ReportFileOptions & { dir?: string } = {},
): Promise<{ lead: HtmlSection[]; extra: HtmlSection[] }> {
  const lead: HtmlSection[] = [];
  const findings = findingsSection(run);
  if (findings) lead.push(findings);
  // Loaded on first use: the charting library is only needed when a report is drawn.
  const { chartsSection } = await import('./charts.ts');
  const plots = chartsSection(run);
  if (plots) lead.push(plots);

  const extra: HtmlSection[] = [];
  const resources = resourcesSection(run);
  if (resources) extra.push(resources);
  const gate = options.gate !== undefined ? options.gate : options.dir ? await readClaimVerdicts(options.dir).catch(() => null) : null;
  if (gate) extra.push(claimsSection(gate));
  if (options.check) {
    const { conformanceSection } = await import('../conformance/html.ts');
    extra.push(conformanceSection(options.check));
  }
  return { lead, extra };
}

/**
 * Stores the comparison in results.json and writes report.md and report.html.
 * Resolves to the paths written besides results.json.
 */
export async function writeReportFiles(store: ResultsStore, run: RunResults, options: ReportFileOptions = {}): Promise<string[]> {
  const comparison = compareRun(run);
  await store.save({ ...run, comparison });
  const { lead, extra } = await reportSections(run, { ...options, dir: store.dir });
  const markdown = renderMarkdownReport(run, {
    comparison,
    afterTables: [renderFindingsMarkdown(run)],
    beforeNotes: [renderResourcesMarkdown(run)],
  });
  return [
    await store.writeText('report.md', markdown),
    await store.writeText('report.html', renderHtmlReport(run, { comparison, leadSections: lead, extraSections: extra })),
  ];
}
