/**
 * A differential run: start every server (the launcher check uses: manifests, ad-hoc commands,
 * URLs, containers, TLS), search for a request they understand differently, stop them, and keep
 * it all in a DiffRun. A server that does not start ends the run before any request (verdict
 * error, as check fails a server that does not start); one that stops answering ends the search
 * (verdict error, the request that took it down kept as the disagreement when it was found).
 */
import { resolve } from 'node:path';
import type { ServerSpec } from '../types.ts';
import type { RunningServer } from '../running-server.ts';
import { launchServer, placementLaunchOptions, type ServerLaunchOptions, type ServerPlacement } from '../runtime.ts';
import { recordedCommand } from '../server-record.ts';
import { gauntletVersion, machineInfo } from '../machine.ts';
import { CONFORMANCE_ENV } from '../conformance/runner.ts';
import { DEFAULT_DOC_ROOT } from '../paths.ts';
import { escapeBytes, printfReplay, serverFlagFor, shellQuote } from '../conformance/wire-log.ts';
import { partBytes } from '../conformance/raw-client.ts';
import { lastLines } from '../output-tail.ts';
import { describeExit } from '../running-server.ts';
import { newDiffRun, type DiffRequestRecord, type DiffRun, type DiffServerRecord } from './record.ts';
import { searchDisagreement, type Evidence, type SearchOutcome } from './search.ts';
import { withProbe, type DiffTarget } from './send.ts';
import type { Quirk } from './quirks.ts';
import type { DiffRequest } from './generator.ts';

/** The most requests a run may be given: enough for CI, small enough that shrinking stays the long part. */
export const MAX_DIFF_REQUESTS = 100_000;
export const DEFAULT_DIFF_REQUESTS = 500;
/** How long shrinking a disagreement may take, ms. */
export const SHRINK_TIME_MS = 20_000;

export interface DiffOptions extends ServerPlacement {
  servers: ServerSpec[];
  root?: string;
  seed: number;
  requests: number;
  /** Stop trying new requests after this long, ms. */
  timeLimitMs: number;
  path?: string;
  quirks: readonly Quirk[];
  quirksFile: string | null;
  signal?: AbortSignal;
}

export interface DiffEvents {
  starting?(spec: ServerSpec, index: number, count: number): void;
  ready?(server: RunningServer): void;
  failed?(name: string, message: string): void;
  searching?(servers: number, requests: number): void;
  progress?(done: number, budget: number): void;
}

/** How a replay names a server: `--url` as given, else as check's replays do. */
function replayFlag(spec: ServerSpec): string {
  if (!spec.source.startsWith('--url ')) return serverFlagFor(spec);
  return `--url ${shellQuote(JSON.parse(spec.source.slice('--url '.length)) as string)}`;
}

/** The command that runs this search again; with a path, it replays the shrunk request only. */
export function diffReplay(opts: DiffOptions, path?: string | null): string {
  const words = ['npx gauntlet diff', ...opts.servers.map(replayFlag), `--seed ${opts.seed}`];
  if (path) words.push(`--shrink-path ${path}`);
  else words.push(`--requests ${opts.requests}`);
  if (opts.quirksFile) words.push(`--quirks ${shellQuote(opts.quirksFile)}`);
  if (opts.runtime === 'container') words.push('--runtime container');
  if (opts.tls) words.push('--tls');
  if (opts.insecure) words.push('--insecure');
  const root = opts.root ?? DEFAULT_DOC_ROOT;
  if (resolve(root) !== resolve(DEFAULT_DOC_ROOT)) words.push(`--root ${shellQuote(root)}`);
  return words.join(' ');
}

/** The request of a disagreement as the record keeps it. */
export function requestRecord(req: DiffRequest): DiffRequestRecord {
  let offset = 0;
  const writes = req.parts.map((p) => {
    const w = { offset, delayMs: p.delayMs ?? 0 };
    offset += partBytes(p).length;
    return w;
  });
  return {
    escaped: escapeBytes(req.bytes),
    length: req.bytes.length,
    writes,
    applied: req.applied,
    original: {
      method: req.original.method,
      target: req.original.target,
      bodyLength: req.original.body.length,
      framing: req.original.framing,
    },
    printf: printfReplay(withProbe(req.parts)),
  };
}

/** Starts the servers one at a time; on the first that fails, stops those started and says which. */
async function startAll(
  opts: DiffOptions,
  records: DiffServerRecord[],
  events: DiffEvents,
): Promise<RunningServer[] | string> {
  const launchOpts: ServerLaunchOptions = {
    root: opts.root ?? DEFAULT_DOC_ROOT,
    env: { ...CONFORMANCE_ENV },
    ...placementLaunchOptions(opts),
  };
  const running: RunningServer[] = [];
  for (const [i, spec] of opts.servers.entries()) {
    if (opts.signal?.aborted) break;
    events.starting?.(spec, i, opts.servers.length);
    try {
      const server = await launchServer(spec, launchOpts);
      running.push(server);
      events.ready?.(server);
    } catch (err) {
      const message = (err as Error).message;
      records[i]!.error = `did not start: ${message}`;
      events.failed?.(spec.name, message.split('\n')[0] ?? '');
      await Promise.all(running.map((s) => s.stop()));
      return `${spec.name} did not start`;
    }
  }
  return running;
}

/** What the search found, into the run record. */
function recordOutcome(run: DiffRun, opts: DiffOptions, found: SearchOutcome): void {
  run.requests = found.requests;
  run.accepted = [...found.accepted].map(([q, n]) => ({ why: q.why, fields: q.fields, requests: n }));
  if (found.timedOut) run.timedOut = true;
  if (found.evidence) run.disagreement = disagreementRecord(found.evidence, opts, found);
  if (found.error) {
    run.verdict = 'error';
    run.error = found.error;
  } else if (found.gone) {
    run.verdict = 'error';
    run.error = `a server stopped answering during the run (${found.gone})`;
  } else if (found.evidence) run.verdict = 'disagree';
}

function disagreementRecord(e: Evidence, opts: DiffOptions, found: SearchOutcome): DiffRun['disagreement'] {
  return {
    request: requestRecord(e.request),
    differences: e.comparison.differences,
    servers: e.understood.map((u, i) => ({ server: u.server, understood: u.understood, wireLog: e.wireLogs[i] ?? '' })),
    path: found.path,
    numShrinks: found.numShrinks,
    replay: diffReplay(opts, found.path),
  };
}

/** A server that exited while the run went: said on its record. */
function noteExits(running: readonly RunningServer[], records: DiffServerRecord[]): void {
  for (const server of running) {
    const exit = server.exitInfo();
    const record = records.find((r) => r.name === server.name);
    if (!exit || !record || record.error) continue;
    const tail = lastLines(server);
    record.error = `exited during the run (${describeExit(exit)})${tail ? `\n${tail}` : ''}`;
  }
}

/** Runs the differential search against the servers; never throws for anything a server does. */
export async function runDiff(opts: DiffOptions, events: DiffEvents = {}): Promise<DiffRun> {
  const run = newDiffRun({
    version: gauntletVersion(),
    machine: machineInfo(),
    seed: opts.seed,
    budget: opts.requests,
    quirksFile: opts.quirksFile,
    replay: diffReplay(opts),
  });
  run.servers = opts.servers.map((spec) => ({
    name: spec.name,
    command: recordedCommand(spec, opts.runtime),
    source: spec.source,
    ...(spec.url !== undefined && { url: spec.url }),
  }));
  const started = await startAll(opts, run.servers, events);
  if (typeof started === 'string') {
    run.verdict = 'error';
    run.error = started;
  } else if (!opts.signal?.aborted) {
    try {
      const targets: DiffTarget[] = started.map((s) => ({
        name: s.name,
        host: s.host,
        port: s.port,
        ...(s.tls && { tls: s.tls }),
      }));
      events.searching?.(targets.length, opts.requests);
      const found = await searchDisagreement(targets, {
        root: opts.root ?? DEFAULT_DOC_ROOT,
        seed: opts.seed,
        requests: opts.requests,
        timeLimitMs: opts.timeLimitMs,
        shrinkTimeMs: SHRINK_TIME_MS,
        quirks: opts.quirks,
        ...(opts.path !== undefined && { path: opts.path }),
        ...(opts.signal && { signal: opts.signal }),
        onProgress: (done) => events.progress?.(done, opts.requests),
      });
      recordOutcome(run, opts, found);
      noteExits(started, run.servers);
    } finally {
      await Promise.all(started.map((s) => s.stop()));
    }
  }
  run.status = opts.signal?.aborted ? 'interrupted' : 'complete';
  run.finishedAt = new Date().toISOString();
  return run;
}
