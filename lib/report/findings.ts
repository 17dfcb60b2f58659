/**
 * What every output says of the diagnostics' findings: the severity labels, a finding's cells
 * as one line, and the sentence for a run where nothing was found, which names what was looked
 * for. A run recorded before diagnostics existed has no `findings` field and shows nothing; a run
 * with an empty list says what was looked for and that nothing was found. Each output lays the
 * findings out in its own module (terminal/, markdown/, html/ findings.ts).
 */
import type { Finding, FindingSeverity } from '../types.ts';
import { LOOKED_FOR } from '../diagnostics/index.ts';
import { cellLabel } from './format.ts';

export const SEVERITY_LABEL: Record<FindingSeverity, string> = { error: 'ERROR', warning: 'WARNING', info: 'INFO' };

/** "n=10 c=1, n=10 c=5": the cells a finding is about. */
export function findingCellsText(f: Finding): string {
  return f.cells.map(cellLabel).join(', ');
}

/** The sentence for a run where no finding was raised. */
export function nothingFound(): string {
  return `No finding: ${LOOKED_FOR.join(', ')} were looked for in every cell.`;
}
