/**
 * Gauntlet as a user gets it: the tarball `npm pack` makes, installed with vitest into a new
 * project in a temporary folder, and used from there as its README says: the CLI through npx
 * (reports in that project, the reference servers found by name), the library through
 * `import('gauntlet')`, its declarations through the TypeScript compiler, and the matchers of
 * `gauntlet/vitest` registered by a setup file and run against a reference server. It runs on its
 * own (`npm run test:package`, in .ci/run): packing builds dist/ and installing takes a minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { launch, type RunningServer } from '../../lib/launcher.ts';
import { loadServer } from '../../lib/manifest.ts';

const PACKAGE = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
/** The vitest of this repository, so that the user's project runs the version the matchers are built against. */
const VITEST_VERSION = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', 'vitest', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
const TSC = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end. vitest's own variables are left out, so that the user's vitest
 * does not take itself for a worker of this one.
 */
function run(command: string, args: readonly string[], cwd: string): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

/** Runs a command that must succeed; its output is the failure's message otherwise. */
async function mustRun(command: string, args: readonly string[], cwd: string): Promise<Run> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** The files of the user's project besides package.json: a setup file, a perf spec, typed code. */
const PROJECT_FILES: Record<string, string> = {
  'vitest.config.js': `import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { setupFiles: ['./gauntlet-setup.js'], testTimeout: 120000, hookTimeout: 60000 } });
`,
  'gauntlet-setup.js': `import { expect } from 'vitest';
import { perfMatchers } from 'gauntlet/vitest';
expect.extend(perfMatchers);
`,
  'server.test.ts': `import { afterAll, beforeAll, expect, it } from 'vitest';
import { cell } from 'gauntlet/vitest';
import { launch, loadServer, REFERENCE_SERVERS_DIR, type RunningServer } from 'gauntlet';

let server: RunningServer;
beforeAll(async () => {
  server = await launch(await loadServer('python-async', REFERENCE_SERVERS_DIR));
});
afterAll(async () => {
  await server?.stop();
});

it('python-async answers every request', async () => {
  await expect(cell(server, { requests: 20, concurrency: 2 })).toMeet(['failed == 0'], { sampling: { maxTimeMs: 3000 } });
});
`,
  'config-probe.mjs': `const { defineConfig } = await import('gauntlet');
const config = defineConfig({ servers: ['python-async'], claims: ['failed == 0'] });
console.log(JSON.stringify(config));
`,
  'typed.ts': `import { defineConfig, runCell, type GateConfig } from 'gauntlet';
export const config: GateConfig = defineConfig({ claims: ['failed == 0'] });
export const complete = async (port: number): Promise<number> =>
  (await runCell({ host: '127.0.0.1', port, path: '/', mode: 'close' }, { requests: 1, concurrency: 1 })).completeRequests;
// @ts-expect-error -- a field a configuration does not have
defineConfig({ nonsense: 1 });
`,
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      // Node's types from this repository: the project installs only gauntlet and vitest.
      typeRoots: [join(PROJECT_ROOT, 'node_modules', '@types')],
      types: ['node'],
    },
    include: ['typed.ts', 'server.test.ts'],
  }),
};

/** `gauntlet check --help` of this repository: --url is checked when it has one. */
const CHECK_HELP = (
  await run(process.execPath, [join(PROJECT_ROOT, 'bin', 'gauntlet.mjs'), 'check', '--help'], PROJECT_ROOT)
).stdout;

let work: string;
let project: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gauntlet-package-'));
  project = join(work, 'project');
  await mkdir(project);
  // `npm pack` builds dist/ first (prepack).
  await mustRun('npm', ['pack', '--pack-destination', work], PROJECT_ROOT);
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack left no tarball in ${work}`);
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'gauntlet-user', private: true, type: 'module' }, null, 2),
  );
  for (const [name, text] of Object.entries(PROJECT_FILES)) await writeFile(join(project, name), text);
  await mustRun(
    'npm',
    ['install', '--no-audit', '--no-fund', join(work, tarball), `vitest@${VITEST_VERSION}`],
    project,
  );
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the installed package', () => {
  it('ships the compiled harness, not its sources or its tests', () => {
    const installed = join(project, 'node_modules', 'gauntlet');
    expect(existsSync(join(installed, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist', 'index.d.ts'))).toBe(true);
    expect(existsSync(join(installed, 'lib'))).toBe(false);
    expect(existsSync(join(installed, 'spec'))).toBe(false);
    // What `gauntlet init` copies into a project.
    expect(existsSync(join(installed, 'templates', 'init'))).toBe(existsSync(join(PROJECT_ROOT, 'templates', 'init')));
  });

  it.runIf(existsSync(join(PROJECT_ROOT, 'build', 'epoll.node')))(
    "builds the load engine's native module at install, and its compiled code runs on it",
    async () => {
      const installed = join(project, 'node_modules', 'gauntlet');
      expect(existsSync(join(installed, 'build', 'epoll.node'))).toBe(true);
      const transport = pathToFileURL(join(installed, 'dist', 'load', 'transport.js')).href;
      const probe = `const { transportKind } = await import(${JSON.stringify(transport)}); console.log(transportKind());`;
      const result = await mustRun(process.execPath, ['--input-type=module', '-e', probe], project);
      expect(result.stdout.trim()).toBe('epoll');
    },
  );

  it('prints its version', async () => {
    const result = await mustRun('npx', ['gauntlet', '--version'], project);
    expect(result.stdout.trim()).toBe(PACKAGE.version);
  });

  it('checks a reference server by name, with the reports in the project', async () => {
    await mustRun(
      'npx',
      ['gauntlet', 'check', '--server', 'python-async', '--properties', 'none', '--group', 'host'],
      project,
    );
    const reports = await readdir(join(project, 'reports'));
    expect(reports).toHaveLength(1);
    expect(existsSync(join(project, 'reports', reports[0]!, 'check.json'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'gauntlet', 'reports'))).toBe(false);
  });

  it('says what to name when the project has no servers/', async () => {
    const result = await run('npx', ['gauntlet', 'bench', '--matrix', '10:1'], project);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no servers\/ folder in .*--server NAME.*--server "NAME=CMD"/);
  });

  it.runIf(CHECK_HELP.includes('--url'))('checks a server already running, by its URL', async () => {
    let server: RunningServer | undefined;
    try {
      server = await launch(await loadServer('python-async'));
      const url = `http://127.0.0.1:${server.port}/`;
      const result = await run(
        'npx',
        ['gauntlet', 'check', '--url', url, '--properties', 'none', '--group', 'host'],
        project,
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/host-missing\s+MUST\s+pass/);
    } finally {
      await server?.stop();
    }
  });

  it("imports as 'gauntlet' from a script", async () => {
    const result = await mustRun(process.execPath, ['config-probe.mjs'], project);
    expect(JSON.parse(result.stdout)).toEqual({ servers: ['python-async'], claims: ['failed == 0'] });
  });

  it("types a user's code with its declarations", async () => {
    await mustRun(process.execPath, [TSC, '-p', 'tsconfig.json'], project);
  });

  it('runs a vitest spec with the matchers of gauntlet/vitest against a reference server', async () => {
    const result = await mustRun('npx', ['vitest', 'run'], project);
    expect(result.stdout).toMatch(/1 passed/);
  });
});
