import { defineConfig } from 'vitest/config';

// The harness's own tests run in parallel, conformance runs in parallel against servers started
// once per file, the container specs after them, and perf runs alone and serially, last
// (groupOrder), because two measurements sharing this machine's two cores would measure each other.
// `claims` (the seed's conclusion checked at every cell of the seed and tugas9 matrices, about four
// minutes) is perf too, but it is run on its own by `npm run test:claims`, not by `npm test`,
// which stays under five minutes; so are `hostile`, `acceptance` and `package` (.ci/run runs them).
export default defineConfig({
  test: {
    // Two files at a time (vitest's default on a 2-core machine is one): most of the harness's own
    // tests wait on servers, sockets and timeouts rather than compute, so a second worker halves
    // their wall time. The perf and hostile projects stay serial within themselves (see below).
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          // spec/golden: today's outputs of bench, check and gate against the recorded ones (~15 s).
          include: ['spec/unit/**/*.test.ts', 'spec/golden/**/*.test.ts'],
          // Runs in the hostile project (against refusing and hanging servers, waiting on them).
          exclude: ['spec/unit/bench-rounds.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'conformance',
          sequence: { groupOrder: 0 },
          include: ['spec/conformance/**/*.test.ts'],
          // cases.test.ts runs alone (conformance-cases); diff.test.ts in the acceptance project.
          exclude: ['spec/conformance/cases.test.ts', 'spec/conformance/diff.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The cases against the reference servers, alone: some write a request a byte at a time
        // against a server's 1 s header timeout, which a second busy worker on a 2-core machine can
        // stretch past it.
        test: {
          name: 'conformance-cases',
          sequence: { groupOrder: 1 },
          include: ['spec/conformance/cases.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Servers in containers (spec/containers): after the first two projects, because image
        // builds would take the CPU from their timing-sensitive cases, and before perf.
        test: {
          name: 'containers',
          sequence: { groupOrder: 2 },
          include: ['spec/containers/**/*.test.ts'],
          exclude: ['spec/containers/harness-killed.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
      {
        test: {
          name: 'perf',
          include: ['spec/perf/**/*.test.ts'],
          exclude: [
            'spec/perf/concurrency-claims.test.ts',
            'spec/perf/open-model.test.ts',
            'spec/perf/gate-soundness.test.ts',
            'spec/perf/containers.test.ts',
            'spec/perf/diagnostics-reference.test.ts',
            'spec/perf/reference-servers-complete.test.ts',
          ],
          fileParallelism: false,
          sequence: { concurrent: false, groupOrder: 3 },
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'claims',
          include: ['spec/perf/concurrency-claims.test.ts'],
          fileParallelism: false,
          sequence: { concurrent: false, groupOrder: 4 },
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      {
        // bench, check and gate against servers that refuse, hang, flood, reset or escape
        // (fixtures/hostile), each CLI run under a watchdog, two at a time (spec/hostile/hostile.test.ts
        // says why), plus the harness's own tests against such servers (check, gate, bench's rounds,
        // the watchdog, a harness killed under its containers);
        // on its own (`npm run test:hostile`, run by .ci/run), not by `npm test`, which stays under
        // five minutes.
        test: {
          name: 'hostile',
          include: [
            'spec/hostile/**/*.test.ts',
            'spec/unit/bench-rounds.test.ts',
            'spec/containers/harness-killed.test.ts',
          ],
          fileParallelism: false,
          maxConcurrency: 2,
          sequence: { groupOrder: 5 },
          testTimeout: 200_000,
          hookTimeout: 60_000,
        },
      },
      {
        // End-to-end runs against real servers, each from half a minute to a minute: gauntlet diff
        // against every framing broken server and the reference servers (seed 7, at most 2000
        // requests), the open model against a server that pauses (a 6 s rate cell, a closed loop,
        // a reference server), the gate's comparison on real servers (soundness), the reference
        // servers compared in containers, and every reference server over the seed and tugas9
        // matrices in both modes (no failed request, no false finding). On their own (`npm run test:acceptance`, run by .ci/run),
        // not by `npm test`, which stays under five minutes; serial, because they measure.
        test: {
          name: 'acceptance',
          include: [
            'spec/conformance/diff.test.ts',
            'spec/perf/open-model.test.ts',
            'spec/perf/gate-soundness.test.ts',
            'spec/perf/containers.test.ts',
            'spec/perf/diagnostics-reference.test.ts',
            'spec/perf/reference-servers-complete.test.ts',
            // --engine locust: a master and two workers, then a master and gauntlet worker (~30 s).
            'spec/locust/**/*.test.ts',
            // check --shard and merge against a reference server; vitest's own shards merged.
            'spec/acceptance/**/*.test.ts',
          ],
          fileParallelism: false,
          sequence: { concurrent: false, groupOrder: 7 },
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
      {
        // The package as a user installs it (spec/package: npm pack, npm install into a temporary
        // project, the CLI, the library and the matchers from there); on its own
        // (`npm run test:package`, run by .ci/run), not by `npm test`: packing builds dist/ and
        // installing takes a minute.
        test: {
          name: 'package',
          include: ['spec/package/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 6 },
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
