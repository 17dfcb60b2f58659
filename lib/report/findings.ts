/**
 * The diagnostics' findings in each report format: the terminal, report.md and report.html.
 * A run recorded before diagnostics existed has no `findings` field and shows nothing; a run
 * with an empty list says what was looked for and that nothing was found.
 */
import type { Finding, FindingSeverity, RunResults } from '../types.ts';
import { CHECKED } from '../diagnostics/index.ts';
import { cellLabel, escapeHtml, escapeMarkdown, sanitizeTerminal } from './format.ts';
import type { HtmlSection } from './html.ts';

const LABEL: Record<FindingSeverity, string> = { error: 'ERROR', warning: 'WARNING', info: 'INFO' };

const HTML_STYLE: Record<FindingSeverity, { badge: string; border: string }> = {
  error: { badge: 'background:#fbd9dd;color:#b00020', border: '#b00020' },
  warning: { badge: 'background:#fff1cc;color:#8a5a00', border: '#d19a00' },
  info: { badge: 'background:#dceefb;color:#0b4f7c', border: '#0b4f7c' },
};

function cellsText(f: Finding): string {
  return f.cells.map(cellLabel).join(', ');
}

function nothingFound(): string {
  return `No finding: ${CHECKED.join(', ')} were looked for in every cell.`;
}

/** The findings block printed after the tables; '' when the run has no findings field. */
export function renderFindingsText(run: Pick<RunResults, 'findings'>, options: { color?: boolean } = {}): string {
  if (!run.findings) return '';
  const color = options.color ?? false;
  const bold = (t: string): string => (color ? `\u001b[1m${t}\u001b[22m` : t);
  const paint = (sev: FindingSeverity, t: string): string => {
    if (!color) return t;
    const code = sev === 'error' ? 31 : sev === 'warning' ? 33 : 36;
    return `\u001b[${code}m${t}\u001b[39m`;
  };
  if (run.findings.length === 0) return `${bold('Findings')}\n\n  ${nothingFound()}`;
  const blocks = run.findings.map((f) => {
    const lines = [`  ${paint(f.severity, LABEL[f.severity])} ${bold(sanitizeTerminal(f.server))}: ${sanitizeTerminal(f.title)}`];
    if (f.cells.length) lines.push(`      cells: ${cellsText(f)}`);
    for (const e of f.evidence) lines.push(`      - ${sanitizeTerminal(e)}`);
    lines.push(`      Cause: ${sanitizeTerminal(f.cause)}`);
    lines.push(`      [${f.id}]`);
    return lines.join('\n');
  });
  return `${bold('Findings')}\n\n${blocks.join('\n\n')}`;
}

/** "## Findings" for report.md; '' when the run has no findings field. */
export function renderFindingsMarkdown(run: Pick<RunResults, 'findings'>): string {
  if (!run.findings) return '';
  if (run.findings.length === 0) return `## Findings\n\n${escapeMarkdown(nothingFound())}`;
  const items = run.findings.map((f) => {
    const out = [`### ${LABEL[f.severity]} ${escapeMarkdown(f.server)}: ${escapeMarkdown(f.title)}`, ''];
    if (f.cells.length) out.push(`Cells: ${escapeMarkdown(cellsText(f))}`, '');
    out.push(...f.evidence.map((e) => `- ${escapeMarkdown(e)}`), '');
    out.push(`Cause: ${escapeMarkdown(f.cause)} (\`${f.id}\`)`);
    return out.join('\n');
  });
  return `## Findings\n\n${items.join('\n\n')}`;
}

function findingHtml(f: Finding): string {
  const style = HTML_STYLE[f.severity];
  const parts = [
    `<div class="finding" data-finding="${escapeHtml(f.id)}" data-server="${escapeHtml(f.server)}" style="border-left:4px solid ${style.border};padding:.2em 0 .2em .8em;margin:1em 0">`,
    `<h3 style="margin:.2em 0"><span style="${style.badge};padding:0 5px;font-size:.85em">${LABEL[f.severity]}</span> ${escapeHtml(f.server)}: ${escapeHtml(f.title)}</h3>`,
  ];
  if (f.cells.length) parts.push(`<p class="note" style="margin:.2em 0">Cells: ${escapeHtml(cellsText(f))}</p>`);
  parts.push(`<ul>\n${f.evidence.map((e) => `  <li>${escapeHtml(e)}</li>`).join('\n')}\n</ul>`);
  parts.push(`<p><strong>Cause:</strong> ${escapeHtml(f.cause)} <code style="color:#777">${escapeHtml(f.id)}</code></p>`);
  parts.push('</div>');
  return parts.join('\n');
}

/** The Findings section of report.html; null when the run has no findings field. */
export function findingsSection(run: Pick<RunResults, 'findings'>): HtmlSection | null {
  if (!run.findings) return null;
  const body = run.findings.length === 0 ? `<p>${escapeHtml(nothingFound())}</p>` : run.findings.map(findingHtml).join('\n');
  return { id: 'findings', title: 'Findings', body };
}
