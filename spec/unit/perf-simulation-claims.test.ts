/**
 * How often the gate's rule lets a false `>` claim pass, by simulation under the noise model
 * fitted here (helpers/perf-noise-model.ts; docs/perf-gates.md, "Simulation figures"). The rule:
 * a first measurement, and when it fails a second look decided on all the rounds, each passing
 * only on a full two-part verdict ("faster": p < 0.05 AND the whole interval above 1.1). The old
 * rule passed an undecided second look on its estimate alone, and a false claim at a true ratio
 * of 1.05 then passed 29% of the time.
 */
import { describe, expect, it } from 'vitest';
import { CAP_ROUNDS, MIN_ROUNDS, rng, simulateCell } from './helpers/perf-noise-model.ts';

const TRIALS = 2000;

function passRate(seed: number, ratio: number, rounds: { first: number; second: number }): number {
  const rand = rng(seed);
  let passed = 0;
  for (let t = 0; t < TRIALS; t++) if (simulateCell(rand, '>', ratio, rounds).pass) passed += 1;
  return passed / TRIALS;
}

describe('a false ">" claim (a is faster than b by more than 10%) at true ratios of 1.05 and 1.08', () => {
  for (const ratio of [1.05, 1.08]) {
    it(`passes at most 5% of the time at ${ratio}x, with the fewest rounds (10, then 10 more)`, () => {
      const rate = passRate(1000 + ratio * 100, ratio, MIN_ROUNDS);
      expect(rate).toBeLessThanOrEqual(0.05);
    });
  }

  it('passes at most 5% of the time at 1.08x with the rounds of a capped cell (30, then 20 more)', () => {
    expect(passRate(2108, 1.08, CAP_ROUNDS)).toBeLessThanOrEqual(0.05);
  });

  it('is not a rule that never passes: a true 1.4x passes most of the time', () => {
    const rand = rng(7);
    let passed = 0;
    for (let t = 0; t < 200; t++) if (simulateCell(rand, '>', 1.4, CAP_ROUNDS).pass) passed += 1;
    expect(passed / 200).toBeGreaterThan(0.5);
  });
});
