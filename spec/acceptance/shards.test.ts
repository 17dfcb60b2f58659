/**
 * `gauntlet check --shard` end to end against a reference server: one unsharded run, then shards
 * 1/2 and 2/2 and `gauntlet merge`, with GAUNTLET_SEED fixed. The merged record holds every
 * (server, case) pair exactly once, in the unsharded run's order, with the same verdicts for
 * every case outside the timeouts group (those race a server's timers, which a shard's other load
 * moves), the same properties' verdicts and the same exit code; the shards' and the merged
 * check.json follow the schema, which describes each of their fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemaProblems } from '../golden/follows-schema.ts';
import { runCli, type CliRun } from '../unit/helpers/cli-child.ts';

const SERVER = 'node-async';
const SEED = '424242';
/** Cases about a server's timeouts: their verdicts race the server's timers, not the split. */
const TIMING_GROUP = 'timeouts';

interface Record {
  cases: Array<{ id: string; group: string }>;
  results: Array<{ server: string; caseId: string; verdict: string }>;
  servers: Array<{ name: string; properties?: Array<{ id: string; verdict: string; seed: number }> }>;
  shard?: { index: number; count: number };
  merged?: { count: number; shards: Array<{ index: number }> };
}

let dir = '';
const runs: { [name: string]: CliRun } = {};
const records: { [name: string]: Record } = {};

async function check(name: string, extra: string[]): Promise<void> {
  runs[name] = await runCli(['check', '--server', SERVER, '--out', join(dir, name), ...extra], {
    env: { GAUNTLET_SEED: SEED },
  });
  records[name] = JSON.parse(await readFile(join(dir, name, 'check.json'), 'utf8')) as Record;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gauntlet-shards-'));
  await check('whole', []);
  await check('shard-1', ['--shard', '1/2']);
  await check('shard-2', ['--shard', '2/2']);
  runs.merged = await runCli(['merge', join(dir, 'shard-2'), join(dir, 'shard-1'), '--out', join(dir, 'merged')]);
  records.merged = JSON.parse(await readFile(join(dir, 'merged', 'check.json'), 'utf8')) as Record;
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const pair = (r: { server: string; caseId: string }) => `${r.server} ${r.caseId}`;

describe('two shards of gauntlet check, merged', () => {
  it('split the pairs: each shard records itself, and every pair is in exactly one shard', () => {
    const [one, two, whole] = [records['shard-1']!, records['shard-2']!, records.whole!];
    expect(one.shard).toMatchObject({ index: 1, count: 2 });
    expect(two.shard).toMatchObject({ index: 2, count: 2 });
    const ones = one.results.map(pair);
    const twos = two.results.map(pair);
    expect(ones.length).toBeGreaterThan(0);
    expect(twos.length).toBeGreaterThan(0);
    expect(ones.filter((p) => twos.includes(p))).toEqual([]);
    expect([...ones, ...twos].sort()).toEqual(whole.results.map(pair).sort());
  });

  it('merge into every pair exactly once, in the unsharded order', () => {
    const merged = records.merged!.results.map(pair);
    expect(new Set(merged).size).toBe(merged.length);
    expect(merged).toEqual(records.whole!.results.map(pair));
    expect(records.merged!.merged?.shards.map((s) => s.index)).toEqual([1, 2]);
    expect(runs.merged?.code).toBe(runs.whole?.code);
  });

  it('give the unsharded verdict of every case outside the timeouts group', () => {
    const whole = records.whole!;
    const group = new Map(whole.cases.map((c) => [c.id, c.group]));
    const verdicts = new Map(records.merged!.results.map((r) => [pair(r), r.verdict]));
    const compared = whole.results.filter((r) => group.get(r.caseId) !== TIMING_GROUP);
    expect(compared.length).toBeGreaterThan(whole.results.length / 2);
    const differing = compared
      .filter((r) => verdicts.get(pair(r)) !== r.verdict)
      .map((r) => `${pair(r)}: ${r.verdict} unsharded, ${verdicts.get(pair(r))} merged`);
    expect(differing).toEqual([]);
  });

  it('run every property once, with the fixed seed and the unsharded verdicts', () => {
    const props = (r: Record) =>
      r.servers.flatMap((s) => (s.properties ?? []).map((p) => `${s.name} ${p.id} ${p.verdict} ${p.seed}`));
    expect(props(records.whole!).length).toBeGreaterThan(0);
    expect(props(records.merged!)).toEqual(props(records.whole!));
    expect(props(records.whole!).every((p) => p.endsWith(` ${SEED}`))).toBe(true);
  });

  it('write the three reports of a check, and check.json as its schema says', async () => {
    expect((await readdir(join(dir, 'merged'))).sort()).toEqual(['check.html', 'check.json', 'check.junit.xml']);
    for (const name of ['shard-1', 'merged'])
      expect(await schemaProblems('check', records[name]), name).toEqual({ errors: [], undescribed: [] });
  });
});
