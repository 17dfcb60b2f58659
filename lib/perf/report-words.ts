/**
 * The words and figures every part of a gate's report shares: percentages, p-values, ratios with
 * their intervals, how a cell was measured, and where a cell is. The claim kinds, the baseline
 * table, the alerts and the matchers all write figures through these, so that a figure reads the
 * same wherever it appears.
 */
import type { BoundVerdict, RatioVerdict } from './decide.ts';
import type { CellMeasurement, StopReason } from './sampler.ts';
import type { ClaimCell, GateEngineRecord, MeasurementInfo } from './types.ts';
import type { Tone } from '../report/terminal/text-table.ts';
import { cellLabel, plural } from '../report/format.ts';
import { formatRatio } from '../report/format.ts';

/** A claim's table: one row per cell, each with the tone of its verdict. */
export interface ClaimTable {
  headers: string[];
  rows: string[][];
  tones: Tone[];
}

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

export function formatMs(ms: number): string {
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
    ? [
        'failed on a first measurement and was measured once more, within the same time cap: each measurement is decided by its own full two-part verdict, and the claim holds if either does',
      ]
    : [];
}

/** "60", "60 x 4 runs" */
export function samplesText(info: MeasurementInfo | undefined): string {
  if (!info) return '';
  return info.batch > 1 ? `${info.rounds} x ${info.batch} runs` : `${info.rounds}`;
}

export const STOP_WORDS: Record<StopReason, string> = {
  precise: 'precise',
  'time-cap': 'time cap',
  'max-rounds': 'max rounds',
  'server-stopped': 'server stopped',
};

export function where(cell: Pick<ClaimCell, 'mode' | 'requests' | 'concurrency' | 'durationS'>, modes: number): string {
  return modes > 1 ? `${cellLabel(cell)} (${cell.mode})` : cellLabel(cell);
}

export function joinList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function lastVerdict(c: ClaimCell): RatioVerdict | undefined {
  return c.verdicts?.[c.verdicts.length - 1];
}

export function lastBound(c: ClaimCell): BoundVerdict | undefined {
  return c.bounds?.[c.bounds.length - 1];
}

/** "0.012", "<0.001" */
export function pShort(p: number): string {
  if (!Number.isFinite(p)) return 'n/a';
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

export function fmtPlain(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** The note of a cell that failed on its first measurement with no time left for a second. */
export function noTimeNotes(noTime: boolean): string[] {
  return noTime
    ? [
        "failed on a first measurement, and the cell's time cap left no time to measure it once more: the first measurement decides",
      ]
    : [];
}

/** A claim's cells sorted for its summary: how many modes they span, which erred, which failed. */
export function cellsOf(cells: ClaimCell[]): { modes: number; errors: ClaimCell[]; failed: ClaimCell[] } {
  return {
    modes: new Set(cells.map((c) => c.mode)).size,
    errors: cells.filter((c) => c.status === 'error'),
    failed: cells.filter((c) => c.status === 'fail'),
  };
}

/** The sentence on cells that could not be checked. */
export function notCheckedSentence(errors: ClaimCell[]): string {
  return `Not checked at ${plural(errors.length, 'cell')}: ${errors[0]!.error?.split('\n')[0] ?? 'a server was not running'}.`;
}

/**
 * The sentence the reports print under the settings when Locust sent the load: what its figures
 * give the judgement, and what they do not.
 */
export function engineSentence(engine: GateEngineRecord | undefined): string | null {
  if (engine?.name !== 'locust') return null;
  const placed = engine.master
    ? `its master at ${engine.master}, ${plural(engine.workers ?? 1, 'worker')} elsewhere`
    : `${plural(engine.workers ?? 1, 'worker')} on this machine`;
  return (
    `Load sent by Locust (${placed}), one Locust run per run of a cell: requests per second are Locust's ` +
    `(its requests over its own time taken); percentiles are Locust's, bucketed (1 ms below 100 ms, 10 ms below 1 s, ` +
    `100 ms above), so a latency bound is judged to that resolution; failed requests are those that got no response ` +
    `(docs/accounting.md, "Locust cells"). The servers' warm-ups were sent by Gauntlet's engine.`
  );
}
