/**
 * A conformance run over several servers, one at a time, and its report files: what
 * `gauntlet check` does, and what `gauntlet bench` does after measuring the same servers.
 */
import type { ServerSpec } from '../types.ts';
import type { CaseInfo, CaseResult, CheckRun, CheckServerRecord, ServerDeath } from './types.ts';
import type { LoadedCase } from './registry.ts';
import type { ResultsStore } from '../results-store.ts';
import { describeExit, type RunningServer } from '../launcher.ts';
import { launchServer, type Runtime, type ServerLaunchOptions } from '../runtime.ts';
import { gauntletVersion } from '../machine.ts';
import { caseInfo } from './registry.ts';
import { CONFORMANCE_ENV, DEFAULT_CASE_TIMEOUT_MS, runCasesDetailed, type ServerWatch } from './runner.ts';
import { printfReplay, serverFlagFor } from './wire-log.ts';
import { renderJunit } from './junit.ts';
import { renderCheckJson } from './json.ts';
import { renderCheckHtml } from './html.ts';

/** What a check reports while it goes. */
export interface CheckEvents {
  starting?(spec: ServerSpec, index: number, count: number): void;
  ready?(server: RunningServer, cases: number): void;
  result?(result: CaseResult, done: number, total: number): void;
  finished?(name: string, results: CaseResult[], ms: number): void;
  failed?(name: string, message: string): void;
  /** The server exited during the check; `death` says whether it was started again. */
  exited?(name: string, death: ServerDeath, server: RunningServer): void;
}

export interface CheckOptions {
  servers: ServerSpec[];
  /** The cases to run, as loaded (their file is kept for the reports). */
  cases: LoadedCase[];
  /** Document root given to the servers as {root}. */
  root: string;
  /** Cases run at once against a server, each on its own connection. */
  concurrency: number;
  /** Stops starting cases; what was checked is kept and the run is marked interrupted. */
  signal?: AbortSignal;
  /** Where the servers run (default process). */
  runtime?: Runtime;
  /** Container CPU limit (overrides the manifest's). */
  cpus?: number;
  /** Container memory limit, MiB (overrides the manifest's). */
  memoryMb?: number;
}

/** The cases as reports show them, with the printf line that replays each. */
export function caseInfos(loaded: readonly LoadedCase[]): CaseInfo[] {
  return loaded.map((l) => ({
    ...caseInfo(l),
    printfReplay: printfReplay(l.case.request),
    timeoutMs: l.case.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS,
  }));
}

function tailText(server: RunningServer, lines = 8): string {
  return (server.stderr().trim() || server.stdout().trim()).split('\n').slice(-lines).join('\n');
}

function outputTail(server: RunningServer, lines = 8): string {
  const text = tailText(server, lines);
  return text ? `\n${text}` : '';
}

/** The server now running, and how to start it again the same way. */
interface Watched {
  server: RunningServer;
}

/** Tells the runner when the server exits, and starts it again with the same options and runtime. */
function watchServer(spec: ServerSpec, launchOpts: ServerLaunchOptions, watched: Watched): ServerWatch {
  return {
    exited: () => {
      const server = watched.server;
      return server.exited.then((info) => ({ exit: describeExit(info), outputTail: tailText(server) }));
    },
    restart: async () => {
      await watched.server.stop();
      try {
        watched.server = await launchServer(spec, launchOpts);
        return { host: watched.server.host, port: watched.server.port };
      } catch (err) {
        return { error: (err as Error).message };
      }
    },
  };
}

/** A server's error after the run: down for good, or exited after the last case. */
function serverError(deaths: readonly ServerDeath[], server: RunningServer): string | undefined {
  const down = deaths.find((d) => !d.restarted);
  if (down) return `exited during the check (${down.exit}) and is down: ${down.notRestartedBecause ?? 'not started again'}${down.outputTail ? `\n${down.outputTail}` : ''}`;
  const exit = server.exitInfo();
  if (exit) return `exited during the check (${describeExit(exit)})${outputTail(server)}`;
  return undefined;
}

/**
 * Runs the cases against each server in turn. Servers get CONFORMANCE_ENV, so that cases about
 * timeouts finish quickly against servers that read it. A server that exits during the check
 * is started again with the same options (see runCasesDetailed), each exit recorded; one that
 * does not start, or cannot be started again, is recorded with an error (the reports count it
 * as a failure), and so is one that stopped answering.
 */
export async function runCheck(opts: CheckOptions, events: CheckEvents = {}): Promise<CheckRun> {
  const cases = opts.cases.map((l) => l.case);
  const run: CheckRun = {
    tool: 'gauntlet',
    command: 'check',
    version: gauntletVersion(),
    startedAt: new Date().toISOString(),
    finishedAt: null,
    status: 'complete',
    cases: caseInfos(opts.cases),
    servers: [],
    results: [],
  };
  for (const [i, spec] of opts.servers.entries()) {
    if (opts.signal?.aborted) break;
    const record: CheckServerRecord = {
      name: spec.name,
      command: spec.command,
      source: spec.source,
      capabilities: spec.capabilities ?? [],
      serverFlag: serverFlagFor(spec),
    };
    run.servers.push(record);
    events.starting?.(spec, i, opts.servers.length);
    const launchOpts: ServerLaunchOptions = {
      root: opts.root,
      env: { ...CONFORMANCE_ENV },
      runtime: opts.runtime,
      cpus: opts.cpus,
      memoryMb: opts.memoryMb,
    };
    let server: RunningServer;
    try {
      server = await launchServer(spec, launchOpts);
    } catch (err) {
      record.error = `did not start: ${(err as Error).message}`;
      events.failed?.(spec.name, (err as Error).message.split('\n')[0] ?? '');
      continue;
    }
    if (server.runtime) record.runtime = server.runtime;
    events.ready?.(server, cases.length);
    const started = Date.now();
    const watched: Watched = { server };
    let results: CaseResult[] = [];
    try {
      const ran = await runCasesDetailed(
        cases,
        { host: server.host, port: server.port, root: opts.root, capabilities: record.capabilities, name: spec.name },
        {
          concurrency: opts.concurrency,
          signal: opts.signal,
          onResult: (r, done, total) => events.result?.(r, done, total),
          watch: watchServer(spec, launchOpts, watched),
          onExit: (death) => events.exited?.(spec.name, death, watched.server),
        },
      );
      results = ran.results;
      if (ran.deaths.length > 0) record.deaths = ran.deaths;
      if (ran.stoppedAnswering) record.stoppedAnswering = ran.stoppedAnswering;
    } finally {
      const error = serverError(record.deaths ?? [], watched.server);
      if (error) record.error = error;
      await watched.server.stop();
    }
    run.results.push(...results);
    events.finished?.(spec.name, results, Date.now() - started);
    if (record.error) events.failed?.(spec.name, record.error.split('\n')[0] ?? '');
  }
  if (opts.signal?.aborted) run.status = 'interrupted';
  run.finishedAt = new Date().toISOString();
  return run;
}

/** check.junit.xml, check.json and check.html in the store's folder; resolves to their paths. */
export async function writeCheckFiles(store: ResultsStore, run: CheckRun): Promise<string[]> {
  return [
    await store.writeText('check.junit.xml', renderJunit(run)),
    await store.writeText('check.json', renderCheckJson(run)),
    await store.writeText('check.html', renderCheckHtml(run)),
  ];
}
