/**
 * The verdict of `npm run bench:engine` on one cell: the engine's requests per second against a
 * reference tool's (wrk, ab, autocannon) over rounds run side by side.
 *
 * The ratio is the median of the per-round ratios, with a 95% bootstrap interval: the two sides
 * of a round ran seconds apart, so their ratio cancels what the machine was doing then, which a
 * ratio of the two medians would not. The target is met when the median ratio reaches it; the
 * verdict says when the interval still reaches below it (more rounds would tell). Pure.
 */
import { median } from '../stats.ts';
import { bootstrapMedian } from '../perf/significance.ts';

export interface RoundSample {
  engineRps: number;
  referenceRps: number;
  /** CPU seconds each side used in the round, and the requests it completed. */
  engineCpuS: number;
  referenceCpuS: number;
  engineRequests: number;
  referenceRequests: number;
}

export interface EngineVerdict {
  rounds: number;
  engineRps: number;
  referenceRps: number;
  /** Median of the per-round ratios engine / reference. */
  ratio: number;
  lo: number;
  hi: number;
  target: number;
  met: boolean;
  /** The whole interval is at or above the target. */
  sure: boolean;
  /** Median CPU microseconds per completed request of each side. */
  engineCpuUsPerRequest: number;
  referenceCpuUsPerRequest: number;
}

const perRequestUs = (cpuS: number, requests: number): number => (requests > 0 ? (cpuS * 1e6) / requests : NaN);

export function engineVerdict(samples: readonly RoundSample[], target: number): EngineVerdict {
  if (samples.length === 0) throw new Error('no rounds to judge');
  const ratios = samples.map((s) => s.engineRps / s.referenceRps);
  const ratio = median(ratios);
  const ci = bootstrapMedian(ratios);
  return {
    rounds: samples.length,
    engineRps: median(samples.map((s) => s.engineRps)),
    referenceRps: median(samples.map((s) => s.referenceRps)),
    ratio,
    lo: ci.lo,
    hi: ci.hi,
    target,
    met: ratio >= target,
    sure: ci.lo >= target,
    engineCpuUsPerRequest: median(samples.map((s) => perRequestUs(s.engineCpuS, s.engineRequests))),
    referenceCpuUsPerRequest: median(samples.map((s) => perRequestUs(s.referenceCpuS, s.referenceRequests))),
  };
}

const fmt = (n: number, d = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '-';

/** The table of one cell's rounds and its verdict line, as printed. */
export function formatVerdict(
  title: string,
  referenceName: string,
  samples: readonly RoundSample[],
  target: number,
): string[] {
  const v = engineVerdict(samples, target);
  const lines = [
    title,
    `  round  engine rps  ${referenceName.padStart(10)} rps   ratio   CPU us/request: engine  ${referenceName}`,
  ];
  samples.forEach((s, i) => {
    lines.push(
      `  ${String(i + 1).padStart(5)}  ${fmt(s.engineRps).padStart(10)}  ${fmt(s.referenceRps).padStart(14)}  ${fmt(s.engineRps / s.referenceRps, 2).padStart(6)}` +
        `   ${fmt(perRequestUs(s.engineCpuS, s.engineRequests), 1).padStart(21)}  ${fmt(perRequestUs(s.referenceCpuS, s.referenceRequests), 1)}`,
    );
  });
  lines.push(
    `  median ${fmt(v.engineRps).padStart(9)}  ${fmt(v.referenceRps).padStart(14)}  ${fmt(v.ratio, 2).padStart(6)}` +
      `   ${fmt(v.engineCpuUsPerRequest, 1).padStart(21)}  ${fmt(v.referenceCpuUsPerRequest, 1)}`,
    `  engine/${referenceName} ${fmt(v.ratio, 2)} (median of ${v.rounds} round ratios, 95% CI ${fmt(v.lo, 2)}-${fmt(v.hi, 2)}); ` +
      `target >= ${fmt(target, 2)}: ${v.met ? (v.sure ? 'met' : 'met (the interval reaches below it: run more rounds)') : 'NOT met'}`,
  );
  return lines;
}
