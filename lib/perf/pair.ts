/**
 * One sound comparison of two servers on one cell, as `gauntlet gate` makes it for a relative
 * claim: measured interleaved until precise or capped, checked with the two-part rule, and
 * measured once more when it fails; the failure stands when the second measurement agrees
 * (see checkRelative). The vitest matchers and the experiments of
 * docs/perf-gates.md use it.
 */
import type { CellSpec } from '../types.ts';
import { measureCell, type CellMeasurement, type SamplerOptions, type Side } from './sampler.ts';
import { checkRelative, isPrecise } from './evaluate.ts';
import { DEFAULT_ALPHA, DEFAULT_CONFIDENCE, DEFAULT_TOLERANCE, type RatioVerdict } from './decide.ts';

export interface PairOptions {
  /** '>=' (default): a is at least as fast as b, within the tolerance; '>': faster by more than it. */
  op?: '>=' | '>';
  /** b is scaled by this factor (a >= 0.9 * b). */
  factor?: number;
  tolerance?: number;
  alpha?: number;
  confidence?: number;
  /** Measure a failing comparison once more before it fails (default true). */
  remeasure?: boolean;
  sampling?: Omit<SamplerOptions, 'precise' | 'signal'>;
  signal?: AbortSignal;
}

export interface PairResult {
  pass: boolean;
  /** One per measurement: two when the first failed and the cell was measured again. */
  verdicts: RatioVerdict[];
  measurements: CellMeasurement[];
}

export async function comparePairOnCell(a: Side, b: Side, cell: CellSpec, options: PairOptions = {}): Promise<PairResult> {
  const claim = { a: a.name, b: b.name, op: options.op ?? '>=', factor: options.factor ?? 1 } as const;
  if (claim.a === claim.b) throw new Error(`the two sides of a comparison need different names, got "${claim.a}" twice`);
  const decision = {
    tolerance: options.tolerance ?? DEFAULT_TOLERANCE,
    alpha: options.alpha ?? DEFAULT_ALPHA,
    confidence: options.confidence ?? DEFAULT_CONFIDENCE,
  };
  const needs = [{ kind: 'pair' as const, a: claim.a, b: claim.b, factor: claim.factor, tolerance: decision.tolerance }];
  const measure = () =>
    measureCell([a, b], cell, {
      ...options.sampling,
      precise: (m) => isPrecise(needs, m, decision.confidence),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  const first = await measure();
  const check1 = checkRelative(claim, first, decision);
  const result: PairResult = { pass: check1.pass, verdicts: [check1.verdict], measurements: [first] };
  if (!check1.pass && options.remeasure !== false) {
    const second = await measure();
    const check2 = checkRelative(claim, second, decision, true);
    result.pass = check2.pass;
    result.verdicts.push(check2.verdict);
    result.measurements.push(second);
  }
  return result;
}
