/**
 * The open model against a server that stops answering for 0.5 s every 2 s
 * (fixtures/pathological/gc-pause): measured at a fixed rate, each request timed from when it was
 * meant to be sent, the pauses weigh in the percentiles as long as they last (a quarter of the
 * time: p99 is deep inside a pause), and the client keeps its schedule; measured in a closed loop,
 * the same server hides them, and the run says so, while a reference server's closed loop is not
 * flagged. Each run is the real `gauntlet bench --json`, whose stdout must be results.json alone,
 * valid against its schema, with p99.9 for every cell.
 * Serial (perf project): these are timings. The two figures asserted tightly (p99 at least
 * 250 ms, the sent rate within 2% of the target) are the specification; the rest has slack.
 */
import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { OMISSION_ID } from '../../lib/diagnostics/index.ts';
import type { RunResults } from '../../lib/types.ts';
import { guardedRun } from '../helpers/guarded-run.ts';

const GC_PAUSE = join(PROJECT_ROOT, 'fixtures', 'pathological', 'gc-pause');

async function benchJson(extra: string[]): Promise<RunResults> {
  const out = await mkdtemp(join(tmpdir(), 'gauntlet-open-'));
  const args = ['bench', '--mode', 'keepalive', '--rounds', '1', '--no-check', '--json', '--out', out, ...extra];
  const run = await guardedRun(args, { watch: [GC_PAUSE], wallBoundMs: 60_000 });
  expect(run.exitCode, run.stderr).toBe(0);
  expect(run.leftovers).toEqual([]);
  // stdout is the record alone, the same as the file written.
  const printed = JSON.parse(run.stdout) as RunResults;
  const written = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
  expect(printed).toEqual(written);
  await expectValid(printed);
  for (const c of printed.cells) expect(c.result.percentilesUs?.p99_9, JSON.stringify(c.result)).toBeGreaterThan(0);
  return printed;
}

async function expectValid(results: RunResults): Promise<void> {
  const schema = JSON.parse(await readFile(join(PROJECT_ROOT, 'schemas', 'results.schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  ajvFormats.default(ajv);
  const validate = ajv.compile(schema);
  expect(validate(results), JSON.stringify(validate.errors, null, 1)).toBe(true);
}

describe('the open model against a server that pauses', () => {
  it('times every request from its intended send: p99 inside the pauses, the rate kept', async () => {
    const run = await benchJson(['--server', GC_PAUSE, '--rate', '1000', '--duration', '6s', '--concurrency', '10']);
    expect(run.rate).toBe(1000);
    expect(run.cells).toHaveLength(1);
    const cell = run.cells[0]!;
    expect(cell).toMatchObject({ durationS: 6, rate: 1000, concurrency: 10 });
    const r = cell.result;
    const shown = JSON.stringify({ percentilesUs: r.percentilesUs, open: r.open, failed: r.failedRequests });
    expect(r.percentilesUs!.p99, shown).toBeGreaterThanOrEqual(250_000);
    expect(Math.abs(r.open!.achievedRate - 1000) / 1000, shown).toBeLessThanOrEqual(0.02);
    expect(r.open).toMatchObject({ targetRate: 1000, scheduledS: 6, scheduled: 6000 });
    // A pause makes requests wait for a connection: the schedule saw it.
    expect(r.open!.maxSendDelayMs, shown).toBeGreaterThan(100);
    expect(r.omission).toBeUndefined();
  }, 90_000);

  it('flags the closed loop of the same server for coordinated omission', async () => {
    const run = await benchJson(['--server', GC_PAUSE, '--duration', '6s', '--concurrency', '10']);
    const r = run.cells[0]!.result;
    expect(r.open).toBeUndefined();
    expect(r.omission, JSON.stringify(r.percentilesUs)).toBeDefined();
    expect(r.omission!.timeShare).toBeGreaterThan(0.1);
    expect((run.findings ?? []).map((f) => f.id)).toContain(OMISSION_ID);
  }, 90_000);

  it("does not flag a reference server's closed loop", async () => {
    const run = await benchJson(['--server', 'node-async', '--duration', '6s', '--concurrency', '10']);
    const r = run.cells[0]!.result;
    expect(r.completeRequests).toBeGreaterThan(1000);
    expect(r.omission, JSON.stringify(r.omission)).toBeUndefined();
    expect((run.findings ?? []).map((f) => f.id)).not.toContain(OMISSION_ID);
  }, 90_000);
});
