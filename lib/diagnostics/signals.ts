/**
 * What the diagnostics keep of a cell's per-request latencies: counts in the windows where a
 * known stall lands, rather than the raw latencies (results.json stays small).
 */
import type { CellSignals, FailureTally, KernelTcpCounters } from '../types.ts';

/** Linux's delayed-ACK timeout is 40 ms at least (TCP_DELACK_MIN); a request stalled by it takes a little more. */
export const DELACK_40_MS: readonly [number, number] = [38, 60];
/** The 200 ms delayed-ACK timeout of other systems (and Linux's TCP_DELACK_MAX). */
export const DELACK_200_MS: readonly [number, number] = [190, 240];
/** stallsBySecond's last bucket: requests of a minute or more are counted there. */
export const MAX_STALL_BUCKETS = 60;

export interface SignalInput {
  latenciesUs: ArrayLike<number>;
  failures: FailureTally;
}

function medianOf(values: number[]): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

export function cellSignals(samples: SignalInput, kernel: KernelTcpCounters | null): CellSignals {
  const lat = samples.latenciesUs;
  const stalls: number[] = [];
  let near40 = 0;
  let near200 = 0;
  const in40: number[] = [];
  const [lo40, hi40] = DELACK_40_MS;
  const [lo200, hi200] = DELACK_200_MS;
  for (let i = 0; i < lat.length; i++) {
    const us = lat[i]!;
    const ms = us / 1000;
    if (ms >= lo40 && ms <= hi40) {
      near40++;
      in40.push(us);
    } else if (ms >= lo200 && ms <= hi200) {
      near200++;
    }
    if (ms >= 1000) {
      const k = Math.min(MAX_STALL_BUCKETS, Math.floor(ms / 1000));
      while (stalls.length < k) stalls.push(0);
      stalls[k - 1]!++;
    }
  }
  return {
    timed: lat.length,
    stallsBySecond: stalls,
    near40ms: near40,
    near200ms: near200,
    near40msMedianUs: medianOf(in40),
    failures: { ...samples.failures },
    kernel,
  };
}

/** Requests of a cell that took 1 s or more. */
export function stalledCount(signals: CellSignals): number {
  let n = 0;
  for (const c of signals.stallsBySecond) n += c;
  return n;
}
