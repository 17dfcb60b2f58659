import { describe, expect, it } from 'vitest';
import {
  medianRun,
  medianRunsView,
  recordsByServer,
  runsByServer,
  runsPerCell,
  skippedReason,
  missingReason,
} from '../../lib/report/cells.ts';
import type { CellRecord } from '../../lib/types.ts';
import { seedResults } from './fixtures/seed-results.ts';

/** Runs of the first seed cell of seed-threaded with the given requests per second, in round order. */
function runsWith(rps: number[]): CellRecord[] {
  const base = seedResults().cells[0]!;
  return rps.map((r, round) => ({ ...base, round, result: { ...base.result, requestsPerSecond: r } }));
}

describe('the runs of a cell', () => {
  it('picks the median run by requests per second, the lower middle one for an even count', () => {
    expect(medianRun([])).toBeNull();
    expect(medianRun(runsWith([5, 1, 3]))?.result.requestsPerSecond).toBe(3);
    expect(medianRun(runsWith([4, 1, 3, 2]))?.result.requestsPerSecond).toBe(2);
    // A run with a non-finite figure (null in results.json) counts as 0 requests per second.
    expect(medianRun(runsWith([Number.NaN, 7, 9]))?.result.requestsPerSecond).toBe(7);
  });

  it("groups a server's runs by cell in round order, and the tables read the median one", () => {
    const run = seedResults();
    const first = run.cells[0]!;
    run.cells = [...runsWith([30, 10, 20]).reverse(), ...run.cells.slice(1)];
    const runs = runsByServer(run, first.server).get('0:10:1')!;
    expect(runs.map((r) => r.round)).toEqual([0, 1, 2]);
    expect(recordsByServer(run, first.server).get('0:10:1')?.result.requestsPerSecond).toBe(20);
    expect(runsPerCell(run)).toBe(3);
    const view = medianRunsView(run);
    expect(
      view
        .filter((c) => c.server === first.server && c.group === 0 && c.concurrency === 1)
        .map((c) => c.result.requestsPerSecond),
    ).toEqual([20]);
    expect(view).toHaveLength(22);
  });

  it('gives the reason a cell was skipped, and prefers "stopped answering" over a generic reason', () => {
    const run = seedResults();
    const server = run.servers[0]!;
    const slot = { group: 1, requests: 50, concurrency: 10 };
    expect(skippedReason(server, slot)).toBeNull();
    server.skippedCells = [{ ...slot, reason: 'skipped: x stopped answering in n=10 c=1' }];
    expect(skippedReason(server, slot)).toBe('skipped: x stopped answering in n=10 c=1');
    expect(skippedReason(server, { ...slot, concurrency: 30 })).toBeNull();
    server.stoppedAnswering = 'x stopped answering: no request of n=10 c=1 completed (connection refused)';
    expect(missingReason(run, server)).toBe(
      `skipped: ${server.name} had stopped answering (x stopped answering: no request of n=10 c=1 completed (connection refused))`,
    );
  });
});
