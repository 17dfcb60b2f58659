/**
 * The terminal report of a differential run (lib/diff/report.ts): a run the time limit stopped
 * says plainly how many of its requests were sent, so that a partial search does not read as the
 * whole budget.
 */
import { describe, it, expect } from 'vitest';
import type { MachineInfo } from '../../lib/envelope.ts';
import { newDiffRun, type DiffRun } from '../../lib/diff/record.ts';
import { renderDiffReport } from '../../lib/diff/report.ts';

function agreed(changes: Partial<DiffRun>): DiffRun {
  const run = newDiffRun({
    version: '0.0.0',
    machine: {} as MachineInfo,
    seed: 7,
    budget: 2000,
    quirksFile: null,
    replay: 'npx gauntlet diff',
  });
  return { ...run, servers: [{ name: 'a', command: 'a', source: 'a' }], status: 'complete', ...changes };
}

describe('renderDiffReport: how far an agreeing search went', () => {
  it('a run stopped by its time limit names how many of its requests were sent', () => {
    const text = renderDiffReport(agreed({ requests: 612, timedOut: true }));
    expect(text).toContain('AGREE: a understood all 612 requests the same (seed 7)');
    expect(text).toContain('stopped at the time limit after 612 of 2000 requests: no disagreement in those');
  });

  it('a run that spent its budget says nothing of a time limit', () => {
    const text = renderDiffReport(agreed({ requests: 2000 }));
    expect(text).toContain('understood all 2000 requests the same');
    expect(text).not.toContain('time limit');
  });

  it('an interrupted run says it was interrupted, not stopped by the time limit', () => {
    const text = renderDiffReport(agreed({ requests: 40, status: 'interrupted' }));
    expect(text).toContain('(seed 7, interrupted)');
    expect(text).not.toContain('time limit');
  });
});
