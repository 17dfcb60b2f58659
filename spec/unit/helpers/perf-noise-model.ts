/**
 * The noise model the gate's simulations use (spec/unit/perf-simulation-*.test.ts), fitted to the
 * round-to-round spread measured on this machine: see docs/perf-gates.md, "Noise model", for the
 * commands and every figure. Two instances of one reference server were measured as a gate
 * measures (pinned, warmed up, interleaved run by run), 20 rounds on each of the 11 seed cells:
 *
 *   npm run perf:experiments -- noise --server node-async --rounds 20
 *   npm run perf:experiments -- noise --server python-async --rounds 20
 *
 * A round's figures, on the log scale:
 *   log a = log(ratio) / 2 + shared + noise / 2,  log b = -log(ratio) / 2 + shared - noise / 2,
 * so that log(a / b) = log(ratio) + noise. `shared` is the machine's speed in that round, common
 * to both sides (drifting from round to round: AR(1)); `noise` is what the two sides do not share
 * (also AR(1): a ratio that stays high for a few rounds is the drift that makes rounds less
 * independent than they look). Innovations are Student t with 8 degrees of freedom (kurtosis
 * 4.5; measured 4.0 and 5.0), scaled to the measured standard deviations.
 */
import { comparePaired, type RatioVerdict } from '../../../lib/perf/decide.ts';
import { seededRandom, wilcoxonSignedRank } from '../../../lib/perf/significance.ts';
import { decideRelative } from '../../../lib/perf/evaluate.ts';

/** Per-round sd of log(B / A) in an A/A comparison: node-async 0.309 (pooled), python-async 0.268; the larger. */
export const RATIO_SD = 0.31;
/** Lag-1 autocorrelation of that noise: measured medians -0.12 and -0.03, largest 0.23; 0.2 kept (drift hurts). */
export const RATIO_LAG1 = 0.2;
/** Per-round sd of the shared speed (log of the round's geometric mean): medians 0.21 and 0.16. */
export const SHARED_SD = 0.21;
/** Its lag-1 autocorrelation: medians 0.09 and 0.02, largest 0.71; 0.5 kept. */
export const SHARED_LAG1 = 0.5;
/** Degrees of freedom of the t innovations (kurtosis 3 + 6 / (df - 4) = 4.5). */
export const TAIL_DF = 8;
/**
 * Rounds a cell gets at the default 10 s cap: a round of the seed cells took 0.15 s here (20
 * rounds of 11 cells, warm-ups included, in 0.6 min), so the first measurement (60% of the cap)
 * takes about 40 and the second look about 26. 30 and 20 are used, and 10 + 10 (the minimum)
 * where fewer rounds make the error larger.
 */
export const CAP_ROUNDS = { first: 30, second: 20 } as const;
export const MIN_ROUNDS = { first: 10, second: 10 } as const;

export type Rand = () => number;

export function rng(seed: number): Rand {
  return seededRandom(seed);
}

function normal(rand: Rand): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Student t with TAIL_DF degrees of freedom, scaled to unit variance. */
function tUnit(rand: Rand): number {
  let chi = 0;
  for (let i = 0; i < TAIL_DF; i++) chi += normal(rand) ** 2;
  return normal(rand) / Math.sqrt(chi / TAIL_DF) / Math.sqrt(TAIL_DF / (TAIL_DF - 2));
}

/** A stationary AR(1) series with the given sd and lag-1 coefficient. */
function ar1(rand: Rand, n: number, sd: number, phi: number): number[] {
  const out: number[] = [];
  let x = sd * tUnit(rand);
  for (let i = 0; i < n; i++) {
    if (i > 0) x = phi * x + sd * Math.sqrt(1 - phi * phi) * tUnit(rand);
    out.push(x);
  }
  return out;
}

/** One measurement of `rounds` rounds of A and B (requests per second), with A / B = ratio at heart. */
export function measureAB(rand: Rand, rounds: number, ratio: number): { a: number[]; b: number[] } {
  const shared = ar1(rand, rounds, SHARED_SD, SHARED_LAG1);
  const noise = ar1(rand, rounds, RATIO_SD, RATIO_LAG1);
  const lr = Math.log(ratio);
  return {
    a: shared.map((m, i) => 5000 * Math.exp(m + lr / 2 + noise[i]! / 2)),
    b: shared.map((m, i) => 5000 * Math.exp(m - lr / 2 - noise[i]! / 2)),
  };
}

const ALPHA = 0.05;
const TOLERANCE = 0.1;

/**
 * The verdict the gate would reach. Shortcut, exact for pass and fail: "faster" and "slower" need
 * p < alpha, so when the signed-rank test (cheap) says otherwise the bootstrap (dear) cannot
 * change whether a `>=` claim fails or a `>` claim passes, and is skipped.
 */
export function verdictOf(a: number[], b: number[]): RatioVerdict {
  const d = a.map((x, i) => Math.log(x) - Math.log(b[i]!));
  const p = wilcoxonSignedRank(d).p;
  if (p >= ALPHA) {
    return {
      outcome: 'undecided',
      ratio: NaN,
      interval: { lo: NaN, hi: NaN, confidence: 0.95 },
      p,
      test: 'wilcoxon-signed-rank',
      medianA: NaN,
      medianB: NaN,
      factor: 1,
      tolerance: TOLERANCE,
      alpha: ALPHA,
      n: a.length,
    };
  }
  return comparePaired(a, b, { tolerance: TOLERANCE, alpha: ALPHA });
}

/**
 * One cell of a relative claim as the gate decides it: a first measurement; when it fails, a
 * second look decided on all the rounds of both (decideRelative).
 */
export function simulateCell(
  rand: Rand,
  op: '>=' | '>',
  ratio: number,
  rounds: { first: number; second: number },
): { pass: boolean; familyP: number } {
  const m1 = measureAB(rand, rounds.first, ratio);
  const v1 = verdictOf(m1.a, m1.b);
  const first = decideRelative(op, [v1]);
  if (first.pass) return first;
  const m2 = measureAB(rand, rounds.second, ratio);
  const v2 = verdictOf([...m1.a, ...m2.a], [...m1.b, ...m2.b]);
  return decideRelative(op, [v1, v2]);
}
