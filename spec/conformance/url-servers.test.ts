/**
 * check against servers already running, given by URL: servers this file starts itself
 * (lib/launcher.ts), with the environment check gives the servers it starts, then checked as
 * servers Gauntlet neither starts nor restarts.
 *
 * - a reference server gets the same verdicts by `--url` as by `--server`, group by group;
 * - broken servers (fixtures/broken/, without a manifest: echo only if check's probe finds it)
 *   still have their defects caught, body-handling ones included, and still pass what their
 *   defect leaves alone;
 * - a server a case kills is not restarted: the cases after it are `not-run`, the server stopped
 *   answering.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '../../lib/manifest.ts';
import { launch, type RunningServer } from '../../lib/launcher.ts';
import { DEFAULT_DOC_ROOT, PROJECT_ROOT, SERVERS_DIR } from '../../lib/paths.ts';
import { loadCases, type LoadedCase } from '../../lib/conformance/registry.ts';
import { CONFORMANCE_ENV } from '../../lib/conformance/runner.ts';
import { runCheck } from '../../lib/conformance/check-run.ts';
import { urlServerSpec } from '../../lib/url-server.ts';
import type { CaseResult, CheckRun } from '../../lib/conformance/types.ts';

const BIN = join(PROJECT_ROOT, 'bin', 'gauntlet.mjs');
const GROUPS = ['framing', 'host', 'request-line', 'versions'];

/** A check by the CLI; resolves to its exit code and check.json. */
async function checkCli(serverArgs: string[]): Promise<{ code: number | null; run: CheckRun; stderr: string }> {
  const out = await mkdtemp(join(tmpdir(), 'gauntlet-url-check-'));
  const args = ['check', ...serverArgs, ...GROUPS.flatMap((g) => ['--group', g]), '--properties', 'none', '--out', out];
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (c) => done({ code: c, stderr: err }));
  });
  return { code, stderr, run: JSON.parse(await readFile(join(out, 'check.json'), 'utf8')) as CheckRun };
}

function verdicts(results: readonly CaseResult[]): Record<string, string> {
  return Object.fromEntries(results.map((r) => [r.caseId, r.verdict]));
}

/** A server of fixtures/broken/ or servers/, started as check starts its servers. */
async function start(manifest: string): Promise<RunningServer> {
  return launch(await readManifest(manifest), { env: { ...CONFORMANCE_ENV } });
}

const broken = (name: string) => join(PROJECT_ROOT, 'fixtures', 'broken', name, 'server.json');

describe('check --url against a reference server', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start(join(SERVERS_DIR, 'node-async', 'server.json'));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('gives the verdicts --server gives, and leaves the server running', async () => {
    const [byUrl, byServer] = await Promise.all([
      checkCli(['--url', `node-async=http://127.0.0.1:${server.port}/`]),
      checkCli(['--server', 'node-async']),
    ]);
    expect(byUrl.code, byUrl.stderr).toBe(byServer.code);
    expect(byUrl.run.results.length).toBeGreaterThan(40);
    expect(verdicts(byUrl.run.results)).toEqual(verdicts(byServer.run.results));
    expect(byUrl.run.servers[0]).toMatchObject({
      command: '',
      serverFlag: `--url node-async=http://127.0.0.1:${server.port}/`,
    });
    expect(server.exitInfo()).toBeNull();
  });
});

interface Row {
  server: string;
  caughtBy: string[];
  stillPasses: string[];
}

/** Defects of spec/conformance/broken-servers.test.ts, caught with nothing declared about the server. */
const ROWS: Row[] = [
  {
    server: 'cl-off-by-one',
    caughtBy: ['methods-get-file', 'responses-content-length-matches', 'persistence-pipeline-2'],
    stillPasses: ['methods-get-missing-404', 'responses-404-framed', 'host-missing'],
  },
  {
    server: 'head-with-body',
    caughtBy: ['methods-head-no-content', 'methods-head-404-no-content', 'responses-head-no-content-raw'],
    stillPasses: ['methods-get-file', 'persistence-pipeline-3', 'responses-404-framed'],
  },
  {
    server: 'no-host-check',
    caughtBy: ['host-missing', 'host-absolute-form-without-host'],
    stillPasses: ['methods-get-file', 'responses-404-framed'],
  },
  {
    server: 'unknown-method-200',
    caughtBy: ['methods-case-sensitive', 'methods-unknown-501'],
    stillPasses: ['methods-get-file', 'host-missing'],
  },
  // Body handling: caught by what follows each body, and by the echo check's probe finding echo.
  {
    server: 'cl-wins-over-te',
    caughtBy: ['framing-te-and-cl-processed-by-te', 'smuggling-cl-te', 'smuggling-te-cl'],
    stillPasses: ['chunked-basic', 'framing-cl-body-then-next-request'],
  },
  {
    server: 'bare-lf-chunked',
    caughtBy: ['chunked-size-line-bare-lf', 'chunked-data-bare-lf', 'chunked-last-chunk-bare-lf'],
    stillPasses: ['chunked-basic', 'chunked-many-small-chunks'],
  },
  {
    server: 'echo-truncates',
    caughtBy: ['limits-body-64k-echoed'],
    stillPasses: ['methods-post-echo', 'chunked-many-small-chunks'],
  },
];

describe('check --url against broken servers, without a manifest', () => {
  let all: LoadedCase[];
  const servers = new Map<string, RunningServer>();
  beforeAll(async () => {
    all = await loadCases();
    for (const row of [...ROWS.map((r) => r.server), 'crash-on-bad-request-line'])
      servers.set(row, await start(broken(row)));
  });
  afterAll(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  });

  const pick = (ids: readonly string[]) => ids.map((id) => all.find((l) => l.case.id === id)!);

  it.each(ROWS)('$server: its defect is caught, the rest passes', async (row) => {
    const server = servers.get(row.server)!;
    const run = await runCheck({
      servers: [urlServerSpec(`http://127.0.0.1:${server.port}/`)],
      cases: pick([...row.caughtBy, ...row.stillPasses]),
      root: DEFAULT_DOC_ROOT,
      concurrency: 4,
    });
    const got = verdicts(run.results);
    for (const id of row.caughtBy) expect(['fail', 'warn'], `${id}: ${got[id]}`).toContain(got[id]);
    for (const id of row.stillPasses) expect(got[id], id).toBe('pass');
  });

  it('crash-on-bad-request-line: the case that kills it fails, the cases after it are not-run, nothing restarts', async () => {
    const server = servers.get('crash-on-bad-request-line')!;
    const after = ['methods-get-file', 'host-missing', 'responses-404-framed', 'persistence-pipeline-3'];
    const run = await runCheck({
      servers: [urlServerSpec(`http://127.0.0.1:${server.port}/`)],
      cases: pick(['liveness-valid-then-garbage', ...after]),
      root: DEFAULT_DOC_ROOT,
      concurrency: 1,
    });
    const got = new Map(run.results.map((r) => [r.caseId, r]));
    expect(got.get('liveness-valid-then-garbage')?.verdict).toBe('fail');
    for (const id of after) {
      expect(got.get(id)?.verdict, id).toBe('not-run');
      expect(got.get(id)?.reason, id).toContain('the server stopped answering');
    }
    expect(run.servers[0]!.stoppedAnswering).toContain('the server stopped answering');
    expect(run.servers[0]!.deaths).toBeUndefined();
    // Nothing started it again: the process the test started is the one that died.
    expect(
      await Promise.race([server.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]),
    ).toBe(true);
  });
});
