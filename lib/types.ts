import type { Comparison } from './compare/types.ts';
import type { RunEnvelope } from './envelope.ts';
import type { CellEngine, CellOmission, CellOpenModel, LatencyPercentiles } from './cell-figures.ts';
import type { RunRequest } from './load/ab-request.ts';
import type { BenchShardFields } from './shard/record.ts';

export type { CellEngine, CellOmission, CellOpenModel, LatencyPercentiles } from './cell-figures.ts';

/**
 * Plain data shared by the launcher, the load engine, the reporters and the CLI.
 * Everything here is JSON-serialisable: it is what results.json holds.
 */

/** How a cell's requests are sent. */
export type LoadMode =
  /** ab's default: one new TCP connection per request, `GET path HTTP/1.0`, done at EOF. */
  | 'close'
  /** Persistent connections: C connections each sending requests back to back (lib/load/ab-client.ts). */
  | 'keepalive';

/**
 * One cell of a matrix: N requests at concurrency C (a closed loop, as ab), or, with
 * `durationS`, as many as C connections send in that time (`requests` is then 0); with `rate`,
 * an open model: requests sent at that many per second in all, each timed from when it was
 * meant to be sent (docs/accounting.md, "Duration and rate cells").
 */
export interface CellSpec {
  requests: number;
  concurrency: number;
  /** Seconds the cell sends for; absent: it sends `requests` requests. */
  durationS?: number;
  /** Requests per second in all (the open model); absent: a closed loop. */
  rate?: number;
}

/** A named group of cells, as the seed's tables group them ("No Test" 1, 2, 3). */
export interface MatrixGroup {
  /** Requests of each cell; 0 in a group of `durationS`. */
  requests: number;
  concurrencies: number[];
  /** Seconds each cell of the group sends for (`10s:1,10` in the text form). */
  durationS?: number;
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
 * Failed requests by ab's kinds (see FailureKind in lib/load/ab-figures.ts and docs/accounting.md
 * for the rules). As in ab, one request can count under more than one kind (a reset counts under
 * Receive and Exceptions), and Length also counts complete responses whose body length differs
 * from the document length, which are not failed requests: the sum is ab's "Failed requests"
 * line (CellResult.abFailedRequests), not the number of failed requests.
 */
export interface FailureCounts {
  /** The TCP connection could not be made (refused, unreachable). */
  connect: number;
  /** A socket error (reset, broken pipe) once connected. */
  receive: number;
  /**
   * A body of the wrong length: cut short by EOF (a close before any byte included), longer
   * than framed, or a complete body whose length differs from the document length.
   */
  length: number;
  /** Everything else: timeouts, the error half of a reset, a head over 8 KB, a framing that cannot be followed. */
  exceptions: number;
}

/** Why a cell stopped before N requests ended, as ab stops (see RunOptions.keepGoing in lib/load/common.ts). */
export interface CellStop {
  /** 'connect': a connect failed (ab stops without -r); 'timeout': a request timed out (ab's -s ends its run). */
  kind: 'connect' | 'timeout';
  /**
   * A sentence like ab's, for example "connection refused (ECONNREFUSED) at request 1 of 200: the
   * cell stopped, as ab does without -r (--keep-going goes on)".
   */
  reason: string;
  /** Requests that had ended (complete + failed) when it stopped, the one that stopped it included. */
  afterRequests: number;
}

/**
 * One cell's figures, named after the lines ab prints, with the same definitions
 * (httpd support/ab.c, output_results()).
 */
export interface CellResult extends CellEngine {
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
  /**
   * "Complete requests": requests whose response was received whole (a complete head, then a
   * body framed by Content-Length, chunked encoding, or EOF where EOF frames it). ab also counts
   * truncated responses, and with -r receive errors; Gauntlet does not (docs/accounting.md).
   */
  completeRequests: number;
  /**
   * Requests that ended without a whole response, each counted once: refused or timed-out
   * connects, resets, truncated heads and bodies, overruns, timeouts. completeRequests +
   * failedRequests = the requests that ended: `requested` unless the cell stopped, else
   * `stopped.afterRequests`. Not ab's "Failed requests" line, which is abFailedRequests.
   */
  failedRequests: number;
  /**
   * ab's "Failed requests" line: connect + receive + length + exceptions, where a request can
   * count more than once and a complete response of another length counts under Length.
   * Always set by the engine; absent from results written before it existed.
   */
  abFailedRequests?: number;
  failed: FailureCounts;
  /**
   * Set when the cell stopped before N requests ended: at its first failed connect or first
   * timeout, as ab does, unless the run was asked to keep going. Requests never started, and those
   * in flight at the stop, are neither complete nor failed.
   */
  stopped?: CellStop;
  /** "Non-2xx responses" (not failures). */
  non2xx: number;
  /** "Total transferred", bytes read including headers. */
  totalTransferred: number;
  /** "HTML transferred", body bytes only. */
  htmlTransferred: number;
  /** "Requests per second" = complete / time taken (0 when nothing completed). */
  requestsPerSecond: number;
  /** "Time per request" (mean) = concurrency * time taken * 1000 / complete, ms. */
  timePerRequestMs: number;
  /** "Time per request" (mean, across all concurrent requests) = time taken * 1000 / complete, ms. */
  timePerRequestAcrossMs: number;
  /** "Transfer rate" = bytes read by the complete requests / 1024 / time taken, KB/s. */
  transferRateKBps: number;
  /** Per-request latency of the complete requests (connect to completion in close mode), microseconds. */
  latencyUs: LatencySummary;
  /** The same latencies' percentiles up to p99.999, from an HDR histogram (absent in older records). */
  percentilesUs?: LatencyPercentiles;
  /** The duration asked for, seconds, for a cell that sent for a time rather than a count. */
  durationS?: number;
  /** What an open-model cell sent against its schedule. */
  open?: CellOpenModel;
  /** Set on a closed-loop cell whose latencies suggest coordinated omission. */
  omission?: CellOmission;
  /** Status code -> count. */
  statusCounts: Record<string, number>;
  /**
   * The TLS handshakes of a cell run over https; absent for plain TCP. The handshake is inside
   * each request's time, as in ab's connect time, and summarised here apart (docs/accounting.md).
   */
  tls?: CellTls;
}

/** The TLS handshakes of one cell (CellResult.tls). */
export interface CellTls {
  /** Handshakes completed: in close mode one per request, in keep-alive mode one per connection. */
  handshakes: number;
  /**
   * Handshake time, ms: from the TCP connection made to the TLS session established, over the
   * completed handshakes (all zeros when none completed).
   */
  handshakeMs: LatencySummary;
  /**
   * Handshakes that failed, by error code (DEPTH_ZERO_SELF_SIGNED_CERT for a self-signed
   * certificate, ERR_TLS_CERT_ALTNAME_INVALID for one that does not name the host, ECONNRESET...).
   * The request of each failed as a failed connect.
   */
  failures: Record<string, number>;
}

/** A server manifest (servers/<name>/server.json), validated. */
export interface ServerManifest {
  /** kebab-case name, unique among servers */
  name: string;
  /** Concurrency model, for example "threaded" or "async". */
  model: string;
  /** Implementation language, for example "python" or "typescript". */
  language: string;
  /** Shell command; `{port}` and `{root}` are replaced before it runs. Empty for a `url` server. */
  command: string;
  /**
   * The port the server listens on, for a command that has it written in (no `{port}`): checked
   * free before the start, and awaited. Without it, such a server's port is found from the
   * sockets its processes listen on. With `{port}` in the command, the port given there.
   */
  port?: number;
  /**
   * An http:// URL of a server already running, instead of a command: Gauntlet attaches to it,
   * neither starting nor stopping it (lib/url-server.ts). Its path is the default request path.
   */
  url?: string;
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
  /** How the server runs in a container (`--runtime container`); absent: processes only. */
  container?: ContainerManifest;
}

/** The `container` section of a manifest. Paths are relative to the server's folder. */
export interface ContainerManifest {
  /** The Dockerfile, relative to the server's folder. */
  dockerfile: string;
  /** The build context, relative to the server's folder (default "."). */
  context: string;
  /** The argv run in the container (from the image's WORKDIR), with `{port}` and `{root}`. */
  command: string[];
  /** Where the document root is mounted read-only in the container (default /srv/www). */
  root: string;
  /**
   * Which local base image to build on when it exists (`gauntlet-base/<baseImage>:local`, made by
   * scripts/docker-base-images.sh), passed as the build ARG BASE_IMAGE; otherwise the
   * Dockerfile's own default (a public image) is used.
   */
  baseImage?: string;
  /** CPU limit in CPUs (for example 1 or 0.5); the CLI's --cpus overrides it. */
  cpus?: number;
  /** Memory limit in MiB; the CLI's --memory overrides it. */
  memoryMb?: number;
}

/** Where a server ran, recorded with its results. */
export type RuntimeInfo =
  | { kind: 'process' }
  | {
      kind: 'container';
      /** The image built for this run (removed when the server stops). */
      image: string;
      /** The base image it was built on (the BASE_IMAGE build ARG), or null for the Dockerfile's default. */
      baseImage: string | null;
      /** CPU limit in CPUs, or null for none. */
      cpus: number | null;
      /** Memory limit in MiB, or null for none. */
      memoryMb: number | null;
      /** How long the image took to build, seconds. */
      buildS: number;
      /** Container engine and version, for example "Docker 20.10.24". */
      engine: string;
      /** The container's id (removed when the server stops). */
      containerId: string;
    };

/** A server that can be started: a manifest plus where it came from. */
export interface ServerSpec extends ServerManifest {
  /** Working directory of the command (the server's folder, or the current directory for --server flags). */
  cwd: string;
  /** The manifest file, or `--server flag` for an ad-hoc command. */
  source: string;
}

/** The machine a run was measured on: part of every run's envelope (lib/envelope.ts). */
export type { MachineInfo } from './envelope.ts';

/** One measured cell of one server, as results.json stores it. */
export interface CellRecord extends CellSpec {
  server: string;
  /** Index of the matrix group (0-based), the seed's "No Test" minus one. */
  group: number;
  result: CellResult;
  /** ISO time at which the cell finished. */
  finishedAt: string;
  /** The server's process tree during the cell, from /proc (Linux only). */
  resources?: CellResources;
  /** What the diagnostics read from the cell: latency clusters, failure kinds, kernel counters. */
  signals?: CellSignals;
  /**
   * Which run of the cell this is (0-based), when the cell ran in several rounds: records of
   * different servers with the same round were measured next to each other, and are paired.
   */
  round?: number;
}

/** A cell a server was not measured on, and why (it had stopped answering, or crashed). */
export interface SkippedCell extends CellSpec {
  group: number;
  /** One sentence, for example "skipped: x stopped answering in n=10 c=1". */
  reason: string;
}

/** What the warm-up before the matrix (`--warmup N`) saw: its failures are reported, not dropped. */
export interface WarmupRecord {
  requested: number;
  complete: number;
  failed: number;
  /** Set when the warm-up stopped early (a refused connect, a timeout): the engine's reason. */
  stopped?: string;
}

/**
 * The server's whole process group during one cell, sampled from /proc/<pid> for every process
 * whose process group is the server's. CPU times come from /proc in clock ticks (10 ms), so
 * they are exact only to a few ticks: short cells show them roughly.
 */
export interface CellResources {
  /** Processes in the group at the end of the cell. */
  processes: number;
  /** User and system CPU time spent during the cell, microseconds (reaped children included). */
  cpuUserUs: number;
  cpuSysUs: number;
  /** (user + sys) / complete requests, microseconds; null when nothing completed. */
  cpuUsPerRequest: number | null;
  /** Wall-clock time the CPU figures cover, microseconds (the cell, start to end of sampling). */
  wallUs: number;
  /** Resident memory of the whole group: the largest of the samples taken during the cell, bytes. */
  peakRssBytes: number;
  /** Threads of the whole group: the most seen in a sample, and at the end. */
  threadsPeak: number;
  threadsAfter: number;
  /** Open file descriptors of the whole group before the cell and once it had settled after it. */
  fdsBefore: number;
  fdsAfter: number;
  /** How many times the group was sampled. */
  samples: number;
  /**
   * Time the group's threads spent runnable but waiting for a CPU during the cell, microseconds
   * (schedstat; threads that ended during the cell are not counted). Low CPU use with a long
   * wait here is starvation by other programs, not a server waiting for its own reasons.
   */
  runDelayUs?: number;
}

/**
 * How the failed requests of a cell ended, each counted once (see FailureKind in
 * lib/load/ab-figures.ts). The last three kinds are absent from records made before they existed.
 */
export interface FailureTally {
  connect: number;
  reset: number;
  timeout: number;
  truncated: number;
  /** Bytes after the framed end of the body (more than Content-Length, after the last chunk). */
  overrun?: number;
  /** No end of head within 8 KB. */
  oversized?: number;
  /** A framing that cannot be followed (bad Content-Length, bad chunk size, a head the parser rejects). */
  malformed?: number;
}

/** Deltas of the kernel's TcpExt counters (/proc/net/netstat) over one cell; system-wide. */
export interface KernelTcpCounters {
  /** Connections that found the accept queue full (the SYN or the handshake's last ACK is dropped). */
  listenOverflows: number;
  /** Connections dropped by a listening socket, overflows included. */
  listenDrops: number;
  /** SYNs retransmitted by connecting sockets (the client's side, on this machine). */
  synRetrans: number;
  /** ACKs sent late by the delayed-ACK timer. */
  delayedAcks: number;
}

/** What the diagnostics keep of one cell's per-request records (the records themselves are not stored). */
export interface CellSignals {
  /** Requests with a time (ended at EOF or by a reset), the ones the latency figures cover. */
  timed: number;
  /**
   * Requests that took 1 s or more, by whole seconds: stallsBySecond[k - 1] counts those that
   * took from k to k + 1 seconds (the last entry also counts everything longer).
   */
  stallsBySecond: number[];
  /** Timed requests within 38-60 ms (Linux's delayed-ACK timeout plus a little) and within 190-240 ms (200 ms elsewhere). */
  near40ms: number;
  near200ms: number;
  /** Median latency of the requests in the 38-60 ms window, microseconds (null when none). */
  near40msMedianUs: number | null;
  failures: FailureTally;
  /** null where /proc/net/netstat cannot be read. */
  kernel: KernelTcpCounters | null;
  /**
   * CPU time Gauntlet's own process used during the cell, microseconds (process.cpuUsage()):
   * when it is near the cell's time, the client, not the server, set the pace.
   */
  clientCpuUs?: number;
  /**
   * Time Gauntlet's own threads spent runnable but waiting for a CPU during the cell,
   * microseconds: a starved client sends slowly, and the server then looks idle and flat.
   */
  clientRunDelayUs?: number;
}

export type FindingSeverity = 'error' | 'warning' | 'info';

/** A cell a finding is about. */
export interface FindingCell {
  group: number;
  requests: number;
  concurrency: number;
  /** Seconds, for a cell of a duration (`requests` is then 0). */
  durationS?: number;
}

/** Something the diagnostics concluded about a server, with what it rests on. */
export interface Finding {
  /** Stable identifier of the kind of finding, e.g. "accept-queue-overflow". */
  id: string;
  severity: FindingSeverity;
  server: string;
  /** The cells it was seen in (empty when it is about the run as a whole). */
  cells: FindingCell[];
  /** One sentence: what is wrong. */
  title: string;
  /** The figures it rests on, one sentence each. */
  evidence: string[];
  /** The usual cause, and what to do about it. */
  cause: string;
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
  /** The listen backlog of the server's socket as the kernel holds it (ss's Send-Q), when it could be read. */
  listenBacklog?: number | null;
  /** Where the server ran, once it started (results written before containers existed have none: processes). */
  runtime?: RuntimeInfo;
  /**
   * Set when the server answered no request in a whole cell (every request refused or timed
   * out): one sentence naming the cell and the cell's own reason. Its remaining cells are skipped.
   */
  stoppedAnswering?: string;
  /** The cells not measured because the server had stopped answering or crashed, each with the reason. */
  skippedCells?: SkippedCell[];
  /** The warm-up's outcome, when one was asked for. */
  warmup?: WarmupRecord;
  /** The URL of a server already running, which Gauntlet attached to instead of starting it. */
  url?: string;
  /** The request path used for this server, when it is not the run's (a URL server's own path). */
  path?: string;
  /**
   * Whether the server's process is observed by the diagnostics: set for URL servers only (a
   * server Gauntlet starts is always observed). When false, `unobservedReason` says why.
   */
  observed?: boolean;
  /** The pid of the process that owns a URL server's listening socket, when it was found. */
  ownerPid?: number;
  /** Why a URL server's resources are not observed (it is elsewhere, or its owner cannot be read). */
  unobservedReason?: string;
}

/** bench's results.json: the run's envelope (command 'bench', times, machine, servers...), then what was measured. */
export interface RunResults extends RunEnvelope<ServerRecord>, RunRequest, BenchShardFields {
  command: 'bench';
  mode: LoadMode;
  path: string;
  matrix: Matrix;
  cells: CellRecord[];
  /**
   * Runs of every cell per server, interleaved round by round across the servers (A B B A ...);
   * absent in results written before rounds existed: one run per cell.
   */
  rounds?: number;
  /** Whether cells went on past refused connects and timeouts (ab -r); absent: they stopped, as ab does. */
  keepGoing?: boolean;
  /** Requests per second of every cell, when the run used the open model (--rate). */
  rate?: number;
  /** The comparison of servers that differ only in concurrency model, once the run has ended. */
  comparison?: Comparison;
  /** What the diagnostics found (lib/diagnostics), kept current after every cell. */
  findings?: Finding[];
}
