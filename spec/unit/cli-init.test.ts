/**
 * `gauntlet init`: the three files it writes, its refusal to overwrite, and that what it writes
 * works: the gate's loader accepts the configuration (its 'gauntlet' import pointed at this
 * repository), and the sample spec passes in a vitest run against a reference server, with
 * 'gauntlet/vitest' aliased to the repository's matchers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { INIT_FILES, INIT_TEMPLATES_DIR } from '../../lib/cli/init-command.ts';
import { loadConfigFile } from '../../lib/perf/config.ts';
import { launch } from '../../lib/launcher.ts';
import { loadServer } from '../../lib/manifest.ts';
import { runInProcess } from './helpers/cli-in-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'gauntlet-init-'));
const written = join(dir, 'project');
const FILES = Object.keys(INIT_FILES);

/** What the package's 'gauntlet' entry is here: lib/index.ts, or the config module that defines defineConfig. */
const GAUNTLET_ENTRY = existsSync(join(PROJECT_ROOT, 'lib', 'index.ts'))
  ? join(PROJECT_ROOT, 'lib', 'index.ts')
  : join(PROJECT_ROOT, 'lib', 'perf', 'config.ts');
const MATCHERS = join(PROJECT_ROOT, 'lib', 'perf', 'matchers.ts');

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('gauntlet init', () => {
  it('writes the configuration, the sample spec and the workflow, and says what to run next', async () => {
    const run = await runInProcess(['init', '--dir', written]);
    expect(run.code, run.stderr).toBe(0);
    for (const [path, template] of Object.entries(INIT_FILES)) {
      expect(await readFile(join(written, path), 'utf8')).toBe(
        await readFile(join(INIT_TEMPLATES_DIR, template), 'utf8'),
      );
      expect(run.stdout).toContain(`wrote ${join(written, path)}\n`);
    }
    expect(FILES).toEqual(['gauntlet.config.ts', 'test/gauntlet.test.ts', '.github/workflows/gauntlet.yml']);
    expect(run.stdout).toContain('npx gauntlet gate');
    const config = await readFile(join(written, 'gauntlet.config.ts'), 'utf8');
    expect(config).toContain("import { defineConfig } from 'gauntlet';");
    const workflow = await readFile(join(written, '.github/workflows/gauntlet.yml'), 'utf8');
    for (const step of ['actions/checkout', 'node-version: 20', 'npm ci', 'npx gauntlet check', 'npx gauntlet gate'])
      expect(workflow).toContain(step);
    expect(workflow).toContain('actions/upload-artifact');
  });

  it('refuses to overwrite, naming the file, and writes nothing; --force overwrites', async () => {
    const config = join(written, 'gauntlet.config.ts');
    await writeFile(config, '// mine\n');
    const again = await runInProcess(['init', '--dir', written]);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(
      /^gauntlet init: .*gauntlet\.config\.ts.* exist; nothing was written \(--force overwrites\)\n$/,
    );
    expect(await readFile(config, 'utf8')).toBe('// mine\n');

    const only = join(dir, 'only-config');
    mkdirSync(only);
    await writeFile(join(only, 'gauntlet.config.ts'), '// mine\n');
    const one = await runInProcess(['init', '--dir', only]);
    expect(one.code).toBe(1);
    expect(one.stderr).toBe(
      `gauntlet init: ${join(only, 'gauntlet.config.ts')} exists; nothing was written (--force overwrites)\n`,
    );
    expect(existsSync(join(only, 'test'))).toBe(false);

    const forced = await runInProcess(['init', '--dir', written, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readFile(config, 'utf8')).toBe(
      await readFile(join(INIT_TEMPLATES_DIR, 'gauntlet.config.ts.template'), 'utf8'),
    );
  });

  it("writes a configuration the gate's loader accepts", async () => {
    const source = await readFile(join(written, 'gauntlet.config.ts'), 'utf8');
    const mapped = join(written, 'gauntlet.mapped.config.ts');
    await writeFile(mapped, source.replace("from 'gauntlet'", `from ${JSON.stringify(GAUNTLET_ENTRY)}`));
    const config = await loadConfigFile(mapped);
    expect(config.claims.map((c) => c.text)).toEqual(['node-async >= node-threaded at every c', 'failed == 0']);
    expect(config.servers).toEqual(['node-async', 'node-threaded']);
    expect(config.matrix.name).toBe('200:1,10');
  });

  it('writes a sample spec that passes against a reference server', async () => {
    // Inside the project, so that the spec's 'vitest' resolves to this repository's.
    mkdirSync(join(PROJECT_ROOT, 'test-output'), { recursive: true });
    const project = mkdtempSync(join(PROJECT_ROOT, 'test-output', 'init-'));
    try {
      const init = await runInProcess(['init', '--dir', project]);
      expect(init.code, init.stderr).toBe(0);
      await writeFile(
        join(project, 'vitest.config.mjs'),
        `export default ${JSON.stringify({
          resolve: { alias: { 'gauntlet/vitest': MATCHERS } },
          test: { include: ['test/**/*.test.ts'] },
        })};\n`,
      );
      const server = await launch(await loadServer('node-async'));
      try {
        const run = await vitestIn(project, server.url);
        expect(run.code, run.output).toBe(0);
        expect(run.output).toMatch(/Tests\s+1 passed/);
      } finally {
        await server.stop();
      }
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  }, 90_000);
});

/** vitest run in `project`, the sample spec pointed at `url`. */
function vitestIn(project: string, url: string): Promise<{ code: number | null; output: string }> {
  const bin = join(PROJECT_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [bin, 'run', '--root', project, '--config', 'vitest.config.mjs'], {
      cwd: project,
      env: { ...process.env, GAUNTLET_URL: url, NO_COLOR: '1', VITEST: undefined, VITEST_WORKER_ID: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, output }));
  });
}
