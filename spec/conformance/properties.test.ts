/**
 * Every property (lib/conformance/properties/registry.ts) against every reference server, one
 * test per (server, property), named by the property's id: the same registry and runner that
 * `gauntlet check` uses.
 *
 * The servers start once, together, and each runs its properties two at a time while the
 * tests await their results, so the file takes about as long as the slowest server's share.
 * A failure carries the seed, the shrunk request with its wire log, and the `gauntlet check`
 * command that replays it; a property needing a capability the server does not declare is
 * skipped.
 *
 * GAUNTLET_SEED, GAUNTLET_NUM_RUNS, GAUNTLET_PROPERTY_TIME_MS, GAUNTLET_SHRINK_TIME_MS and
 * GAUNTLET_PROPERTY_PATH tune the runs (see lib/conformance/properties/settings.ts).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { loadAllServers } from '../../lib/manifest.ts';
import { launch, type RunningServer } from '../../lib/launcher.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import { serverFlagFor } from '../../lib/conformance/wire-log.ts';
import { PROPERTIES } from '../../lib/conformance/properties/registry.ts';
import { scheduleProperties } from '../../lib/conformance/properties/schedule.ts';
import { propertyFailureMessage } from '../../lib/conformance/properties/replay.ts';
import { RUN_LIMIT_MS, propertySettings, seedLine } from '../../lib/conformance/properties/settings.ts';
import type { PropertyResult } from '../../lib/conformance/properties/types.ts';

const specs = await loadAllServers();
// Read once, before anything runs: the seed is printed here, and bad settings fail the file at once.
const settings = propertySettings();
console.log(seedLine(settings.seed));

/** Properties run at once against one server. */
const PER_SERVER_CONCURRENCY = 2;

/**
 * The longest a test may wait for its result: its server's properties run a few at a time, each
 * searching, possibly shrinking, and finishing its last run.
 */
const TEST_TIMEOUT_MS =
  Math.ceil(PROPERTIES.length / PER_SERVER_CONCURRENCY) * (settings.timeMs + settings.shrinkTimeMs + RUN_LIMIT_MS) +
  30_000;

interface Started {
  server?: RunningServer;
  error?: Error;
  results?: Map<string, Promise<PropertyResult>>;
}
const started = new Map<string, Started>();

beforeAll(async () => {
  await Promise.all(
    specs.map(async (spec) => {
      try {
        const server = await launch(spec, {
          env: { GAUNTLET_HEADER_TIMEOUT_MS: '1000', GAUNTLET_IDLE_TIMEOUT_MS: '1000' },
        });
        const results = scheduleProperties(
          {
            host: server.host,
            port: server.port,
            root: DEFAULT_DOC_ROOT,
            capabilities: spec.capabilities ?? [],
            name: spec.name,
            serverFlag: serverFlagFor(spec),
          },
          PROPERTIES,
          PER_SERVER_CONCURRENCY,
          settings,
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

describe.each(specs.map((spec) => ({ name: spec.name, spec })))('$name', ({ spec }) => {
  it('starts', () => {
    const s = started.get(spec.name);
    if (s?.error) throw s.error;
    expect(s?.server).toBeDefined();
  });

  it.concurrent.for(PROPERTIES.map((p) => ({ id: p.id })))('$id', { timeout: TEST_TIMEOUT_MS }, async ({ id }, ctx) => {
    const s = started.get(spec.name);
    if (!s?.results) throw s?.error ?? new Error(`${spec.name} was not started`);
    const r = await s.results.get(id);
    if (!r) throw new Error(`no result for ${id}`);
    if (r.verdict === 'skip') ctx.skip(r.reason);
    if (r.interrupted) await ctx.annotate(`time box reached after ${r.numRuns} runs (${r.durationMs} ms)`, 'notice');
    expect(r.verdict, propertyFailureMessage(spec.name, r)).toBe('pass');
  });
});
