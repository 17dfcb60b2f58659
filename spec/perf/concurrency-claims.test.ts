/**
 * The seed's conclusion, "the asynchronous server is faster than the multithreaded one", checked
 * soundly at every concurrency level of the seed and tugas9 matrices, for both pairs of reference
 * servers, with a new TCP connection per request as in the seed's ab runs.
 *
 * Each claim below is the one the data support (docs/perf-gates.md, "Async against threaded"):
 * where async is not faster, the spec says so rather than asserting a false claim. Every figure
 * in the comments is async's requests per second over threaded's, from two gates on this machine.
 * The comparisons are made as `gauntlet gate` makes them: servers pinned to one core and the load
 * generator to the other, warmed up, interleaved, repeated, significance and tolerance (10%).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { loadServer } from '../../lib/manifest.ts';
import { launch, type RunningServer } from '../../lib/launcher.ts';
import { matrixCells, SEED_MATRIX, TUGAS9_MATRIX } from '../../lib/matrix.ts';
import { cell, perfMatchers } from '../../lib/perf/matchers.ts';
import { pinForMeasurement } from '../../lib/perf/pinning.ts';
import { SERVER_WARMUP_MS, warmUpServer } from '../../lib/perf/sampler.ts';
import type { CellSpec } from '../../lib/types.ts';

expect.extend(perfMatchers);

const CELLS: CellSpec[] = [...matrixCells(SEED_MATRIX), ...matrixCells(TUGAS9_MATRIX)].map(
  ({ requests, concurrency }) => ({
    requests,
    concurrency,
  }),
);
const at = (pick: (c: CellSpec) => boolean) => CELLS.filter(pick);

const servers: Record<string, RunningServer> = {};
let unpin = () => {};

beforeAll(async () => {
  for (const name of ['python-async', 'python-threaded', 'node-async', 'node-threaded']) {
    servers[name] = await launch(await loadServer(name));
  }
  unpin = pinForMeasurement(Object.values(servers));
  for (const s of Object.values(servers)) {
    await warmUpServer({ host: s.host, port: s.port, path: '/', mode: 'close' }, SERVER_WARMUP_MS);
  }
});

afterAll(async () => {
  unpin();
  await Promise.all(Object.values(servers).map((s) => s.stop()));
});

const ref = (name: string, c: CellSpec) => cell(servers[name]!, c);

describe('node: one event loop against a pool of worker threads', () => {
  // 1.20x to 1.71x at every level. One cell in 36 was undecided (n=10 c=10 under heavy load from
  // other work: 1.20x, 0.91x-1.41x); a second measurement then settles it.
  it.each(at(() => true))('node-async is faster than node-threaded at n=$requests c=$concurrency', async (c) => {
    await expect(ref('node-async', c)).toBeFasterThan(ref('node-threaded', c));
  });
});

describe('python: one asyncio event loop against one thread per connection', () => {
  // Not as the seed concluded: at concurrency 1 the threaded server is faster, python-async
  // running at 0.71x to 0.77x of it. With one connection at a time there is nothing for an
  // event loop to overlap, and what each connection costs the server decides.
  it.each(at((c) => c.concurrency === 1))(
    'python-threaded is faster than python-async at n=$requests c=$concurrency',
    async (c) => {
      await expect(ref('python-threaded', c)).toBeFasterThan(ref('python-async', c));
    },
  );

  // 0.88x to 1.08x: at 5 and 10 neither is clearly faster (at n=10 c=5 async is about 11% slower,
  // on the edge of the tolerance), and async is never far behind.
  it.each(at((c) => c.concurrency === 5 || c.concurrency === 10))(
    'python-async is at least 0.8 times as fast as python-threaded at n=$requests c=$concurrency',
    async (c) => {
      await expect(ref('python-async', c)).toBeAtLeastAsFastAs(ref('python-threaded', c), { factor: 0.8 });
    },
  );

  // 0.99x to 1.54x, growing with concurrency: from 30 on the seed's conclusion holds, within the
  // tolerance up to 50 and clearly from 100 (1.14x to 1.54x).
  it.each(at((c) => c.concurrency >= 30))(
    'python-async is at least as fast as python-threaded at n=$requests c=$concurrency',
    async (c) => {
      await expect(ref('python-async', c)).toBeAtLeastAsFastAs(ref('python-threaded', c));
    },
  );

  // 1.30x to 1.54x, the lowest interval bound 1.22x.
  it.each(at((c) => c.concurrency >= 500))(
    'python-async is faster than python-threaded at n=$requests c=$concurrency',
    async (c) => {
      await expect(ref('python-async', c)).toBeFasterThan(ref('python-threaded', c));
    },
  );
});
