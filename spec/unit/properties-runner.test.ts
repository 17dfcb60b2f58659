/**
 * The property runner against a server with a known defect (fixtures/broken/head-with-body):
 * the property that should catch it fails, its result carries a `gauntlet check` replay command
 * with the seed and shrink path, and that command, run in this process, fails again with the
 * same reason and the same shrink path.
 */
import { describe, it, expect, vi, afterAll } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type RunningServer } from '../../lib/launcher.ts';
import { readManifest, MANIFEST_FILE } from '../../lib/manifest.ts';
import { CONFORMANCE_ENV } from '../../lib/conformance/runner.ts';
import { DEFAULT_DOC_ROOT, PROJECT_ROOT } from '../../lib/paths.ts';
import { serverFlagFor } from '../../lib/conformance/wire-log.ts';
import { main } from '../../lib/cli/main.ts';
import { PROPERTIES, propertyById } from '../../lib/conformance/properties/registry.ts';
import { PROPERTIES_AT_ONCE, modeSettings } from '../../lib/conformance/properties/settings.ts';
import { runProperties } from '../../lib/conformance/properties/schedule.ts';
import type { JsonCheckRun } from '../../lib/report/json/check-json.ts';

const SEED = 20_251_126;
const PROPERTY = 'prop-head-matches-get';
const servers: RunningServer[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

/** The words of a shell command line of plain and single-quoted words (what replay commands use). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g))
    words.push(m[1] !== undefined ? m[1].replaceAll(`'\\''`, "'") : m[2]!);
  return words;
}

/** Runs the CLI in this process, its output captured. */
async function runMain(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('a failing property and its replay', () => {
  it('fails on the broken server, and its replay command fails again the same way', { timeout: 60_000 }, async () => {
    const spec = await readManifest(join(PROJECT_ROOT, 'fixtures', 'broken', 'head-with-body', MANIFEST_FILE));
    const server = await launch(spec, { env: { ...CONFORMANCE_ENV } });
    servers.push(server);
    const property = propertyById(PROPERTY)!;
    const target = {
      host: server.host,
      port: server.port,
      root: DEFAULT_DOC_ROOT,
      capabilities: spec.capabilities ?? [],
      name: spec.name,
      serverFlag: serverFlagFor(spec),
    };
    const found = await property.run(target, modeSettings('quick', SEED));
    await server.stop();

    expect(found.verdict, found.reason).toBe('fail');
    expect(found.reason).toContain('a body was sent');
    expect(found.path).toMatch(/^\d+(:\d+)*$/);
    expect(found.replay).toBe(
      `npx gauntlet check ${serverFlagFor(spec)} --property ${PROPERTY} --seed ${SEED} --shrink-path ${found.path}`,
    );

    const [npx, gauntlet, ...argv] = shellWords(found.replay);
    expect([npx, gauntlet]).toEqual(['npx', 'gauntlet']);
    const out = await mkdtemp(join(tmpdir(), 'gauntlet-replay-'));
    const replayed = await runMain([...argv, '--out', out]);
    expect(replayed.code, replayed.stderr).toBe(1);
    expect(replayed.stderr).toContain(`properties: seed ${SEED}; GAUNTLET_SEED=${SEED} replays`);
    expect(replayed.stdout).toContain(`FAIL ${spec.name} ${PROPERTY} (MUST, RFC 9110 §9.3.2): ${found.reason}`);
    expect(replayed.stdout).toContain(`replay: ${found.replay}`);

    const json = JSON.parse(await readFile(join(out, 'check.json'), 'utf8')) as JsonCheckRun;
    expect(json.results).toEqual([]);
    const again = json.servers[0]!.properties![0]!;
    expect(again).toMatchObject({ id: PROPERTY, verdict: 'fail', seed: SEED, path: found.path, reason: found.reason });
    // The same shrunk request: its first lines name the same target (the port may differ).
    const firstLines = (text: string | undefined) => (text ?? '').split('\n').slice(0, 2).join('\n');
    expect(firstLines(again.counterexample)).toBe(firstLines(found.counterexample));
  });
});

describe('properties stopped by Ctrl-C', () => {
  it('end within a second, judge nothing, and leave the ones not started unstarted', { timeout: 60_000 }, async () => {
    const spec = await readManifest(join(PROJECT_ROOT, 'servers', 'python-async', MANIFEST_FILE));
    const server = await launch(spec, { env: { ...CONFORMANCE_ENV } });
    servers.push(server);
    const target = {
      host: server.host,
      port: server.port,
      root: DEFAULT_DOC_ROOT,
      capabilities: spec.capabilities ?? [],
      name: spec.name,
    };
    const abort = new AbortController();
    // Full mode searches for 15 s a property: only the signal can end it within the second.
    const settings = { ...modeSettings('full', SEED), signal: abort.signal };
    const list = PROPERTIES.slice(0, PROPERTIES_AT_ONCE + 1);
    const running = runProperties(target, list, settings);
    setTimeout(() => abort.abort(), 1_000);
    const started = performance.now();
    const results = await running;
    await server.stop();

    expect(performance.now() - started).toBeLessThan(5_000);
    expect(results.map((r) => r.verdict)).toEqual(list.map(() => 'skip'));
    for (const r of results.slice(0, PROPERTIES_AT_ONCE))
      expect(r.reason).toMatch(/^interrupted after \d+ runs?: not judged$/);
    expect(results.at(-1)?.reason).toBe('not run: the check was interrupted before it started');
  });
});
