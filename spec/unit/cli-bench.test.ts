import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import type { RunResults } from '../../lib/types.ts';

const BIN = join(PROJECT_ROOT, 'bin', 'gauntlet.mjs');
const TINY = join(PROJECT_ROOT, 'fixtures', 'launch', 'tiny_server.py');
const tiny = (name: string, args = '') => `${name}=python3 -u ${TINY} {port} ${args}`;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `onStderr` may act on its progress output (to send Ctrl-C, say). */
function runCli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<CliRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

async function outDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'gauntlet-cli-'));
}

async function readResults(dir: string): Promise<RunResults> {
  return JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as RunResults;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('gauntlet bench', () => {
  it('measures two servers, prints their tables and a computed comparison, and writes the reports', async () => {
    const out = await outDir();
    const run = await runCli([
      'bench',
      '--server', tiny('one:threaded:python'),
      '--server', tiny('two:async:python'),
      '--matrix', '20:1,5;30:1',
      '--out', out,
      '--no-check',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Results for one (threaded, python)');
    expect(run.stdout).toContain('Results for two (async, python)');
    expect(run.stdout).toMatch(/(two was (faster|slower) than one|one was (faster|slower) than two|no clear winner|within)/i);
    const results = await readResults(out);
    expect(results.status).toBe('complete');
    expect(results.cells.map((c) => `${c.server} ${c.requests}x${c.concurrency}`)).toEqual([
      'one 20x1', 'one 20x5', 'one 30x1', 'two 20x1', 'two 20x5', 'two 30x1',
    ]);
    for (const c of results.cells) {
      expect(c.result.completeRequests).toBe(c.requests);
      expect(c.result.failedRequests).toBe(0);
    }
    expect(results.comparison?.pairs).toHaveLength(1);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<table class="tg">');
    expect(html).toContain('rowspan="2"');
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('Results for one');
  });

  it('then runs the conformance cases against the same servers: one folder, one report with plots, findings and the grid', async () => {
    const out = await outDir();
    const run = await runCli(['bench', '--server', 'python-async', '--server', 'node-async', '--matrix', '20:1,5', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Findings\n\n {2}No finding: /);
    expect(run.stdout).toMatch(/Conformance \(\d+ cases; the grid is in report\.html\)\n\n {2}python-async: \d+ pass, 0 warn, 0 fail/);
    expect(run.stdout).toMatch(/ {2}node-async: \d+ pass, 0 warn, 0 fail/);
    const files = await readdir(out);
    expect(files.sort()).toEqual(['check.html', 'check.json', 'check.junit.xml', 'report.html', 'report.md', 'results.json']);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    const sections = [...html.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]);
    expect(sections).toEqual(['run', 'findings', 'plots', 'server-python-async', 'server-node-async', 'comparison', 'conclusion', 'resources', 'conformance']);
    expect(html.match(/<figure class="chart"[^>]*>\n<svg /g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|https?:\/\/(?!www\.w3\.org\/)/i);
    const results = await readResults(out);
    expect(results.findings).toEqual([]);
    expect(results.cells.every((c) => c.resources && c.signals)).toBe(true);
  }, 120_000);

  it('keeps what was measured when a server crashes mid-run, names the crash, and goes on', async () => {
    const out = await outDir();
    // The readiness probe is the first request, so the crash comes on the 14th request of the matrix.
    const run = await runCli(['bench', '--server', tiny('crashy', '--die-after 15'), '--server', tiny('steady'), '--matrix', '10:1;10:1', '--out', out, '--no-check']);
    expect(run.code).toBe(1);
    const results = await readResults(out);
    expect(results.status).toBe('complete');
    const crashy = results.servers.find((s) => s.name === 'crashy');
    expect(crashy?.error).toContain('crashed during cell 10 x 1 (exit code 7)');
    expect(crashy?.error).toContain('tiny_server: crashing on request 15');
    const crashyCells = results.cells.filter((c) => c.server === 'crashy');
    expect(crashyCells).toHaveLength(2);
    expect(crashyCells[0]!.result.failedRequests).toBe(0);
    expect(crashyCells[1]!.result.failedRequests).toBeGreaterThan(0);
    expect(results.cells.filter((c) => c.server === 'steady')).toHaveLength(2);
    expect(run.stdout).toContain('Results for steady');
  });

  it('names a server that will not start, and still measures the others', async () => {
    const out = await outDir();
    const run = await runCli(['bench', '--server', tiny('broken', '--exit-code 4'), '--server', tiny('fine'), '--matrix', '10:1', '--out', out, '--no-check']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('server "broken" exited before it was ready (exit code 4)');
    const results = await readResults(out);
    expect(results.servers.find((s) => s.name === 'broken')?.error).toContain('refusing to start');
    expect(results.cells.map((c) => c.server)).toEqual(['fine']);
  });

  it('on Ctrl-C stops the server, keeps the cells measured so far and exits 130', async () => {
    const out = await outDir();
    let pgid = 0;
    let sent = false;
    const run = await runCli(
      ['bench', '--server', tiny('slow', '--slow 0.05'), '--matrix', '10:1;10:1;10:1;10:1;10:1;10:1', '--out', out, '--no-check'],
      (text, child) => {
        pgid ||= Number(/is up at \S+ \(pid (\d+)\)/.exec(text)?.[1] ?? 0);
        if (!sent && /cell 1\/6: .* req\/s/.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    );
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('SIGINT: stopping the server and writing what was measured');
    const results = await readResults(out);
    expect(results.status).toBe('interrupted');
    expect(results.cells.length).toBeGreaterThanOrEqual(1);
    expect(results.cells.length).toBeLessThan(6);
    expect(pgid).toBeGreaterThan(0);
    expect(groupAlive(pgid)).toBe(false);
    await expect(readFile(join(out, 'report.html'), 'utf8')).resolves.toContain('interrupted');
  });

  it.each([
    [['bench', '--mode', 'fast'], '--mode takes close or keepalive'],
    [['bench', '--matrix', '10:20'], 'concurrency 20 is greater than the 10 requests'],
    [['bench', '--server', 'x=python3 s.py 8080'], 'must contain {port}'],
    [['bench', '--server', 'no-such-server'], 'no server named "no-such-server"'],
    [['frobnicate'], 'unknown command "frobnicate"'],
  ])('refuses %j with a clear message', async (args, message) => {
    const run = await runCli(args);
    expect(run.code === 1 || run.code === 2).toBe(true);
    expect(run.stderr).toContain(message);
  });
});
