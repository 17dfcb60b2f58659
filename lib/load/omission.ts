/**
 * Whether a closed-loop cell's latencies look like coordinated omission: pure.
 *
 * In a closed loop each connection waits for its response before it sends again, so a server
 * that stalls for half a second delays one request per connection, and sends nothing else
 * meanwhile: the stall is a handful of slow requests among thousands of quick ones, and the
 * percentiles barely move, though for that half second nobody was answered. The tell-tale is
 * the time: a few stalled requests (at most 1% of them) hold the connections for a large part of
 * the cell (at least 10% of concurrency x time taken). A steady server, fast or slow, has no
 * such requests: its slow requests, if any, are many, or short.
 */
import type { CellOmission } from '../types.ts';

/**
 * Fewer complete requests, or less time, say too little to tell a stall from noise: a short cell
 * at a high concurrency turns one SYN retransmitted after 1 s into a large share of its time.
 * The cells of the seed and tugas9 matrices (1000 requests at most) never qualify.
 */
const MIN_REQUESTS = 2000;
const MIN_TIME_S = 1;
/** A request is stalled above this many times the median... */
const STALL_FACTOR = 20;
/** ...and above this, microseconds (a loopback median of 100 us would otherwise call 2 ms a stall). */
const STALL_FLOOR_US = 10_000;
/** At most this share of the requests stalled: the stalls are rare. */
const MAX_STALLED_SHARE = 0.01;
/** At least this share of the connections' time spent in them: the stalls matter. */
const MIN_TIME_SHARE = 0.1;

/** The median of unsorted values (sorted copy). */
function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * The omission suspected in a closed-loop cell, or null: `latenciesUs` are its complete
 * requests' times, `concurrency` its connections, `timeTakenS` how long it ran.
 */
export function omissionSuspect(
  latenciesUs: ArrayLike<number>,
  concurrency: number,
  timeTakenS: number,
): CellOmission | null {
  const n = latenciesUs.length;
  if (n < MIN_REQUESTS || !(timeTakenS >= MIN_TIME_S) || concurrency < 1) return null;
  const thresholdUs = Math.max(STALL_FACTOR * median(latenciesUs), STALL_FLOOR_US);
  let stalled = 0;
  let stalledUs = 0;
  for (let i = 0; i < n; i++) {
    const v = latenciesUs[i]!;
    if (v > thresholdUs) {
      stalled++;
      stalledUs += v;
    }
  }
  const stalledShare = stalled / n;
  const timeShare = stalledUs / (concurrency * timeTakenS * 1e6);
  if (stalled === 0 || stalledShare > MAX_STALLED_SHARE || timeShare < MIN_TIME_SHARE) return null;
  const pct = (x: number): string => `${(x * 100).toFixed(x < 0.001 ? 3 : 1)}%`;
  return {
    thresholdUs,
    stalled,
    stalledShare,
    timeShare,
    note:
      `coordinated omission likely: ${stalled} of ${n} requests (${pct(stalledShare)}) took over ` +
      `${(thresholdUs / 1000).toFixed(1)} ms and held the connections ${pct(timeShare)} of the time; ` +
      'a closed loop sent nothing meanwhile, so its percentiles under-count the stalls (measure with --rate)',
  };
}
