/**
 * Every conformance case against every reference server (servers/), one test per (server, case).
 *
 * All servers start once, together, before the tests; every (server, case) pair is scheduled at
 * once in a small pool per server, and each test awaits its own result. The whole file thus
 * takes about as long as the slowest case, not the sum of them. A MUST miss fails the test with
 * the reason, the wire log and the command that replays it; a SHOULD miss or an informational
 * finding passes with an annotation; a case needing a capability the server lacks is skipped.
 * A case whose situation never arises on the reference servers (`n/a`) is declared below with
 * why: any other `n/a` fails, since it would be a case that tests nothing on them.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { loadAllServers } from '../../lib/manifest.ts';
import { launch, type RunningServer } from '../../lib/launcher.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import { loadCases } from '../../lib/conformance/registry.ts';
import { CONFORMANCE_ENV, scheduleCases } from '../../lib/conformance/runner.ts';
import { gauntletReplay, renderWireLog, serverFlagFor } from '../../lib/conformance/wire-log.ts';
import type { CaseResult, ConformanceCase } from '../../lib/conformance/types.ts';
import type { ServerSpec } from '../../lib/types.ts';

const specs = await loadAllServers();
const cases: ConformanceCase[] = (await loadCases()).map((l) => l.case);

/** Case id -> why the situation it is about never arises on a reference server (verdict `n/a`). */
const NOT_APPLICABLE_ON_REFERENCE: Readonly<Record<string, string>> = {
  'upgrade-trace-excludes-credentials':
    'the reference servers answer TRACE with 405: nothing is reflected, so no credential can be',
};

/** Cases run at once against one server; the servers run side by side. */
const PER_SERVER_CONCURRENCY = 8;

/**
 * Paced cases (parts written with pauses) go first, while the fewest other connections compete
 * for the CPU: a request dripped byte by byte must still arrive within the servers' 1 s header
 * timeout on a busy machine.
 */
const paced = (c: ConformanceCase) => c.request.reduce((ms, p) => ms + (p.delayMs ?? 0), 0);
const scheduleOrder = [...cases].sort((a, b) => paced(b) - paced(a));

interface Started {
  server?: RunningServer;
  error?: Error;
  results?: Map<string, Promise<CaseResult>>;
}
const started = new Map<string, Started>();

beforeAll(async () => {
  await Promise.all(
    specs.map(async (spec) => {
      try {
        const server = await launch(spec, { env: { ...CONFORMANCE_ENV } });
        const results = scheduleCases(
          scheduleOrder,
          {
            host: server.host,
            port: server.port,
            root: DEFAULT_DOC_ROOT,
            capabilities: spec.capabilities ?? [],
            name: spec.name,
          },
          PER_SERVER_CONCURRENCY,
        );
        started.set(spec.name, { server, results });
      } catch (err) {
        started.set(spec.name, { error: err as Error });
      }
    }),
  );
});

afterAll(async () => {
  const all = [...started.values()];
  await Promise.allSettled(all.flatMap((s) => [...(s.results?.values() ?? [])]));
  await Promise.all(all.flatMap((s) => (s.server ? [s.server.stop()] : [])));
});

function failureMessage(spec: ServerSpec, c: ConformanceCase, r: CaseResult): string {
  const parts = [`${spec.name} ${c.id} (${c.level}, ${c.rfc}): ${c.name}`, `${r.verdict}: ${r.reason}`];
  if (r.exchange) parts.push(renderWireLog(r.exchange, { timeoutMs: c.timeoutMs ?? 2000 }));
  if (r.aliveExchange) parts.push(`liveness probe:\n${renderWireLog(r.aliveExchange)}`);
  parts.push(`replay: ${gauntletReplay(serverFlagFor(spec), c.id)}`);
  return parts.join('\n');
}

describe.each(specs.map((spec) => [spec.name, spec] as const))('%s', (_name, spec) => {
  it('starts', () => {
    const s = started.get(spec.name);
    if (s?.error) throw s.error;
    expect(s?.server).toBeDefined();
  });

  if (cases.length === 0) {
    it.skip('has conformance cases to run (lib/conformance/cases/ is empty)', () => {});
    return;
  }

  it.concurrent.for(cases.map((c) => [c.id, c] as const))('%s', async ([, c], ctx) => {
    const s = started.get(spec.name);
    if (!s?.results) throw s?.error ?? new Error(`${spec.name} was not started`);
    const r = await s.results.get(c.id);
    if (!r) throw new Error(`no result for ${c.id}`);
    if (r.verdict === 'skip') ctx.skip(r.reason);
    const notApplicable = NOT_APPLICABLE_ON_REFERENCE[c.id];
    if (notApplicable !== undefined) {
      expect(r.verdict, `${c.id} is declared n/a ("${notApplicable}")\n${failureMessage(spec, c, r)}`).toBe('n/a');
      await ctx.annotate(`n/a: ${r.reason}`, 'notice');
      return;
    }
    if (r.verdict === 'warn' || r.verdict === 'info')
      await ctx.annotate(`${r.verdict}: ${r.reason}`, r.verdict === 'warn' ? 'warning' : 'notice');
    expect(['pass', 'warn', 'info'], failureMessage(spec, c, r)).toContain(r.verdict);
  });
});
