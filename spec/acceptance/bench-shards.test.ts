/**
 * `gauntlet bench --shard` end to end: two servers a comparison would pair, split over two shards
 * (one each), then `gauntlet merge`. The merged results.json holds both servers' cells, names
 * each shard's machine and servers, and does not compare the two; the shards' and the merged
 * results.json follow the schema, which describes each of their fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResults } from '../../lib/types.ts';
import { schemaProblems } from '../golden/follows-schema.ts';
import { runCli, type CliRun } from '../unit/helpers/cli-child.ts';

const SERVERS = ['node-async', 'node-threaded'];
/** One short cell: what is checked is where the figures go, not the figures. */
const CELL = ['--concurrency', '1', '--requests', '50', '--rounds', '1', '--no-check'];

let dir = '';
let merge: CliRun | undefined;
const records: { [name: string]: RunResults } = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gauntlet-bench-shards-'));
  const servers = SERVERS.flatMap((s) => ['--server', s]);
  for (const i of [1, 2]) {
    const run = await runCli(['bench', ...servers, ...CELL, '--shard', `${i}/2`, '--out', join(dir, `shard-${i}`)]);
    if (run.code !== 0) throw new Error(`bench --shard ${i}/2 exited ${run.code}:\n${run.stderr}`);
    records[`shard-${i}`] = JSON.parse(await readFile(join(dir, `shard-${i}`, 'results.json'), 'utf8')) as RunResults;
  }
  merge = await runCli(['merge', join(dir, 'shard-1'), join(dir, 'shard-2'), '--out', join(dir, 'merged')]);
  records.merged = JSON.parse(await readFile(join(dir, 'merged', 'results.json'), 'utf8')) as RunResults;
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('two shards of gauntlet bench, merged', () => {
  it('measure each server on exactly one shard', () => {
    const measured = [1, 2].map((i) => records[`shard-${i}`]?.servers.map((s) => s.name) ?? []);
    expect(measured.flat().sort()).toEqual([...SERVERS].sort());
    for (const names of measured) expect(names).toHaveLength(1);
  });

  it('merge into every server’s cells, in the order given, without comparing servers of different shards', async () => {
    expect(merge?.code).toBe(0);
    const run = records.merged!;
    expect(run.servers.map((s) => s.name)).toEqual(SERVERS);
    expect([...new Set(run.cells.map((c) => c.server))]).toEqual(SERVERS);
    expect(
      run.merged?.shards
        .map((s) => s.servers)
        .flat()
        .sort(),
    ).toEqual([...SERVERS].sort());
    expect(run.comparison?.pairs).toEqual([]);
    expect(run.comparison?.conclusion.join(' ')).toContain('were measured in different shards');
    expect((await readdir(join(dir, 'merged'))).sort()).toEqual(['report.html', 'report.md', 'results.json']);
  });

  it('write results.json as its schema says', async () => {
    for (const name of ['shard-1', 'merged'])
      expect(await schemaProblems('bench', records[name]), name).toEqual({ errors: [], undescribed: [] });
  });
});

describe('a bench shard that did not finish', () => {
  it('is merged with what it measured, and the merge exits 1 naming it', async () => {
    const { cp, writeFile } = await import('node:fs/promises');
    const stopped = join(dir, 'shard-2-stopped');
    await cp(join(dir, 'shard-2'), stopped, { recursive: true });
    const record = JSON.parse(await readFile(join(stopped, 'results.json'), 'utf8')) as RunResults;
    await writeFile(join(stopped, 'results.json'), JSON.stringify({ ...record, status: 'interrupted' }));
    const run = await runCli(['merge', join(dir, 'shard-1'), stopped, '--out', join(dir, 'merged-stopped')]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`gauntlet merge: not every shard finished: ${stopped}`);
    const merged = JSON.parse(await readFile(join(dir, 'merged-stopped', 'results.json'), 'utf8')) as RunResults;
    expect(merged.status).toBe('interrupted');
  });
});
