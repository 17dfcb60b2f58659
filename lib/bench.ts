/**
 * `gauntlet bench`'s measuring loop: every server of the run is started once, and each cell of
 * the matrix is run `rounds` times on every server, the servers interleaved round by round
 * (A B, then B A, ...) as the gate's sampler does, so that a slow moment of the machine falls on
 * both sides of a comparison instead of deciding it. One round reproduces the seed's one-shot
 * table; the comparison then says that one run cannot tell noise from a difference.
 *
 * Time stays bounded whatever a server does: a cell stops at its first refused connect or
 * timeout (as ab does without -r; `keepGoing` is ab -r) and is not run again in later rounds, and
 * a server that answered no request in a whole cell (or in its warm-up) is marked as having
 * stopped answering: its remaining cells are skipped and recorded as skipped, with the reason, so
 * the reports show why they are empty.
 *
 * A server given by URL runs already: it is attached to, measured the same way, sent its URL's
 * path unless the run names one, and left running at the end.
 *
 * A server that talks TLS (started with `tls`, or an https:// URL) is measured over TLS: its
 * cells' target carries the server's TLS, and each cell's result its handshakes.
 *
 * results.json is rewritten after every round of every cell, so an interrupted or crashed run
 * keeps everything it measured; it holds every run of every cell.
 */
import { noteObservation, serverRecord } from './server-record.ts';
import { observationNote, observationOf, urlRequestPath } from './url-server.ts';
import type {
  CellRecord,
  CellResult,
  CellSpec,
  LoadMode,
  Matrix,
  RunResults,
  ServerRecord,
  ServerSpec,
  SkippedCell,
} from './types.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeExit, type RunningServer, type ExitInfo } from './launcher.ts';
import { launchServer, placementLaunchOptions, type ServerPlacement } from './runtime.ts';
import { matrixCells } from './matrix.ts';
import { machineInfo, gauntletVersion } from './machine.ts';
import { runCell, type CellSamples, type CellTarget, type RunOptions } from './load/index.ts';
import { runEngineCell, type LoadEngine } from './locust/engine.ts';
import { LocustEngineError } from './locust/engine-error.ts';
import type { LiveFigures } from './load/live.ts';
import { CellObserver, cellSignals, diagnoseRun, listenBacklog } from './diagnostics/index.ts';
import { medianRunsView } from './report/cells.ts';
import { cellLabel } from './report/format.ts';
import type { ResultsStore } from './results-store.ts';
import { runEnvelope } from './envelope.ts';
import { lastLines } from './output-tail.ts';
import { isAbort } from './abort.ts';
import { shapeRecord, type RequestShape } from './load/ab-request.ts';
import type { BenchShardRecord } from './shard/record.ts';

/**
 * Runs of each cell per server when the CLI is not told otherwise (`--rounds`). Ten: the
 * signed-rank test of the gate's rule needs 6 pairs at the very least to reach p < 0.05 and
 * the bootstrap interval of a median is too narrow below about 10 (the gate's minimum rounds);
 * the seed matrix over the four reference servers then takes about 40 s here.
 */
export const DEFAULT_BENCH_ROUNDS = 10;

export interface BenchOptions extends ServerPlacement {
  servers: ServerSpec[];
  matrix: Matrix;
  mode: LoadMode;
  /** Request path, ab's URL path (default "/"). */
  path: string;
  /** Send each URL server its URL's own path instead of `path` (default true: --path not given). */
  urlPaths?: boolean;
  /**
   * How every request departs from ab's GET of `path` (method, headers, body, several paths
   * taken round robin); absent: ab's request.
   */
  shape?: RequestShape;
  /** Document root passed to the servers as {root}. */
  root: string;
  /** Requests sent at concurrency 1 before the matrix and not recorded (0: none, as ab does). */
  warmup: number;
  /** Per-request timeout, ms (ab's -s: 30 s). */
  timeoutMs?: number;
  /**
   * Runs of each cell per server, interleaved across servers (default 1 here, the seed's one-shot
   * table; the CLI's default is DEFAULT_BENCH_ROUNDS).
   */
  rounds?: number;
  /** Go on past refused connects and timeouts, counting them as failed (ab -r); default false. */
  keepGoing?: boolean;
  /** Requests per second of every cell (the open model, --rate); absent: closed loops, as ab. */
  rate?: number;
  /** The engine that sends the cells (default: Gauntlet's own; the warm-up is always its). */
  engine?: LoadEngine;
  store: ResultsStore;
  /** --shard: which part of the servers this run measures, recorded in results.json. */
  shard?: BenchShardRecord;
  /** Ctrl-C: stop starting cells, stop the server, keep what was measured. */
  signal?: AbortSignal;
}

/** Which run of how many a cell start is, when cells run in rounds. */
export interface RoundInfo {
  index: number;
  count: number;
}

/** What a run reports while it goes, for progress display. */
export interface BenchEvents {
  serverStarting?(spec: ServerSpec, index: number, count: number): void;
  serverReady?(server: RunningServer): void;
  /** Something to know about a server once it answers (a URL server's resources not observed). */
  serverNote?(spec: ServerSpec, note: string): void;
  serverFailed?(spec: ServerSpec, message: string): void;
  cellStarted?(spec: ServerSpec, cell: CellSpec, index: number, count: number, round?: RoundInfo): void;
  cellProgress?(done: number, total: number): void;
  /** About once a second during a cell: requests/s of the last second and p99 so far. */
  cellLive?(figures: LiveFigures): void;
  cellDone?(record: CellRecord): void;
  serverStopped?(spec: ServerSpec, exit: string): void;
}

export class BenchInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'BenchInterrupted';
  }
}

async function exitWithin(server: RunningServer, ms: number): Promise<ExitInfo | null> {
  return Promise.race([server.exited, sleep(ms, null, { ref: false })]);
}

/** Checks `rounds` (a positive whole number), naming the bad value. */
export function checkRounds(rounds: number): number {
  if (!Number.isSafeInteger(rounds) || rounds < 1) {
    throw new RangeError(`rounds must be a whole number of at least 1, got ${String(rounds)}`);
  }
  return rounds;
}

/**
 * The order the live servers run in at one step of the interleaving: as listed at even steps,
 * reversed at odd ones (A B, B A, A B ...), the order the gate's sampler uses, so that neither
 * side always goes first.
 */
export function interleavedOrder<T>(items: readonly T[], step: number): T[] {
  return step % 2 === 1 ? [...items].reverse() : [...items];
}

/** The sentence for a server that answered nothing in a cell, from the cell's own stop reason. */
export function stoppedAnsweringSentence(name: string, where: string, result: CellResult): string {
  const why = result.stopped
    ? result.stopped.reason
    : `${result.failedRequests} of ${result.requested} requests failed${failureKinds(result)}`;
  return `${name} stopped answering: no request of ${where} completed (${why})`;
}

/** ": length 10, exceptions 2", ab's kinds of the failures that are not zero (empty when none are). */
function failureKinds(result: CellResult): string {
  const kinds = Object.entries(result.failed)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`);
  return kinds.length ? ` (${kinds.join(', ')})` : '';
}

/** Whether a run shows a server that answers nothing: not one complete response. */
export function answeredNothing(result: CellResult): boolean {
  return result.completeRequests === 0;
}

/** The cells after index `from` of the matrix, marked skipped with one reason. */
export function skippedAfter(
  cells: ReadonlyArray<CellSpec & { group: number }>,
  from: number,
  reason: string,
): SkippedCell[] {
  return cells.slice(from + 1).map((c) => ({
    group: c.group,
    requests: c.requests,
    concurrency: c.concurrency,
    ...(c.durationS !== undefined && { durationS: c.durationS }),
    reason,
  }));
}

/** One server of the run: its record, and while it is measured, the running process. */
interface Entry {
  spec: ServerSpec;
  record: ServerRecord;
  server: RunningServer | null;
  target: CellTarget | null;
  /** No more cells: it failed to start, crashed or stopped answering. */
  done: boolean;
  /**
   * The cell (its index) whose run the engine stopped early: its remaining rounds are not run.
   * A failed cell is never ranked, so more runs of it would add time (up to a timeout each) and
   * nothing to the verdict.
   */
  stoppedCell?: number;
}

/**
 * Runs the matrix against every server: each started once, every cell run `rounds` times with
 * the servers interleaved (two idle servers do not measure each other: only one is under load at
 * any moment). Resolves to the run's results, also kept in the store.
 */
export async function runBench(opts: BenchOptions, events: BenchEvents = {}): Promise<RunResults> {
  const rounds = checkRounds(opts.rounds ?? 1);
  const results: RunResults = {
    ...runEnvelope<ServerRecord, 'bench'>('bench', { version: gauntletVersion(), machine: machineInfo() }),
    mode: opts.mode,
    path: opts.path,
    matrix: opts.matrix,
    rounds,
    keepGoing: Boolean(opts.keepGoing),
    ...(opts.rate !== undefined && { rate: opts.rate }),
    request: shapeRecord(opts.shape, opts.path),
    ...(opts.shard && { shard: opts.shard }),
    cells: [],
    findings: [],
  };
  await opts.store.save(results);
  const cells = matrixCells(opts.matrix, opts.rate);
  const entries: Entry[] = [];

  try {
    for (const [i, spec] of opts.servers.entries()) {
      if (opts.signal?.aborted) throw new BenchInterrupted();
      const entry: Entry = { spec, record: serverRecord(spec, opts.runtime), server: null, target: null, done: false };
      entries.push(entry);
      results.servers.push(entry.record);
      await opts.store.save(results);
      events.serverStarting?.(spec, i, opts.servers.length);
      await startServer(entry, opts, cells, events);
      await opts.store.save(results);
    }
    let step = 0;
    for (const j of cells.keys()) {
      for (let round = 0; round < rounds; round++) {
        const live = entries.filter((e) => !e.done && e.stoppedCell !== j);
        if (live.length === 0) break;
        for (const entry of interleavedOrder(live, step++)) {
          if (opts.signal?.aborted) throw new BenchInterrupted();
          await measureRun(entry, cells, j, { index: round, count: rounds }, opts, results, events);
        }
        await opts.store.save(results);
      }
      // The diagnostics read the median run of each cell, the run the tables show.
      results.findings = diagnoseRun({ servers: results.servers, cells: medianRunsView(results) });
      await opts.store.save(results);
    }
    results.status = 'complete';
  } catch (err) {
    results.status = isAbort(err, opts.signal) || err instanceof BenchInterrupted ? 'interrupted' : 'failed';
    if (results.status === 'failed') throw err;
  } finally {
    for (const entry of entries) {
      if (!entry.server) continue;
      const exit = await entry.server.stop();
      const attached = observationOf(entry.server) !== undefined;
      events.serverStopped?.(entry.spec, attached ? 'left running: not started by Gauntlet' : describeExit(exit));
    }
    results.findings = diagnoseRun({ servers: results.servers, cells: medianRunsView(results) });
    results.finishedAt = new Date().toISOString();
    await opts.store.save(results);
  }
  return results;
}

/** Starts one server, reads its backlog and runs its warm-up; marks it done when any of that fails. */
async function startServer(
  entry: Entry,
  opts: BenchOptions,
  cells: ReadonlyArray<CellSpec & { group: number }>,
  events: BenchEvents,
): Promise<void> {
  const { spec, record } = entry;
  try {
    entry.server = await launchServer(spec, { root: opts.root, ...placementLaunchOptions(opts) });
  } catch (err) {
    record.error = (err as Error).message;
    entry.done = true;
    events.serverFailed?.(spec, record.error);
    return;
  }
  const server = entry.server;
  if (server.runtime) record.runtime = server.runtime;
  noteObservation(record, server);
  events.serverReady?.(server);
  const note = observationNote(server);
  if (note) events.serverNote?.(spec, note);
  const ownPath = opts.urlPaths === false ? undefined : urlRequestPath(spec);
  if (ownPath !== undefined && ownPath !== opts.path) record.path = ownPath;
  const path = ownPath ?? opts.path;
  entry.target = {
    host: server.host,
    port: server.port,
    path,
    mode: opts.mode,
    timeoutMs: opts.timeoutMs,
    ...(server.tls && { tls: server.tls }),
    ...(opts.shape && { shape: opts.shape }),
  };
  // The backlog decides whether accept-queue drops seen during a cell can be the server's.
  // A URL server not observed may be on another machine, whose sockets are not in this one's
  // tables: a local socket on the same port would be read instead.
  const elsewhere = observationOf(server)?.observed === false;
  record.listenBacklog = elsewhere ? null : await listenBacklog(server.port, server.host);
  if (opts.warmup > 0) await warmUp(entry, opts, cells, events);
}

/**
 * The warm-up, bounded as a cell is (it stops at the first refused connect or timeout unless
 * keepGoing), its failures recorded on the server; a warm-up that got no answer at all marks the
 * server as having stopped answering before its first cell.
 */
async function warmUp(
  entry: Entry,
  opts: BenchOptions,
  cells: ReadonlyArray<CellSpec & { group: number }>,
  events: BenchEvents,
): Promise<void> {
  const { record, spec } = entry;
  const engine: RunOptions = { signal: opts.signal, keepGoing: Boolean(opts.keepGoing) };
  let result: CellResult;
  try {
    result = await runCell(entry.target!, { requests: opts.warmup, concurrency: 1 }, engine);
  } catch (err) {
    if (isAbort(err, opts.signal)) throw new BenchInterrupted();
    record.error = `the warm-up could not be run: ${(err as Error).message}`;
    entry.done = true;
    events.serverFailed?.(spec, record.error);
    return;
  }
  record.warmup = {
    requested: result.requested,
    complete: result.completeRequests,
    failed: result.failedRequests,
    ...(result.stopped ? { stopped: result.stopped.reason } : {}),
  };
  if (!answeredNothing(result)) return;
  record.stoppedAnswering = stoppedAnsweringSentence(spec.name, `the ${result.requested}-request warm-up`, result);
  record.skippedCells = skippedAfter(cells, -1, `skipped: ${spec.name} stopped answering during the warm-up`);
  entry.done = true;
  events.serverFailed?.(spec, record.stoppedAnswering);
}

/** "100 x 10" (N x C), or "6s x 10" for a cell of a duration: how errors name a cell. */
function cellSize(cell: CellSpec): string {
  return `${cell.durationS !== undefined ? `${cell.durationS}s` : cell.requests} x ${cell.concurrency}`;
}

/** One run of cell `j` on one server: measured, recorded, then checked for a crash or a server that stopped answering. */
async function measureRun(
  entry: Entry,
  cells: ReadonlyArray<CellSpec & { group: number }>,
  j: number,
  round: RoundInfo,
  opts: BenchOptions,
  results: RunResults,
  events: BenchEvents,
): Promise<void> {
  const { spec, record } = entry;
  const server = entry.server!;
  const cell = cells[j]!;
  const where = cellLabel(cell);
  events.cellStarted?.(spec, cell, j, cells.length, round);
  let result: CellResult;
  let samples: CellSamples;
  // Diagnostics: the server's process group and the kernel's TCP counters, read around the run.
  const observer = CellObserver.start(server.pid);
  const engine: RunOptions = {
    signal: opts.signal,
    keepGoing: Boolean(opts.keepGoing),
    onProgress: (done, total) => events.cellProgress?.(done, total),
    // Tallied only for a display that shows it: the tally reads every record once more.
    ...(events.cellLive && { onLive: (figures: LiveFigures) => events.cellLive?.(figures) }),
  };
  try {
    ({ result, samples } = await runEngineCell(opts.engine, entry.target!, cell, engine));
  } catch (err) {
    observer.cancel();
    if (isAbort(err, opts.signal)) throw new BenchInterrupted();
    // The engine failed, not the server: the run stops (results.json keeps what was measured).
    if (err instanceof LocustEngineError)
      throw new LocustEngineError(`Locust could not measure ${spec.name} in ${where}: ${err.message}`);
    record.error = `cell ${cellSize(cell)} could not be measured: ${(err as Error).message}`;
    record.skippedCells = skippedAfter(cells, j, `skipped: ${spec.name} could not be measured in ${where}`);
    entry.done = true;
    events.serverFailed?.(spec, record.error);
    return;
  }
  const cellRecord: CellRecord = {
    server: spec.name,
    group: cell.group,
    requests: cell.requests,
    concurrency: cell.concurrency,
    ...(cell.durationS !== undefined && { durationS: cell.durationS }),
    ...(cell.rate !== undefined && { rate: cell.rate }),
    result,
    finishedAt: new Date().toISOString(),
  };
  if (round.count > 1) cellRecord.round = round.index;
  const observed = await observer.finish(result.completeRequests);
  if (observed.resources) cellRecord.resources = observed.resources;
  cellRecord.signals = {
    ...cellSignals(samples, observed.kernel),
    clientCpuUs: observed.clientCpuUs,
    ...(observed.clientRunDelayUs === null ? {} : { clientRunDelayUs: observed.clientRunDelayUs }),
  };
  results.cells.push(cellRecord);
  events.cellDone?.(cellRecord);

  // A server that died mid-cell shows as failed requests before its exit reaches us: give the
  // exit a moment to arrive, so that the crash is named rather than mistaken for slowness.
  const exit = server.exitInfo() ?? (result.failedRequests > 0 ? await exitWithin(server, 500) : null);
  if (exit) {
    const tail = lastLines(server);
    // The run is kept (its failures are what the crash looked like from outside), the rest skipped.
    record.error = `crashed during cell ${cellSize(cell)} (${describeExit(exit)})${tail ? `\n${tail}` : ''}`;
    record.skippedCells = skippedAfter(cells, j, `skipped: ${spec.name} crashed during ${where}`);
    entry.done = true;
    events.serverFailed?.(spec, record.error);
    return;
  }
  if (result.stopped) entry.stoppedCell = j;
  if (answeredNothing(result)) {
    record.stoppedAnswering = stoppedAnsweringSentence(spec.name, where, result);
    record.skippedCells = skippedAfter(cells, j, `skipped: ${spec.name} stopped answering in ${where}`);
    entry.done = true;
    events.serverFailed?.(spec, record.stoppedAnswering);
  }
}
