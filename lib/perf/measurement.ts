/**
 * Reading a cell's measurement: one side's samples, one metric's values, failed requests, and how
 * precise the measurement already is. Every kind of claim and the baseline check read samples
 * through these, so that they agree on what was measured.
 */
import type { Metric } from './claim-syntax.ts';
import { comparePaired, relativeWidth } from './decide.ts';
import type { CellMeasurement, Sample, SideSamples } from './sampler.ts';
import { allTotalsOf, rpsOf } from './sampler.ts';
import { bootstrapMedian } from './significance.ts';
import { median } from '../stats.ts';
import { normalisedRps } from './baseline.ts';

export function side(m: CellMeasurement, name: string): SideSamples {
  const s = m.sides.find((x) => x.name === name);
  if (!s) throw new Error(`${name} was not measured in this cell`);
  return s;
}

/** Whether a side of the measurement took any sample. */
export function measuredSide(m: CellMeasurement, name: string): boolean {
  return side(m, name).samples.length > 0;
}

/** One sample's value of a noisy metric. */
export function metricValue(sample: Sample, metric: Metric): number {
  if (metric.kind === 'rps') return sample.rps;
  if (metric.kind === 'latency') return sample.latencyMs[metric.stat];
  return metric.count === 'failed' ? sample.failed : sample.non2xx;
}

/** Failed requests of one side of a cell, of those that ended, over every run of the cell (its warm-up included). */
export function sideFailures(s: SideSamples): { failed: number; requested: number } {
  const t = allTotalsOf(s);
  // Requests that ended (complete or failed): a run the engine stopped never sent the rest.
  return { failed: t.failed, requested: t.complete + t.failed };
}

/** How far a measurement is from the precision it aims at: the relative width of an interval. */
export type PrecisionNeed =
  | { kind: 'pair'; a: string; b: string; factor: number; tolerance: number }
  | { kind: 'median'; server: string; metric: Metric; tolerance: number }
  | { kind: 'normalised'; server: string; yardstick: string; tolerance: number };

export function widthOf(need: PrecisionNeed, m: CellMeasurement, confidence: number): number {
  switch (need.kind) {
    case 'pair': {
      const v = comparePaired(rpsOf(side(m, need.a)), rpsOf(side(m, need.b)), { confidence, factor: need.factor });
      return relativeWidth(v.interval, v.ratio);
    }
    case 'median': {
      const metric = need.metric;
      const values = side(m, need.server).samples.map((x) => metricValue(x, metric));
      return relativeWidth(bootstrapMedian(values, { confidence }), median(values));
    }
    case 'normalised': {
      const values = normalisedRps(side(m, need.server), side(m, need.yardstick));
      return relativeWidth(bootstrapMedian(values, { confidence }), median(values));
    }
  }
}

/** True when every interval is narrower than its tolerance (a need with tolerance 0 is never met: the caps decide). */
export function isPrecise(needs: PrecisionNeed[], m: CellMeasurement, confidence: number): boolean {
  return needs.every((n) => widthOf(n, m, confidence) <= n.tolerance);
}
