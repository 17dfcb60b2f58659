/**
 * bench's report.html as a format of its report folder: the run's page with, beyond the seed's
 * tables, comparison and conclusion, the findings, plots and latency distribution before the
 * tables, and the percentiles, server resources, perf claims and conformance grid after the
 * conclusion.
 */
import type { RunResults } from '../../types.ts';
import type { BenchReport, ReportFormat } from '../report-format.ts';
import { claimsSection, readClaimVerdicts } from './claims.ts';
import { conformanceSection } from './conformance-section.ts';
import { findingsSection } from './findings.ts';
import type { HtmlSection } from './page.ts';
import { renderHtmlReport } from './report.ts';
import { resourcesSection } from './resources.ts';
import { percentilesSection } from './percentiles.ts';

/** The sections report.html has beyond the seed's tables, comparison and conclusion. */
export async function reportSections(
  run: RunResults,
  options: Pick<BenchReport, 'check' | 'gate' | 'dir'> = {},
): Promise<{ lead: HtmlSection[]; extra: HtmlSection[] }> {
  const lead: HtmlSection[] = [];
  const findings = findingsSection(run);
  if (findings) lead.push(findings);
  // Loaded on first use: the charting library is only needed when a report is drawn.
  const { chartsSection } = await import('./charts.ts');
  const plots = chartsSection(run);
  if (plots) lead.push(plots);
  const { spectrumSection } = await import('./spectrum.ts');
  const spectrum = spectrumSection(run);
  if (spectrum) lead.push(spectrum);

  const extra: HtmlSection[] = [];
  const percentiles = percentilesSection(run);
  if (percentiles) extra.push(percentiles);
  const resources = resourcesSection(run);
  if (resources) extra.push(resources);
  const gate =
    options.gate !== undefined
      ? options.gate
      : options.dir
        ? await readClaimVerdicts(options.dir).catch(() => null)
        : null;
  if (gate) extra.push(claimsSection(gate));
  if (options.check) extra.push(conformanceSection(options.check));
  return { lead, extra };
}

export const htmlBenchReport: ReportFormat<'bench'> = {
  id: 'html',
  command: 'bench',
  file: 'report.html',
  render: async ({ results, comparison, ...options }) => {
    const { lead, extra } = await reportSections(results, options);
    return renderHtmlReport(results, { comparison, leadSections: lead, extraSections: extra });
  },
};
