/**
 * The gate's report.md, which is also what the GitHub job summary shows: the headline as its
 * title, the settings, the alerts, the warm-ups that went wrong, the claims in one table and each
 * claim's cells in its own, the table against the baseline, and the machine it was measured on.
 * Everything a server or a claim wrote is escaped for inline markdown.
 */
import type { GateResults } from '../../perf/types.ts';
import { warmupLines } from '../../perf/alerts.ts';
import { describeRuntime } from '../run-info.ts';
import { escapeMarkdown } from '../format.ts';
import type { ReportFormat } from '../report-format.ts';
import {
  claimNotes,
  claimTable,
  headline,
  REGRESSION_HEADERS,
  regressionNotes,
  regressionRows,
  settingsLine,
} from '../gate-words.ts';

function markdownRow(cells: string[]): string {
  return `| ${cells.map((c) => escapeMarkdown(c)).join(' | ')} |`;
}

function markdownTable(headers: string[], rows: string[][]): string {
  return [markdownRow(headers), `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map(markdownRow)].join('\n');
}

/** Sentences as a list, after a blank line; nothing when there are none. */
function markdownList(sentences: string[]): string[] {
  return sentences.length ? ['', ...sentences.map((n) => `- ${escapeMarkdown(n)}`)] : [];
}

/** The claims' table, then each claim with cells: its own table and the sentences under it. */
function claimsSection(results: GateResults): string[] {
  const out = [
    '',
    '### Claims',
    '',
    markdownTable(
      ['claim', 'verdict', 'summary'],
      results.claims.map((c) => [c.claim, c.status.toUpperCase(), c.summary]),
    ),
  ];
  for (const c of results.claims) {
    const { headers, rows } = claimTable(results, c);
    if (rows.length === 0) continue;
    out.push('', `#### ${escapeMarkdown(c.claim)}`, '', markdownTable(headers, rows));
    out.push(...markdownList(claimNotes(results, c)));
  }
  return out;
}

/** Where the gate ran: the machine, and the servers that ran in containers. */
function machineSection(results: GateResults): string[] {
  const m = results.machine;
  const out = [
    '',
    `Measured on ${escapeMarkdown(`${m.cpuModel}, ${m.cores} cores, ${m.platform} ${m.release}, node ${m.node}, python ${m.python ?? 'none'}`)}.`,
  ];
  const inContainers = results.servers.filter((s) => s.runtime?.kind === 'container');
  if (inContainers.length > 0) {
    out.push(
      '',
      `Servers in containers: ${escapeMarkdown(inContainers.map((s) => `${s.name} (${describeRuntime(s.runtime)})`).join('; '))}; the yardstick ran as a process.`,
    );
  }
  return out;
}

/** The markdown report: report.md, and what the GitHub job summary shows. */
export function renderGateMarkdown(results: GateResults): string {
  const out: string[] = [
    `## Gauntlet gate: ${escapeMarkdown(headline(results))}`,
    '',
    escapeMarkdown(settingsLine(results)),
  ];
  if (results.alerts.length > 0) {
    out.push('', '### Alerts', '');
    out.push(
      markdownTable(
        ['level', 'what', 'details'],
        results.alerts.map((a) => [a.level, a.title, a.message]),
      ),
    );
  }
  const warm = warmupLines(results);
  if (warm.length > 0) out.push('', '### Warm-up', ...markdownList(warm));
  out.push(...claimsSection(results));
  if (results.regressions.length > 0) {
    out.push('', '### Against the baseline', '', markdownTable(REGRESSION_HEADERS, regressionRows(results)));
    out.push(...markdownList(regressionNotes(results)));
  }
  out.push(...machineSection(results));
  return `${out.join('\n')}\n`;
}

/** The gate's report.md as a format of its report folder. */
export const markdownGateReport: ReportFormat<'gate'> = {
  id: 'markdown',
  command: 'gate',
  file: 'report.md',
  render: (results) => renderGateMarkdown(results),
};
