/**
 * The commands over TLS, end to end through the CLI: bench, check and gate with `--tls` start
 * node-async with the run's certificate and talk https to it, verified against that certificate;
 * a server given by an https:// URL (started here with a self-signed certificate) is checked and
 * benchmarked with `--insecure` and refused without it, the certificate problem named.
 *
 * - bench measures complete requests in close and keep-alive modes, each cell carrying its
 *   handshakes;
 * - check gives the same verdicts over TLS as in plain TCP;
 * - gate holds a claim over TLS.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { CONFORMANCE_ENV } from '../../lib/conformance/runner.ts';
import type { CaseResult, CheckRun } from '../../lib/conformance/types.ts';
import type { RunResults } from '../../lib/types.ts';
import { makeSelfSignedCert, startTlsNodeAsync, type SelfSignedCert, type TlsServer } from '../helpers/tls.ts';

const BIN = join(PROJECT_ROOT, 'bin', 'gauntlet.mjs');
const CHECK_GROUPS = ['--group', 'host', '--group', 'framing', '--properties', 'none'];

interface CliRun {
  code: number | null;
  stderr: string;
  out: string;
}

/** The report folders of the runs, removed at the end. */
const reportFolders: string[] = [];
afterAll(async () => {
  await Promise.all(reportFolders.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Runs the CLI with a fresh report folder. */
async function cli(args: readonly string[]): Promise<CliRun> {
  const out = await mkdtemp(join(tmpdir(), 'gauntlet-tls-cli-'));
  reportFolders.push(out);
  return new Promise<CliRun>((done, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--out', out], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => done({ code, stderr, out }));
  });
}

async function readJson<T>(run: CliRun, file: string): Promise<T> {
  return JSON.parse(await readFile(join(run.out, file), 'utf8')) as T;
}

function verdicts(results: readonly CaseResult[]): Record<string, string> {
  return Object.fromEntries(results.map((r) => [r.caseId, r.verdict]));
}

describe('bench --tls', () => {
  it.each(['close', 'keepalive'])(
    'measures node-async over TLS in %s mode, every cell with its handshakes',
    async (mode) => {
      const run = await cli([
        'bench',
        '--server',
        'node-async',
        '--tls',
        '--mode',
        mode,
        '--matrix',
        '20:1,2',
        '--rounds',
        '1',
        '--no-check',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const results = await readJson<RunResults>(run, 'results.json');
      expect(results.cells).toHaveLength(2);
      for (const cell of results.cells) {
        expect(cell.result.completeRequests).toBe(20);
        expect(cell.result.failedRequests).toBe(0);
        const tls = cell.result.tls!;
        expect(tls.failures).toEqual({});
        // A handshake per request in close mode, one per connection in keep-alive mode.
        if (mode === 'close') expect(tls.handshakes).toBe(20);
        else expect(tls.handshakes).toBe(cell.concurrency);
      }
      expect(await readFile(join(run.out, 'report.md'), 'utf8')).toMatch(/over TLS \(https\)/);
    },
  );
});

describe('check --tls', () => {
  it('gives node-async the same verdicts over TLS as in plain TCP', async () => {
    const [overTls, plain] = await Promise.all([
      cli(['check', '--server', 'node-async', '--tls', ...CHECK_GROUPS]),
      cli(['check', '--server', 'node-async', ...CHECK_GROUPS]),
    ]);
    expect(overTls.code, overTls.stderr).toBe(0);
    expect(plain.code, plain.stderr).toBe(0);
    const tlsRun = await readJson<CheckRun>(overTls, 'check.json');
    const plainRun = await readJson<CheckRun>(plain, 'check.json');
    expect(tlsRun.results.length).toBeGreaterThan(20);
    expect(verdicts(tlsRun.results)).toEqual(verdicts(plainRun.results));
  });

  it('names a server that answers plain HTTP after --tls', async () => {
    const run = await cli(['check', '--server', 'python-async', '--tls', '--group', 'host', '--properties', 'none']);
    expect(run.code).toBe(1);
    const checked = await readJson<CheckRun>(run, 'check.json');
    expect(checked.servers[0]!.error).toMatch(/answers plain HTTP on 127\.0\.0\.1:\d+, not TLS.*GAUNTLET_TLS_CERT/s);
  });
});

describe('check --url https://', () => {
  let cert: SelfSignedCert;
  let server: TlsServer;
  beforeAll(async () => {
    cert = await makeSelfSignedCert();
    server = await startTlsNodeAsync(cert, CONFORMANCE_ENV);
  });
  afterAll(async () => {
    await server?.stop();
    await cert?.remove();
  });

  it('checks a self-signed server with --insecure, as over --tls', async () => {
    const url = `https://127.0.0.1:${server.port}/`;
    const [insecure, started] = await Promise.all([
      cli(['check', '--url', url, '--insecure', ...CHECK_GROUPS]),
      cli(['check', '--server', 'node-async', '--tls', ...CHECK_GROUPS]),
    ]);
    expect(insecure.code, insecure.stderr).toBe(0);
    const byUrl = await readJson<CheckRun>(insecure, 'check.json');
    const byTls = await readJson<CheckRun>(started, 'check.json');
    expect(byUrl.servers[0]!.error).toBeUndefined();
    expect(verdicts(byUrl.results)).toEqual(verdicts(byTls.results));
  });

  it.each(['close', 'keepalive'])('benchmarks it in %s mode with --insecure', async (mode) => {
    const run = await cli([
      'bench',
      '--url',
      `https://127.0.0.1:${server.port}/hello.txt`,
      '--insecure',
      '--mode',
      mode,
      '--matrix',
      '20:1,2',
      '--rounds',
      '1',
      '--no-check',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const results = await readJson<RunResults>(run, 'results.json');
    expect(results.cells).toHaveLength(2);
    for (const cell of results.cells) {
      expect(cell.result.completeRequests).toBe(20);
      expect(cell.result.failedRequests).toBe(0);
      expect(cell.result.tls?.handshakes).toBe(mode === 'close' ? 20 : cell.concurrency);
    }
  });

  it('refuses it without --insecure, naming the certificate problem', async () => {
    const run = await cli([
      'check',
      '--url',
      `https://127.0.0.1:${server.port}/`,
      '--group',
      'host',
      '--properties',
      'none',
    ]);
    expect(run.code).toBe(1);
    const checked = await readJson<CheckRun>(run, 'check.json');
    expect(checked.servers[0]!.error).toMatch(/does not talk TLS at https:.*self-signed.*--insecure accepts it/s);
  });
});

describe('gate --tls', () => {
  it('holds "failed == 0" on node-async over TLS', async () => {
    const run = await cli([
      'gate',
      '--server',
      'node-async',
      '--tls',
      '--claim',
      'failed == 0',
      '--matrix',
      '20:1',
      '--max-time',
      '1',
      '--warmup',
      '0',
      '--no-baseline',
      '--no-pin',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/node-async is up at https:\/\/127\.0\.0\.1:\d+/);
    const results = await readJson<{ passed: boolean }>(run, 'results.json');
    expect(results.passed).toBe(true);
  });
});
