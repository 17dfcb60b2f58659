/**
 * `gauntlet merge` for bench: the shards' results.json (bench --shard i/n, split by server) made
 * into one run record: every server's cells and findings, servers in the order given, and
 * `merged` naming each shard's machine and servers. The comparison is not carried over: the
 * writers compute it again from the merged record, pairing only servers of one shard
 * (lib/compare/index.ts), since servers measured on different machines are not comparable.
 *
 * Shards fit when they ran the same version with the same settings (matrix, mode, path, request,
 * rounds, rate) over the same servers, split the same number of ways, each shard once.
 */
import type { CellRecord, Finding, RunResults, ServerRecord } from '../types.ts';
import type { BenchShardRecord, MergedBenchShard } from './record.ts';
import { everyShardOnce, mergedShard, MergeError } from './merge-check.ts';

/** A results.json as read from a shard's folder. */
export interface ShardBenchFile {
  from: string;
  record: unknown;
}

type ShardBench = RunResults & { shard: BenchShardRecord; from: string };

/** The settings every shard of one bench shares, by the words a refusal uses. */
const SETTINGS: ReadonlyArray<[string, (r: RunResults) => unknown]> = [
  ['Gauntlet versions', (r) => r.version],
  ['shard counts', (r) => r.shard?.count],
  ['servers', (r) => r.shard?.servers.join(', ')],
  ['matrices', (r) => JSON.stringify(r.matrix)],
  ['modes', (r) => r.mode],
  ['paths', (r) => r.path],
  ['requests', (r) => JSON.stringify(r.request ?? null)],
  ['rounds', (r) => r.rounds ?? 1],
  ['rates', (r) => r.rate ?? null],
  ['--keep-going', (r) => r.keepGoing ?? false],
  ['engines', (r) => JSON.stringify(r.cells[0]?.result.engine ?? 'gauntlet')],
  ['TLS', (r) => r.cells.some((c) => c.result.tls !== undefined)],
];

function shardBench(file: ShardBenchFile): ShardBench {
  const r = file.record as Partial<RunResults> | null;
  const where = `${file.from}/results.json`;
  if (!r || typeof r !== 'object' || r.tool !== 'gauntlet' || r.command !== 'bench')
    throw new MergeError(`${where} is not a results.json written by gauntlet bench`);
  if (!Array.isArray(r.cells) || !Array.isArray(r.servers))
    throw new MergeError(`${where} has no cells or servers: it is no whole bench record`);
  if (!r.shard)
    throw new MergeError(`${where} is not a shard's (no "shard" field): only runs of bench --shard i/n merge`);
  return { ...(r as ShardBench), from: file.from };
}

/** Refuses shards that are not each shard of one bench exactly once; returns them in shard order. */
export function fittingBenchShards(files: readonly ShardBenchFile[]): ShardBench[] {
  if (files.length === 0) throw new MergeError('no folder to merge: name the report folder of every shard');
  const runs = files.map(shardBench);
  const [first] = runs as [ShardBench, ...ShardBench[]];
  for (const run of runs.slice(1))
    for (const [what, value] of SETTINGS) {
      const [x, y] = [value(first), value(run)];
      if (x !== y)
        throw new MergeError(
          `${first.from} and ${run.from} are shards of different runs (different ${what}: ${JSON.stringify(x)} and ${JSON.stringify(y)})`,
        );
    }
  return everyShardOnce(runs, first.shard.count);
}

/** The shard records of `merged`: each shard's machine, times and servers. */
function mergedShards(runs: readonly ShardBench[]): MergedBenchShard[] {
  return runs.map((r) => ({ ...mergedShard(r), servers: r.servers.map((s) => s.name) }));
}

/**
 * The one bench record the shards make: each server's record, cells and findings as its shard
 * measured them, servers in the order given. The envelope's machine is the first shard's
 * (`merged` holds each); status is the worst of the shards' (failed, interrupted, complete).
 */
export function mergeBenchShards(files: readonly ShardBenchFile[]): RunResults {
  const runs = fittingBenchShards(files);
  const [first] = runs as [ShardBench, ...ShardBench[]];
  const order = first.shard.servers;
  const position = (name: string) => order.indexOf(name);
  const servers: ServerRecord[] = runs.flatMap((r) => r.servers).sort((a, b) => position(a.name) - position(b.name));
  const cells: CellRecord[] = runs.flatMap((r) => r.cells).sort((a, b) => position(a.server) - position(b.server));
  const findings: Finding[] = runs.flatMap((r) => r.findings ?? []);
  const starts = runs.map((r) => r.startedAt).sort();
  const ends = runs.map((r) => r.finishedAt);
  const statuses = runs.map((r) => r.status);
  const status = (['failed', 'interrupted', 'running'] as const).find((s) => statuses.includes(s)) ?? 'complete';
  // The shard's own fields go: the merged record is no shard, and its comparison is made again.
  const rest: RunResults & { shard?: unknown; from?: unknown } = { ...first };
  delete rest.shard;
  delete rest.from;
  delete rest.comparison;
  return {
    ...rest,
    startedAt: starts[0] ?? first.startedAt,
    finishedAt: ends.every((e): e is string => e !== null) ? ([...ends].sort().at(-1) ?? null) : null,
    status,
    servers,
    cells,
    findings,
    merged: { count: first.shard.count, shards: mergedShards(runs) },
  };
}
