/**
 * `gauntlet gate`: starts the servers a configuration names, measures every cell of its matrix
 * soundly (warm-up, interleaving, repetition until precise or capped), checks every claim and the
 * baseline, measures a failing comparison once more before it fails, and returns the whole story
 * as data (GateResults).
 *
 * The gate runs as steps, each in its own module: the servers (gate-servers.ts), the plan of
 * groups measured together (gate-plan.ts), measuring a group in a cell with its second look
 * (gate-cell.ts), judging, with no I/O (gate-judge.ts, and each kind of claim in claim-kinds/),
 * and the record (gate-results.ts). This module runs them in order, within one time budget.
 *
 * A server that stops answering (a run the load engine stopped at a refused connection or a
 * timeout, or a run that completed nothing) ends its cell at once, with no second look; one that
 * answered nothing in a whole cell, or in its warm-up, has stopped answering, and its remaining
 * cells are skipped with that verdict.
 */
import { isAbort } from '../abort.ts';
import { matrixCells } from '../matrix.ts';
import {
  baselineCell,
  baselineMachine,
  baselineRuns,
  readBaseline,
  runtimeLabel,
  type BaselineFile,
} from './baseline.ts';
import { describePinning, pinSelf, planCores, tasksetAvailable } from './pinning.ts';
import { FIRST_SHARE, TimeBudget } from './sampler.ts';
import { runGroup, type GateState } from './gate-cell.ts';
import { GateInterrupted, stopIfAborted, type FamilyP, type GateRunOptions } from './gate-context.ts';
import { checkClaimServers, planGroups } from './gate-plan.ts';
import { closeResults, openResults } from './gate-results.ts';
import { GateServers } from './gate-servers.ts';
import type { GateResults } from './types.ts';

export { FIRST_SHARE };
export { type GateEvents } from './gate-context.ts';
export { checkClaimServers, planGroups, serversNamedByClaims } from './gate-plan.ts';

/** The groups of every cell in every mode, in the order they are measured. */
function planOf(opts: GateRunOptions, baseline: BaselineFile | null) {
  const { config } = opts;
  const names = opts.servers.map((s) => s.name);
  return config.modes.map((mode) => ({
    mode,
    cells: matrixCells(config.matrix).map((cell) => {
      const compared = new Set(
        names.filter(
          (n) =>
            baseline !== null && baselineRuns(baseline, n, mode, baselineCell(cell, config.engine?.name)).length > 0,
        ),
      );
      return { cell, groups: planGroups(config.claims, names, cell, compared, () => Boolean(opts.withYardstick)) };
    }),
  }));
}

/** Measures every group of every cell, mode by mode, each mode after its warm-ups. */
async function measureAll(state: GateState, plan: ReturnType<typeof planOf>, save: () => Promise<void>): Promise<void> {
  for (const { mode, cells } of plan) {
    await state.servers.warmUp(mode, state.signal);
    for (const { cell, groups } of cells) {
      for (const group of groups) {
        stopIfAborted(state.signal);
        await runGroup(state, group, mode, cell);
        await save();
      }
    }
  }
}

/** Runs a gate. Rejects only on a programming or configuration error; server failures are results. */
export async function runGate(opts: GateRunOptions): Promise<GateResults> {
  const { config, events = {} } = opts;
  checkClaimServers(
    config.claims,
    opts.servers.map((s) => s.name),
  );
  const baseline = config.baseline && opts.compareBaseline !== false ? await readBaseline(config.baseline.file) : null;
  const results = openResults(config);
  const save = async () => opts.save?.(results);
  const servers = new GateServers(config, results, events);
  const familyP: FamilyP = new Map();
  const plan = planOf(opts, baseline);
  // The yardstick runs when some server has a baseline to compare with, or when asked for.
  const useYardstick =
    Boolean(opts.withYardstick) || plan.some((p) => p.cells.some((c) => c.groups.some((g) => g.regression.length > 0)));
  const cores = config.pin && tasksetAvailable() ? planCores() : null;
  results.settings.pinning = describePinning(cores);
  const unpin = cores ? pinSelf(cores.client) : () => {};
  try {
    await servers.start(opts, useYardstick, cores);
    await save();
    // One budget for the whole gate: time a cell did not need goes to the noisier cells after it.
    const budget = new TimeBudget(
      plan.reduce((n, p) => n + p.cells.reduce((k, c) => k + c.groups.length, 0), 0),
      config.sampling.maxTimeMs,
    );
    const machine = results.machine;
    const machineFor = (server: string) =>
      baselineMachine(machine, runtimeLabel(results.servers.find((r) => r.name === server)?.runtime));
    await measureAll(
      { config, events, signal: opts.signal, results, servers, baseline, familyP, budget, machineFor },
      plan,
      save,
    );
    results.status = 'complete';
  } catch (err) {
    results.status = err instanceof GateInterrupted || isAbort(err, opts.signal) ? 'interrupted' : 'failed';
    if (results.status === 'failed') throw err;
  } finally {
    await servers.stopAll();
    unpin();
    closeResults(results, config, familyP);
    await save();
  }
  return results;
}
