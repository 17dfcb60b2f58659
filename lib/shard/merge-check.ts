/**
 * `gauntlet merge` for check: the shards' check.json records, checked to be parts of one work,
 * made into one run record as an unsharded run would have written it (servers in the order
 * given, each server's results in case order), for the same report writers. Pure: the folders
 * are read and written by lib/cli/merge-command.ts.
 *
 * Shards fit when they ran the same version of Gauntlet over the same cases, properties and
 * servers, split the same number of ways, and every shard is there exactly once; anything else
 * is refused with a sentence naming the folders, since a merged report of different work would
 * give verdicts no run gave.
 */
import type { MachineInfo } from '../envelope.ts';
import type { CaseInfo, CaseResult, ServerDeath } from '../conformance/types.ts';
import type { PropertyCheckRun, PropertyServerRecord } from '../conformance/properties/record.ts';
import type { CheckShardRecord, MergedShard } from './record.ts';

/** Shards that do not make one run: the CLI says it as a usage error. */
export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeError';
  }
}

/** A check.json as read from a shard's folder: the fields merge reads, the results as the file has them. */
export interface ShardCheckFile {
  /** The folder, as given: every message names it. */
  from: string;
  record: unknown;
}

/** A result as check.json writes it (lib/report/json/check-json.ts JsonResult). */
interface StoredResult {
  caseId: string;
  server: string;
  verdict: CaseResult['verdict'];
  reason: string;
  durationMs: number;
  exchange: object | null;
  aliveExchange?: object | null;
  wireLog?: string;
  replay?: string;
  printfReplay?: string | null;
}

interface ShardRun {
  from: string;
  schemaVersion: number;
  version: string;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  machine: MachineInfo;
  cases: CaseInfo[];
  servers: PropertyServerRecord[];
  results: StoredResult[];
  shard: CheckShardRecord;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The record of one shard, or a MergeError saying why the file is none. */
function shardRun(file: ShardCheckFile): ShardRun {
  const r = file.record;
  const where = `${file.from}/check.json`;
  if (!isObject(r) || r.tool !== 'gauntlet' || r.command !== 'check')
    throw new MergeError(`${where} is not a check.json written by gauntlet check`);
  if (!Array.isArray(r.cases) || !Array.isArray(r.servers) || !Array.isArray(r.results))
    throw new MergeError(`${where} has no cases, servers or results: it is no whole check record`);
  if (!isObject(r.shard))
    throw new MergeError(`${where} is not a shard's (no "shard" field): only runs of check --shard i/n merge`);
  return { ...(r as unknown as ShardRun), from: file.from };
}

/** The first value two shards disagree on, as a sentence naming both, or null. */
function differs(a: ShardRun, b: ShardRun): string | null {
  const pairs: Array<[string, unknown, unknown]> = [
    ['Gauntlet versions', a.version, b.version],
    ['shard counts', a.shard.count, b.shard.count],
    ['splits', a.shard.split, b.shard.split],
    [
      'case sets',
      `${a.shard.cases} cases, digest ${a.shard.caseSet}`,
      `${b.shard.cases} cases, digest ${b.shard.caseSet}`,
    ],
    ['properties', [...a.shard.properties].sort().join(', '), [...b.shard.properties].sort().join(', ')],
    ['servers', a.shard.servers.join(', '), b.shard.servers.join(', ')],
    ['property modes', a.shard.propertiesMode ?? null, b.shard.propertiesMode ?? null],
    ['property seeds (fix GAUNTLET_SEED or --seed for every shard)', a.shard.seed ?? null, b.shard.seed ?? null],
  ];
  for (const [what, x, y] of pairs)
    if (x !== y)
      return `${a.from} and ${b.from} are shards of different runs (different ${what}: ${JSON.stringify(x)} and ${JSON.stringify(y)})`;
  return null;
}

/** Refuses shards that are not each shard of one work exactly once; returns them in shard order. */
export function fittingShards(files: readonly ShardCheckFile[]): ShardRun[] {
  if (files.length === 0) throw new MergeError('no folder to merge: name the report folder of every shard');
  const runs = files.map(shardRun);
  const [first] = runs as [ShardRun, ...ShardRun[]];
  for (const run of runs.slice(1)) {
    const problem = differs(first, run);
    if (problem) throw new MergeError(problem);
  }
  return everyShardOnce(runs, first.shard.count);
}

/**
 * The shards in shard order, or a MergeError naming a shard given twice or the shards missing:
 * a merge needs each of the `count` shards exactly once (check's and bench's alike).
 */
export function everyShardOnce<T extends { from: string; shard: { index: number; count: number } }>(
  runs: readonly T[],
  count: number,
): T[] {
  const byIndex = new Map<number, T>();
  for (const run of runs) {
    const seen = byIndex.get(run.shard.index);
    if (seen)
      throw new MergeError(
        `${seen.from} and ${run.from} are both shard ${run.shard.index}/${run.shard.count}: give each shard once`,
      );
    byIndex.set(run.shard.index, run);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0)
    throw new MergeError(
      `shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: a merge needs all ${count} shards`,
    );
  return [...byIndex.values()].sort((a, b) => a.shard.index - b.shard.index);
}

/** One server's records from the shards that ran it, made one: its deaths, errors and properties together. */
function mergeServer(records: readonly PropertyServerRecord[], propertyOrder: readonly string[]): PropertyServerRecord {
  const [first] = records as [PropertyServerRecord, ...PropertyServerRecord[]];
  const distinct = (values: Array<string | undefined>) => [...new Set(values.filter((v): v is string => !!v))];
  const errors = distinct(records.map((r) => r.error));
  const stopped = distinct(records.map((r) => r.stoppedAnswering));
  const deaths: ServerDeath[] = records.flatMap((r) => r.deaths ?? []);
  const properties = records
    .flatMap((r) => r.properties ?? [])
    .sort((a, b) => propertyOrder.indexOf(a.id) - propertyOrder.indexOf(b.id));
  const merged: PropertyServerRecord = {
    ...first,
    capabilities: distinct(records.flatMap((r) => r.capabilities)),
  };
  delete merged.error;
  delete merged.deaths;
  delete merged.stoppedAnswering;
  delete merged.properties;
  if (errors.length > 0) merged.error = errors.join('\n');
  if (deaths.length > 0) merged.deaths = deaths;
  if (stopped.length > 0) merged.stoppedAnswering = stopped.join('; ');
  if (properties.length > 0) merged.properties = properties;
  return merged;
}

/** A stored result as a run's result again, carrying what the file said of its exchanges. */
function hydrate(stored: StoredResult, from: string): CaseResult {
  return {
    caseId: stored.caseId,
    server: stored.server,
    verdict: stored.verdict,
    reason: stored.reason,
    durationMs: stored.durationMs,
    exchange: null,
    recorded: {
      from,
      exchange: stored.exchange,
      ...(stored.aliveExchange !== undefined ? { aliveExchange: stored.aliveExchange } : {}),
      ...(stored.wireLog !== undefined ? { wireLog: stored.wireLog } : {}),
      ...(stored.replay !== undefined ? { replay: stored.replay } : {}),
      ...(stored.printfReplay !== undefined ? { printfReplay: stored.printfReplay } : {}),
    },
  };
}

/** The results of every shard, each pair once, servers in the order given and cases in case order. */
function mergeResults(runs: readonly ShardRun[], servers: readonly string[], cases: readonly CaseInfo[]): CaseResult[] {
  const caseIndex = new Map(cases.map((c, i) => [c.id, i]));
  const seen = new Map<string, string>();
  const results: CaseResult[] = [];
  for (const run of runs)
    for (const r of run.results) {
      const key = `${r.server}\u0000${r.caseId}`;
      const earlier = seen.get(key);
      if (earlier !== undefined)
        throw new MergeError(`${earlier} and ${run.from} both hold case ${r.caseId} against ${r.server}`);
      seen.set(key, run.from);
      results.push(hydrate(r, run.from));
    }
  const order = (r: CaseResult) => [servers.indexOf(r.server), caseIndex.get(r.caseId) ?? cases.length] as const;
  return results.sort((a, b) => {
    const [sa, ca] = order(a);
    const [sb, cb] = order(b);
    return sa - sb || ca - cb;
  });
}

/** The earliest of the start times, the latest end (null if a shard never finished). */
function span(runs: readonly ShardRun[]): { startedAt: string; finishedAt: string | null } {
  const starts = runs.map((r) => r.startedAt).sort();
  const ends = runs.map((r) => r.finishedAt);
  const finished = ends.every((e): e is string => e !== null);
  return { startedAt: starts[0] ?? '', finishedAt: finished ? ([...ends].sort().at(-1) ?? null) : null };
}

/**
 * The one run record the shards make, as an unsharded check of the same work would have written
 * it, plus `merged` (the shards, their machines and times). The envelope's machine is the first
 * shard's; status is `interrupted` when a shard's was.
 */
export function mergeCheckShards(files: readonly ShardCheckFile[]): PropertyCheckRun {
  const runs = fittingShards(files);
  const [first] = runs as [ShardRun, ...ShardRun[]];
  const servers = first.shard.servers;
  const records = servers
    .map((name) => runs.flatMap((r) => r.servers.filter((s) => s.name === name)))
    .filter((rs) => rs.length > 0)
    .map((rs) => mergeServer(rs, first.shard.properties));
  const shards: MergedShard[] = runs.map(mergedShard);
  return {
    schemaVersion: first.schemaVersion,
    tool: 'gauntlet',
    command: 'check',
    version: first.version,
    ...span(runs),
    status: runs.every((r) => r.status === 'complete') ? 'complete' : 'interrupted',
    machine: first.machine,
    servers: records,
    cases: first.cases,
    results: mergeResults(runs, servers, first.cases),
    merged: { count: first.shard.count, shards },
  };
}

/** How one shard ran, as the merged record keeps it (check's and bench's alike). */
export function mergedShard(r: {
  shard: { index: number };
  from: string;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  machine: MachineInfo;
}): MergedShard {
  return {
    index: r.shard.index,
    from: r.from,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    status: r.status,
    machine: r.machine,
  };
}
