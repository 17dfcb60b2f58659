/**
 * `gauntlet merge` of check shards (lib/shard/merge-check.ts, lib/cli/merge-command.ts): shards
 * of one work make the record an unsharded run writes; anything else is refused, naming the
 * folders, with the usage-error exit code and nothing written.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MergeError, mergeCheckShards, type ShardCheckFile } from '../../lib/shard/merge-check.ts';
import { checkShardRecord } from '../../lib/shard/check-shard.ts';
import { machineInfo } from '../../lib/machine.ts';
import { runFailed } from '../../lib/conformance/summary.ts';
import { renderCheckJson } from '../../lib/report/json/check-json.ts';
import { runInProcess } from './helpers/cli-in-process.ts';

const SERVERS = ['a', 'b'];
const CASES = ['c1', 'c2', 'c3'];

interface Shape {
  index: number;
  count?: number;
  version?: string;
  cases?: string[];
  servers?: string[];
  properties?: string[];
  results?: Array<[string, string, string]>;
  status?: string;
  noShard?: boolean;
  command?: string;
  seed?: number | null;
  propertiesMode?: string;
}

/** A shard's check.json as check --shard writes it, for the pairs given as [server, case, verdict]. */
function shardFile(shape: Shape): ShardCheckFile {
  const count = shape.count ?? 2;
  const cases = shape.cases ?? CASES;
  const servers = shape.servers ?? SERVERS;
  const results = shape.results ?? [];
  const record = {
    schemaVersion: 1,
    tool: 'gauntlet',
    command: shape.command ?? 'check',
    version: shape.version ?? '0.1.0',
    startedAt: `2026-01-01T00:00:0${shape.index}.000Z`,
    finishedAt: `2026-01-01T00:01:0${shape.index}.000Z`,
    status: shape.status ?? 'complete',
    machine: { ...machineInfo(), hostname: `runner-${shape.index}` },
    servers: [...new Set(results.map(([s]) => s))].map((name) => ({
      name,
      command: `run ${name}`,
      source: '--server',
      capabilities: [],
      serverFlag: `--server ${name}`,
    })),
    cases: cases.map((id) => ({ id, name: id, rfc: 'RFC 9112 §6.1', level: 'MUST', group: 'g' })),
    results: results.map(([server, caseId, verdict]) => ({
      caseId,
      server,
      verdict,
      reason: verdict === 'pass' ? '' : 'why',
      durationMs: 1,
      exchange: null,
      ...(verdict === 'fail' ? { wireLog: `log of ${server} ${caseId}`, replay: 'replay', printfReplay: null } : {}),
    })),
    ...(shape.noShard
      ? {}
      : {
          shard: checkShardRecord({ index: shape.index, count }, servers, cases, shape.properties ?? ['p1'], 'pairs', {
            seed: shape.seed === undefined ? 7 : shape.seed,
            mode: shape.propertiesMode ?? 'quick',
          }),
        }),
  };
  return { from: `shard-${shape.index}`, record };
}

const ONE = shardFile({
  index: 1,
  results: [
    ['b', 'c1', 'pass'],
    ['a', 'c3', 'fail'],
  ],
});
const TWO = shardFile({
  index: 2,
  results: [
    ['a', 'c1', 'pass'],
    ['a', 'c2', 'n/a'],
    ['b', 'c2', 'pass'],
    ['b', 'c3', 'warn'],
  ],
});

describe('merging the shards of a check', () => {
  it('makes one record: servers in the order given, each server’s results in case order, each pair once', () => {
    const run = mergeCheckShards([TWO, ONE]);
    expect(run.servers.map((s) => s.name)).toEqual(['a', 'b']);
    expect(run.results.map((r) => `${r.server} ${r.caseId} ${r.verdict}`)).toEqual([
      'a c1 pass',
      'a c2 n/a',
      'a c3 fail',
      'b c1 pass',
      'b c2 pass',
      'b c3 warn',
    ]);
    expect(run.shard).toBeUndefined();
    expect(run.merged?.shards.map((s) => [s.index, s.from, s.machine.hostname])).toEqual([
      [1, 'shard-1', 'runner-1'],
      [2, 'shard-2', 'runner-2'],
    ]);
    expect([run.startedAt, run.finishedAt]).toEqual(['2026-01-01T00:00:01.000Z', '2026-01-01T00:01:02.000Z']);
    expect(runFailed(run)).toBe(true);
  });

  it('writes each result in check.json as its shard’s file had it', () => {
    const json = JSON.parse(renderCheckJson(mergeCheckShards([ONE, TWO]))) as {
      results: Array<Record<string, unknown>>;
    };
    const fail = json.results.find((r) => r.caseId === 'c3' && r.server === 'a');
    expect(fail).toEqual({
      caseId: 'c3',
      server: 'a',
      verdict: 'fail',
      reason: 'why',
      durationMs: 1,
      exchange: null,
      wireLog: 'log of a c3',
      replay: 'replay',
      printfReplay: null,
    });
  });

  it('marks the merge interrupted when a shard was', () => {
    const stopped = shardFile({ index: 2, status: 'interrupted', results: [['a', 'c1', 'pass']] });
    expect(mergeCheckShards([ONE, stopped]).status).toBe('interrupted');
  });

  it.each<[string, ShardCheckFile[], string]>([
    ['no shard at all', [], 'no folder to merge'],
    [
      'a file of another command',
      [shardFile({ index: 1, command: 'bench' })],
      'shard-1/check.json is not a check.json written by gauntlet check',
    ],
    [
      'an unsharded check',
      [ONE, shardFile({ index: 2, noShard: true })],
      'shard-2/check.json is not a shard\'s (no "shard" field): only runs of check --shard i/n merge',
    ],
    [
      'another version',
      [ONE, shardFile({ index: 2, version: '0.2.0' })],
      'shard-1 and shard-2 are shards of different runs (different Gauntlet versions: "0.1.0" and "0.2.0")',
    ],
    [
      'another case set',
      [ONE, shardFile({ index: 2, cases: ['c1', 'c2'] })],
      'shard-1 and shard-2 are shards of different runs (different case sets',
    ],
    [
      'other properties',
      [ONE, shardFile({ index: 2, properties: ['p2'] })],
      'shard-1 and shard-2 are shards of different runs (different properties: "p1" and "p2")',
    ],
    [
      'other servers',
      [ONE, shardFile({ index: 2, servers: ['a'] })],
      'shard-1 and shard-2 are shards of different runs (different servers: "a, b" and "a")',
    ],
    [
      'another split',
      [ONE, shardFile({ index: 2, count: 3 })],
      'shard-1 and shard-2 are shards of different runs (different shard counts: 2 and 3)',
    ],
    [
      'another seed',
      [ONE, shardFile({ index: 2, seed: 8 })],
      'shard-1 and shard-2 are shards of different runs (different property seeds (fix GAUNTLET_SEED or --seed for every shard): 7 and 8)',
    ],
    [
      'another properties mode',
      [ONE, shardFile({ index: 2, propertiesMode: 'thorough' })],
      'shard-1 and shard-2 are shards of different runs (different property modes: "quick" and "thorough")',
    ],
    [
      'the same shard twice',
      [ONE, { ...ONE, from: 'again' }],
      'shard-1 and again are both shard 1/2: give each shard once',
    ],
    ['a shard missing', [TWO], 'shard 1/2 missing: a merge needs all 2 shards'],
    ['two shards missing', [shardFile({ index: 2, count: 3 })], 'shards 1/3, 3/3 missing: a merge needs all 3 shards'],
    [
      'a pair in two shards',
      [ONE, shardFile({ index: 2, results: [['b', 'c1', 'pass']] })],
      'shard-1 and shard-2 both hold case c1 against b',
    ],
  ])('refuses %s', (_, files, message) => {
    expect(() => mergeCheckShards(files)).toThrow(MergeError);
    expect(() => mergeCheckShards(files)).toThrow(message);
  });
});

describe('gauntlet merge on the command line', () => {
  async function folder(file: ShardCheckFile | string | null): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-merge-'));
    if (file !== null)
      await writeFile(
        join(dir, 'check.json'),
        typeof file === 'string' ? file : JSON.stringify({ ...(file.record as object) }),
      );
    return dir;
  }

  it.each<[string, () => Promise<string[]>, string]>([
    ['no folder', () => Promise.resolve([]), 'no folder to merge: name the report folder of every shard'],
    ['a folder without check.json', async () => [await folder(null)], 'holds no check.json'],
    ['a check.json that is no JSON', async () => [await folder('{ nope')], 'check.json is not JSON'],
    ['a missing shard', async () => [await folder(ONE)], 'shard 2/2 missing: a merge needs all 2 shards'],
    ['an unknown flag', async () => [await folder(ONE), '--shard', '1/2'], "Unknown option '--shard'"],
  ])('refuses %s with exit 2 and writes nothing', async (_, args, message) => {
    const out = join(await mkdtemp(join(tmpdir(), 'gauntlet-merge-out-')), 'merged');
    const run = await runInProcess(['merge', ...(await args()), '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Run "gauntlet merge --help" for its options.');
    await expect(readdir(out)).rejects.toThrow();
  });

  it('writes the merged reports, and exits 1 when the merged verdicts fail', async () => {
    const dirs = [await folder(ONE), await folder(TWO)];
    const out = join(await mkdtemp(join(tmpdir(), 'gauntlet-merge-out-')), 'merged');
    await mkdir(out);
    const run = await runInProcess(['merge', ...dirs, '--out', out]);
    expect(run.code).toBe(1);
    expect((await readdir(out)).sort()).toEqual(['check.html', 'check.json', 'check.junit.xml']);
    expect(run.stdout).toContain('FAIL');
    expect(run.stderr).toContain(`reports: ${join(out, 'check.junit.xml')}`);
  });
});
