/**
 * The comparison behind `gauntlet gate`, on real servers: it does not call a server slower than
 * itself, and it catches a server made much slower. (docs/perf-gates.md has the full experiments:
 * 30 A/A comparisons, and the detection rates of 25% and 10% slowdowns.)
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { loadServer } from '../../lib/manifest.ts';
import { launch, type RunningServer } from '../../lib/launcher.ts';
import { cell, perfMatchers } from '../../lib/perf/matchers.ts';
import { pinForMeasurement } from '../../lib/perf/pinning.ts';
import { warmUpServer, SERVER_WARMUP_MS } from '../../lib/perf/sampler.ts';

expect.extend(perfMatchers);

const CELLS = [
  { requests: 10, concurrency: 1 },
  { requests: 100, concurrency: 10 },
];
/**
 * Each measurement stops after 5 s instead of a gate's 10 s: the differences here are either none
 * or threefold, decided well within that, and `npm test` has a time budget.
 */
const sampling = { maxTimeMs: 5_000 };
/** Microseconds of CPU per request: longer than node-async takes for a whole request here (it answers at about a third of the speed). */
const BURN_US = '150';

let base: RunningServer;
let twin: RunningServer;
let slowed: RunningServer;
let unpin = () => {};

beforeAll(async () => {
  const spec = await loadServer('node-async');
  base = await launch(spec);
  twin = await launch(spec);
  slowed = await launch(spec, { env: { GAUNTLET_BURN_US: BURN_US } });
  // As a gate does: the servers on one set of cores, the load on the others, every server warm.
  unpin = pinForMeasurement([base, twin, slowed]);
  for (const s of [base, twin, slowed])
    await warmUpServer({ host: s.host, port: s.port, path: '/', mode: 'close' }, SERVER_WARMUP_MS);
});

afterAll(async () => {
  unpin();
  await Promise.all([base, twin, slowed].map((s) => s?.stop()));
});

describe('node-async against a second instance of itself', () => {
  it.each(CELLS)(
    'is at least as fast as its twin at n=$requests c=$concurrency, and the twin as fast as it',
    async (c) => {
      await expect(cell(twin, c, { name: 'twin' })).toBeAtLeastAsFastAs(cell(base, c, { name: 'base' }), { sampling });
      await expect(cell(base, c, { name: 'base' })).toBeAtLeastAsFastAs(cell(twin, c, { name: 'twin' }), { sampling });
    },
  );
});

describe(`node-async against itself slowed by ${BURN_US} us of CPU per request`, () => {
  it.each(CELLS)('is faster than the slowed instance at n=$requests c=$concurrency', async (c) => {
    await expect(cell(base, c, { name: 'base' })).toBeFasterThan(cell(slowed, c, { name: 'slowed' }), { sampling });
  });

  it('fails the claim that the slowed instance is at least as fast, with the figures in the message', async () => {
    const c = { requests: 100, concurrency: 10 };
    const error = await expect(cell(slowed, c, { name: 'slowed' }))
      .toBeAtLeastAsFastAs(cell(base, c, { name: 'base' }), { sampling })
      .then(
        () => null,
        (err: Error) => err,
      );
    expect(error?.message).toMatch(
      /expected slowed to be at least as fast as base \(within 10%\) at n=100 c=10 \(close mode\)/,
    );
    expect(error?.message).toMatch(/measurement 1 of 2: \d+ rounds/);
    expect(error?.message).toMatch(/medians: slowed [\d.]+ req\/s, base [\d.]+ req\/s/);
    expect(error?.message).toMatch(
      /ratio slowed\/base: [\d.]+x, 95% CI [\d.]+x-[\d.]+x, p [=<] [\d.]+ \(wilcoxon-signed-rank\): [\d.]+% slower/,
    );
    expect(error?.message).toMatch(/runs of slowed \(req\/s\): \d+, \d+/);
  });

  it('meets thresholds: no failed request, no non-2xx', async () => {
    await expect(cell(slowed, { requests: 100, concurrency: 10 })).toMeet(['failed == 0', 'non2xx == 0']);
  });
});
