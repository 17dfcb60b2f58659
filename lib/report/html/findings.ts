/**
 * The findings in report.html: a section with one bordered block per finding, its severity as a
 * coloured badge, its cells, evidence and cause, every piece of data escaped.
 */
import type { Finding, FindingSeverity, RunResults } from '../../types.ts';
import { findingCellsText, nothingFound, SEVERITY_LABEL } from '../findings.ts';
import { escapeHtml } from '../format.ts';
import type { HtmlSection } from './page.ts';

const HTML_STYLE: Record<FindingSeverity, { badge: string; border: string }> = {
  error: { badge: 'background:#fbd9dd;color:#b00020', border: '#b00020' },
  warning: { badge: 'background:#fff1cc;color:#8a5a00', border: '#d19a00' },
  info: { badge: 'background:#dceefb;color:#0b4f7c', border: '#0b4f7c' },
};

function findingHtml(f: Finding): string {
  const style = HTML_STYLE[f.severity];
  const parts = [
    `<div class="finding" data-finding="${escapeHtml(f.id)}" data-server="${escapeHtml(f.server)}" style="border-left:4px solid ${style.border};padding:.2em 0 .2em .8em;margin:1em 0">`,
    `<h3 style="margin:.2em 0"><span style="${style.badge};padding:0 5px;font-size:.85em">${SEVERITY_LABEL[f.severity]}</span> ${escapeHtml(f.server)}: ${escapeHtml(f.title)}</h3>`,
  ];
  if (f.cells.length) parts.push(`<p class="note" style="margin:.2em 0">Cells: ${escapeHtml(findingCellsText(f))}</p>`);
  parts.push(`<ul>\n${f.evidence.map((e) => `  <li>${escapeHtml(e)}</li>`).join('\n')}\n</ul>`);
  parts.push(
    `<p><strong>Cause:</strong> ${escapeHtml(f.cause)} <code style="color:#777">${escapeHtml(f.id)}</code></p>`,
  );
  parts.push('</div>');
  return parts.join('\n');
}

/** The Findings section of report.html; null when the run has no findings field. */
export function findingsSection(run: Pick<RunResults, 'findings'>): HtmlSection | null {
  if (!run.findings) return null;
  const body =
    run.findings.length === 0 ? `<p>${escapeHtml(nothingFound())}</p>` : run.findings.map(findingHtml).join('\n');
  return { id: 'findings', title: 'Findings', body };
}
