/**
 * A conformance run over several servers, one at a time, and its report files: what
 * `gauntlet check` does, and what `gauntlet bench` does after measuring the same servers.
 */
import type { ServerSpec } from '../types.ts';
import type { CaseInfo, CaseResult, CheckRun, CheckServerRecord } from './types.ts';
import type { LoadedCase } from './registry.ts';
import type { ResultsStore } from '../results-store.ts';
import { describeExit, type RunningServer } from '../launcher.ts';
import { launchServer, type Runtime } from '../runtime.ts';
import { gauntletVersion } from '../machine.ts';
import { caseInfo } from './registry.ts';
import { CONFORMANCE_ENV, DEFAULT_CASE_TIMEOUT_MS, runCases } from './runner.ts';
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

function outputTail(server: RunningServer, lines = 8): string {
  const text = (server.stderr().trim() || server.stdout().trim()).split('\n').slice(-lines).join('\n');
  return text ? `\n${text}` : '';
}

/**
 * Runs the cases against each server in turn. Servers get CONFORMANCE_ENV, so that cases about
 * timeouts finish quickly against servers that read it. A server that does not start or exits
 * during the check is recorded with an error (the reports count it as a failure).
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
    let server: RunningServer;
    try {
      server = await launchServer(spec, {
        root: opts.root,
        env: { ...CONFORMANCE_ENV },
        runtime: opts.runtime,
        cpus: opts.cpus,
        memoryMb: opts.memoryMb,
      });
    } catch (err) {
      record.error = `did not start: ${(err as Error).message}`;
      events.failed?.(spec.name, (err as Error).message.split('\n')[0] ?? '');
      continue;
    }
    if (server.runtime) record.runtime = server.runtime;
    events.ready?.(server, cases.length);
    const started = Date.now();
    let results: CaseResult[] = [];
    try {
      results = await runCases(
        cases,
        { host: server.host, port: server.port, root: opts.root, capabilities: record.capabilities, name: spec.name },
        { concurrency: opts.concurrency, signal: opts.signal, onResult: (r, done, total) => events.result?.(r, done, total) },
      );
    } finally {
      const exit = server.exitInfo();
      if (exit) record.error = `exited during the check (${describeExit(exit)})${outputTail(server)}`;
      await server.stop();
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
