/**
 * The split of a run into shards, `--shard i/n`: which part of the work one machine of a CI
 * matrix does. Pure functions: the same split on every machine, whatever the order cases were
 * loaded in, so that n machines given 1/n ... n/n do every piece of work exactly once.
 *
 * The pieces are units keyed by text (a server and a case's exchange, a server and a property, a
 * server alone for bench). Units are put in the order of a digest of their key, then dealt round
 * robin: the order depends on nothing but the keys, and the shards differ by one unit at most.
 */
import { createHash } from 'node:crypto';

/** One shard of n: `index` counts from 1, as `--shard 1/2` writes it. */
export interface Shard {
  index: number;
  count: number;
}

/** "1/2": the shard's text, as the flag takes it and reports print it. */
export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** Why a `--shard` value is not one, or null when it is (whole numbers, 1 <= i <= n). */
export function shardProblem(text: string): string | null {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return 'is not i/n (two whole numbers, such as 1/2)';
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count)) return 'has a number too large';
  if (count < 1) return 'has no shard: n must be 1 or more';
  if (index < 1) return 'counts shards from 1: i must be 1 or more';
  if (index > count) return `names shard ${index} of ${count}: i must be at most n`;
  return null;
}

/** The shard a valid `--shard` value names; throws on an invalid one (check shardProblem first). */
export function parseShard(text: string): Shard {
  const problem = shardProblem(text);
  if (problem) throw new Error(`--shard ${JSON.stringify(text)} ${problem}`);
  const [index, count] = text.trim().split('/').map(Number) as [number, number];
  return { index, count };
}

/** The digest that orders a unit: the first bytes of sha256 are plenty to order a few thousand keys. */
function unitDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * The shard (from 1) of each key, dealt round robin in the order of the keys' digests (ties,
 * impossible in practice, broken by the key itself). Equal keys are one unit.
 */
export function dealShards(keys: Iterable<string>, count: number): Map<string, number> {
  const unique = [...new Set(keys)];
  const ordered = unique
    .map((key) => ({ key, digest: unitDigest(key) }))
    .sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : a.key < b.key ? -1 : 1));
  return new Map(ordered.map((u, i) => [u.key, (i % count) + 1]));
}

/** The items of `items` whose unit (`keyOf`) falls in `shard`. */
export function inShard<T>(items: readonly T[], keyOf: (item: T) => string, shard: Shard): T[] {
  const dealt = dealShards(items.map(keyOf), shard.count);
  return items.filter((item) => dealt.get(keyOf(item)) === shard.index);
}

/** The key of a unit made of several parts (a server, a case's exchange): NUL never occurs in either. */
export function unitKey(...parts: string[]): string {
  return parts.join('\u0000');
}

/**
 * The identity of a set of names (case ids, server names) as shards record it: a digest of the
 * sorted names, so that two shards of the same work agree whatever the order of loading.
 */
export function setDigest(names: Iterable<string>): string {
  const hash = createHash('sha256');
  for (const name of [...names].sort()) hash.update(`${name}\u0000`);
  return hash.digest('hex').slice(0, 32);
}
