/**
 * The split of `--shard i/n` (lib/shard/): the flag's values, and the plan of a check's shards:
 * every (server, case) and (server, property) pair in exactly one shard, the same split whatever
 * the order of loading, cases sharing one exchange kept together, shards even.
 */
import { describe, expect, it } from 'vitest';
import { dealShards, parseShard, setDigest, shardProblem } from '../../lib/shard/split.ts';
import { checkShardPlan } from '../../lib/shard/check-shard.ts';
import { loadCases } from '../../lib/conformance/registry.ts';
import { sharedSets } from '../../lib/conformance/runner/shared-exchanges.ts';
import { PROPERTY_IDS } from '../../lib/conformance/properties/registry.ts';
import { runInProcess } from './helpers/cli-in-process.ts';

const SERVERS = ['node-async', 'python-async', 'python-threaded'];

describe('--shard i/n', () => {
  it.each([
    ['1/1', { index: 1, count: 1 }],
    ['1/2', { index: 1, count: 2 }],
    ['2/2', { index: 2, count: 2 }],
    [' 3/7 ', { index: 3, count: 7 }],
  ])('%j is shard %j', (text, shard) => {
    expect(shardProblem(text)).toBeNull();
    expect(parseShard(text)).toEqual(shard);
  });

  it.each([
    ['', 'is not i/n (two whole numbers, such as 1/2)'],
    ['2', 'is not i/n (two whole numbers, such as 1/2)'],
    ['1/2/3', 'is not i/n (two whole numbers, such as 1/2)'],
    ['a/b', 'is not i/n (two whole numbers, such as 1/2)'],
    ['1.5/2', 'is not i/n (two whole numbers, such as 1/2)'],
    ['-1/2', 'is not i/n (two whole numbers, such as 1/2)'],
    ['0/2', 'counts shards from 1: i must be 1 or more'],
    ['1/0', 'has no shard: n must be 1 or more'],
    ['3/2', 'names shard 3 of 2: i must be at most n'],
    ['1/99999999999999999999', 'has a number too large'],
  ])('%j is refused: %s', async (text, problem) => {
    expect(shardProblem(text)).toBe(problem);
    const run = await runInProcess(['check', '--server', 'node-async', '--shard', text]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--shard ${JSON.stringify(text)}: ${problem}`);
  });
});

describe('dealing units', () => {
  const keys = Array.from({ length: 101 }, (_, i) => `unit-${i}`);

  it.each([1, 2, 3, 5, 8])('puts each of 101 units in exactly one of %i shards, the shards even', (n) => {
    const dealt = dealShards(keys, n);
    expect([...dealt.keys()].sort()).toEqual([...keys].sort());
    const sizes = Array.from({ length: n }, (_, i) => [...dealt.values()].filter((s) => s === i + 1).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('does not depend on the order of the keys', () => {
    const reversed = dealShards([...keys].reverse(), 3);
    const shuffled = dealShards(
      [...keys].sort((a, b) => (a.length - b.length) * 7 + a.localeCompare(b) * -1),
      3,
    );
    const forward = dealShards(keys, 3);
    for (const k of keys) {
      expect(reversed.get(k)).toBe(forward.get(k));
      expect(shuffled.get(k)).toBe(forward.get(k));
    }
  });

  it('names a set by its members, whatever their order', () => {
    expect(setDigest(['b', 'a', 'c'])).toBe(setDigest(['c', 'b', 'a']));
    expect(setDigest(['a', 'b'])).not.toBe(setDigest(['a', 'b', 'c']));
    expect(setDigest(['ab'])).not.toBe(setDigest(['a', 'b']));
  });
});

describe('the shards of a check', async () => {
  const cases = (await loadCases()).map((l) => l.case);
  const plans = (n: number, list = cases, servers = SERVERS) =>
    Array.from({ length: n }, (_, i) => checkShardPlan(servers, list, PROPERTY_IDS, { index: i + 1, count: n }));

  it.each([1, 2, 3, 4])('%i shards: every (server, case) and (server, property) pair exactly once', (n) => {
    const shards = plans(n);
    for (const server of SERVERS) {
      const caseIds = shards.flatMap((p) => [...(p.cases.get(server) ?? [])]);
      expect(caseIds.sort()).toEqual(cases.map((c) => c.id).sort());
      const propertyIds = shards.flatMap((p) => [...(p.properties.get(server) ?? [])]);
      expect(propertyIds.sort()).toEqual([...PROPERTY_IDS].sort());
    }
  });

  it('gives each shard a fair share of the cases', () => {
    const sizes = plans(2).map((p) => SERVERS.reduce((t, s) => t + (p.cases.get(s)?.size ?? 0), 0));
    const total = SERVERS.length * cases.length;
    // Units of shared exchanges are dealt whole, so a shard may hold a few cases more than half.
    for (const size of sizes) expect(Math.abs(size - total / 2)).toBeLessThan(total / 10);
  });

  it('keeps the cases that share one exchange in one shard, for each server', () => {
    const sets = sharedSets(cases);
    expect(sets.length).toBeGreaterThan(0);
    for (const plan of plans(3))
      for (const server of SERVERS) {
        const mine = plan.cases.get(server) ?? new Set<string>();
        for (const set of sets) expect(new Set(set.map((id) => mine.has(id))).size).toBe(1);
      }
  });

  it('is the same split whatever order the cases and servers were loaded in', () => {
    const forward = plans(3);
    const backward = plans(3, [...cases].reverse(), [...SERVERS].reverse());
    for (const [i, plan] of forward.entries())
      for (const server of SERVERS) {
        expect([...(backward[i]?.cases.get(server) ?? [])].sort()).toEqual([...(plan.cases.get(server) ?? [])].sort());
        expect([...(backward[i]?.properties.get(server) ?? [])].sort()).toEqual(
          [...(plan.properties.get(server) ?? [])].sort(),
        );
      }
  });

  it('splits what --case and --group selected, and only that', () => {
    const selected = cases.filter((c) => c.id.startsWith('chunked-'));
    expect(selected.length).toBeGreaterThan(2);
    const caseIds = plans(2, selected).flatMap((p) => [...(p.cases.get('node-async') ?? [])]);
    expect(caseIds.sort()).toEqual(selected.map((c) => c.id).sort());
  });
});
