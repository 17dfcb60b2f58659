/**
 * Words and tables for gate results: the sentences stored with each claim, the terminal report,
 * and the markdown report (report.md, and the GitHub job summary). Each kind of claim words its own
 * summary and table (claim-kinds/); this module lays them out with the baseline's table.
 */
import type { Claim } from './claims.ts';
import { kindOf } from './claim-kinds/registry.ts';
import { describeRuntime } from '../report/run-info.ts';
import type { ClaimResult, GateResults, MeasurementInfo, RegressionResult } from './types.ts';
import { cellLabel, describeMatrix, escapeMarkdown, plural, sanitizeTerminal } from '../report/format.ts';
import { renderTextTable, type Tone } from '../report/terminal/text-table.ts';
import { formatRatio } from '../report/format.ts';
import { formatMs, joinList, pct, pShort, samplesText, where, type ClaimTable } from './report-words.ts';

export {
  cellNotes,
  differenceWords,
  formatP,
  formatRatioInterval,
  measurementInfo,
  outcomeWords,
  pct,
} from './report-words.ts';

/** Sentences explaining the table's figures, once per table. */
function legend(infos: Array<MeasurementInfo | undefined>, tolerance: number, claim?: ClaimResult): string[] {
  const out: string[] = [];
  const factor = claim?.cells.find((c) => c.verdicts?.length)?.verdicts?.[0]?.factor;
  if (factor !== undefined && factor !== 1) {
    out.push(
      `Ratios are of the claim's two sides with the second scaled by ${Number(factor.toFixed(3))}: above 1, the claim holds with room to spare.`,
    );
  }
  const batched = infos.filter((i) => i && i.batch > 1) as MeasurementInfo[];
  if (batched.length > 0) {
    const slowest = Math.max(...batched.map((i) => i.runMs));
    out.push(
      `${plural(batched.length, 'cell')} too short to time alone (one run took ${formatMs(slowest)} or less): ` +
        'each of their samples is several back-to-back runs of the cell ("x N runs"), timed together.',
    );
  }
  const capped = infos.filter((i) => i && i.stoppedBy !== 'precise').length;
  if (capped > 0) {
    out.push(
      `${plural(capped, 'cell')} reached the time or round cap before the interval was narrower than the ${pct(tolerance)} tolerance: ` +
        'their outcome is what the runs taken support.',
    );
  }
  return out;
}

/** One or two sentences: where the claim holds, where it does not, and by how much. */
export function summarizeClaim(claim: Claim, result: ClaimResult, tolerance: number): string {
  if (result.cells.length === 0)
    return 'Nothing was checked: no cell of the matrix matches where this claim applies, or the gate stopped before.';
  return kindOf(claim).summarize(claim, result, tolerance);
}

/** Table rows for a claim: one per cell, in the columns its kind shows. */
function claimRows(claim: ClaimResult, modes: number): ClaimTable {
  return kindOf(claim).table(claim, modes);
}

function regressionRow(r: RegressionResult, modes: number): string[] {
  const v = r.verdicts[r.verdicts.length - 1];
  return [
    r.server,
    where(r, modes),
    v ? formatRatio(v.ratio) : 'n/a',
    v ? `${formatRatio(v.interval.lo)}-${formatRatio(v.interval.hi)}` : '',
    v ? pShort(v.p) : '',
    `${r.rpsNow.toFixed(0)} / ${r.rpsBaseline === null ? 'n/a' : r.rpsBaseline.toFixed(0)}`,
    samplesText(r.measured),
    r.level.toUpperCase(),
  ];
}

const REGRESSION_HEADERS = ['server', 'cell', 'now / baseline', 'interval', 'p', 'rps now / then', 'samples', 'level'];

function regressionTone(level: RegressionResult['level']): Tone {
  return level === 'fail' ? 'bad' : level === 'alert' ? 'warn' : level === 'improved' ? 'good' : 'plain';
}

/** The gate's headline: passed or failed, and why. */
export function headline(results: GateResults): string {
  const failedClaims = results.claims.filter((c) => c.status === 'fail').length;
  const failing = results.regressions.filter((r) => r.level === 'fail').length;
  const alerts = results.regressions.filter((r) => r.level === 'alert').length;
  const broken = results.servers.filter((s) => s.error).length;
  const parts = [
    `${results.claims.length - failedClaims} of ${plural(results.claims.length, 'claim')} held`,
    results.regressions.length
      ? `${plural(failing, 'regression')} beyond the fail threshold, ${plural(alerts, 'alert')}`
      : '',
    broken ? `${plural(broken, 'server')} did not run` : '',
    results.status === 'interrupted' ? 'interrupted before the end' : '',
  ].filter(Boolean);
  return `${results.passed ? 'PASSED' : 'FAILED'}: ${parts.join('; ')}.`;
}

function settingsLine(results: GateResults): string {
  const s = results.settings;
  return (
    `mode ${s.modes.join(' and ')}; matrix ${describeMatrix(s.matrix)}; path ${s.path}; tolerance ${pct(s.tolerance)}; ` +
    `significance level ${s.alpha}; ${Math.round(s.confidence * 100)}% intervals; ` +
    `${s.sampling.warmupMs / 1000} s of warm-up per server; ${s.pinning ?? 'not pinned'}; ` +
    `${s.sampling.minRounds} to ${s.sampling.maxRounds} rounds per cell (fewer when the time cap comes first), ${s.sampling.maxTimeMs / 1000} s per cell ` +
    `(up to ${(3 * s.sampling.maxTimeMs) / 1000} s for a noisy cell, from time earlier cells left unused; a second look included), samples of at least ${s.sampling.minSampleMs} ms`
  );
}

/** Sentences on the servers' warm-ups that had failed requests or stopped: reported, never dropped. */
export function warmupLines(results: GateResults): string[] {
  return (results.warmups ?? [])
    .filter((w) => w.failed > 0 || w.stopped)
    .map(
      (w) =>
        `${w.server} failed ${w.failed} of the ${w.complete + w.failed} requests that ended during its warm-up (${w.mode} mode, ${(w.ms / 1000).toFixed(1)} s)` +
        (w.stopped ? `, and the warm-up stopped: ${w.stopped.reason}` : ''),
    );
}

/** The notes of a table's rows, each once, with the cells it concerns. */
function notesOf(cells: Array<{ notes: string[]; requests: number; concurrency: number; mode: string }>): string[] {
  const byNote = new Map<string, string[]>();
  for (const c of cells) {
    for (const n of c.notes) {
      const list = byNote.get(n) ?? [];
      const label = cellLabel(c);
      if (!list.includes(label)) list.push(label);
      byNote.set(n, list);
    }
  }
  return [...byNote.entries()].map(([n, where]) => `${joinList(where)}: ${n}`);
}

export interface GateRenderOptions {
  color?: boolean;
}

export function renderGateText(results: GateResults, options: GateRenderOptions = {}): string {
  const color = options.color ?? false;
  const bold = (t: string) => (color ? `\u001b[1m${t}\u001b[22m` : t);
  const paintStatus = (status: string) => {
    if (!color) return status;
    return status === 'PASS' || status === 'PASSED' ? `\u001b[32m${status}\u001b[39m` : `\u001b[31m${status}\u001b[39m`;
  };
  const modes = results.settings.modes.length;
  const out: string[] = [bold('Gauntlet gate'), settingsLine(results)];
  for (const s of results.servers)
    if (s.error) out.push(`${paintStatus('ERROR')} ${s.name}: ${sanitizeTerminal(s.error)}`);
  for (const w of warmupLines(results)) out.push(`warm-up: ${sanitizeTerminal(w)}`);
  for (const c of results.claims) {
    out.push('');
    out.push(`${paintStatus(c.status.toUpperCase())}  ${bold(sanitizeTerminal(c.claim))}`);
    out.push(`      ${sanitizeTerminal(c.summary)}`);
    const { headers, rows, tones } = claimRows(c, modes);
    if (rows.length > 0) {
      const table = renderTextTable({
        headers,
        align: headers.map((h, i) => (i === 0 || h === 'outcome' || h === 'server' || h === 'cell' ? 'left' : 'right')),
        groups: [rows],
        color,
        headerWidth: 20,
        tone: (_g, r, col) => (col === headers.length - 1 ? (tones[r] ?? 'plain') : 'plain'),
      });
      out.push(
        table
          .split('\n')
          .map((l) => `      ${l}`)
          .join('\n'),
      );
    }
    if (rows.length === 0) continue;
    for (const n of [
      ...legend(
        c.cells.map((x) => x.measured),
        results.settings.tolerance,
        c,
      ),
      ...notesOf(c.cells),
    ]) {
      out.push(`      ${sanitizeTerminal(n)}`);
    }
  }
  if (results.regressions.length > 0) {
    out.push('');
    const b = results.settings.baseline!;
    out.push(
      bold(
        `Against the baseline (${b.file}; alert beyond ${pct(b.alert)}, fail beyond ${pct(b.fail)}; figures normalised by the yardstick)`,
      ),
    );
    const table = renderTextTable({
      headers: REGRESSION_HEADERS,
      align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
      groups: [results.regressions.map((r) => regressionRow(r, modes))],
      color,
      headerWidth: 20,
      tone: (_g, r, col) =>
        col === REGRESSION_HEADERS.length - 1 ? regressionTone(results.regressions[r]!.level) : 'plain',
    });
    out.push(table);
    for (const n of [
      ...legend(
        results.regressions.map((r) => r.measured),
        b.alert,
      ),
      ...notesOf(results.regressions),
    ]) {
      out.push(sanitizeTerminal(n));
    }
  }
  out.push('');
  out.push(`${paintStatus(results.passed ? 'PASSED' : 'FAILED')}${headline(results).replace(/^(PASSED|FAILED)/, '')}`);
  return out.join('\n');
}

function mdRow(cells: string[]): string {
  return `| ${cells.map((c) => escapeMarkdown(c)).join(' | ')} |`;
}

function mdTable(headers: string[], rows: string[][]): string {
  return [mdRow(headers), `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map(mdRow)].join('\n');
}

/** The markdown report: report.md, and what the GitHub job summary shows. */
export function renderGateMarkdown(results: GateResults, options: { alertsOnly?: boolean } = {}): string {
  const modes = results.settings.modes.length;
  const out: string[] = [
    `## Gauntlet gate: ${escapeMarkdown(headline(results))}`,
    '',
    escapeMarkdown(settingsLine(results)),
  ];
  if (results.alerts.length > 0) {
    out.push('', '### Alerts', '');
    out.push(
      mdTable(
        ['level', 'what', 'details'],
        results.alerts.map((a) => [a.level, a.title, a.message]),
      ),
    );
  }
  if (options.alertsOnly) return out.join('\n');
  const warm = warmupLines(results);
  if (warm.length > 0) out.push('', '### Warm-up', '', ...warm.map((w) => `- ${escapeMarkdown(w)}`));
  out.push('', '### Claims', '');
  out.push(
    mdTable(
      ['claim', 'verdict', 'summary'],
      results.claims.map((c) => [c.claim, c.status.toUpperCase(), c.summary]),
    ),
  );
  for (const c of results.claims) {
    const { headers, rows } = claimRows(c, modes);
    if (rows.length === 0) continue;
    out.push('', `#### ${escapeMarkdown(c.claim)}`, '', mdTable(headers, rows));
    const notes = [
      ...legend(
        c.cells.map((x) => x.measured),
        results.settings.tolerance,
        c,
      ),
      ...notesOf(c.cells),
    ];
    if (notes.length) out.push('', ...notes.map((n) => `- ${escapeMarkdown(n)}`));
  }
  if (results.regressions.length > 0) {
    out.push('', '### Against the baseline', '');
    out.push(
      mdTable(
        REGRESSION_HEADERS,
        results.regressions.map((r) => regressionRow(r, modes)),
      ),
    );
    const notes = [
      ...legend(
        results.regressions.map((r) => r.measured),
        results.settings.baseline?.alert ?? results.settings.tolerance,
      ),
      ...notesOf(results.regressions),
    ];
    if (notes.length) out.push('', ...notes.map((n) => `- ${escapeMarkdown(n)}`));
  }
  const m = results.machine;
  out.push(
    '',
    `Measured on ${escapeMarkdown(`${m.cpuModel}, ${m.cores} cores, ${m.platform} ${m.release}, node ${m.node}, python ${m.python ?? 'none'}`)}.`,
  );
  const inContainers = results.servers.filter((s) => s.runtime?.kind === 'container');
  if (inContainers.length > 0) {
    out.push(
      '',
      `Servers in containers: ${escapeMarkdown(inContainers.map((s) => `${s.name} (${describeRuntime(s.runtime)})`).join('; '))}; the yardstick ran as a process.`,
    );
  }
  return `${out.join('\n')}\n`;
}
