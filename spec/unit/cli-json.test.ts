/**
 * `--json` on check and gate (bench's is in spec/perf/open-model.test.ts): stdout holds the run's
 * record alone, byte for byte the file written, and what people read goes to stderr.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from './helpers/cli-in-process.ts';

async function outDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'gauntlet-json-'));
}

describe('--json', () => {
  it('check: stdout is check.json, the grid is on stderr', async () => {
    const out = await outDir();
    const run = await runInProcess([
      'check',
      '--server',
      'python-async',
      '--group',
      'host',
      '--properties',
      'none',
      '--json',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(await readFile(join(out, 'check.json'), 'utf8'));
    const record = JSON.parse(run.stdout) as { command: string; results: unknown[] };
    expect(record.command).toBe('check');
    expect(record.results.length).toBeGreaterThan(0);
    expect(run.stderr).toContain('host-');
  }, 60_000);

  it('gate: stdout is results.json, the report is on stderr', async () => {
    const out = await outDir();
    const run = await runInProcess([
      'gate',
      '--claim',
      'node-async: rps > 1',
      '--matrix',
      '20:1',
      '--max-time',
      '1',
      '--warmup',
      '0.2',
      '--no-baseline',
      '--no-pin',
      '--no-annotations',
      '--json',
      '--out',
      out,
    ]);
    expect([0, 1], run.stderr).toContain(run.code);
    expect(run.stdout).toBe(await readFile(join(out, 'results.json'), 'utf8'));
    const record = JSON.parse(run.stdout) as { command: string; claims: unknown[] };
    expect(record.command).toBe('gate');
    expect(record.claims).toHaveLength(1);
    expect(run.stderr).toContain('node-async: rps > 1');
  }, 90_000);
});
