/**
 * Repeated, interleaved measurement of one cell on several servers: the raw material of every
 * sound comparison.
 *
 * - Warm-up: each side first runs the cell for at least one sample's worth of time, discarded.
 * - Samples: a sample is k back-to-back runs of the cell (N requests at concurrency C each), its
 *   requests per second the total completed over the total time taken. k is chosen per side
 *   from the warm-up so that a sample lasts at least `minSampleMs`: a run of the seed's 10-request
 *   cells takes a few milliseconds, too short for timer resolution and scheduling to average out,
 *   so those cells get more runs per sample, and the report says so.
 * - Rounds: a round takes one sample of every side. Its runs are interleaved one by one, in an
 *   order that reverses at every step (A B, B A, A B ... that is A B B A A B), so that neither
 *   side always goes first and slow moments of the machine fall on both.
 * - Stopping: after `minRounds`, as soon as `precise` says the figures are precise enough, or
 *   when `maxRounds` or `maxTimeMs` is reached.
 */
import type { CellResult, CellSpec, LoadTarget } from '../types.ts';
import { runCell } from '../load/index.ts';
import { median } from '../stats.ts';

export interface Side {
  /** A label for reports (a server's name, or "yardstick"). */
  name: string;
  target: LoadTarget;
}

/** Latency figures of a sample, milliseconds: each the median over the sample's runs of ab's figure. */
export interface SampleLatency {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface Sample {
  /** Completed requests over time taken, summed over the sample's runs. */
  rps: number;
  timeTakenS: number;
  runs: number;
  requested: number;
  complete: number;
  failed: number;
  non2xx: number;
  latencyMs: SampleLatency;
}

export interface SideSamples {
  name: string;
  /** Runs of the cell per sample (the same for every side of a measurement). */
  batch: number;
  /** Median time of one run during the warm-up, ms. */
  runMs: number;
  samples: Sample[];
  /** The first run's Server header and document length, for the report. */
  serverSoftware: string | null;
  documentLength: number | null;
  /** Status code -> count over every measured run (not the warm-up). */
  statusCounts: Record<string, number>;
}

export type StopReason = 'precise' | 'max-rounds' | 'time-cap';

export interface CellMeasurement {
  cell: CellSpec;
  sides: SideSamples[];
  rounds: number;
  stoppedBy: StopReason;
  /** Wall time of the measurement, warm-up included, ms. */
  elapsedMs: number;
}

export interface SamplerOptions {
  /**
   * Rounds always taken (default 10). With fewer than 6 pairs a two-sided signed-rank test cannot
   * reach p < 0.05, and below about 10 the bootstrap interval of a median, made of resamples of
   * a handful of values, comes out narrower than the spread of the figures warrants.
   */
  minRounds?: number;
  /** Rounds at most (default 200). */
  maxRounds?: number;
  /** Time after which no new round starts, ms (default 10000); `minRounds` are still taken. */
  maxTimeMs?: number;
  /** Shortest sample, ms (default 50): shorter runs are batched. */
  minSampleMs?: number;
  /** Most runs in a sample (default 200). */
  maxBatch?: number;
  /** Called after each round from `minRounds` on; true ends the measurement. */
  precise?: (m: CellMeasurement) => boolean;
  /** Called after every round (progress). */
  onRound?: (m: CellMeasurement) => void;
  signal?: AbortSignal;
}

/** How long each server is warmed up before its first cell, per load mode. */
export const SERVER_WARMUP_MS = 3000;

export const SAMPLER_DEFAULTS = {
  minRounds: 10,
  maxRounds: 200,
  maxTimeMs: 10_000,
  minSampleMs: 50,
  maxBatch: 200,
} as const;

function toSample(results: CellResult[]): Sample {
  let time = 0;
  let complete = 0;
  let requested = 0;
  let failed = 0;
  let non2xx = 0;
  for (const r of results) {
    time += r.timeTakenS;
    complete += r.completeRequests;
    requested += r.requested;
    failed += r.failedRequests;
    non2xx += r.non2xx;
  }
  const lat = (pick: (r: CellResult) => number): number => median(results.map((r) => pick(r) / 1000));
  return {
    rps: time > 0 ? complete / time : 0,
    timeTakenS: time,
    runs: results.length,
    requested,
    complete,
    failed,
    non2xx,
    latencyMs: {
      min: lat((r) => r.latencyUs.min),
      mean: lat((r) => r.latencyUs.mean),
      p50: lat((r) => r.latencyUs.p50),
      p90: lat((r) => r.latencyUs.p90),
      p99: lat((r) => r.latencyUs.p99),
      max: lat((r) => r.latencyUs.max),
    },
  };
}

/** Runs the cell on one side for at least `minMs` (and at most `maxRuns` runs); returns the run times, ms. */
async function warmUp(side: Side, cell: CellSpec, minMs: number, maxRuns: number, signal?: AbortSignal): Promise<number[]> {
  const times: number[] = [];
  const start = performance.now();
  // Two runs at least: the first run of a cell on a fresh connection pattern is often the slowest.
  while (times.length < 2 || (performance.now() - start < minMs && times.length < maxRuns)) {
    const t0 = performance.now();
    await runCell(side.target, cell, { signal });
    times.push(performance.now() - t0);
  }
  return times;
}

/** The load that warms a server up: the first requests a process serves are its slowest. */
const SERVER_WARMUP_CELL: CellSpec = { requests: 200, concurrency: 10 };

/**
 * Sends a server load for at least `ms` before anything is measured. A fresh node process here
 * runs 20-40% slower for its first second or two (its code is not yet compiled by the JIT); a
 * comparison with a server that has been running for a while would see that, not the server.
 */
export async function warmUpServer(target: LoadTarget, ms: number, signal?: AbortSignal): Promise<void> {
  const start = performance.now();
  do {
    await runCell(target, SERVER_WARMUP_CELL, { signal });
  } while (performance.now() - start < ms);
}

/** Measures one cell on every side, interleaved, until precise enough or a cap is reached. */
export async function measureCell(sides: Side[], cell: CellSpec, options: SamplerOptions = {}): Promise<CellMeasurement> {
  if (sides.length === 0) throw new Error('measureCell needs at least one side');
  const minRounds = options.minRounds ?? SAMPLER_DEFAULTS.minRounds;
  const maxRounds = Math.max(minRounds, options.maxRounds ?? SAMPLER_DEFAULTS.maxRounds);
  const maxTimeMs = options.maxTimeMs ?? SAMPLER_DEFAULTS.maxTimeMs;
  const minSampleMs = options.minSampleMs ?? SAMPLER_DEFAULTS.minSampleMs;
  const maxBatch = options.maxBatch ?? SAMPLER_DEFAULTS.maxBatch;
  const start = performance.now();

  const runMs: number[] = [];
  for (const side of sides) runMs.push(median(await warmUp(side, cell, minSampleMs, maxBatch, options.signal)));
  // One batch size for every side, from the fastest side's run: each sample then lasts at least
  // minSampleMs. Sides given different batch sizes would not be comparable: the first run after
  // switching from one server to the other is slower, and a larger batch dilutes that more.
  const fastest = Math.max(Math.min(...runMs), 0.01);
  const batch = Math.max(1, Math.min(maxBatch, Math.ceil(minSampleMs / fastest)));
  const state: SideSamples[] = sides.map((side, i) => ({
    name: side.name,
    batch,
    runMs: runMs[i]!,
    samples: [],
    serverSoftware: null,
    documentLength: null,
    statusCounts: {},
  }));

  const measurement: CellMeasurement = { cell, sides: state, rounds: 0, stoppedBy: 'max-rounds', elapsedMs: 0 };
  let step = 0;
  for (let round = 0; round < maxRounds; round++) {
    // The runs of a round's samples are interleaved one by one (A B B A A B ...), not sample by
    // sample: on a shared machine the load changes within tens of milliseconds, and only runs
    // taken next to each other see the same load.
    const results: CellResult[][] = sides.map(() => []);
    for (let j = 0; j < batch; j++, step++) {
      const order = sides.map((_, i) => i);
      if (step % 2 === 1) order.reverse();
      for (const i of order) results[i]!.push(await runCell(sides[i]!.target, cell, { signal: options.signal }));
    }
    results.forEach((list, i) => {
      const st = state[i]!;
      st.samples.push(toSample(list));
      const first = list[0];
      if (first && st.samples.length === 1) {
        st.serverSoftware = first.serverSoftware;
        st.documentLength = first.documentLength;
      }
      for (const r of list) {
        for (const [status, count] of Object.entries(r.statusCounts)) st.statusCounts[status] = (st.statusCounts[status] ?? 0) + count;
      }
    });
    measurement.rounds = round + 1;
    measurement.elapsedMs = performance.now() - start;
    options.onRound?.(measurement);
    if (measurement.rounds < minRounds) continue;
    if (options.precise?.(measurement)) {
      measurement.stoppedBy = 'precise';
      break;
    }
    if (measurement.elapsedMs >= maxTimeMs) {
      measurement.stoppedBy = 'time-cap';
      break;
    }
  }
  measurement.elapsedMs = performance.now() - start;
  return measurement;
}

/**
 * The time caps of a series of measurements (the cells of a gate) from one budget: each gets the
 * budget left divided by the measurements left, never less than the base cap and at most
 * `maxFactor` times it. A cell that became precise early leaves its time to a noisier one later,
 * and the whole series never takes longer than count x base cap (plus each last round).
 */
export class TimeBudget {
  private left: number;
  private remaining: number;

  constructor(
    count: number,
    readonly baseMs: number,
    readonly maxFactor = 3,
  ) {
    this.left = Math.max(0, count) * baseMs;
    this.remaining = Math.max(0, count);
  }

  /** The cap of the next measurement, ms. */
  next(): number {
    if (this.remaining <= 0) return this.baseMs;
    return Math.min(this.baseMs * this.maxFactor, Math.max(this.baseMs, this.left / this.remaining));
  }

  /** Records what a measurement used. */
  spend(ms: number): void {
    this.left = Math.max(0, this.left - ms);
    this.remaining = Math.max(0, this.remaining - 1);
  }
}

/** The requests-per-second figures of a side, one per round. */
export function rpsOf(side: SideSamples): number[] {
  return side.samples.map((s) => s.rps);
}

/** Totals of a side's samples: what the count thresholds (failed == 0) are checked on. */
export function totalsOf(side: SideSamples): { requested: number; complete: number; failed: number; non2xx: number } {
  let requested = 0;
  let complete = 0;
  let failed = 0;
  let non2xx = 0;
  for (const s of side.samples) {
    requested += s.requested;
    complete += s.complete;
    failed += s.failed;
    non2xx += s.non2xx;
  }
  return { requested, complete, failed, non2xx };
}
