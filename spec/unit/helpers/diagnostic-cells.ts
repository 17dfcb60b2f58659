/**
 * Cell records for the diagnostics' rules, built from the few figures a rule reads: each
 * test states the signature it is about and leaves the rest healthy.
 */
import type {
  CellRecord,
  CellResources,
  CellSignals,
  FailureCounts,
  KernelTcpCounters,
  LoadMode,
  ServerRecord,
} from '../../../lib/types.ts';

export interface CellSketch {
  server?: string;
  group?: number;
  requests: number;
  concurrency: number;
  mode?: LoadMode;
  /** Time taken, seconds (default: requests at 5000/s). */
  seconds?: number;
  /** Median latency, ms (default 0.3). */
  p50Ms?: number;
  statusCounts?: Record<string, number>;
  failed?: Partial<FailureCounts>;
  signals?: Partial<Omit<CellSignals, 'kernel'>> & { kernel?: Partial<KernelTcpCounters> | null };
  /** null: no resource figures (not Linux). */
  resources?: Partial<CellResources> | null;
}

export function serverRecord(name = 'srv', listenBacklog: number | null = 1024): ServerRecord {
  return {
    name,
    model: 'threaded',
    language: 'python',
    command: 'python3 server.py {port}',
    source: 'test',
    listenBacklog,
  };
}

export function cell(s: CellSketch): CellRecord {
  const seconds = s.seconds ?? s.requests / 5000;
  const statusCounts = s.statusCounts ?? { '200': s.requests };
  const non2xx = Object.entries(statusCounts).reduce((n, [k, v]) => (/^2/.test(k) ? n : n + v), 0);
  const failed: FailureCounts = { connect: 0, receive: 0, length: 0, exceptions: 0, ...s.failed };
  const failedRequests = failed.connect + failed.receive + failed.length + failed.exceptions;
  const p50 = (s.p50Ms ?? 0.3) * 1000;
  const rps = s.requests / seconds;
  const kernel: KernelTcpCounters | null =
    s.signals?.kernel === null
      ? null
      : { listenOverflows: 0, listenDrops: 0, synRetrans: 0, delayedAcks: 0, ...s.signals?.kernel };
  const signals: CellSignals = {
    timed: s.requests,
    stallsBySecond: [],
    near40ms: 0,
    near200ms: 0,
    near40msMedianUs: null,
    failures: { connect: 0, reset: 0, timeout: 0, truncated: 0 },
    clientCpuUs: seconds * 1e6 * 0.05,
    ...s.signals,
    kernel,
  };
  const wallUs = seconds * 1e6;
  const resources: CellResources = {
    processes: 1,
    cpuUserUs: wallUs * 0.6,
    cpuSysUs: wallUs * 0.2,
    cpuUsPerRequest: (wallUs * 0.8) / s.requests,
    wallUs,
    peakRssBytes: 20 * 1024 * 1024,
    threadsPeak: 1,
    threadsAfter: 1,
    fdsBefore: 6,
    fdsAfter: 6,
    samples: 3,
    ...s.resources,
  };
  return {
    server: s.server ?? 'srv',
    group: s.group ?? 0,
    requests: s.requests,
    concurrency: s.concurrency,
    finishedAt: '2026-01-01T00:00:00.000Z',
    result: {
      mode: s.mode ?? 'close',
      path: '/',
      serverSoftware: 'test',
      documentLength: 100,
      concurrencyLevel: s.concurrency,
      requested: s.requests,
      timeTakenS: seconds,
      completeRequests: s.requests,
      failedRequests,
      failed,
      non2xx,
      totalTransferred: s.requests * 250,
      htmlTransferred: s.requests * 100,
      requestsPerSecond: rps,
      timePerRequestMs: (s.concurrency * seconds * 1000) / s.requests,
      timePerRequestAcrossMs: (seconds * 1000) / s.requests,
      transferRateKBps: (s.requests * 250) / 1024 / seconds,
      latencyUs: { min: p50 / 2, mean: p50, p50, p90: p50 * 1.5, p99: p50 * 2, max: p50 * 3 },
      statusCounts,
    },
    signals,
    ...(s.resources === null ? {} : { resources }),
  };
}

/** A resources sketch: the server used `share` of one core over the cell. */
export function cpuShare(share: number, seconds: number): Partial<CellResources> {
  return { cpuUserUs: share * seconds * 1e6, cpuSysUs: 0, wallUs: seconds * 1e6 };
}
