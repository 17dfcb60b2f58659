/**
 * `gauntlet bench --shard i/n`: by server. A server's cells all run on one shard, interleaved
 * with the other servers of that shard only, so that a comparison is between servers measured on
 * the same machine at the same time; servers of different shards are never compared (the
 * comparison of a merged bench pairs only servers of one shard: lib/compare/index.ts).
 */
import { inShard, unitKey, type Shard } from './split.ts';
import type { BenchShardRecord } from './record.ts';

/** The servers of `shard`, in the order given, and what its results.json records; null when the shard holds none. */
export function benchShard<T extends { name: string }>(
  servers: readonly T[],
  shard: Shard,
): { servers: T[]; record: BenchShardRecord } | null {
  const mine = inShard(servers, (s) => unitKey('server', s.name), shard);
  if (mine.length === 0) return null;
  return {
    servers: mine,
    record: { index: shard.index, count: shard.count, servers: servers.map((s) => s.name) },
  };
}
