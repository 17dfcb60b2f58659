/**
 * The gate's terminal report: the settings, each claim with its verdict, summary, table and the
 * sentences under it, the table against the baseline, and the headline last, where the eye lands
 * when the gate ends. Colour only marks verdicts and titles, so that the report reads the same
 * without it; everything a server or a claim wrote is sanitised before it reaches the terminal.
 */
import type { ClaimResult, GateResults, RegressionResult } from '../../perf/types.ts';
import { pct } from '../../perf/report-words.ts';
import { warmupLines } from '../../perf/alerts.ts';
import { sanitizeTerminal } from '../format.ts';
import {
  claimNotes,
  claimTable,
  headline,
  REGRESSION_HEADERS,
  regressionNotes,
  regressionRows,
  settingsLine,
} from '../gate-words.ts';
import { renderTextTable, type Tone } from './text-table.ts';

export interface GateRenderOptions {
  color?: boolean;
}

/** Claims' tables and sentences sit under the claim, indented by this much. */
const INDENT = '      ';

/** Bold titles and coloured verdicts, or the text as it is without colour. */
class Painter {
  constructor(readonly color: boolean) {}

  bold(text: string): string {
    return this.color ? `\u001b[1m${text}\u001b[22m` : text;
  }

  status(status: string): string {
    if (!this.color) return status;
    return status === 'PASS' || status === 'PASSED' ? `\u001b[32m${status}\u001b[39m` : `\u001b[31m${status}\u001b[39m`;
  }
}

function regressionTone(level: RegressionResult['level']): Tone {
  return level === 'fail' ? 'bad' : level === 'alert' ? 'warn' : level === 'improved' ? 'good' : 'plain';
}

/** A claim: its verdict and summary, then (when it has cells) its table and the sentences under it. */
function claimSection(results: GateResults, claim: ClaimResult, paint: Painter): string[] {
  const out = [
    '',
    `${paint.status(claim.status.toUpperCase())}  ${paint.bold(sanitizeTerminal(claim.claim))}`,
    `${INDENT}${sanitizeTerminal(claim.summary)}`,
  ];
  const { headers, rows, tones } = claimTable(results, claim);
  if (rows.length === 0) return out;
  const table = renderTextTable({
    headers,
    align: headers.map((h, i) => (i === 0 || h === 'outcome' || h === 'server' || h === 'cell' ? 'left' : 'right')),
    groups: [rows],
    color: paint.color,
    headerWidth: 20,
    tone: (_g, r, col) => (col === headers.length - 1 ? (tones[r] ?? 'plain') : 'plain'),
  });
  out.push(
    table
      .split('\n')
      .map((l) => `${INDENT}${l}`)
      .join('\n'),
  );
  for (const n of claimNotes(results, claim)) out.push(`${INDENT}${sanitizeTerminal(n)}`);
  return out;
}

/** The table against the baseline, under its title, and the sentences under it. */
function baselineSection(results: GateResults, paint: Painter): string[] {
  const b = results.settings.baseline!;
  const title = `Against the baseline (${b.file}; alert beyond ${pct(b.alert)}, fail beyond ${pct(b.fail)}; figures normalised by the yardstick)`;
  const table = renderTextTable({
    headers: REGRESSION_HEADERS,
    align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
    groups: [regressionRows(results)],
    color: paint.color,
    headerWidth: 20,
    tone: (_g, r, col) =>
      col === REGRESSION_HEADERS.length - 1 ? regressionTone(results.regressions[r]!.level) : 'plain',
  });
  return ['', paint.bold(title), table, ...regressionNotes(results).map((n) => sanitizeTerminal(n))];
}

/** The gate's report for the terminal; with `color`, ANSI colours on titles and verdicts. */
export function renderGateText(results: GateResults, options: GateRenderOptions = {}): string {
  const paint = new Painter(options.color ?? false);
  const out: string[] = [paint.bold('Gauntlet gate'), settingsLine(results)];
  for (const s of results.servers)
    if (s.error) out.push(`${paint.status('ERROR')} ${s.name}: ${sanitizeTerminal(s.error)}`);
  for (const w of warmupLines(results)) out.push(`warm-up: ${sanitizeTerminal(w)}`);
  for (const c of results.claims) out.push(...claimSection(results, c, paint));
  if (results.regressions.length > 0) out.push(...baselineSection(results, paint));
  out.push('');
  out.push(`${paint.status(results.passed ? 'PASSED' : 'FAILED')}${headline(results).replace(/^(PASSED|FAILED)/, '')}`);
  return out.join('\n');
}
