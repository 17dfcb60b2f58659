/**
 * The words the gate's terminal report and its report.md share: the headline, the settings line,
 * each table's rows and the sentences under it (the legend of its figures, then the notes of its
 * rows). Both reports lay out the same sentences, so that a gate reads the same in a terminal, in
 * report.md and in a job summary. The figures' own words are lib/perf's (report-words.ts), and
 * each kind of claim lays out its own table (lib/perf/claim-kinds/).
 */
import { kindOf } from '../perf/claim-kinds/registry.ts';
import type { ClaimResult, GateResults, MeasurementInfo, RegressionResult } from '../perf/types.ts';
import {
  engineSentence,
  formatMs,
  joinList,
  pct,
  pShort,
  samplesText,
  where,
  type ClaimTable,
} from '../perf/report-words.ts';
import { cellLabel, describeMatrix, formatRatio, plural } from './format.ts';

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

/** How the gate measured, in one line under the title. */
export function settingsLine(results: GateResults): string {
  const s = results.settings;
  const locust = engineSentence(s.engine);
  return (
    `mode ${s.modes.join(' and ')}; matrix ${describeMatrix(s.matrix)}; path ${s.path}; tolerance ${pct(s.tolerance)}; ` +
    `significance level ${s.alpha}; ${Math.round(s.confidence * 100)}% intervals; ` +
    `${s.sampling.warmupMs / 1000} s of warm-up per server; ${s.pinning ?? 'not pinned'}; ` +
    `${s.sampling.minRounds} to ${s.sampling.maxRounds} rounds per cell (fewer when the time cap comes first), ${s.sampling.maxTimeMs / 1000} s per cell ` +
    `(up to ${(3 * s.sampling.maxTimeMs) / 1000} s for a noisy cell, from time earlier cells left unused; a second look included), samples of at least ${s.sampling.minSampleMs} ms` +
    (locust ? `. ${locust}` : '')
  );
}

/** Sentences explaining a table's figures, once per table. */
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

/** The notes of a table's rows, each once, with the cells it concerns. */
function notesOf(
  cells: Array<{ notes: string[]; requests: number; concurrency: number; durationS?: number; mode: string }>,
): string[] {
  const byNote = new Map<string, string[]>();
  for (const c of cells) {
    for (const n of c.notes) {
      const list = byNote.get(n) ?? [];
      const label = cellLabel(c);
      if (!list.includes(label)) list.push(label);
      byNote.set(n, list);
    }
  }
  return [...byNote.entries()].map(([n, cellsOfNote]) => `${joinList(cellsOfNote)}: ${n}`);
}

/** A claim's table: one row per cell, in the columns its kind shows. */
export function claimTable(results: GateResults, claim: ClaimResult): ClaimTable {
  return kindOf(claim).table(claim, results.settings.modes.length);
}

/** The sentences under a claim's table: its legend, then its rows' notes. */
export function claimNotes(results: GateResults, claim: ClaimResult): string[] {
  return [
    ...legend(
      claim.cells.map((c) => c.measured),
      results.settings.tolerance,
      claim,
    ),
    ...notesOf(claim.cells),
  ];
}

export const REGRESSION_HEADERS = [
  'server',
  'cell',
  'now / baseline',
  'interval',
  'p',
  'rps now / then',
  'samples',
  'level',
];

/** The baseline table's rows: one per server and cell, in REGRESSION_HEADERS' columns. */
export function regressionRows(results: GateResults): string[][] {
  const modes = results.settings.modes.length;
  return results.regressions.map((r) => regressionRow(r, modes));
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

/** The sentences under the baseline table: its legend (against the alert threshold), then its rows' notes. */
export function regressionNotes(results: GateResults): string[] {
  return [
    ...legend(
      results.regressions.map((r) => r.measured),
      results.settings.baseline?.alert ?? results.settings.tolerance,
    ),
    ...notesOf(results.regressions),
  ];
}
