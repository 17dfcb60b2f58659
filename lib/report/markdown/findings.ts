/**
 * The findings in report.md: a "## Findings" section, one sub-heading per finding with its
 * cells, evidence and cause, every piece of data escaped.
 */
import type { RunResults } from '../../types.ts';
import { findingCellsText, nothingFound, SEVERITY_LABEL } from '../findings.ts';
import { escapeMarkdown } from '../format.ts';

/** "## Findings" for report.md; '' when the run has no findings field. */
export function renderFindingsMarkdown(run: Pick<RunResults, 'findings'>): string {
  if (!run.findings) return '';
  if (run.findings.length === 0) return `## Findings\n\n${escapeMarkdown(nothingFound())}`;
  const items = run.findings.map((f) => {
    const out = [`### ${SEVERITY_LABEL[f.severity]} ${escapeMarkdown(f.server)}: ${escapeMarkdown(f.title)}`, ''];
    if (f.cells.length) out.push(`Cells: ${escapeMarkdown(findingCellsText(f))}`, '');
    out.push(...f.evidence.map((e) => `- ${escapeMarkdown(e)}`), '');
    out.push(`Cause: ${escapeMarkdown(f.cause)} (\`${f.id}\`)`);
    return out.join('\n');
  });
  return `## Findings\n\n${items.join('\n\n')}`;
}
