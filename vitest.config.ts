import { defineConfig } from 'vitest/config';

// Three projects: the harness's own tests run in parallel, conformance runs in parallel
// against servers started once per file, and perf runs alone and serially, because
// two measurements sharing this machine's two cores would measure each other.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['spec/unit/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'conformance',
          include: ['spec/conformance/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'perf',
          include: ['spec/perf/**/*.test.ts'],
          fileParallelism: false,
          sequence: { concurrent: false },
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
