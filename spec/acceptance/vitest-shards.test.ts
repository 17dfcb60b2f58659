/**
 * What the workflow's test job relies on (.github/workflows/gauntlet.yml): vitest run on two
 * shards of a suite with the blob reporter writes one blob per shard, and --merge-reports makes
 * of them one report of every test (here JUnit, as the workflow publishes it). The suite is a tiny
 * one of its own (fixtures/vitest-shards), copied to a temporary folder, not this project's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../lib/paths.ts';

const run = promisify(execFile);
const VITEST = join(PROJECT_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const SUITE = join(PROJECT_ROOT, 'fixtures', 'vitest-shards');

let dir = '';

async function vitest(args: string[]): Promise<string> {
  const env = { ...process.env };
  // This test runs under vitest: its workers' variables would make the child think it is one.
  for (const name of Object.keys(env)) if (name.startsWith('VITEST')) delete env[name];
  const { stdout, stderr } = await run(process.execPath, [VITEST, 'run', ...args], { cwd: dir, env });
  return `${stdout}${stderr}`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gauntlet-vitest-shards-'));
  await cp(SUITE, dir, { recursive: true });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('vitest shards with the blob reporter, merged', () => {
  it('write a blob per shard, and --merge-reports reports every test once', async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.test.mjs'));
    expect(files.length).toBeGreaterThan(2);
    await vitest(['--shard=1/2', '--reporter=blob']);
    await vitest(['--shard=2/2', '--reporter=blob']);
    expect((await readdir(join(dir, '.vitest-reports'))).sort()).toEqual(['blob-1-2.json', 'blob-2-2.json']);
    await vitest(['--merge-reports', '--reporter=junit', '--outputFile.junit=merged.junit.xml']);
    const junit = await readFile(join(dir, 'merged.junit.xml'), 'utf8');
    const suites = [...junit.matchAll(/<testsuite name="([^"]+)"/g)].map((m) => m[1]).sort();
    expect(suites).toEqual([...files].sort());
    expect(junit).toMatch(new RegExp(`<testsuites name="vitest tests" tests="${files.length}" failures="0"`));
  });
});
