/**
 * `gauntlet check --shard i/n`: which (server, case) pairs and which (server, property) pairs
 * one shard runs. Cases that send byte-identical requests share one exchange
 * (lib/conformance/runner/shared-exchanges.ts), so a server's set of such cases is one unit,
 * kept in one shard: a request is never sent twice to learn the same thing, and each case of the
 * set is judged on the exchange an unsharded run would judge it on. Properties run with the
 * run's seed each on its own, so a property against a server is a unit too. Cases and properties
 * are dealt apart, each list evenly over the shards.
 */
import type { CaseDefinition } from '../conformance/types.ts';
import { exchangeKey } from '../conformance/runner/shared-exchanges.ts';
import { dealShards, setDigest, unitKey, type Shard } from './split.ts';
import type { CheckShardRecord, ShardSplit } from './record.ts';

/** What one shard runs against each server, by name: case ids and property ids. */
export interface CheckShardPlan {
  cases: Map<string, Set<string>>;
  properties: Map<string, Set<string>>;
}

/**
 * The pairs of `shard`, from the whole work: every server, every selected case and property.
 * Each pair of the work is in exactly one shard of `shard.count`, whatever the order of the inputs.
 */
export function checkShardPlan(
  servers: readonly string[],
  cases: readonly Pick<CaseDefinition, 'id' | 'request' | 'timeoutMs' | 'methods'>[],
  propertyIds: readonly string[],
  shard: Shard,
): CheckShardPlan {
  const keys = new Map(cases.map((c) => [c.id, exchangeKey(c)]));
  const caseUnit = (server: string, id: string) => unitKey('case', server, keys.get(id) ?? id);
  const propertyUnit = (server: string, id: string) => unitKey('property', server, id);
  const caseDeal = dealShards(
    servers.flatMap((s) => cases.map((c) => caseUnit(s, c.id))),
    shard.count,
  );
  const propertyDeal = dealShards(
    servers.flatMap((s) => propertyIds.map((id) => propertyUnit(s, id))),
    shard.count,
  );
  const plan: CheckShardPlan = { cases: new Map(), properties: new Map() };
  for (const s of servers) {
    plan.cases.set(s, new Set(cases.filter((c) => caseDeal.get(caseUnit(s, c.id)) === shard.index).map((c) => c.id)));
    plan.properties.set(s, new Set(propertyIds.filter((id) => propertyDeal.get(propertyUnit(s, id)) === shard.index)));
  }
  return plan;
}

/** What a shard's check.json records about the work it is a part of. */
export function checkShardRecord(
  shard: Shard,
  servers: readonly string[],
  caseIds: readonly string[],
  propertyIds: readonly string[],
  split: ShardSplit = 'pairs',
  properties: { seed: number | null; mode: string } = { seed: null, mode: 'none' },
): CheckShardRecord {
  return {
    index: shard.index,
    count: shard.count,
    split,
    caseSet: setDigest(caseIds),
    cases: caseIds.length,
    properties: [...propertyIds],
    servers: [...servers],
    seed: properties.seed,
    propertiesMode: properties.mode,
  };
}
