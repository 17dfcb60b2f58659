/**
 * One sound comparison of two servers on one cell, as `gauntlet gate` makes it for a relative
 * claim: measured interleaved until precise or capped, checked with the two-part rule, and
 * measured once more when it fails, within the same time cap (see decideRelative); a failed
 * request or a server that stopped answering fails it at once. The vitest matchers and the experiments of
 * docs/perf-gates.md use it.
 */
import type { CellSpec } from '../types.ts';
import {
  FIRST_SHARE,
  measureCell,
  mergeMeasurements,
  SAMPLER_DEFAULTS,
  type CellMeasurement,
  type SamplerOptions,
  type Side,
} from './sampler.ts';
import { checkRelative, decideRelative, failureReason, isPrecise } from './evaluate.ts';
import { cellLabel } from '../report/format.ts';
import { DEFAULT_ALPHA, DEFAULT_CONFIDENCE, DEFAULT_TOLERANCE, type RatioVerdict } from './decide.ts';

export interface PairOptions {
  /** '>=' (default): a is at least as fast as b, within the tolerance; '>': faster by more than it. */
  op?: '>=' | '>';
  /** b is scaled by this factor (a >= 0.9 * b). */
  factor?: number;
  tolerance?: number;
  alpha?: number;
  confidence?: number;
  /** Measure a failing comparison once more before it fails (default true), within the same time cap. */
  remeasure?: boolean;
  /** Compare even when a server fails requests (default false: a failed request fails the comparison). */
  allowFailures?: boolean;
  sampling?: Omit<SamplerOptions, 'precise' | 'signal'>;
  signal?: AbortSignal;
}

export interface PairResult {
  pass: boolean;
  /** One per measurement: two when the first failed and the cell was measured again. */
  verdicts: RatioVerdict[];
  measurements: CellMeasurement[];
  /** Why the comparison failed without a verdict deciding it (failed requests, a stopped server). */
  reason?: string;
}

export async function comparePairOnCell(
  a: Side,
  b: Side,
  cell: CellSpec,
  options: PairOptions = {},
): Promise<PairResult> {
  const claim = {
    a: a.name,
    b: b.name,
    op: options.op ?? '>=',
    factor: options.factor ?? 1,
    allowFailures: options.allowFailures ?? false,
  } as const;
  if (claim.a === claim.b)
    throw new Error(`the two sides of a comparison need different names, got "${claim.a}" twice`);
  const decision = {
    tolerance: options.tolerance ?? DEFAULT_TOLERANCE,
    alpha: options.alpha ?? DEFAULT_ALPHA,
    confidence: options.confidence ?? DEFAULT_CONFIDENCE,
  };
  const remeasure = options.remeasure !== false;
  const capMs = options.sampling?.maxTimeMs ?? SAMPLER_DEFAULTS.maxTimeMs;
  const needs = [
    { kind: 'pair' as const, a: claim.a, b: claim.b, factor: claim.factor, tolerance: decision.tolerance },
  ];
  const measure = (maxTimeMs: number) =>
    measureCell([a, b], cell, {
      ...options.sampling,
      maxTimeMs,
      precise: (m) => isPrecise(needs, m, decision.confidence),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  const where = cellLabel(cell);
  /** A failed request or a stopped server decides at once, with its reason: no second look. */
  const stopped = (m: CellMeasurement): string | null => {
    const reason = failureReason(claim, m, where);
    if (reason) return reason;
    const s = m.sides.find((x) => x.stopped);
    return s?.stopped ? `${s.name} stopped answering at ${where}: ${s.stopped.reason}` : null;
  };
  const start = performance.now();
  // As in a gate, the time cap covers the second look: the first measurement leaves room for it.
  const first = await measure(remeasure ? capMs * FIRST_SHARE : capMs);
  const reason1 = stopped(first);
  if (reason1) return { pass: false, verdicts: [], measurements: [first], reason: reason1 };
  const verdicts = [checkRelative(claim, first, decision).verdict];
  const measurements = [first];
  const left = capMs - (performance.now() - start);
  if (!decideRelative(claim.op, verdicts).pass && remeasure && left > 0) {
    const second = await measure(left);
    measurements.push(second);
    const reason2 = stopped(second);
    if (reason2) return { pass: false, verdicts, measurements, reason: reason2 };
    // The second look is decided on every round taken, the first measurement's and its own.
    verdicts.push(checkRelative(claim, mergeMeasurements(first, second), decision).verdict);
  }
  return { pass: decideRelative(claim.op, verdicts).pass, verdicts, measurements };
}
