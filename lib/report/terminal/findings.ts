/**
 * The findings on a terminal, after the seed tables: each finding's severity, server and title,
 * its cells, evidence and cause, coloured by severity when colour is on.
 */
import type { FindingSeverity, RunResults } from '../../types.ts';
import { findingCellsText, nothingFound, SEVERITY_LABEL } from '../findings.ts';
import { sanitizeTerminal } from '../format.ts';

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
    const lines = [
      `  ${paint(f.severity, SEVERITY_LABEL[f.severity])} ${bold(sanitizeTerminal(f.server))}: ${sanitizeTerminal(f.title)}`,
    ];
    if (f.cells.length) lines.push(`      cells: ${findingCellsText(f)}`);
    for (const e of f.evidence) lines.push(`      - ${sanitizeTerminal(e)}`);
    lines.push(`      Cause: ${sanitizeTerminal(f.cause)}`);
    lines.push(`      [${f.id}]`);
    return lines.join('\n');
  });
  return `${bold('Findings')}\n\n${blocks.join('\n\n')}`;
}
