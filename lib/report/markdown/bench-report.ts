/**
 * bench's report.md as a format of its report folder: the run's report with the latency
 * percentiles and the findings after the servers' tables and the server resources before the notes.
 */
import type { ReportFormat } from '../report-format.ts';
import { renderFindingsMarkdown } from './findings.ts';
import { renderPercentilesMarkdown } from './percentiles.ts';
import { renderMarkdownReport } from './report.ts';
import { renderResourcesMarkdown } from './resources.ts';

export const markdownBenchReport: ReportFormat<'bench'> = {
  id: 'markdown',
  command: 'bench',
  file: 'report.md',
  render: ({ results, comparison }) =>
    renderMarkdownReport(results, {
      comparison,
      afterTables: [renderPercentilesMarkdown(results), renderFindingsMarkdown(results)],
      beforeNotes: [renderResourcesMarkdown(results)],
    }),
};
