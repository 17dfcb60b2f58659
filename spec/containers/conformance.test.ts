/**
 * The conformance cases against two reference servers in containers (one CPU and 256 MiB each,
 * the host's network), next to the same servers as processes: every case must get the same
 * verdict in both runtimes, and every MUST case must pass in the container.
 *
 * A container changes what a server runs on (its own file system, a CPU quota, a memory limit),
 * not what it says; a verdict that differs points at the image (a missing file, another runtime
 * version) or at a server that depends on its environment.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { loadServer } from '../../lib/manifest.ts';
import { launchServer, type Runtime } from '../../lib/runtime.ts';
import type { RunningServer } from '../../lib/launcher.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import { loadCases } from '../../lib/conformance/registry.ts';
import { CONFORMANCE_ENV, runCases } from '../../lib/conformance/runner.ts';
import type { CaseResult, ConformanceCase } from '../../lib/conformance/types.ts';
import { engine, skippedTitle } from './engine.ts';

const SERVERS = ['python-async', 'node-async'];
const LIMITS = { cpus: 1, memoryMb: 256 };
const cases: ConformanceCase[] = (await loadCases()).map((l) => l.case);

/**
 * Paced cases (parts written with pauses) first, while the fewest other connections compete for
 * the CPU, as in spec/conformance/cases.test.ts.
 */
const paced = (c: ConformanceCase) => c.request.reduce((ms, p) => ms + (p.delayMs ?? 0), 0);
const order = [...cases].sort((a, b) => paced(b) - paced(a));

interface Run {
  server?: RunningServer;
  error?: Error;
  results?: Map<string, CaseResult>;
}
const runs = new Map<string, Run>();
const key = (name: string, runtime: Runtime) => `${name} (${runtime})`;

if (!engine.available) {
  it.skip(skippedTitle, () => {});
} else {
  beforeAll(async () => {
    // Images build one after another (two builds at once only slow each other down on two
    // cores); then each server's cases run in both runtimes side by side.
    for (const name of SERVERS) {
      const spec = await loadServer(name);
      for (const runtime of ['container', 'process'] as const) {
        try {
          const server = await launchServer(spec, {
            runtime,
            ...(runtime === 'container' ? LIMITS : {}),
            env: { ...CONFORMANCE_ENV },
          });
          runs.set(key(name, runtime), { server });
        } catch (err) {
          runs.set(key(name, runtime), { error: err as Error });
        }
      }
    }
    await Promise.all(
      [...runs.entries()].map(async ([k, run]) => {
        if (!run.server) return;
        const spec = run.server.spec;
        const results = await runCases(
          order,
          {
            host: run.server.host,
            port: run.server.port,
            root: DEFAULT_DOC_ROOT,
            capabilities: spec.capabilities ?? [],
            name: k,
          },
          { concurrency: 4 },
        );
        run.results = new Map(results.map((r) => [r.caseId, r]));
      }),
    );
  }, 240_000);

  afterAll(async () => {
    await Promise.all([...runs.values()].flatMap((r) => (r.server ? [r.server.stop()] : [])));
  });

  describe.each(SERVERS)('%s in a container', (name) => {
    const get = (runtime: Runtime): Run => {
      const run = runs.get(key(name, runtime));
      if (run?.error) throw run.error;
      if (!run?.results) throw new Error(`${key(name, runtime)} did not run`);
      return run;
    };

    it('runs in a container with the limits asked for', () => {
      const runtime = get('container').server!.runtime;
      expect(runtime).toMatchObject({ kind: 'container', cpus: 1, memoryMb: 256 });
    });

    it(`gives every one of the ${cases.length} cases the verdict it gets as a process`, () => {
      const inContainer = get('container').results!;
      const asProcess = get('process').results!;
      expect(inContainer.size).toBe(cases.length);
      const differences = cases
        .map((c) => ({ c, a: inContainer.get(c.id), b: asProcess.get(c.id) }))
        .filter(({ a, b }) => a?.verdict !== b?.verdict)
        .map(
          ({ c, a, b }) =>
            `${c.id} (${c.level}): container ${a?.verdict} (${a?.reason}), process ${b?.verdict} (${b?.reason})`,
        );
      expect(differences, differences.join('\n')).toEqual([]);
    });

    it('passes every MUST and security case in the container', () => {
      const inContainer = get('container').results!;
      const failed = cases
        .filter((c) => c.level === 'MUST' || c.level === 'security')
        .map((c) => inContainer.get(c.id)!)
        .filter((r) => r.verdict === 'fail' || r.verdict === 'harness-error')
        .map((r) => `${r.caseId}: ${r.verdict}: ${r.reason}`);
      expect(failed, failed.join('\n')).toEqual([]);
    });
  });
}
