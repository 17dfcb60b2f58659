/**
 * The sentence stored in results.json with each claim: where it holds, where it does not, and by
 * how much. It is part of the gate's record, not of a report, so that every report (and anything
 * else reading results.json) shows the same words; each kind of claim words its own (claim-kinds/).
 */
import type { Claim } from './claims.ts';
import { kindOf } from './claim-kinds/registry.ts';
import type { ClaimResult } from './types.ts';

/** One or two sentences: where the claim holds, where it does not, and by how much. */
export function summarizeClaim(claim: Claim, result: ClaimResult, tolerance: number): string {
  if (result.cells.length === 0)
    return 'Nothing was checked: no cell of the matrix matches where this claim applies, or the gate stopped before.';
  return kindOf(claim).summarize(claim, result, tolerance);
}
