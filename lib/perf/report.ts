/**
 * Words and tables for gate results: the sentences stored with each claim, the terminal report,
 * and the markdown report (report.md, and the GitHub job summary).
 */
import type { Claim } from './claims.ts';
import { describeRuntime } from '../report/run-info.ts';
import type { BoundVerdict, RatioVerdict } from './decide.ts';
import type { CellMeasurement, StopReason } from './sampler.ts';
import type { ClaimCell, ClaimResult, GateResults, MeasurementInfo, RegressionResult } from './types.ts';
import { cellLabel, describeMatrix, escapeMarkdown, plural, sanitizeTerminal } from '../report/format.ts';
import { renderTextTable, type Tone } from '../report/text-table.ts';
import { formatRatio } from '../compare.ts';

/** "10%", "2.5%". */
export function pct(fraction: number): string {
  return `${Number((fraction * 100).toFixed(1))}%`;
}

/** "p = 0.012", "p < 0.001". */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return 'p = n/a';
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

/** "0.78x, 95% CI 0.74x-0.82x". */
export function formatRatioInterval(v: Pick<RatioVerdict, 'ratio' | 'interval'>): string {
  return `${formatRatio(v.ratio)}, ${Math.round(v.interval.confidence * 100)}% CI ${formatRatio(v.interval.lo)}-${formatRatio(v.interval.hi)}`;
}

/** How far a ratio is from 1, as words: "22% faster", "18% slower". */
export function differenceWords(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio <= 0) return 'no figure';
  if (ratio >= 1) return `${pct(ratio - 1)} faster`;
  return `${pct(1 - ratio)} slower`;
}

/** The outcome of a comparison of a with b, as words. */
export function outcomeWords(v: RatioVerdict): string {
  const scaled = v.factor === 1 ? '' : ` than ${Number(v.factor.toFixed(3))} x the other`;
  switch (v.outcome) {
    case 'faster':
      return `${differenceWords(v.ratio)}${scaled} (beyond the ${pct(v.tolerance)} tolerance)`;
    case 'slower':
      return `${differenceWords(v.ratio)}${scaled} (beyond the ${pct(v.tolerance)} tolerance)`;
    case 'within':
      return `within ${pct(v.tolerance)}${scaled}`;
    case 'undecided':
      return `undecided: the interval crosses the ${pct(v.tolerance)} tolerance`;
  }
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** How a measurement was taken, seen from the sides a claim compares. */
export function measurementInfo(m: CellMeasurement, sides: string[]): MeasurementInfo {
  const mine = m.sides.filter((s) => sides.includes(s.name));
  return {
    rounds: m.rounds,
    batch: mine[0]?.batch ?? 1,
    runMs: mine.length ? Math.min(...mine.map((s) => s.runMs)) : NaN,
    stoppedBy: m.stoppedBy,
    seconds: Math.round(m.elapsedMs) / 1000,
  };
}

/** Sentences on what is special about a cell's measurement (the table shows the rest). */
export function cellNotes(remeasured: boolean): string[] {
  return remeasured
    ? ['failed on a first measurement and was measured once more, within the same time cap: each measurement is decided by its own full two-part verdict, and the claim holds if either does']
    : [];
}

/** "60", "60 x 4 runs" */
function samplesText(info: MeasurementInfo | undefined): string {
  if (!info) return '';
  return info.batch > 1 ? `${info.rounds} x ${info.batch} runs` : `${info.rounds}`;
}

const STOP_WORDS: Record<StopReason, string> = { precise: 'precise', 'time-cap': 'time cap', 'max-rounds': 'max rounds', 'server-stopped': 'server stopped' };

/** Sentences explaining the table's figures, once per table. */
function legend(infos: Array<MeasurementInfo | undefined>, tolerance: number, claim?: ClaimResult): string[] {
  const out: string[] = [];
  const factor = claim?.cells.find((c) => c.verdicts?.length)?.verdicts?.[0]?.factor;
  if (factor !== undefined && factor !== 1) {
    out.push(`Ratios are of the claim's two sides with the second scaled by ${Number(factor.toFixed(3))}: above 1, the claim holds with room to spare.`);
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

function where(cell: Pick<ClaimCell, 'mode' | 'requests' | 'concurrency'>, modes: number): string {
  return modes > 1 ? `${cellLabel(cell)} (${cell.mode})` : cellLabel(cell);
}

function joinList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function lastVerdict(c: ClaimCell): RatioVerdict | undefined {
  return c.verdicts?.[c.verdicts.length - 1];
}

function lastBound(c: ClaimCell): BoundVerdict | undefined {
  return c.bounds?.[c.bounds.length - 1];
}

/** One or two sentences: where the claim holds, where it does not, and by how much. */
export function summarizeClaim(claim: Claim, result: ClaimResult, tolerance: number): string {
  const cells = result.cells;
  const modes = new Set(cells.map((c) => c.mode)).size;
  if (cells.length === 0) return 'Nothing was checked: no cell of the matrix matches where this claim applies, or the gate stopped before.';
  const errors = cells.filter((c) => c.status === 'error');
  const failed = cells.filter((c) => c.status === 'fail');
  const parts: string[] = [];

  if (claim.kind === 'relative') {
    const counts = { faster: 0, slower: 0, within: 0, undecided: 0 };
    for (const c of cells) {
      const v = lastVerdict(c);
      if (v) counts[v.outcome] += 1;
    }
    const measured = cells.length - errors.length;
    const tol = pct(claim.tolerance ?? tolerance);
    const than = claim.factor === 1 ? '' : ` than ${Number(claim.factor.toFixed(3))} x ${claim.b}`;
    const spread = [
      counts.faster ? `${claim.a} faster${than} in ${counts.faster}` : '',
      counts.within ? `within ${tol}${than ? ` of ${Number(claim.factor.toFixed(3))} x ${claim.b}` : ''} in ${counts.within}` : '',
      counts.undecided ? `undecided in ${counts.undecided}` : '',
      counts.slower ? `${claim.a} slower${than} in ${counts.slower}` : '',
    ].filter(Boolean);
    if (failed.length === 0 && errors.length === 0) {
      parts.push(`Holds in ${measured === 1 ? 'the only cell' : `all ${measured} cells`} (${spread.join(', ')}).`);
    } else {
      const details = failed.map((c) => {
        const v = lastVerdict(c);
        if (c.reason || !v) return `${where(c, modes)}: ${c.reason ?? 'not compared'}`;
        const what = claim.op === '>' && v.outcome !== 'slower'
          ? `${claim.a} was not shown faster by more than ${tol} (${formatRatioInterval(v)}, ${formatP(v.p)}: ${outcomeWords(v)})`
          : `${claim.a} was ${differenceWords(v.ratio)}${v.factor === 1 ? '' : ` than ${Number(v.factor.toFixed(3))} x ${claim.b}`} (${formatRatioInterval(v)}, ${formatP(v.p)})`;
        return `${where(c, modes)}: ${what}`;
      });
      if (failed.length) parts.push(`Does not hold at ${plural(failed.length, 'cell')} of ${cells.length}: ${details.join('; ')}.`);
      if (errors.length) parts.push(`Not checked at ${plural(errors.length, 'cell')}: ${errors[0]!.error?.split('\n')[0] ?? 'a server was not running'}.`);
      if (measured > 0) parts.push(`Over the ${plural(measured, 'measured cell')}: ${spread.join(', ')}.`);
    }
    return parts.join(' ');
  }

  const servers = [...new Set(cells.map((c) => c.server ?? ''))];
  const on = servers.length === 1 ? ` on ${servers[0]}` : ` on ${plural(servers.length, 'server')}`;
  if (failed.length === 0 && errors.length === 0) {
    const borderline = cells.filter((c) => c.outcome === 'borderline').length;
    parts.push(
      `Holds${on} in ${plural(cells.length, 'cell')}` +
        (borderline ? `, ${borderline} of them borderline (the median misses the bound, its interval does not)` : '') +
        '.',
    );
    return parts.join(' ');
  }
  const details = failed.map((c) => {
    const b = lastBound(c);
    if (c.reason) return `${c.server} at ${where(c, modes)}: ${c.reason}`;
    const value =
      c.count !== undefined
        ? `${c.count}`
        : b
          ? `median ${formatBoundValue(claim, b.median)} (${Math.round(b.interval.confidence * 100)}% CI ${formatBoundValue(claim, b.interval.lo)}-${formatBoundValue(claim, b.interval.hi)})`
          : 'n/a';
    return `${c.server} at ${where(c, modes)}: ${value}`;
  });
  if (failed.length) parts.push(`Does not hold at ${plural(failed.length, 'cell')} of ${cells.length}: ${details.join('; ')}.`);
  if (errors.length) parts.push(`Not checked at ${plural(errors.length, 'cell')}: ${errors[0]!.error?.split('\n')[0] ?? 'a server was not running'}.`);
  return parts.join(' ');
}

function formatBoundValue(claim: Claim, value: number): string {
  if (claim.kind !== 'absolute') return String(value);
  if (claim.metric.kind === 'latency') return formatMs(value);
  if (claim.metric.kind === 'rps') return `${value.toFixed(0)} rps`;
  return String(value);
}

/** Table rows for a claim: one per cell. */
function claimRows(claim: ClaimResult, modes: number): { headers: string[]; rows: string[][]; tones: Tone[] } {
  if (claim.kind === 'relative') {
    const headers = ['cell', 'ratio', 'interval', 'p', 'outcome', 'samples', 'stopped', 'verdict'];
    const rows: string[][] = [];
    const tones: Tone[] = [];
    for (const c of claim.cells) {
      const v = lastVerdict(c);
      rows.push([
        where(c, modes),
        v ? formatRatio(v.ratio) : 'n/a',
        v ? `${formatRatio(v.interval.lo)}-${formatRatio(v.interval.hi)}` : '',
        v ? pShort(v.p) : '',
        v ? (v.outcome === 'within' ? `within ${pct(v.tolerance)}` : v.outcome) : c.reason ? 'not compared' : 'error',
        samplesText(c.measured),
        c.measured ? `${STOP_WORDS[c.measured.stoppedBy]}${(c.verdicts?.length ?? 0) > 1 ? ', 2nd' : ''}` : '',
        c.status.toUpperCase(),
      ]);
      tones.push(c.status === 'pass' ? (v?.outcome === 'undecided' ? 'warn' : 'good') : 'bad');
    }
    return { headers, rows, tones };
  }
  const unit = claim.cells.length ? unitOf(claim) : '';
  const headers = ['server', 'cell', `median${unit}`, 'interval', 'samples', 'verdict'];
  const rows: string[][] = [];
  const tones: Tone[] = [];
  // Counts that hold everywhere need no table (the summary says so); otherwise every row matters.
  if (claim.cells.every((c) => c.status === 'pass' && c.count !== undefined)) return { headers, rows, tones };
  for (const c of claim.cells) {
    const b = lastBound(c);
    rows.push([
      c.server ?? '',
      where(c, modes),
      c.count !== undefined ? `${c.count} (total)` : b ? fmtPlain(b.median) : 'error',
      b ? `${fmtPlain(b.interval.lo)}-${fmtPlain(b.interval.hi)}` : '',
      samplesText(c.measured),
      c.status === 'pass' && c.outcome === 'borderline' ? 'PASS (borderline)' : c.status.toUpperCase(),
    ]);
    tones.push(c.status === 'pass' ? (c.outcome === 'borderline' ? 'warn' : 'good') : 'bad');
  }
  return { headers, rows, tones };
}

/** The unit of an absolute claim's figures, for a column header. */
function unitOf(claim: ClaimResult): string {
  if (/^(.*:\s*)?(p\(\d+\)|med|median|avg|mean|min|max)\b/i.test(claim.claim)) return ' (ms)';
  if (/^(.*:\s*)?rps\b/i.test(claim.claim)) return ' (rps)';
  return '';
}

/** "0.012", "<0.001" */
function pShort(p: number): string {
  if (!Number.isFinite(p)) return 'n/a';
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

function fmtPlain(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
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
    results.regressions.length ? `${plural(failing, 'regression')} beyond the fail threshold, ${plural(alerts, 'alert')}` : '',
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
  for (const s of results.servers) if (s.error) out.push(`${paintStatus('ERROR')} ${s.name}: ${sanitizeTerminal(s.error)}`);
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
        tone: (_g, r, col) => (col === headers.length - 1 ? tones[r] ?? 'plain' : 'plain'),
      });
      out.push(table.split('\n').map((l) => `      ${l}`).join('\n'));
    }
    if (rows.length === 0) continue;
    for (const n of [...legend(c.cells.map((x) => x.measured), results.settings.tolerance, c), ...notesOf(c.cells)]) {
      out.push(`      ${sanitizeTerminal(n)}`);
    }
  }
  if (results.regressions.length > 0) {
    out.push('');
    const b = results.settings.baseline!;
    out.push(bold(`Against the baseline (${b.file}; alert beyond ${pct(b.alert)}, fail beyond ${pct(b.fail)}; figures normalised by the yardstick)`));
    const table = renderTextTable({
      headers: REGRESSION_HEADERS,
      align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
      groups: [results.regressions.map((r) => regressionRow(r, modes))],
      color,
      headerWidth: 20,
      tone: (_g, r, col) => (col === REGRESSION_HEADERS.length - 1 ? regressionTone(results.regressions[r]!.level) : 'plain'),
    });
    out.push(table);
    for (const n of [...legend(results.regressions.map((r) => r.measured), b.alert), ...notesOf(results.regressions)]) {
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
  const out: string[] = [`## Gauntlet gate: ${escapeMarkdown(headline(results))}`, '', escapeMarkdown(settingsLine(results))];
  if (results.alerts.length > 0) {
    out.push('', '### Alerts', '');
    out.push(mdTable(['level', 'what', 'details'], results.alerts.map((a) => [a.level, a.title, a.message])));
  }
  if (options.alertsOnly) return out.join('\n');
  const warm = warmupLines(results);
  if (warm.length > 0) out.push('', '### Warm-up', '', ...warm.map((w) => `- ${escapeMarkdown(w)}`));
  out.push('', '### Claims', '');
  out.push(mdTable(['claim', 'verdict', 'summary'], results.claims.map((c) => [c.claim, c.status.toUpperCase(), c.summary])));
  for (const c of results.claims) {
    const { headers, rows } = claimRows(c, modes);
    if (rows.length === 0) continue;
    out.push('', `#### ${escapeMarkdown(c.claim)}`, '', mdTable(headers, rows));
    const notes = [...legend(c.cells.map((x) => x.measured), results.settings.tolerance, c), ...notesOf(c.cells)];
    if (notes.length) out.push('', ...notes.map((n) => `- ${escapeMarkdown(n)}`));
  }
  if (results.regressions.length > 0) {
    out.push('', '### Against the baseline', '');
    out.push(mdTable(REGRESSION_HEADERS, results.regressions.map((r) => regressionRow(r, modes))));
    const notes = [...legend(results.regressions.map((r) => r.measured), results.settings.baseline?.alert ?? results.settings.tolerance), ...notesOf(results.regressions)];
    if (notes.length) out.push('', ...notes.map((n) => `- ${escapeMarkdown(n)}`));
  }
  const m = results.machine;
  out.push('', `Measured on ${escapeMarkdown(`${m.cpuModel}, ${m.cores} cores, ${m.platform} ${m.release}, node ${m.node}, python ${m.python ?? 'none'}`)}.`);
  const inContainers = results.servers.filter((s) => s.runtime?.kind === 'container');
  if (inContainers.length > 0) {
    out.push(
      '',
      `Servers in containers: ${escapeMarkdown(inContainers.map((s) => `${s.name} (${describeRuntime(s.runtime)})`).join('; '))}; the yardstick ran as a process.`,
    );
  }
  return `${out.join('\n')}\n`;
}

