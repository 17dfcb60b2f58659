/**
 * Everything a bench run prints at the end: each server's seed table, the findings, the
 * comparison, the conclusion and the notes, as one string for stdout.
 */
import type { Comparison } from '../../compare/types.ts';
import { compareRun } from '../../compare/index.ts';
import type { RunResults } from '../../types.ts';
import { sanitizeTerminal } from '../format.ts';
import { describeRounds, runNotes } from '../run-info.ts';
import { comparisonText } from './comparison.ts';
import { renderFindingsText } from './findings.ts';
import { renderPercentilesText } from './percentiles.ts';
import { renderSeedTable, type TerminalTableOptions } from './seed-table.ts';

export interface TerminalReportOptions extends TerminalTableOptions {
  /** A comparison already computed; computed from the run otherwise. */
  comparison?: Comparison;
}

export function renderTerminalReport(run: RunResults, options: TerminalReportOptions = {}): string {
  const { comparison = compareRun(run), ...tableOptions } = options;
  const names = [...new Set([...run.servers.map((s) => s.name), ...run.cells.map((c) => c.server)])];
  const blocks = [
    sanitizeTerminal(`Rounds: ${describeRounds(run)}.`),
    ...names.map((name) => renderSeedTable(run, name, tableOptions)),
  ];
  const percentiles = renderPercentilesText(run, { color: options.color ?? false });
  if (percentiles) blocks.push(percentiles);
  const findings = renderFindingsText(run, { color: options.color ?? false });
  if (findings) blocks.push(findings);
  blocks.push(comparisonText(comparison, options.color ?? false));
  const notes = runNotes(run);
  if (notes.length > 0) {
    const bold = (t: string): string => (options.color ? `\u001b[1m${t}\u001b[22m` : t);
    const lines = notes.map((n) => {
      const detail = n.detail ? `\n${n.detail.replace(/\s+$/, '').replace(/^/gm, '      ')}` : '';
      return sanitizeTerminal(`  - ${n.text}${detail}`);
    });
    blocks.push(`${bold('Notes')}\n\n${lines.join('\n')}`);
  }
  return blocks.join('\n\n');
}
