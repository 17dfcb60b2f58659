/**
 * .github/workflows/gauntlet.yml as data: the test suite and the check run as matrices of
 * shards whose --shard i/n name every shard of their matrix, each shard's folder is uploaded,
 * and a last job, run whatever the shards' verdicts, merges both, publishes the JUnit and writes
 * the job summary. A workflow is only run on GitHub, so what can be checked here is checked here.
 */
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../lib/paths.ts';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

interface Job {
  needs?: string | string[];
  if?: string;
  strategy?: { 'fail-fast'?: boolean; matrix?: { shard?: unknown } };
  env?: Record<string, unknown>;
  steps: Step[];
}

const workflow = parse(await readFile(join(PROJECT_ROOT, '.github', 'workflows', 'gauntlet.yml'), 'utf8')) as {
  jobs: Record<string, Job>;
};

function job(name: string): Job {
  const found = workflow.jobs[name];
  if (!found) throw new Error(`the workflow has no job ${name}`);
  return found;
}

/** The matrix's shards, which must be 1..n, and n. */
function shards(j: Job): number[] {
  const list = j.strategy?.matrix?.shard;
  expect(Array.isArray(list)).toBe(true);
  return list as number[];
}

function runOf(j: Job, pattern: RegExp): string {
  const step = j.steps.find((s) => s.run !== undefined && pattern.test(s.run));
  expect(step, `a step running ${pattern}`).toBeDefined();
  return step?.run ?? '';
}

function upload(j: Job): Step | undefined {
  return j.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
}

describe('the workflow of shards', () => {
  it('runs the test suite as a matrix of shards, each writing its blob report, uploaded', () => {
    const test = job('test');
    const list = shards(test);
    expect(list).toEqual(Array.from({ length: list.length }, (_, i) => i + 1));
    expect(list.length).toBeGreaterThan(1);
    expect(test.strategy?.['fail-fast']).toBe(false);
    const run = runOf(test, /vitest|npm test/);
    expect(run).toContain(`--shard=\${{ matrix.shard }}/${list.length}`);
    expect(run).toContain('--reporter=blob');
    const up = upload(test);
    expect(up?.if).toBe('always()');
    expect(String(up?.with?.path)).toMatch(/^\.vitest-reports\/?$/);
    expect(String(up?.with?.name)).toContain('${{ matrix.shard }}');
  });

  it('runs gauntlet check as a matrix of shards with one seed, each folder uploaded', () => {
    const check = job('check');
    const list = shards(check);
    expect(list).toEqual(Array.from({ length: list.length }, (_, i) => i + 1));
    expect(list.length).toBeGreaterThan(1);
    const run = runOf(check, /gauntlet check/);
    expect(run).toContain(`--shard \${{ matrix.shard }}/${list.length}`);
    expect(run).toContain('--out reports/check-shard-${{ matrix.shard }}');
    // The properties of every shard draw from the same seed, so the merged run has one: a value
    // set once for the job, the same in every shard (nothing of the matrix in it).
    const seed = check.env?.GAUNTLET_SEED;
    expect(seed).toEqual(expect.stringMatching(/\S/));
    expect(seed).not.toMatch(/matrix\./);
    const up = upload(check);
    expect(up?.if).toBe('always()');
    expect(up?.with?.path).toBe('reports/check-shard-${{ matrix.shard }}/');
    expect(up?.with?.name).toBe('check-shard-${{ matrix.shard }}');
  });

  it('merges both in a last job, whatever the shards did, and publishes them', () => {
    const report = job('report');
    expect([report.needs].flat().sort()).toEqual(['check', 'test']);
    expect(report.if).toBe('always()');
    const downloads = report.steps.filter((s) => s.uses?.startsWith('actions/download-artifact@'));
    expect(downloads.map((s) => s.with?.pattern).sort()).toEqual(['check-shard-*', 'vitest-blob-*']);
    const blobs = downloads.find((s) => s.with?.pattern === 'vitest-blob-*');
    expect(blobs?.with?.path).toBe('.vitest-reports');
    expect(blobs?.with?.['merge-multiple']).toBe(true);
    expect(runOf(report, /vitest run --merge-reports/)).toContain('--reporter=junit');
    const merge = runOf(report, /gauntlet merge/);
    const checkShards = shards(job('check'));
    for (const i of checkShards) expect(merge).toContain(`shards/check-shard-${i}`);
    const publish = report.steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report@'));
    expect(publish?.if).toBe('always()');
    expect(String(publish?.with?.report_paths)).toContain('check.junit.xml');
    expect(runOf(report, /GITHUB_STEP_SUMMARY/)).toContain('reports/check/check.json');
  });

  it('keeps the perf gate job', () => {
    expect(runOf(job('test-and-gate'), /gauntlet gate/)).toContain('--out reports/gate');
  });
});
