/**
 * When the requests of a duration or rate cell are due (timed-client.ts): pure, times in
 * nanoseconds since the cell's start.
 *
 * - Open model (`rate`): request k is due at k / rate seconds; the schedule holds
 *   floor(rate x duration) requests, or `requests` when the cell is counted.
 * - Closed loop for a time (`durationS`, no rate): every request is due as soon as a connection
 *   is free, until the duration is over; how many there will be is not known beforehand.
 */
import type { CellSpec } from '../types.ts';

export interface Schedule {
  /** Requests the schedule holds; null for a closed loop, which sends until its time is up. */
  readonly total: number | null;
  /** How long the schedule lasts, seconds. */
  readonly scheduledS: number;
  /** How many requests are due (have been handed out or may be) at `elapsedNs`. */
  dueBy(elapsedNs: bigint): number;
  /** When request k counts from: its intended time, or now (`elapsedNs`) in a closed loop. */
  startOf(k: number, elapsedNs: bigint): bigint;
  /** Whether nothing more is to be handed out, `handedOut` requests having been. */
  over(handedOut: number, elapsedNs: bigint): boolean;
}

/** The schedule of a duration or rate cell; throws when the cell has neither. */
export function scheduleOf(cell: CellSpec): Schedule {
  const { rate, durationS } = cell;
  if (rate !== undefined) {
    const total = durationS !== undefined ? Math.floor(rate * durationS) : cell.requests;
    return openSchedule(rate, total, durationS ?? total / rate);
  }
  if (durationS !== undefined) return closedForTime(durationS);
  throw new Error('a schedule needs a duration or a rate: this cell has neither');
}

function openSchedule(rate: number, total: number, scheduledS: number): Schedule {
  const nsPerRequest = 1e9 / rate;
  return {
    total,
    scheduledS,
    dueBy: (elapsedNs) => Math.min(total, Math.floor(Number(elapsedNs) / nsPerRequest) + 1),
    startOf: (k) => BigInt(Math.round(k * nsPerRequest)),
    over: (handedOut) => handedOut >= total,
  };
}

function closedForTime(durationS: number): Schedule {
  const endNs = BigInt(Math.round(durationS * 1e9));
  return {
    total: null,
    scheduledS: durationS,
    dueBy: (elapsedNs) => (elapsedNs < endNs ? Number.MAX_SAFE_INTEGER : 0),
    startOf: (_k, elapsedNs) => elapsedNs,
    over: (_handedOut, elapsedNs) => elapsedNs >= endNs,
  };
}
