/**
 * bench --shard (lib/shard/bench-shard.ts) splits by server, and `gauntlet merge` of bench shards
 * (lib/shard/merge-bench.ts) refuses shards of different runs and never compares servers
 * measured in different shards (lib/compare/index.ts).
 */
import { describe, expect, it } from 'vitest';
import { benchShard } from '../../lib/shard/bench-shard.ts';
import { mergeBenchShards, type ShardBenchFile } from '../../lib/shard/merge-bench.ts';
import { MergeError } from '../../lib/shard/merge-check.ts';
import { compareRun } from '../../lib/compare/index.ts';
import { machineInfo } from '../../lib/machine.ts';
import { runInProcess } from './helpers/cli-in-process.ts';

const SERVERS = [
  { name: 'node-async', model: 'async', language: 'typescript' },
  { name: 'node-threaded', model: 'threaded', language: 'typescript' },
  { name: 'python-async', model: 'async', language: 'python' },
  { name: 'python-threaded', model: 'threaded', language: 'python' },
];

describe('bench --shard: by server', () => {
  it.each([1, 2, 3, 4])('puts every server in exactly one of %i shards', (n) => {
    const names = Array.from({ length: n }, (_, i) => benchShard(SERVERS, { index: i + 1, count: n }))
      .flatMap((s) => s?.servers ?? [])
      .map((s) => s.name);
    expect(names.sort()).toEqual(SERVERS.map((s) => s.name).sort());
  });

  it('records the whole work in every shard', () => {
    expect(benchShard(SERVERS, { index: 2, count: 2 })?.record).toEqual({
      index: 2,
      count: 2,
      servers: SERVERS.map((s) => s.name),
    });
  });

  it('refuses more shards than servers, naming the flag', async () => {
    const run = await runInProcess(['bench', '--server', 'node-async', '--server', 'python-async', '--shard', '3/3']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      '--shard "3/3": bench splits by server and there are 2 server(s): give at most 2 shards',
    );
  });
});

/** A shard's results.json of bench, its servers measured with no cell (the comparison needs none to pair). */
function benchFile(index: number, names: string[], change: Record<string, unknown> = {}): ShardBenchFile {
  const record = {
    schemaVersion: 1,
    tool: 'gauntlet',
    command: 'bench',
    version: '0.1.0',
    startedAt: `2026-01-01T00:00:0${index}.000Z`,
    finishedAt: `2026-01-01T00:01:0${index}.000Z`,
    status: 'complete',
    machine: { ...machineInfo(), hostname: `runner-${index}` },
    servers: SERVERS.filter((s) => names.includes(s.name)).map((s) => ({ ...s, command: 'x', source: 'y' })),
    mode: 'close',
    path: '/',
    matrix: { name: 'seed', groups: [{ requests: 100, concurrencies: [1] }] },
    rounds: 1,
    keepGoing: false,
    request: { method: 'GET', headers: [], body: null, paths: ['/'] },
    cells: [],
    findings: [],
    shard: { index, count: 2, servers: SERVERS.map((s) => s.name) },
    ...change,
  };
  return { from: `shard-${index}`, record };
}

const ONE = benchFile(1, ['node-async', 'python-async', 'python-threaded']);
const TWO = benchFile(2, ['node-threaded']);

describe('merging bench shards', () => {
  it('keeps the servers in the order given, each shard with its machine and servers', () => {
    const run = mergeBenchShards([TWO, ONE]);
    expect(run.servers.map((s) => s.name)).toEqual(SERVERS.map((s) => s.name));
    expect(run.shard).toBeUndefined();
    expect(run.merged?.shards.map((s) => [s.index, s.machine.hostname, s.servers])).toEqual([
      [1, 'runner-1', ['node-async', 'python-async', 'python-threaded']],
      [2, 'runner-2', ['node-threaded']],
    ]);
  });

  it('compares only servers of one shard', () => {
    const comparison = compareRun(mergeBenchShards([ONE, TWO]));
    expect(comparison.pairs.map((p) => [p.a.name, p.b.name])).toEqual([['python-async', 'python-threaded']]);
    expect(comparison.conclusion.join('\n')).toContain(
      'node-async and node-threaded differ only in concurrency model but were measured in different shards',
    );
    expect(comparison.unpaired.map((u) => [u.name, u.reason])).toEqual([
      ['node-async', 'its counterpart was measured in another shard, on another machine'],
      ['node-threaded', 'its counterpart was measured in another shard, on another machine'],
    ]);
  });

  it.each<[string, ShardBenchFile[], string]>([
    [
      'a check.json',
      [{ from: 'c', record: { tool: 'gauntlet', command: 'check' } }],
      'c/results.json is not a results.json written by gauntlet bench',
    ],
    [
      'an unsharded bench',
      [ONE, benchFile(2, ['node-threaded'], { shard: undefined })],
      "shard-2/results.json is not a shard's",
    ],
    [
      'another matrix',
      [ONE, benchFile(2, ['node-threaded'], { matrix: { name: 'tugas9', groups: [] } })],
      '(different matrices: ',
    ],
    [
      'another mode',
      [ONE, benchFile(2, ['node-threaded'], { mode: 'keepalive' })],
      '(different modes: "close" and "keepalive")',
    ],
    [
      'another version',
      [ONE, benchFile(2, ['node-threaded'], { version: '9.9.9' })],
      '(different Gauntlet versions: "0.1.0" and "9.9.9")',
    ],
    [
      'the same shard twice',
      [ONE, { ...ONE, from: 'again' }],
      'shard-1 and again are both shard 1/2: give each shard once',
    ],
    ['a shard missing', [TWO], 'shard 1/2 missing: a merge needs all 2 shards'],
  ])('refuses %s', (_, files, message) => {
    expect(() => mergeBenchShards(files)).toThrow(MergeError);
    expect(() => mergeBenchShards(files)).toThrow(message);
  });
});
