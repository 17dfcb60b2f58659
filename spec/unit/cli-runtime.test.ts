/**
 * The runtime options (--runtime, --cpus, --memory) of the commands that start servers, the
 * configuration file's runtime fields, and how results and reports state where a server ran.
 * Nothing here starts a server or reaches a container engine: the engine is replaced by a stub.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  UsageError,
  containerEngineProblem,
  describeRuntimeSelection,
  parseRuntimeOptions,
} from '../../lib/cli/args.ts';
import { parseBenchArgs } from '../../lib/cli/bench-args.ts';
import { parseCheckArgs } from '../../lib/cli/check-command.ts';
import { resolveGateSetup } from '../../lib/cli/gate-command.ts';
import { benchCommand } from '../../lib/cli/bench-command.ts';
import { runtimeClause } from '../../lib/cli/progress.ts';
import { parseCpus, parseMemoryMb } from '../../lib/runtime.ts';
import { ConfigError, resolveConfig } from '../../lib/perf/config.ts';
import { renderMarkdownReport } from '../../lib/report/markdown/report.ts';
import { renderHtmlReport } from '../../lib/report/html/report.ts';
import { describeRuntime, runFacts } from '../../lib/report/run-info.ts';
import type { RuntimeInfo, ServerSpec } from '../../lib/types.ts';
import { seedResults } from './fixtures/seed-results.ts';

/** What the mocked engine answers; tests set it to an available engine. */
type EngineStatus = { available: true; description: string } | { available: false; reason: string };

const engine: { status: EngineStatus; asked: number } = vi.hoisted(() => ({
  status: {
    available: false,
    reason: 'no container engine: connect ENOENT /var/run/docker.sock; start one with scripts/docker-up.sh',
  },
  asked: 0,
}));

vi.mock('../../lib/container/engine.ts', () => ({
  containerEngineStatus: () => {
    engine.asked += 1;
    return Promise.resolve(engine.status);
  },
}));

function spec(name: string, container: boolean, source = `/srv/servers/${name}/server.json`): ServerSpec {
  return {
    name,
    model: 'async',
    language: 'python',
    command: 'python3 -u server.py {port}',
    cwd: '/srv',
    source,
    ...(container
      ? {
          container: {
            dockerfile: 'Dockerfile',
            context: '.',
            command: ['python3', '-u', 'server.py', '{port}'],
            root: '/srv/www',
          },
        }
      : {}),
  };
}

const boxed = [spec('boxed', true)];

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

const container = (over: Partial<Extract<RuntimeInfo, { kind: 'container' }>> = {}): RuntimeInfo => ({
  kind: 'container',
  image: 'gauntlet/seed:0123456789ab',
  containerId: '4f1c0ffee0ddba11',
  baseImage: 'gauntlet-base/python:local',
  cpus: 1,
  memoryMb: 512,
  buildS: 3.21,
  engine: 'Docker 28.2.2 on Debian GNU/Linux 12 (bookworm)',
  ...over,
});

/** A server folder with a manifest that has a container section, for the parsers that load servers. */
let containerServerDir = '';
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gauntlet-runtime-'));
  containerServerDir = join(dir, 'boxed');
  await mkdir(containerServerDir);
  await writeFile(
    join(containerServerDir, 'server.json'),
    JSON.stringify({
      name: 'boxed',
      model: 'async',
      language: 'python',
      command: 'python3 -u server.py {port}',
      container: { dockerfile: 'Dockerfile', command: ['python3', '-u', 'server.py', '{port}'] },
    }),
  );
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseMemoryMb and parseCpus', () => {
  it('read sizes as docker does, in MiB', () => {
    expect(parseMemoryMb('512m')).toBe(512);
    expect(parseMemoryMb('1g')).toBe(1024);
    expect(parseMemoryMb('1.5g')).toBe(1536);
    expect(parseMemoryMb('512MiB')).toBe(512);
    expect(parseMemoryMb('65536k')).toBe(64);
    expect(parseMemoryMb(String(256 * 1024 * 1024))).toBe(256);
  });

  it('refuse what is not a size, or is below what an engine accepts', () => {
    expect(() => parseMemoryMb('lots')).toThrow('memory "lots" is not a size such as 512m or 1g');
    expect(() => parseMemoryMb('512x')).toThrow(/is not a size/);
    expect(() => parseMemoryMb('1k')).toThrow('memory "1k" is below 6 MiB');
  });

  it('read CPU limits as positive numbers', () => {
    expect(parseCpus('1')).toBe(1);
    expect(parseCpus('0.5')).toBe(0.5);
    expect(() => parseCpus('0')).toThrow('cpus "0" is not a positive number of CPUs such as 1 or 0.5');
    expect(() => parseCpus('-1')).toThrow(/not a positive number/);
    expect(() => parseCpus('one')).toThrow(/not a positive number/);
  });
});

describe('parseRuntimeOptions', () => {
  it('defaults to processes, with no limits', () => {
    expect(parseRuntimeOptions({}, [spec('plain', false)])).toEqual({ runtime: 'process' });
    expect(parseRuntimeOptions({ runtime: 'process' }, [spec('plain', false)])).toEqual({ runtime: 'process' });
  });

  it('takes containers with limits, or leaves the limits to the manifests', () => {
    expect(parseRuntimeOptions({ runtime: 'container' }, boxed)).toEqual({ runtime: 'container' });
    expect(parseRuntimeOptions({ runtime: 'container', cpus: '0.5', memory: '1g' }, boxed)).toEqual({
      runtime: 'container',
      cpus: 0.5,
      memoryMb: 1024,
    });
  });

  it('refuses an unknown runtime', () => {
    expect(usageError(() => parseRuntimeOptions({ runtime: 'docker' }, boxed)).message).toBe(
      '--runtime "docker": takes process or container',
    );
  });

  it('refuses limits without --runtime container, which processes would silently ignore', () => {
    expect(usageError(() => parseRuntimeOptions({ cpus: '1' }, boxed)).message).toBe(
      '--cpus is a container limit, and servers run as processes here: add --runtime container',
    );
    expect(usageError(() => parseRuntimeOptions({ runtime: 'process', memory: '512m' }, boxed)).message).toMatch(
      /^--memory is a container limit/,
    );
    expect(usageError(() => parseRuntimeOptions({ cpus: '1', memory: '512m' }, boxed)).message).toMatch(
      /^--cpus and --memory are container limits/,
    );
  });

  it('refuses bad limits with the value named', () => {
    expect(usageError(() => parseRuntimeOptions({ runtime: 'container', cpus: 'half' }, boxed)).message).toBe(
      '--cpus "half": is not a positive number of CPUs such as 1 or 0.5',
    );
    expect(usageError(() => parseRuntimeOptions({ runtime: 'container', memory: '2k' }, boxed)).message).toBe(
      '--memory "2k": is below 6 MiB, the least a container engine accepts',
    );
    expect(usageError(() => parseRuntimeOptions({ runtime: 'container', memory: 'big' }, boxed)).message).toBe(
      '--memory "big": is not a size such as 512m or 1g',
    );
    // Number() would take these; a container engine would not, or would read them otherwise.
    for (const cpus of ['Infinity', '1e-9', '0x1', '', ' ']) {
      expect(usageError(() => parseRuntimeOptions({ runtime: 'container', cpus }, boxed)).message).toBe(
        `--cpus ${JSON.stringify(cpus)}: is not a positive number of CPUs such as 1 or 0.5`,
      );
    }
    expect(usageError(() => parseRuntimeOptions({ runtime: 'container', cpus: '0.001' }, boxed)).message).toBe(
      '--cpus "0.001": is below 0.01, the least a container engine accepts',
    );
  });

  it('refuses containers for servers without a container section, naming them', () => {
    const adHoc = spec('tiny', false, '--server "tiny=python3 t.py {port}"');
    const message = usageError(() =>
      parseRuntimeOptions({ runtime: 'container' }, [...boxed, spec('bare', false), adHoc]),
    ).message;
    expect(message).toMatch(/"container" section/);
    expect(message).toContain('these servers have none: bare, tiny (--server "tiny=python3 t.py {port}")');
    expect(message).not.toMatch(/none:.*boxed/);
    expect(message).toContain('Ad-hoc --server NAME=CMD servers have no Dockerfile, so they run only as processes');
  });

  it('takes a configuration file as the fallback and lets the flags override it', () => {
    expect(parseRuntimeOptions({}, boxed, { runtime: 'container', cpus: 2 })).toEqual({
      runtime: 'container',
      cpus: 2,
    });
    expect(parseRuntimeOptions({ cpus: '1' }, boxed, { runtime: 'container', cpus: 2, memoryMb: 256 })).toEqual({
      runtime: 'container',
      cpus: 1,
      memoryMb: 256,
    });
    // The file's limits do not apply to processes, and are no mistake of the command line.
    expect(
      parseRuntimeOptions({ runtime: 'process' }, [spec('plain', false)], { runtime: 'container', cpus: 2 }),
    ).toEqual({ runtime: 'process' });
  });

  it("is described on a command's first line", () => {
    expect(describeRuntimeSelection({ runtime: 'process' })).toBe('process');
    expect(describeRuntimeSelection({ runtime: 'container' })).toBe('container');
    expect(describeRuntimeSelection({ runtime: 'container', cpus: 1, memoryMb: 512 })).toBe(
      'container, 1 CPU and 512 MiB each',
    );
  });
});

describe('the commands that start servers', () => {
  it('bench and check default to processes', async () => {
    expect(await parseBenchArgs(['--server', 'x=python3 s.py {port}'])).toMatchObject({ runtime: 'process' });
    expect((await parseBenchArgs(['--server', 'x=python3 s.py {port}'])).cpus).toBeUndefined();
    expect(await parseCheckArgs(['--server', 'x=python3 s.py {port}'])).toMatchObject({ runtime: 'process' });
  });

  it('bench and check refuse an ad-hoc server in a container, naming it', async () => {
    await expect(parseBenchArgs(['--server', 'adhoc=python3 s.py {port}', '--runtime', 'container'])).rejects.toThrow(
      /none: adhoc \(--server "adhoc=python3 s\.py \{port\}"\)\. Ad-hoc --server NAME=CMD servers have no Dockerfile/,
    );
    await expect(
      parseCheckArgs(['--server', 'adhoc=python3 s.py {port}', '--runtime', 'container']),
    ).rejects.toBeInstanceOf(UsageError);
  });

  it('bench and check take a server with a container section, and its limits', async () => {
    const bench = await parseBenchArgs([
      '--server',
      containerServerDir,
      '--runtime',
      'container',
      '--cpus',
      '0.5',
      '--memory',
      '1g',
    ]);
    expect(bench).toMatchObject({ runtime: 'container', cpus: 0.5, memoryMb: 1024 });
    const check = await parseCheckArgs(['--server', containerServerDir, '--runtime=container', '--memory=256m']);
    expect(check).toMatchObject({ runtime: 'container', memoryMb: 256 });
    expect(check.cpus).toBeUndefined();
    await expect(parseBenchArgs(['--server', containerServerDir, '--cpus', '1'])).rejects.toThrow(
      /--cpus is a container limit/,
    );
  });

  it('gate and baseline take the runtime from the configuration file, the flags overriding it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-runtime-config-'));
    const file = join(dir, 'gauntlet.config.json');
    await writeFile(
      file,
      JSON.stringify({ claims: ['failed == 0'], runtime: 'container', cpus: 2, memory: '512m', baseline: false }),
    );
    const fromFile = await resolveGateSetup({ config: file, server: [containerServerDir] });
    expect(fromFile.config).toMatchObject({ runtime: 'container', cpus: 2, memoryMb: 512 });
    const overridden = await resolveGateSetup({ config: file, server: [containerServerDir], cpus: '1' });
    expect(overridden.config).toMatchObject({ runtime: 'container', cpus: 1, memoryMb: 512 });
    const processes = await resolveGateSetup({ config: file, server: ['x=python3 s.py {port}'], runtime: 'process' });
    expect(processes.config).toMatchObject({ runtime: 'process', cpus: null, memoryMb: null });
    await expect(resolveGateSetup({ config: file, server: ['x=python3 s.py {port}'] })).rejects.toThrow(
      /these servers have none|this server has none: x/,
    );
  });
});

describe('the container engine check', () => {
  it('is not made for processes', async () => {
    const before = engine.asked;
    expect(await containerEngineProblem('process')).toBeNull();
    expect(engine.asked).toBe(before);
  });

  it('returns the engine error, which says how to start one', async () => {
    expect(await containerEngineProblem('container')).toMatch(/^no container engine: .*scripts\/docker-up\.sh/);
    engine.status = { available: true, description: 'Docker 28.2.2' };
    try {
      expect(await containerEngineProblem('container')).toBeNull();
    } finally {
      engine.status = {
        available: false,
        reason: 'no container engine: connect ENOENT; start one with scripts/docker-up.sh',
      };
    }
  });

  it('makes bench exit with code 2 and one message before it writes or starts anything', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'gauntlet-runtime-out-')), 'report');
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const code = await benchCommand(['--server', containerServerDir, '--runtime', 'container', '--out', out]);
    expect(code).toBe(2);
    expect(written.join('')).toMatch(/^gauntlet bench: no container engine: .*docker-up\.sh\n$/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('the configuration file', () => {
  it("defaults to processes and the manifests' limits", () => {
    expect(resolveConfig({ claims: [] }, null)).toMatchObject({ runtime: 'process', cpus: null, memoryMb: null });
  });

  it('takes a runtime, a CPU limit and a memory size', () => {
    expect(resolveConfig({ claims: [], runtime: 'container', cpus: 0.5, memory: '1g' }, 'c.ts')).toMatchObject({
      runtime: 'container',
      cpus: 0.5,
      memoryMb: 1024,
    });
  });

  it('names the field at fault', () => {
    expect(() => resolveConfig({ claims: [], runtime: 'vm' }, 'c.ts')).toThrow(
      'c.ts: runtime takes "process" or "container", got "vm"',
    );
    expect(() => resolveConfig({ claims: [], cpus: 0 }, 'c.ts')).toThrow(/^c\.ts: cpus "0" is not a positive number/);
    expect(() => resolveConfig({ claims: [], memory: 512 }, 'c.ts')).toThrow(ConfigError);
    expect(() => resolveConfig({ claims: [], memory: '1k' }, 'c.ts')).toThrow(/c\.ts: memory "1k" is below 6 MiB/);
  });
});

describe('the runtime in reports', () => {
  it('describes a container by its limits, its base image and its build', () => {
    expect(describeRuntime(undefined)).toBe('process');
    expect(describeRuntime({ kind: 'process' })).toBe('process');
    expect(describeRuntime(container())).toBe(
      'container, 1 CPU, 512 MiB, base gauntlet-base/python:local, built in 3.2 s',
    );
    expect(describeRuntime(container({ cpus: 2, memoryMb: 2048 }))).toMatch(/^container, 2 CPUs, 2 GiB,/);
    expect(describeRuntime(container({ cpus: null, memoryMb: null, baseImage: null }))).toBe(
      "container, no CPU limit, no memory limit, base the Dockerfile's default, built in 3.2 s",
    );
  });

  it('says "process" in the header of a run of processes, recorded or from before runtimes were', () => {
    const old = seedResults();
    expect(runFacts(old)).toContainEqual({ label: 'Runtime', value: 'process' });
    const run = seedResults();
    for (const s of run.servers) s.runtime = { kind: 'process' };
    expect(renderMarkdownReport(run)).toContain('\n- Runtime: process\n');
    expect(renderHtmlReport(run)).toContain('<dt>Runtime</dt><dd>process</dd>');
    expect(renderMarkdownReport(run)).not.toContain('Container engine');
  });

  it("states each container server's limits and base, and the engine, in the markdown header", () => {
    const run = seedResults();
    run.servers[0]!.runtime = container();
    run.servers[1]!.runtime = container({ cpus: 0.5, memoryMb: 1024, buildS: 1.04 });
    const md = renderMarkdownReport(run);
    expect(md).toContain(
      '- Runtime: seed-threaded: container, 1 CPU, 512 MiB, base gauntlet-base/python:local, built in 3.2 s; ' +
        'seed-async: container, 0.5 CPU, 1 GiB, base gauntlet-base/python:local, built in 1.0 s\n',
    );
    expect(md).toContain('- Container engine: Docker 28.2.2 on Debian GNU/Linux 12 (bookworm)\n');
    // In the header, with the machine, before the servers' tables.
    expect(md.indexOf('- Runtime:')).toBeLessThan(md.indexOf('## Results for'));
  });

  it('states it in the html header too, escaped', () => {
    const run = seedResults();
    run.servers[0]!.runtime = container({ baseImage: 'base<x>' });
    run.servers[1]!.runtime = container();
    const html = renderHtmlReport(run);
    const header = html.slice(html.indexOf('<section id="run">'), html.indexOf('</section>'));
    expect(header).toContain(
      '<dt>Runtime</dt><dd>seed-threaded: container, 1 CPU, 512 MiB, base base&lt;x&gt;, built in 3.2 s; ' +
        'seed-async: container, 1 CPU, 512 MiB, base gauntlet-base/python:local, built in 3.2 s</dd>',
    );
    expect(header).toContain('<dt>Container engine</dt><dd>Docker 28.2.2 on Debian GNU/Linux 12 (bookworm)</dd>');
  });

  it('leaves out a server that failed before its runtime was known', () => {
    const run = seedResults();
    run.servers[0]!.runtime = container();
    run.servers[1]!.error = 'container did not start';
    expect(runFacts(run).find((f) => f.label === 'Runtime')?.value).toBe(
      'seed-threaded: container, 1 CPU, 512 MiB, base gauntlet-base/python:local, built in 3.2 s',
    );
    for (const s of run.servers) {
      delete s.runtime;
      s.error = 'did not start';
    }
    expect(runFacts(run).some((f) => f.label === 'Runtime')).toBe(false);
  });

  it('is on the progress line of a server that is up', () => {
    expect(runtimeClause({ kind: 'process' })).toBe('as a process');
    expect(runtimeClause(undefined)).toBe('as a process');
    expect(runtimeClause(container())).toBe(
      'in a container, 1 CPU, 512 MiB, base gauntlet-base/python:local, built in 3.2 s',
    );
  });
});
