import type { Comparison } from './compare.ts';

/**
 * Plain data shared by the launcher, the load engine, the reporters and the CLI.
 * Everything here is JSON-serialisable: it is what results.json holds.
 */

/** How a cell's requests are sent. */
export type LoadMode =
  /** ab's default: one new TCP connection per request, `GET path HTTP/1.0`, done at EOF. */
  | 'close'
  /** Persistent connections (autocannon), C connections each sending requests back to back. */
  | 'keepalive';

/** One cell of a matrix: N requests at concurrency C. */
export interface CellSpec {
  requests: number;
  concurrency: number;
}

/** A named group of cells, as the seed's tables group them ("No Test" 1, 2, 3). */
export interface MatrixGroup {
  requests: number;
  concurrencies: number[];
}

export interface Matrix {
  name: string;
  groups: MatrixGroup[];
}

/** Where and how to send one cell's load. */
export interface LoadTarget {
  host: string;
  port: number;
  path: string;
  mode: LoadMode;
  /** Per-request timeout (ab's -s, default 30 s). A request that exceeds it is an exception. */
  timeoutMs?: number;
}

/** Latency summary in microseconds. */
export interface LatencySummary {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Failed requests, each kind counted as ab.c counts them (see lib/load/ab-figures.ts for the
 * full rules). As in ab, one request can count under more than one kind: a reset counts under
 * Receive and Exceptions, and under Length when its body length differs.
 */
export interface FailureCounts {
  /** The TCP connection could not be made (refused, unreachable). */
  connect: number;
  /** A socket error while reading (reset, broken pipe). */
  receive: number;
  /** A body length different from the document length, a connection closed without an answer included. */
  length: number;
  /** Everything else: timeouts, the error half of a reset. */
  exceptions: number;
}

/**
 * One cell's figures, named after the lines ab prints, with the same definitions
 * (httpd support/ab.c, output_results()).
 */
export interface CellResult {
  mode: LoadMode;
  path: string;
  /** "Server Software": the Server header of the first response, if any. */
  serverSoftware: string | null;
  /** "Document Length": body length of the first good response. */
  documentLength: number | null;
  /** "Concurrency Level" */
  concurrencyLevel: number;
  /** Requests asked for (ab -n). */
  requested: number;
  /** "Time taken for tests", seconds. */
  timeTakenS: number;
  /** "Complete requests" */
  completeRequests: number;
  /** "Failed requests" = connect + receive + length + exceptions */
  failedRequests: number;
  failed: FailureCounts;
  /** "Non-2xx responses" (not failures). */
  non2xx: number;
  /** "Total transferred", bytes read including headers. */
  totalTransferred: number;
  /** "HTML transferred", body bytes only. */
  htmlTransferred: number;
  /** "Requests per second" = complete / time taken. */
  requestsPerSecond: number;
  /** "Time per request" (mean) = concurrency * time taken * 1000 / complete, ms. */
  timePerRequestMs: number;
  /** "Time per request" (mean, across all concurrent requests) = time taken * 1000 / complete, ms. */
  timePerRequestAcrossMs: number;
  /** "Transfer rate" = total transferred / 1024 / time taken, KB/s. */
  transferRateKBps: number;
  /** Per-request latency (connect to completion in close mode), microseconds. */
  latencyUs: LatencySummary;
  /** Status code -> count. */
  statusCounts: Record<string, number>;
}

/** A server manifest (servers/<name>/server.json), validated. */
export interface ServerManifest {
  /** kebab-case name, unique among servers */
  name: string;
  /** Concurrency model, for example "threaded" or "async". */
  model: string;
  /** Implementation language, for example "python" or "typescript". */
  language: string;
  /** Shell command; `{port}` and `{root}` are replaced before it runs. */
  command: string;
  /** Extra environment variables for the server process. */
  env?: Record<string, string>;
  description?: string;
  /** Path fetched to decide the server is ready (default "/"). Any HTTP status counts as ready. */
  readyPath?: string;
  /** How long the server may take to become ready, ms (default 15000). */
  readyTimeoutMs?: number;
  /**
   * Optional features the server offers, which conformance cases may need (for example "echo":
   * POST /echo answers the request body). Default none: cases needing a feature are skipped.
   */
  capabilities?: string[];
}

/** A server that can be started: a manifest plus where it came from. */
export interface ServerSpec extends ServerManifest {
  /** Working directory of the command (the server's folder, or the current directory for --server flags). */
  cwd: string;
  /** The manifest file, or `--server flag` for an ad-hoc command. */
  source: string;
}

/** The machine and runtime a run was measured on. */
export interface MachineInfo {
  hostname: string;
  platform: string;
  release: string;
  arch: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  node: string;
  python: string | null;
  gauntlet: string;
}

/** One measured cell of one server, as results.json stores it. */
export interface CellRecord extends CellSpec {
  server: string;
  /** Index of the matrix group (0-based), the seed's "No Test" minus one. */
  group: number;
  result: CellResult;
  /** ISO time at which the cell finished. */
  finishedAt: string;
}

/** A server's outcome in a run. */
export interface ServerRecord {
  name: string;
  model: string;
  language: string;
  command: string;
  source: string;
  /** Set when the server could not be started or crashed mid-run. */
  error?: string;
}

/** The whole of results.json. */
export interface RunResults {
  tool: 'gauntlet';
  version: string;
  startedAt: string;
  finishedAt: string | null;
  /** "complete", "interrupted" (Ctrl-C) or "failed" (an error ended it). */
  status: 'running' | 'complete' | 'interrupted' | 'failed';
  mode: LoadMode;
  path: string;
  matrix: Matrix;
  machine: MachineInfo;
  servers: ServerRecord[];
  cells: CellRecord[];
  /** The comparison of servers that differ only in concurrency model, once the run has ended. */
  comparison?: Comparison;
}
