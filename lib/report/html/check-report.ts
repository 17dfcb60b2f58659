/**
 * check.html, a format of check's report folder: the conformance section on a page of its own,
 * under a line saying when the run started and ended, what it covered, and whether it was
 * interrupted.
 */
import type { CheckRun } from '../../conformance/types.ts';
import { escapeHtml } from '../format.ts';
import type { ReportFormat } from '../report-format.ts';
import { conformanceSection } from './conformance-section.ts';
import { htmlDocument } from './page.ts';

/** check.html's page. */
export function renderCheckHtml(run: CheckRun): string {
  const facts = `<p>Started ${escapeHtml(run.startedAt)}${run.finishedAt ? `, finished ${escapeHtml(run.finishedAt)}` : ''}; ${run.cases.length} cases, ${run.servers.length} servers${run.status === 'interrupted' ? '; <strong>interrupted</strong>' : ''}.</p>`;
  return htmlDocument('Gauntlet conformance check', [conformanceSection(run)], facts);
}

export const htmlCheckReport: ReportFormat<'check'> = {
  id: 'html',
  command: 'check',
  file: 'check.html',
  render: renderCheckHtml,
};
