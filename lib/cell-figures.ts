/**
 * The figures a cell reports beyond ab's: its latency spectrum, what an open-model cell sent
 * against its schedule, and the sign of coordinated omission in a closed loop. Plain data, part
 * of CellResult (types.ts), kept apart to keep that file readable.
 */

/**
 * Latency percentiles in microseconds, from an HDR histogram of the complete requests
 * (three significant digits): p99_9 is p99.9, p99_99 is p99.99, p99_999 is p99.999.
 */
export interface LatencyPercentiles {
  p50: number;
  p75: number;
  p90: number;
  p99: number;
  p99_9: number;
  p99_99: number;
  p99_999: number;
  max: number;
}

/**
 * What an open-model cell (a `rate`) sent against what it was asked to: the schedule puts request
 * k at start + k / rate; a request that finds no free connection waits, and its latency still
 * counts from its intended time.
 */
export interface CellOpenModel {
  /** Requests per second asked for, over all connections. */
  targetRate: number;
  /** How long the schedule lasted, seconds: the cell's duration, or requests / rate. */
  scheduledS: number;
  /** Requests the schedule held. */
  scheduled: number;
  /** Requests written to a connection (a request still waiting one timeout after its time is failed unsent). */
  sent: number;
  /** sent / scheduledS. */
  achievedRate: number;
  /** completeRequests / scheduledS. */
  completedRate: number;
  /** The longest a request waited past its intended time before it was written, ms. */
  maxSendDelayMs: number;
}

/**
 * Set on a closed-loop cell whose latencies look like coordinated omission: a few requests
 * (`stalledShare` of them) took most of the connections' time (`timeShare`), so the load
 * generator sent nothing while they waited, and its percentiles under-count what steady clients
 * would have seen. An open-model run (`--rate`) measures it.
 */
export interface CellOmission {
  /** Latency above which a request counts as stalled: 20 x the median, and at least 10 ms, microseconds. */
  thresholdUs: number;
  stalled: number;
  /** stalled / complete requests. */
  stalledShare: number;
  /** The stalled requests' summed time / (concurrency x time taken). */
  timeShare: number;
  /** One sentence saying so. */
  note: string;
}

/**
 * Which engine sent a cell's load when it is not Gauntlet's own (part of CellResult): 'locust'
 * (`--engine locust`), whose figures are read from Locust's statistics (docs/accounting.md,
 * "Locust cells"). All absent for Gauntlet's engine.
 */
export interface CellEngine {
  engine?: 'locust';
  /** Locust's workers connected when the cell started. */
  workers?: number;
  /** Where this engine's figures differ from ab's definitions, one sentence each. */
  engineNotes?: string[];
}
