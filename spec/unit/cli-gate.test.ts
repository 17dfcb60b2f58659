import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import type { GateResults } from '../../lib/perf/types.ts';
import { runCommandOf } from '../../lib/envelope.ts';
import type { BaselineFile } from '../../lib/perf/baseline.ts';
import { runInProcess } from './helpers/cli-in-process.ts';
import { runCli } from './helpers/cli-child.ts';

const TINY = join(PROJECT_ROOT, 'fixtures', 'launch', 'tiny_server.py');
const SRV = `srv:threaded:python=python3 -u ${TINY} {port}`;
/** Small and quick: these tests check the command, not the servers. */
const QUICK = ['--matrix', '10:1', '--max-time', '0.3', '--warmup', '0.1'];

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'gauntlet-cli-gate-'));
}

async function readGate(dir: string): Promise<GateResults> {
  return JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as GateResults;
}

describe('gauntlet gate', () => {
  let receiver: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    receiver = null;
  });

  it('passes when every claim holds, and writes results.json and report.md', async () => {
    const out = await tmp();
    const run = await runCli([
      'gate',
      '--claim',
      'failed == 0',
      '--claim',
      'non2xx == 0',
      '--server',
      SRV,
      ...QUICK,
      '--no-baseline',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('PASS  failed == 0');
    expect(run.stdout).toContain('PASSED: 2 of 2 claims held.');
    expect(run.stdout).not.toContain('::');
    const results = await readGate(out);
    expect(runCommandOf(results)).toBe('gate');
    expect(results).toMatchObject({ status: 'complete', passed: true });
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('## Gauntlet gate: PASSED');
  });

  it('fails on a failed claim: exit 1, annotations, the job summary and the webhook', async () => {
    const bodies: string[] = [];
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as { port: number }).port;
    const dir = await tmp();
    const summary = join(dir, 'summary.md');
    // A cap long enough that its second look (what is left after the first measurement's share)
    // always gets a round, however busy the machine: the second look is part of what is tested.
    const withRoomForASecondLook = ['--matrix', '10:1', '--max-time', '2', '--warmup', '0.1'];
    const run = await runCli(
      [
        'gate',
        '--claim',
        'srv: rps > 1000000000',
        '--server',
        SRV,
        ...withRoomForASecondLook,
        '--no-baseline',
        '--out',
        join(dir, 'out'),
      ],
      {
        env: {
          GITHUB_ACTIONS: 'true',
          GITHUB_STEP_SUMMARY: summary,
          GAUNTLET_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
        },
      },
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain(
      '::error title=Gauntlet%3A claim failed%3A srv%3A rps > 1000000000::Does not hold at 1 cell of 1',
    );
    expect(run.stdout).toContain('FAILED: 0 of 1 claim held.');
    expect(await readFile(summary, 'utf8')).toContain('### Alerts');
    expect(bodies).toHaveLength(1);
    expect((JSON.parse(bodies[0]!) as { text: string }).text).toContain('claim failed: srv: rps &gt; 1000000000');
    expect(run.stderr).toContain('webhook (GAUNTLET_WEBHOOK_URL): delivered');
    const results = await readGate(join(dir, 'out'));
    expect(results.measurements.map((m) => m.attempt)).toEqual([0, 1]);
  });

  it('reads a configuration file, TypeScript or JavaScript', async () => {
    const dir = await tmp();
    // A .ts configuration is an ES module, as in this project: its folder's package says so.
    await writeFile(join(dir, 'package.json'), '{"type": "module"}\n');
    const ts = join(dir, 'gauntlet.config.ts');
    await writeFile(
      ts,
      `import { defineConfig } from ${JSON.stringify(join(PROJECT_ROOT, 'lib', 'perf', 'config.ts'))};\n` +
        `export default defineConfig({ servers: [${JSON.stringify(SRV)}], claims: ['failed == 0'], matrix: '10:1', ` +
        `sampling: { maxTimeS: 0.3, minSampleMs: 5, warmupS: 0.1 }, baseline: false });\n`,
    );
    const run = await runCli(['gate', '--out', join(dir, 'out')], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('PASS  failed == 0');

    const mjs = join(dir, 'other.mjs');
    await writeFile(
      mjs,
      `export default { servers: [${JSON.stringify(SRV)}], claims: ['srv: failed > 0'], matrix: '10:1', sampling: { maxTimeS: 0.3, warmupS: 0.1 }, baseline: false };\n`,
    );
    const failing = await runCli(['gate', '--config', mjs, '--out', join(dir, 'out2')]);
    expect(failing.code, failing.stderr).toBe(1);
    // Two gates, each starting node and a server: slow on a busy machine.
  }, 120_000);

  it('refuses bad usage with exit code 2', async () => {
    const dir = await tmp();
    const hint = 'Run "gauntlet gate --help" for its options.\n';
    // The real binary once, from a folder without a configuration file, for the exit code path.
    const none = await runCli(['gate'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(`gauntlet gate: no claims: write gauntlet.config.ts or pass --claim\n${hint}`);
    // The rest in process (spec/unit/cli-usage.test.ts has the whole table), each with a configuration of its own.
    const claimsOnly = join(dir, 'claims-only.json');
    await writeFile(claimsOnly, '{"claims": [], "baseline": false}');
    const bad = await runInProcess(['gate', '--config', claimsOnly, '--claim', 'a >>= b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^gauntlet gate: --claim "a >>= b": \S[^\n]*\nRun "gauntlet gate --help" for its options\.\n$/,
    );
    const tol = await runInProcess(['gate', '--config', claimsOnly, '--claim', 'failed == 0', '--tolerance', '150%']);
    expect(tol.code).toBe(2);
    expect(tol.stderr).toBe(
      `gauntlet gate: --tolerance "150%": must be a fraction from 0 to 0.9 such as 0.1, or a percentage such as 10%\n${hint}`,
    );
    await writeFile(join(dir, 'broken.json'), '{"claims": [], "colour": 1}');
    const conf = await runInProcess(['gate', '--config', join(dir, 'broken.json')]);
    expect(conf.code).toBe(2);
    expect(
      conf.stderr.startsWith(`gauntlet gate: ${join(dir, 'broken.json')}: colour is not a known field (known: `),
    ).toBe(true);
    const unknown = await runInProcess(['gate', '--config', claimsOnly, '--claim', 'ghost >= srv', '--server', SRV]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^gauntlet gate: [^\n]*names "ghost"/);
    expect(readdirSync(dir).sort()).toEqual(['broken.json', 'claims-only.json']);
  });
});

describe('gauntlet baseline', () => {
  it('saves a baseline next to the yardstick, shows it, and later gates compare with it', async () => {
    const dir = await tmp();
    const file = join(dir, 'baseline.json');
    const save = await runCli([
      'baseline',
      'save',
      '--server',
      SRV,
      '--claim',
      'failed == 0',
      ...QUICK,
      '--baseline',
      file,
      '--out',
      join(dir, 's'),
    ]);
    expect(save.code, save.stderr).toBe(0);
    expect(save.stdout).toContain('saved 1 cell to the baseline');
    const baseline = JSON.parse(await readFile(file, 'utf8')) as BaselineFile;
    expect(baseline).toMatchObject({ kind: 'baseline', keep: 5 });
    expect(baseline.entries.srv?.close?.['10x1']).toHaveLength(1);
    expect(baseline.entries.srv?.close?.['10x1']?.[0]?.machine).toHaveProperty('cpuModel');

    const show = await runCli(['baseline', 'show', '--baseline', file]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/srv \(close\): 10x1: 1 run, [\d.]+x yardstick/);

    const gate = await runCli([
      'gate',
      '--server',
      SRV,
      '--claim',
      'failed == 0',
      ...QUICK,
      '--baseline',
      file,
      '--out',
      join(dir, 'g'),
    ]);
    expect([0, 1]).toContain(gate.code);
    expect(gate.stdout).toContain('Against the baseline');

    const again = await runCli(['baseline', 'save', '--from', join(dir, 'g'), '--baseline', file, '--keep', '1']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(await readFile(file, 'utf8')) as BaselineFile).entries.srv?.close?.['10x1']).toHaveLength(1);

    const missing = await runCli(['baseline', 'show', '--baseline', join(dir, 'none.json')]);
    expect(missing.code).toBe(1);
    expect((await runCli(['baseline', 'drop'])).code).toBe(2);
    // Five command runs, each starting node and two servers: slow on a busy machine.
  }, 120_000);
});
