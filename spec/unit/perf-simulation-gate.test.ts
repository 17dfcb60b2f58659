/**
 * Whole gates by simulation under the noise model fitted here (helpers/perf-noise-model.ts;
 * docs/perf-gates.md, "Simulation figures"): a claim "B >= A at every c" over the 11 cells of the
 * seed matrix, each cell decided as the gate decides it (a first measurement, a second look on
 * all the rounds when it fails), and Holm's correction over the claim's cells.
 * - A/A (B and A the same server): a failing gate is a false alarm, counted per gate, not per
 *   comparison.
 * The power of the same gates is in perf-simulation-power.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { familyFailures } from '../../lib/perf/evaluate.ts';
import { CAP_ROUNDS, MIN_ROUNDS, rng, simulateCell, type Rand } from './helpers/perf-noise-model.ts';

const TRIALS = 2000;
const CELLS = 11;
const ALPHA = 0.05;

/** Whether one simulated gate fails (with Holm's correction, or without: each cell on its own). */
function gateFails(rand: Rand, ratio: number, rounds: { first: number; second: number }, holm = true): boolean {
  const ps: number[] = [];
  let anyFail = false;
  for (let c = 0; c < CELLS; c++) {
    const cell = simulateCell(rand, '>=', ratio, rounds);
    ps.push(cell.familyP);
    if (!cell.pass) anyFail = true;
  }
  if (!holm) return anyFail;
  return familyFailures(ps, ALPHA).fails.some(Boolean);
}

function failRate(seed: number, ratio: number, rounds: { first: number; second: number }, holm = true): number {
  const rand = rng(seed);
  let fails = 0;
  for (let t = 0; t < TRIALS; t++) if (gateFails(rand, ratio, rounds, holm)) fails += 1;
  return fails / TRIALS;
}

describe('whole-gate A/A over the 11 seed cells', () => {
  it('raises at most 5% false alarms per gate with the fewest rounds (10, then 10 more)', () => {
    expect(failRate(31, 1, MIN_ROUNDS)).toBeLessThanOrEqual(0.05);
  });

  it('raises at most 5% false alarms per gate with the rounds of a capped cell (30, then 20 more)', () => {
    expect(failRate(32, 1, CAP_ROUNDS)).toBeLessThanOrEqual(0.05);
  });
});
