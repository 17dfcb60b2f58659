/**
 * Whole gates by simulation under the noise model fitted here (helpers/perf-noise-model.ts;
 * docs/perf-gates.md, "Simulation figures"): B slowed by 25% (requests per second divided by
 * 1.25, a ratio of 0.80x) in every cell of the seed matrix, the claim "B >= A at every c", each
 * cell decided as the gate decides it, with Holm's correction over the 11 cells. A failing gate
 * is a catch.
 */
import { describe, expect, it } from 'vitest';
import { familyFailures } from '../../lib/perf/evaluate.ts';
import { CAP_ROUNDS, rng, simulateCell } from './helpers/perf-noise-model.ts';

const TRIALS = 2000;
const CELLS = 11;
const ALPHA = 0.05;

function caughtRate(seed: number, ratio: number): number {
  const rand = rng(seed);
  let caught = 0;
  for (let t = 0; t < TRIALS; t++) {
    const ps: number[] = [];
    for (let c = 0; c < CELLS; c++) ps.push(simulateCell(rand, '>=', ratio, CAP_ROUNDS).familyP);
    if (familyFailures(ps, ALPHA).fails.some(Boolean)) caught += 1;
  }
  return caught / TRIALS;
}

describe('a 25% slowdown of one server against the other', () => {
  it('is caught by at least 95% of gates, with the rounds of a capped cell', () => {
    expect(caughtRate(41, 0.8)).toBeGreaterThanOrEqual(0.95);
  });
});
