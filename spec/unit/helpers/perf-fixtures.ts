/** Measurements and gate results made up for tests of the perf gate's pure parts. */
import { SCHEMA_VERSION } from '../../../lib/envelope.ts';
import type { CellMeasurement, Sample, SideSamples } from '../../../lib/perf/sampler.ts';
import type { GateMeasurement, GateResults } from '../../../lib/perf/types.ts';
import type { MachineInfo } from '../../../lib/types.ts';

export function sample(rps: number, extra: Partial<Sample> = {}): Sample {
  return {
    rps,
    timeTakenS: 0.1,
    runs: 1,
    requested: 100,
    complete: 100,
    failed: 0,
    non2xx: 0,
    latencyMs: { min: 0.1, mean: 0.5, p50: 0.4, p90: 0.8, p99: 1.2, p99_9: 1.6, max: 2 },
    ...extra,
  };
}

export function sideOf(name: string, rps: number[], extra: Partial<Sample> = {}): SideSamples {
  return {
    name,
    batch: 1,
    runMs: 20,
    samples: rps.map((r) => sample(r, extra)),
    serverSoftware: null,
    documentLength: 10,
    statusCounts: { '200': rps.length * 100 },
    warmup: { runs: 0, requested: 0, complete: 0, failed: 0, non2xx: 0 },
  };
}

export function measurement(sides: SideSamples[], cell = { requests: 100, concurrency: 10 }): CellMeasurement {
  return { cell, sides, rounds: sides[0]?.samples.length ?? 0, stoppedBy: 'time-cap', elapsedMs: 1000 };
}

export function gateMeasurement(
  sides: SideSamples[],
  cell = { requests: 100, concurrency: 10 },
  attempt = 0,
): GateMeasurement {
  return { ...measurement(sides, cell), mode: 'close', group: 0, attempt };
}

/** Figures around `centre`, spread by about +-4%, reproducible. */
export function around(centre: number, n = 12, seed = 1): number[] {
  let x = seed * 9301 + 49297;
  return Array.from({ length: n }, () => {
    x = (x * 9301 + 49297) % 233280;
    return centre * (0.96 + (x / 233280) * 0.08);
  });
}

export const MACHINE: MachineInfo = {
  hostname: 'test',
  platform: 'linux',
  release: '6.0',
  arch: 'x64',
  cpuModel: 'Test CPU',
  cores: 2,
  memoryBytes: 1,
  node: 'v20.0.0',
  python: '3.11.7',
  gauntlet: '0.1.0',
};

export function emptyGate(): GateResults {
  return {
    tool: 'gauntlet',
    schemaVersion: SCHEMA_VERSION,
    command: 'gate',
    version: '0.1.0',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    status: 'complete',
    settings: {
      configFile: null,
      modes: ['close'],
      matrix: { name: '100:10', groups: [{ requests: 100, concurrencies: [10] }] },
      path: '/',
      tolerance: 0.1,
      alpha: 0.05,
      confidence: 0.95,
      sampling: { minRounds: 6, maxRounds: 200, maxTimeMs: 10_000, minSampleMs: 50, warmupMs: 3000 },
      remeasure: true,
      pinning: 'not pinned',
      baseline: { file: '/tmp/baseline.json', keep: 5, alert: 0.1, fail: 0.25 },
    },
    machine: MACHINE,
    servers: [],
    measurements: [],
    claims: [],
    regressions: [],
    alerts: [],
    passed: true,
  };
}
