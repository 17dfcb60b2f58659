/**
 * A conformance run over several servers, one at a time, and its report files: what
 * `gauntlet check` does, and what `gauntlet bench` does after measuring the same servers. Each
 * server gets the cases, then (when asked for) the properties, on the same running instance.
 * A server given by URL is attached to, never started: it cannot be restarted, so one that stops
 * answering ends its cases with `not-run` ("the server stopped answering").
 */
import { recordedCommand } from '../server-record.ts';
import type { ServerSpec } from '../types.ts';
import type { CaseInfo, CaseResult, CheckServerRecord, ServerDeath } from './types.ts';
import type { LoadedCase } from './registry.ts';
import type { ResultsStore } from '../results-store.ts';
import { describeExit, type RunningServer } from '../launcher.ts';
import { launchServer, placementLaunchOptions, type ServerLaunchOptions, type ServerPlacement } from '../runtime.ts';
import { gauntletVersion, machineInfo } from '../machine.ts';
import { runEnvelope } from '../envelope.ts';
import { lastLines } from '../output-tail.ts';
import { caseInfo } from './registry.ts';
import { CONFORMANCE_ENV, DEFAULT_CASE_TIMEOUT_MS, runCasesDetailed, type ServerWatch } from './runner.ts';
import { printfReplay, serverFlagFor, shellQuote } from './wire-log.ts';
import { writeFormatFiles } from '../report/files.ts';
import { exchange } from './raw-client.ts';
import type { GauntletProperty, PropertiesMode, PropertySettings } from './properties/types.ts';
import { PROPERTIES } from './properties/registry.ts';
import { runProperties } from './properties/schedule.ts';
import { modeSettings, runSeed } from './properties/settings.ts';
import { checkShardPlan, checkShardRecord } from '../shard/check-shard.ts';
import type { Shard } from '../shard/split.ts';
import {
  propertyRecord,
  type PropertyCheckRun,
  type PropertyRecord,
  type PropertyServerRecord,
} from './properties/record.ts';

/** What a check reports while it goes. */
export interface CheckEvents {
  starting?(spec: ServerSpec, index: number, count: number): void;
  ready?(server: RunningServer, cases: number): void;
  result?(result: CaseResult, done: number, total: number): void;
  finished?(name: string, results: CaseResult[], ms: number): void;
  failed?(name: string, message: string): void;
  /** The server exited during the check; `death` says whether it was started again. */
  exited?(name: string, death: ServerDeath, server: RunningServer): void;
  /** The properties are about to run against the server. */
  propertiesStarting?(name: string, count: number): void;
  propertiesFinished?(name: string, records: PropertyRecord[], ms: number): void;
}

export interface CheckOptions extends ServerPlacement {
  servers: ServerSpec[];
  /** The cases to run, as loaded (their file is kept for the reports). */
  cases: LoadedCase[];
  /** Document root given to the servers as {root}. */
  root: string;
  /** Cases run at once against a server, each on its own connection. */
  concurrency: number;
  /** Stops starting cases; what was checked is kept and the run is marked interrupted. */
  signal?: AbortSignal;
  /** The properties after the cases: none (the default), quick or full. */
  properties?: PropertiesMode;
  /** The properties to run (default every one), when `properties` is not none. */
  propertyList?: readonly GauntletProperty[];
  /** The properties' seed (default GAUNTLET_SEED's, or a random one). */
  seed?: number;
  /** Replays this fast-check path (one property). */
  shrinkPath?: string;
  /** Runs only this shard's pairs of (server, case) and (server, property): lib/shard/check-shard.ts. */
  shard?: Shard;
}

/** The cases as reports show them, with the printf line that replays each. */
export function caseInfos(loaded: readonly LoadedCase[]): CaseInfo[] {
  return loaded.map((l) => ({
    ...caseInfo(l),
    printfReplay: printfReplay(l.case.request),
    timeoutMs: l.case.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS,
  }));
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
      return server.exited.then((info) => ({ exit: describeExit(info), outputTail: lastLines(server) }));
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
  if (down)
    return `exited during the check (${down.exit}) and is down: ${down.notRestartedBecause ?? 'not started again'}${down.outputTail ? `\n${down.outputTail}` : ''}`;
  const exit = server.exitInfo();
  if (!exit) return undefined;
  const tail = lastLines(server);
  return `exited during the check (${describeExit(exit)})${tail ? `\n${tail}` : ''}`;
}

/** The cases against one running server; the server may be replaced if it exits and is restarted. */
async function checkCases(
  spec: ServerSpec,
  record: CheckServerRecord,
  watched: Watched,
  launchOpts: ServerLaunchOptions,
  opts: CheckOptions,
  events: CheckEvents,
): Promise<CaseResult[]> {
  if (opts.cases.length === 0) return [];
  const server = watched.server;
  const ran = await runCasesDetailed(
    opts.cases.map((l) => l.case),
    {
      host: server.host,
      port: server.port,
      root: opts.root,
      capabilities: record.capabilities,
      name: spec.name,
      ...(server.tls && { tls: server.tls }),
    },
    {
      concurrency: opts.concurrency,
      signal: opts.signal,
      onResult: (r, done, total) => events.result?.(r, done, total),
      // A URL server never exits as far as Gauntlet can see, and is never started again: without
      // a watch, the run's own probe finds that it stopped answering.
      ...(spec.url === undefined ? { watch: watchServer(spec, launchOpts, watched) } : { attached: true }),
      onExit: (death) => events.exited?.(spec.name, death, watched.server),
    },
  );
  if (ran.deaths.length > 0) record.deaths = ran.deaths;
  if (ran.stoppedAnswering) record.stoppedAnswering = ran.stoppedAnswering;
  return ran.results;
}

/** The properties against the server the cases left running; none when it is down or the check was stopped. */
async function checkProperties(
  spec: ServerSpec,
  record: PropertyServerRecord,
  server: RunningServer,
  opts: CheckOptions,
  settings: PropertySettings | null,
  events: CheckEvents,
): Promise<void> {
  const list = opts.propertyList ?? PROPERTIES;
  if (!settings || list.length === 0 || opts.signal?.aborted || server.exitInfo() || record.stoppedAnswering) return;
  events.propertiesStarting?.(spec.name, list.length);
  const started = Date.now();
  // A replay runs the server where this check ran it, and over TLS when it talked TLS.
  const runtimeFlag = opts.runtime === 'container' ? `${record.serverFlag} --runtime container` : record.serverFlag;
  const serverFlag = `${runtimeFlag}${opts.tls ? ' --tls' : ''}${opts.insecure ? ' --insecure' : ''}`;
  const target = {
    host: server.host,
    port: server.port,
    root: opts.root,
    capabilities: record.capabilities,
    name: spec.name,
    serverFlag,
    ...(server.tls && { tls: server.tls }),
  };
  record.properties = (await runProperties(target, list, { ...settings, signal: opts.signal })).map(propertyRecord);
  events.propertiesFinished?.(spec.name, record.properties, Date.now() - started);
}

/** One server: started, checked, stopped; what it did goes into `run`. */
async function checkServer(
  spec: ServerSpec,
  run: PropertyCheckRun,
  opts: CheckOptions,
  settings: PropertySettings | null,
  events: CheckEvents,
): Promise<void> {
  const record: PropertyServerRecord = {
    name: spec.name,
    command: recordedCommand(spec, opts.runtime),
    source: spec.source,
    capabilities: spec.capabilities ?? [],
    serverFlag: replayFlag(spec),
  };
  run.servers.push(record);
  const launchOpts: ServerLaunchOptions = {
    root: opts.root,
    env: { ...CONFORMANCE_ENV },
    ...placementLaunchOptions(opts),
  };
  let server: RunningServer;
  try {
    server = await launchServer(spec, launchOpts);
  } catch (err) {
    record.error = `did not start: ${(err as Error).message}`;
    events.failed?.(spec.name, (err as Error).message.split('\n')[0] ?? '');
    return;
  }
  if (server.runtime) record.runtime = server.runtime;
  record.capabilities = await probedCapabilities(server, record.capabilities);
  events.ready?.(server, opts.cases.length);
  const started = Date.now();
  const watched: Watched = { server };
  try {
    const results = await checkCases(spec, record, watched, launchOpts, opts, events);
    run.results.push(...results);
    if (opts.cases.length > 0) events.finished?.(spec.name, results, Date.now() - started);
    await checkProperties(spec, record, watched.server, opts, settings, events);
  } finally {
    const error = serverError(record.deaths ?? [], watched.server);
    if (error) record.error = error;
    await watched.server.stop();
  }
  if (record.error) events.failed?.(spec.name, record.error.split('\n')[0] ?? '');
}

/** How a replay names the server: `--url` as it was given, else as serverFlagFor says (a manifest's folder). */
function replayFlag(spec: ServerSpec): string {
  if (!spec.source.startsWith('--url ')) return serverFlagFor(spec);
  return `--url ${shellQuote(JSON.parse(spec.source.slice('--url '.length)) as string)}`;
}

/** A manifest's word that its server has no echo, so that it is not probed (`"capabilities": ["no-echo"]`). */
const NO_ECHO = 'no-echo';

/** What the echo probe sends: a server that answers POST /echo with exactly these bytes has echo. */
const ECHO_PROBE_BODY = 'gauntlet echo probe';

/**
 * The capabilities a server is checked with: those its manifest declares, plus `echo` when
 * POST /echo answers a small body with that body. The cases about request bodies prove framing
 * on every server and compare the echoed bytes only with echo, so a server given by a command or
 * a URL gets the stricter checks without declaring anything. A manifest that declares echo, or
 * denies it with `no-echo`, is taken at its word and the server is not probed.
 */
async function probedCapabilities(server: RunningServer, declared: readonly string[]): Promise<string[]> {
  if (declared.includes('echo') || declared.includes(NO_ECHO)) return [...declared];
  const request =
    `POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${ECHO_PROBE_BODY.length}\r\n` +
    `Connection: close\r\n\r\n${ECHO_PROBE_BODY}`;
  const probe = await exchange(server.host, server.port, [{ data: request }], {
    timeoutMs: DEFAULT_CASE_TIMEOUT_MS,
    methods: ['POST'],
    ...(server.tls && { tls: server.tls }),
  });
  const answer = probe.responses[0];
  const echoed =
    answer !== undefined &&
    answer.status >= 200 &&
    answer.status <= 299 &&
    !answer.incomplete &&
    Buffer.from(answer.body).toString('latin1') === ECHO_PROBE_BODY;
  return echoed ? [...declared, 'echo'] : [...declared];
}

/** The properties' settings for a run, or null when it runs none. */
function runSettings(opts: CheckOptions): PropertySettings | null {
  const mode = opts.properties ?? 'none';
  if (mode === 'none') return null;
  return modeSettings(mode, opts.seed ?? runSeed(), opts.shrinkPath);
}

/**
 * The options each server is checked with: the run's own, or with --shard only the cases and
 * properties the shard holds for that server (the run then records which shard it is).
 */
function shardWork(
  opts: CheckOptions,
  settings: PropertySettings | null,
  run: PropertyCheckRun,
): (server: string) => CheckOptions {
  const shard = opts.shard;
  if (!shard) return () => opts;
  const servers = opts.servers.map((s) => s.name);
  const propertyList = settings === null ? [] : (opts.propertyList ?? PROPERTIES);
  const propertyIds = propertyList.map((p) => p.id);
  const plan = checkShardPlan(
    servers,
    opts.cases.map((l) => l.case),
    propertyIds,
    shard,
  );
  run.shard = checkShardRecord(
    shard,
    servers,
    opts.cases.map((l) => l.case.id),
    propertyIds,
    'pairs',
    {
      seed: settings?.seed ?? null,
      mode: opts.properties ?? 'none',
    },
  );
  return (server) => {
    const cases = plan.cases.get(server) ?? new Set<string>();
    const properties = plan.properties.get(server) ?? new Set<string>();
    return {
      ...opts,
      cases: opts.cases.filter((l) => cases.has(l.case.id)),
      propertyList: propertyList.filter((p) => properties.has(p.id)),
    };
  };
}

/**
 * Runs the cases, then the properties asked for, against each server in turn. Servers get
 * CONFORMANCE_ENV, so that cases about timeouts finish quickly against servers that read it. A
 * server that exits during the check is started again with the same options (see
 * runCasesDetailed), each exit recorded; one that does not start, or cannot be started again,
 * is recorded with an error (the reports count it as a failure), and so is one that stopped
 * answering. Properties run only against a server still up after its cases.
 */
export async function runCheck(opts: CheckOptions, events: CheckEvents = {}): Promise<PropertyCheckRun> {
  const run: PropertyCheckRun = {
    ...runEnvelope<PropertyServerRecord, 'check'>('check', { version: gauntletVersion(), machine: machineInfo() }),
    status: 'complete',
    cases: caseInfos(opts.cases),
    results: [],
  };
  const settings = runSettings(opts);
  const ownWork = shardWork(opts, settings, run);
  for (const [i, spec] of opts.servers.entries()) {
    if (opts.signal?.aborted) break;
    const own = ownWork(spec.name);
    // A shard with nothing to run against a server does not start it: another shard checks it.
    if (own.cases.length === 0 && (settings === null || own.propertyList?.length === 0)) continue;
    events.starting?.(spec, i, opts.servers.length);
    await checkServer(spec, run, own, settings, events);
  }
  if (opts.signal?.aborted) run.status = 'interrupted';
  run.finishedAt = new Date().toISOString();
  return run;
}

/**
 * check's report files in the store's folder: every format the registry lists for check
 * (check.junit.xml, check.json, check.html); resolves to their paths.
 */
export async function writeCheckFiles(store: ResultsStore, run: PropertyCheckRun): Promise<string[]> {
  return writeFormatFiles(store, 'check', run);
}
