/**
 * Repeated, interleaved measurement of one cell on several servers: the raw material of every
 * sound comparison.
 *
 * - Warm-up: each side first runs the cell for at least one sample's worth of time, discarded:
 *   two runs at least, or one for a cell of a duration, whose one run lasts seconds.
 * - Samples: a sample is k back-to-back runs of the cell (N requests at concurrency C each), its
 *   requests per second the total completed over the total time taken. k is chosen per side
 *   from the warm-up so that a sample lasts at least `minSampleMs`: a run of the seed's 10-request
 *   cells takes a few milliseconds, too short for timer resolution and scheduling to average out,
 *   so those cells get more runs per sample, and the report says so.
 * - Rounds: a round takes one sample of every side. Its runs are interleaved one by one, in an
 *   order that reverses at every step (A B, B A, A B ... that is A B B A A B), so that neither
 *   side always goes first and slow moments of the machine fall on both.
 * - Stopping: after `minRounds`, as soon as `precise` says the figures are precise enough, or
 *   when `maxRounds` is reached. The time cap is checked before every round, the minimum ones
 *   included: the cap wins over the minimum, so a measurement never runs more than one round past
 *   its cap (the first round always runs), and a capped one may have fewer than `minRounds`.
 * - A server that stops answering ends the measurement at once: a run that the load engine
 *   stopped (the first refused connection or timeout, as ab stops) or that completed nothing
 *   ends it with stoppedBy "server-stopped", and the side records why. No retry, no further
 *   round: a hanging server would otherwise cost a timeout per run.
 */
import type { CellResult, CellSpec } from '../types.ts';
import { runCell, type CellTarget } from '../load/index.ts';
import { median } from '../stats.ts';

export interface Side {
  /** A label for reports (a server's name, or "yardstick"). */
  name: string;
  /** Where its cells go (over TLS when the target has `tls`). */
  target: CellTarget;
}

/** Latency figures of a sample, milliseconds: each the median over the sample's runs of ab's figure. */
export interface SampleLatency {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  /** From the runs' HDR percentiles (p99.9). */
  p99_9: number;
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

/** Requests of runs that are not samples: the cell's warm-up, or the run that stopped. */
export interface RunTotals {
  runs: number;
  requested: number;
  complete: number;
  failed: number;
  non2xx: number;
}

/** Why a side stopped: the load engine's reason, or "nothing" for a run that completed no request. */
export interface SideStop {
  kind: 'connect' | 'timeout' | 'nothing';
  reason: string;
  /** Requests the stopped run had sent when it stopped. */
  afterRequests: number;
  /** The runs of the round (or warm-up) it stopped in, which are not samples. */
  totals: RunTotals;
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
  /** The cell's warm-up runs, discarded from the figures but not from the failure counts. */
  warmup: RunTotals;
  /** Set when this side's server stopped answering during the measurement. */
  stopped?: SideStop;
}

export type StopReason = 'precise' | 'max-rounds' | 'time-cap' | 'server-stopped';

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
  /**
   * Time after which no new round starts, ms (default 10000), counted from the start of the
   * measurement (its warm-up included) and checked before every round, the minimum ones too.
   */
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
  /**
   * What runs the cell once on a side (default the built-in engine's runCell): every run, the
   * warm-up's and the rounds', goes through it, so that `--engine locust` sends them all.
   */
  run?: CellRunner;
}

/** Runs a cell once against a target: the built-in engine, or another (lib/locust/engine.ts). */
export type CellRunner = (target: CellTarget, cell: CellSpec, opts: { signal?: AbortSignal }) => Promise<CellResult>;

/**
 * The share of a cell's time cap its first measurement may use when a failing comparison is
 * measured once more: the rest is kept for the second look, which is charged to the same cap.
 */
export const FIRST_SHARE = 0.6;

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
      // A run recorded without the HDR percentiles stands on its p99, the nearest figure it has.
      p99_9: lat((r) => r.percentilesUs?.p99_9 ?? r.latencyUs.p99),
      max: lat((r) => r.latencyUs.max),
    },
  };
}

export function emptyTotals(): RunTotals {
  return { runs: 0, requested: 0, complete: 0, failed: 0, non2xx: 0 };
}

export function addRun(t: RunTotals, r: CellResult): void {
  t.runs += 1;
  t.requested += r.requested;
  t.complete += r.completeRequests;
  t.failed += r.failedRequests;
  t.non2xx += r.non2xx;
}

/**
 * Whether a run shows its server stopped answering: the engine stopped it (a refused connection
 * or a timeout), or it completed no request at all. Pure, for the gate and its tests.
 */
export function runStop(r: CellResult): Omit<SideStop, 'totals'> | null {
  if (r.stopped) return { kind: r.stopped.kind, reason: r.stopped.reason, afterRequests: r.stopped.afterRequests };
  if (r.requested > 0 && r.completeRequests === 0) {
    return {
      kind: 'nothing',
      reason: `no request of ${r.requested} completed (${r.failedRequests} failed)`,
      afterRequests: r.requested,
    };
  }
  return null;
}

/**
 * Runs the cell on one side for at least `minMs` (and at most `maxRuns` runs); returns the run
 * times, ms, the runs' totals and, when the server stopped answering, why (the warm-up ends there).
 */
async function warmUp(
  side: Side,
  cell: CellSpec,
  limits: { minMs: number; maxRuns: number },
  run: CellRunner,
  signal?: AbortSignal,
): Promise<{ times: number[]; totals: RunTotals; stop: Omit<SideStop, 'totals'> | null }> {
  const times: number[] = [];
  const totals = emptyTotals();
  const start = performance.now();
  const least = warmUpRuns(cell);
  while (times.length < least || (performance.now() - start < limits.minMs && times.length < limits.maxRuns)) {
    const t0 = performance.now();
    const r = await run(side.target, cell, { ...(signal && { signal }) });
    times.push(performance.now() - t0);
    addRun(totals, r);
    const stop = runStop(r);
    if (stop) return { times, totals, stop };
  }
  return { times, totals, stop: null };
}

/**
 * The fewest warm-up runs of a cell on a side: two for a cell of N requests (the first run on a
 * fresh connection pattern is often the slowest, and lasts milliseconds), one for a cell of a
 * duration (its run lasts seconds; on Locust each run also starts Locust's processes).
 */
export function warmUpRuns(cell: CellSpec): number {
  return cell.durationS !== undefined ? 1 : 2;
}

/** The load that warms a server up: the first requests a process serves are its slowest. */
const SERVER_WARMUP_CELL: CellSpec = { requests: 200, concurrency: 10 };

/** What a server's warm-up did: its failures are reported, not dropped. */
export interface WarmupReport extends RunTotals {
  /** Wall time, ms. */
  ms: number;
  /** Set when the server stopped answering during the warm-up (which then ended). */
  stopped?: Omit<SideStop, 'totals'>;
}

/**
 * Sends a server load for at least `ms` before anything is measured. A fresh node process here
 * runs 20-40% slower for its first second or two (its code is not yet compiled by the JIT); a
 * comparison with a server that has been running for a while would see that, not the server.
 * Bounded like a cell: the first run the engine stops (a refused connection, a timeout) or that
 * completes nothing ends the warm-up, and the report says why.
 */
export async function warmUpServer(target: CellTarget, ms: number, signal?: AbortSignal): Promise<WarmupReport> {
  const start = performance.now();
  const report: WarmupReport = { ...emptyTotals(), ms: 0 };
  do {
    const r = await runCell(target, SERVER_WARMUP_CELL, { signal });
    addRun(report, r);
    const stop = runStop(r);
    if (stop) {
      report.stopped = stop;
      break;
    }
  } while (performance.now() - start < ms);
  report.ms = performance.now() - start;
  return report;
}

/** Adds one round's runs of a side as one sample, with the status counts of every run. */
function addSample(side: SideSamples, runs: CellResult[]): void {
  side.samples.push(toSample(runs));
  const first = runs[0];
  if (first && side.samples.length === 1) {
    side.serverSoftware = first.serverSoftware;
    side.documentLength = first.documentLength;
  }
  for (const r of runs) {
    for (const [status, count] of Object.entries(r.statusCounts))
      side.statusCounts[status] = (side.statusCounts[status] ?? 0) + count;
  }
}

/** Measures one cell on every side, interleaved, until precise enough or a cap is reached. */
export async function measureCell(
  sides: Side[],
  cell: CellSpec,
  options: SamplerOptions = {},
): Promise<CellMeasurement> {
  if (sides.length === 0) throw new Error('measureCell needs at least one side');
  const minRounds = options.minRounds ?? SAMPLER_DEFAULTS.minRounds;
  const maxRounds = Math.max(minRounds, options.maxRounds ?? SAMPLER_DEFAULTS.maxRounds);
  const maxTimeMs = options.maxTimeMs ?? SAMPLER_DEFAULTS.maxTimeMs;
  const minSampleMs = options.minSampleMs ?? SAMPLER_DEFAULTS.minSampleMs;
  const maxBatch = options.maxBatch ?? SAMPLER_DEFAULTS.maxBatch;
  const run: CellRunner = options.run ?? ((target, spec, opts) => runCell(target, spec, opts));
  const start = performance.now();

  const runMs: number[] = [];
  const warm: Array<Awaited<ReturnType<typeof warmUp>>> = [];
  for (const side of sides) {
    const w = await warmUp(side, cell, { minMs: minSampleMs, maxRuns: maxBatch }, run, options.signal);
    warm.push(w);
    runMs.push(median(w.times));
    if (w.stop) break;
  }
  // One batch size for every side, from the fastest side's run: each sample then lasts at least
  // minSampleMs. Sides given different batch sizes would not be comparable: the first run after
  // switching from one server to the other is slower, and a larger batch dilutes that more.
  const fastest = Math.max(Math.min(...runMs), 0.01);
  const batch = Math.max(1, Math.min(maxBatch, Math.ceil(minSampleMs / fastest)));
  const state: SideSamples[] = sides.map((side, i) => ({
    name: side.name,
    batch,
    runMs: runMs[i] ?? NaN,
    samples: [],
    serverSoftware: null,
    documentLength: null,
    statusCounts: {},
    warmup: warm[i]?.totals ?? emptyTotals(),
  }));

  const measurement: CellMeasurement = { cell, sides: state, rounds: 0, stoppedBy: 'max-rounds', elapsedMs: 0 };
  const stoppedAt = warm.findIndex((w) => w.stop);
  if (stoppedAt >= 0) {
    const w = warm[stoppedAt]!;
    state[stoppedAt]!.stopped = { ...w.stop!, totals: w.totals };
    measurement.stoppedBy = 'server-stopped';
    measurement.elapsedMs = performance.now() - start;
    return measurement;
  }
  let step = 0;
  for (let round = 0; round < maxRounds; round++) {
    // The cap is checked before each round, the minimum ones included (the first always runs).
    if (round > 0 && performance.now() - start >= maxTimeMs) {
      measurement.stoppedBy = 'time-cap';
      break;
    }
    // The runs of a round's samples are interleaved one by one (A B B A A B ...), not sample by
    // sample: on a shared machine the load changes within tens of milliseconds, and only runs
    // taken next to each other see the same load.
    const results: CellResult[][] = sides.map(() => []);
    let stopped = -1;
    for (let j = 0; j < batch && stopped < 0; j++, step++) {
      const order = sides.map((_, i) => i);
      if (step % 2 === 1) order.reverse();
      for (const i of order) {
        const r = await run(sides[i]!.target, cell, { ...(options.signal && { signal: options.signal }) });
        results[i]!.push(r);
        if (runStop(r)) {
          stopped = i;
          break;
        }
      }
    }
    if (stopped >= 0) {
      // The round is not a sample of anyone; the stopped side keeps its runs' counts.
      const totals = emptyTotals();
      for (const r of results[stopped]!) addRun(totals, r);
      state[stopped]!.stopped = { ...runStop(results[stopped]![results[stopped]!.length - 1]!)!, totals };
      measurement.stoppedBy = 'server-stopped';
      break;
    }
    results.forEach((list, i) => addSample(state[i]!, list));
    measurement.rounds = round + 1;
    measurement.elapsedMs = performance.now() - start;
    options.onRound?.(measurement);
    if (measurement.rounds < minRounds) continue;
    if (options.precise?.(measurement)) {
      measurement.stoppedBy = 'precise';
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

/** Totals of a side's samples (the rounds). */
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

/**
 * Totals over every run of a side in a cell: its samples, the cell's warm-up and the run that
 * stopped, if any. What the count thresholds (failed == 0) and the no-failure rule of relative
 * claims are checked on: a failure in a warm-up run is still a failure.
 */
export function allTotalsOf(side: SideSamples): RunTotals {
  const t = { runs: side.samples.reduce((n, s) => n + s.runs, 0), ...totalsOf(side), non2xx: totalsOf(side).non2xx };
  for (const extra of [side.warmup, side.stopped?.totals]) {
    if (!extra) continue;
    t.runs += extra.runs;
    t.requested += extra.requested;
    t.complete += extra.complete;
    t.failed += extra.failed;
    t.non2xx += extra.non2xx;
  }
  return t;
}

/**
 * Two measurements of the same cell and sides as one: the rounds of both, in order. A second
 * look is decided on every round taken (the first measurement's and its own): more rounds give
 * a narrower interval, and a claim then fails (or a `>` claim passes) only when the first
 * measurement and all the rounds together agree, each by the full two-part rule.
 */
export function mergeMeasurements(first: CellMeasurement, second: CellMeasurement): CellMeasurement {
  const sides = first.sides.map((s) => {
    const other = second.sides.find((x) => x.name === s.name);
    if (!other)
      throw new Error(`${s.name} was measured in the first measurement of ${s.name}'s cell but not in the second`);
    const warmup = emptyTotals();
    for (const t of [s.warmup, other.warmup]) {
      warmup.runs += t.runs;
      warmup.requested += t.requested;
      warmup.complete += t.complete;
      warmup.failed += t.failed;
      warmup.non2xx += t.non2xx;
    }
    const statusCounts = { ...s.statusCounts };
    for (const [k, v] of Object.entries(other.statusCounts)) statusCounts[k] = (statusCounts[k] ?? 0) + v;
    const merged: SideSamples = { ...s, samples: [...s.samples, ...other.samples], statusCounts, warmup };
    const stopped = other.stopped ?? s.stopped;
    if (stopped) merged.stopped = stopped;
    return merged;
  });
  return {
    cell: first.cell,
    sides,
    rounds: first.rounds + second.rounds,
    stoppedBy: second.stoppedBy,
    elapsedMs: first.elapsedMs + second.elapsedMs,
  };
}
