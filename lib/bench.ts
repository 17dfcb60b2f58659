import type { CellRecord, CellResult, CellSpec, LoadMode, Matrix, RunResults, ServerRecord, ServerSpec } from './types.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeExit, type RunningServer, type ExitInfo } from './launcher.ts';
import { launchServer, type Runtime } from './runtime.ts';
import { matrixCells } from './matrix.ts';
import { machineInfo, gauntletVersion } from './machine.ts';
import { runCell, runCellWithSamples, type CellSamples } from './load/index.ts';
import { CellObserver, cellSignals, diagnoseRun, listenBacklog } from './diagnostics/index.ts';
import type { ResultsStore } from './results-store.ts';

export interface BenchOptions {
  servers: ServerSpec[];
  matrix: Matrix;
  mode: LoadMode;
  /** Request path, ab's URL path (default "/"). */
  path: string;
  /** Document root passed to the servers as {root}. */
  root: string;
  /** Requests sent at concurrency 1 before the matrix and not recorded (0: none, as ab does). */
  warmup: number;
  /** Per-request timeout, ms (ab's -s: 30 s). */
  timeoutMs?: number;
  store: ResultsStore;
  /** Ctrl-C: stop starting cells, stop the server, keep what was measured. */
  signal?: AbortSignal;
  /** Where the servers run (default process). */
  runtime?: Runtime;
  /** Container CPU limit (overrides the manifest's). */
  cpus?: number;
  /** Container memory limit, MiB (overrides the manifest's). */
  memoryMb?: number;
}

/** What a run reports while it goes, for progress display. */
export interface BenchEvents {
  serverStarting?(spec: ServerSpec, index: number, count: number): void;
  serverReady?(server: RunningServer): void;
  serverFailed?(spec: ServerSpec, message: string): void;
  cellStarted?(spec: ServerSpec, cell: CellSpec, index: number, count: number): void;
  cellProgress?(done: number, total: number): void;
  cellDone?(record: CellRecord): void;
  serverStopped?(spec: ServerSpec, exit: string): void;
}

export class BenchInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'BenchInterrupted';
  }
}

/** The last lines of a server's stderr (or stdout), for an error message. */
function outputTail(server: RunningServer, lines = 8): string {
  const text = (server.stderr().trim() || server.stdout().trim()).split('\n').slice(-lines).join('\n');
  return text ? `\n${text}` : '';
}

async function exitWithin(server: RunningServer, ms: number): Promise<ExitInfo | null> {
  return Promise.race([server.exited, sleep(ms, null, { ref: false })]);
}

function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted) || (err instanceof Error && err.name === 'AbortError');
}

/**
 * Runs the matrix against each server in turn (one server at a time: two servers sharing the
 * machine's cores would measure each other). results.json is rewritten after every cell, so an
 * interrupted or crashed run keeps everything it measured.
 */
export async function runBench(opts: BenchOptions, events: BenchEvents = {}): Promise<RunResults> {
  const results: RunResults = {
    tool: 'gauntlet',
    version: gauntletVersion(),
    startedAt: new Date().toISOString(),
    finishedAt: null,
    status: 'running',
    mode: opts.mode,
    path: opts.path,
    matrix: opts.matrix,
    machine: machineInfo(),
    servers: [],
    cells: [],
    findings: [],
  };
  await opts.store.save(results);
  const cells = matrixCells(opts.matrix);

  try {
    for (const [i, spec] of opts.servers.entries()) {
      if (opts.signal?.aborted) throw new BenchInterrupted();
      const record: ServerRecord = {
        name: spec.name,
        model: spec.model,
        language: spec.language,
        // In a container the manifest's container argv runs, not its process command.
        command: opts.runtime === 'container' && spec.container ? spec.container.command.join(' ') : spec.command,
        source: spec.source,
      };
      results.servers.push(record);
      await opts.store.save(results);
      events.serverStarting?.(spec, i, opts.servers.length);

      let server: RunningServer;
      try {
        server = await launchServer(spec, { root: opts.root, runtime: opts.runtime, cpus: opts.cpus, memoryMb: opts.memoryMb });
      } catch (err) {
        record.error = (err as Error).message;
        events.serverFailed?.(spec, record.error);
        await opts.store.save(results);
        continue;
      }
      if (server.runtime) record.runtime = server.runtime;
      await opts.store.save(results);
      events.serverReady?.(server);
      try {
        await benchServer(server, cells, opts, results, record, events);
      } finally {
        const exit = await server.stop();
        events.serverStopped?.(spec, describeExit(exit));
      }
      await opts.store.save(results);
    }
    results.status = 'complete';
  } catch (err) {
    results.status = isAbort(err, opts.signal) ? 'interrupted' : 'failed';
    if (results.status === 'failed') throw err;
  } finally {
    results.finishedAt = new Date().toISOString();
    await opts.store.save(results);
  }
  return results;
}

async function benchServer(
  server: RunningServer,
  cells: Array<CellSpec & { group: number }>,
  opts: BenchOptions,
  results: RunResults,
  record: ServerRecord,
  events: BenchEvents,
): Promise<void> {
  const target = { host: server.host, port: server.port, path: opts.path, mode: opts.mode, timeoutMs: opts.timeoutMs };
  // The backlog decides whether accept-queue drops seen during a cell can be the server's.
  record.listenBacklog = await listenBacklog(server.port, server.host);
  if (opts.warmup > 0) {
    await runCell(target, { requests: opts.warmup, concurrency: 1 }, { signal: opts.signal });
  }
  for (const [j, cell] of cells.entries()) {
    if (opts.signal?.aborted) throw new BenchInterrupted();
    events.cellStarted?.(server.spec, cell, j, cells.length);
    let result: CellResult;
    let samples: CellSamples;
    // Diagnostics: the server's process group and the kernel's TCP counters, read around the cell.
    const observer = CellObserver.start(server.pid);
    try {
      ({ result, samples } = await runCellWithSamples(target, cell, {
        signal: opts.signal,
        onProgress: (done, total) => events.cellProgress?.(done, total),
      }));
    } catch (err) {
      observer.cancel();
      if (isAbort(err, opts.signal)) throw new BenchInterrupted();
      record.error = `cell ${cell.requests} x ${cell.concurrency} could not be measured: ${(err as Error).message}`;
      events.serverFailed?.(server.spec, record.error);
      return;
    }
    const cellRecord: CellRecord = {
      server: server.name,
      group: cell.group,
      requests: cell.requests,
      concurrency: cell.concurrency,
      result,
      finishedAt: new Date().toISOString(),
    };
    const observed = await observer.finish(result.completeRequests);
    if (observed.resources) cellRecord.resources = observed.resources;
    cellRecord.signals = {
      ...cellSignals(samples, observed.kernel),
      clientCpuUs: observed.clientCpuUs,
      ...(observed.clientRunDelayUs === null ? {} : { clientRunDelayUs: observed.clientRunDelayUs }),
    };
    results.cells.push(cellRecord);
    results.findings = diagnoseRun(results);
    await opts.store.save(results);
    events.cellDone?.(cellRecord);
    // A server that died mid-cell shows as failed requests before its exit reaches us: give the
    // exit a moment to arrive, so that the crash is named rather than mistaken for slowness.
    const exit = server.exitInfo() ?? (result.failedRequests > 0 ? await exitWithin(server, 500) : null);
    if (exit) {
      // The cell is kept (its failures are what the crash looked like from outside), the rest skipped.
      record.error = `crashed during cell ${cell.requests} x ${cell.concurrency} (${describeExit(exit)})${outputTail(server)}`;
      events.serverFailed?.(server.spec, record.error);
      return;
    }
  }
}
