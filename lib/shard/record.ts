/**
 * What a run record says about shards: a shard's run records which shard it was and the work it
 * was a part of, so that `gauntlet merge` can refuse parts of different work; a merged record
 * lists the shards it was made of, each with its machine and times.
 */
import type { MachineInfo } from '../envelope.ts';

/**
 * How a work was split: `pairs`, check's (server, case) and (server, property) pairs; `servers`,
 * bench's (every cell of a server, and its conformance cases, on one shard).
 */
export type ShardSplit = 'pairs' | 'servers';

/** In a shard's check.json (`shard`): which part of which work it is. */
export interface CheckShardRecord {
  /** The shard, from 1, and how many there are: `--shard index/count`. */
  index: number;
  count: number;
  split: ShardSplit;
  /** The identity of the selected cases: a digest of their sorted ids (lib/shard/split.ts setDigest). */
  caseSet: string;
  /** How many cases were selected (the whole work's, not this shard's). */
  cases: number;
  /** The properties selected, in the order they run (the whole work's). */
  properties: string[];
  /** The servers of the whole work, in the order given. */
  servers: string[];
  /** The properties' seed (null when none runs): shards drawing from other seeds are other runs. */
  seed?: number | null;
  /** The properties' mode (--properties: none, quick...). */
  propertiesMode?: string;
}

/** One shard of a merged record, as it ran. */
export interface MergedShard {
  index: number;
  /** The folder it was read from, as given to `gauntlet merge`. */
  from: string;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  machine: MachineInfo;
}

/** In a merged record (`merged`): the shards it was made of, in shard order. */
export interface MergedRecord {
  count: number;
  shards: MergedShard[];
}

/** In a shard's results.json of bench (`shard`): which part of which work it is. */
export interface BenchShardRecord {
  index: number;
  count: number;
  /** The servers of the whole work, in the order given; this shard measured those of `servers` in its own envelope. */
  servers: string[];
}

/** One shard of a merged bench: where it ran, and the servers it measured there. */
export interface MergedBenchShard extends MergedShard {
  servers: string[];
}

/**
 * In a merged bench results.json (`merged`): the shards, each with its machine and servers. The
 * comparison pairs only servers of one shard: servers measured on different machines, at
 * different times, are never compared.
 */
export interface MergedBenchRecord {
  count: number;
  shards: MergedBenchShard[];
}

/** What bench's record (RunResults, lib/types.ts) holds about shards. */
export interface BenchShardFields {
  /** A run of bench --shard i/n: which part of the servers it measured. */
  shard?: BenchShardRecord;
  /** A record written by gauntlet merge: the shards, each with its machine and servers. */
  merged?: MergedBenchRecord;
}
