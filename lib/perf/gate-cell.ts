/**
 * One group of servers in one cell: the checks that cannot run (a server is out of the gate), the
 * first measurement, the second look within the cell's time cap when something fails, and the
 * verdicts recorded into the results. Time is bounded whatever the servers do: the first
 * measurement may use FIRST_SHARE of the cap, the second what is left; a server that stops
 * answering ends its cell at once, with no second look.
 */
import type { CellSpec, LoadMode } from '../types.ts';
import { engineRunner } from './gate-engine.ts';
import { isAbort } from '../abort.ts';
import { cellLabel } from '../report/format.ts';
import { baselineCell, baselineRuns, type BaselineFile, type BaselineMachine } from './baseline.ts';
import type { ResolvedConfig } from './config.ts';
import { isPrecise, type PrecisionNeed } from './measurement.ts';
import { FIRST_SHARE, measureCell, mergeMeasurements, type Side, type TimeBudget } from './sampler.ts';
import { kindOf, type Claim } from './claim-kinds/registry.ts';
import type { CellContext, CellLooks, CellPlace, ClaimCheck } from './claim-kinds/kind.ts';
import type { RegressionSubject } from './regression.ts';
import { failingOf, judgeCell, lookFirst, type JudgedCheck } from './gate-judge.ts';
import type { Group } from './gate-plan.ts';
import type { GateServers } from './gate-servers.ts';
import { GateInterrupted, type FamilyP, type GateCell, type GateEvents } from './gate-context.ts';
import { YARDSTICK, type ClaimResult, type GateMeasurement, type GateResults, type RegressionResult } from './types.ts';

/** The parts of a running gate that measuring a cell reads and writes. */
export interface GateState {
  config: ResolvedConfig;
  events: GateEvents;
  signal: AbortSignal | undefined;
  results: GateResults;
  servers: GateServers;
  baseline: BaselineFile | null;
  familyP: FamilyP;
  budget: TimeBudget;
  /** The machine facts a baseline compares, with the runtime the server ran in. */
  machineFor(server: string): BaselineMachine;
}

/** A group's work in one cell of one mode, once the servers out of the gate are set aside. */
interface CellJob {
  group: Group;
  mode: LoadMode;
  cell: GateCell;
  checks: Array<ClaimCheck<Claim>>;
  /** The servers measured, the yardstick last when it is. */
  sides: string[];
  context: CellContext;
}

function claimResult(state: GateState, claim: Claim): ClaimResult {
  return state.results.claims[state.config.claims.indexOf(claim)]!;
}

/**
 * What the load engine runs of a gate cell: its requests or its duration, and its connections.
 * A cell of a duration stays one (its `requests` is 0): every run of it, warm-up and rounds, sends
 * for its duration.
 */
export function specOf(cell: GateCell): CellSpec {
  return {
    requests: cell.requests,
    concurrency: cell.concurrency,
    ...(cell.durationS !== undefined && { durationS: cell.durationS }),
  };
}

/** Where a verdict of the cell is placed: its mode, group, requests or duration, and connections. */
export function cellPlace(mode: LoadMode, cell: GateCell): CellPlace {
  return { mode, group: cell.group, ...specOf(cell) };
}

/** Writes a cell's verdicts into the results. */
function record(state: GateState, checks: Array<JudgedCheck<Claim>>, regressions: RegressionResult[]): void {
  for (const { claim, verdict } of checks) {
    if (verdict.familyP !== undefined) state.familyP.set(verdict.cell, verdict.familyP);
    claimResult(state, claim).cells.push(verdict.cell);
  }
  state.results.regressions.push(...regressions);
}

async function measure(state: GateState, job: CellJob, attempt: number, capMs: number): Promise<GateMeasurement> {
  const { config, events, signal } = state;
  const { mode, cell, sides } = job;
  const needs: PrecisionNeed[] = [];
  for (const check of job.checks) {
    const need = kindOf(check.claim).need(check, job.context.settings);
    if (need) needs.push(need);
  }
  if (sides.includes(YARDSTICK)) {
    for (const s of job.group.servers)
      needs.push({ kind: 'normalised', server: s, yardstick: YARDSTICK, tolerance: config.tolerance });
  }
  const runner = engineRunner(config.engine);
  try {
    events.cellStarted?.(mode, cell, sides, attempt);
    const m = await measureCell(
      sides.map((name): Side => ({ name, target: state.servers.target(name, mode) })),
      specOf(cell),
      {
        ...config.sampling,
        maxTimeMs: capMs,
        precise: (cur) => isPrecise(needs, cur, config.confidence),
        onRound: (cur) => events.round?.(cur),
        signal,
        ...(runner && { run: runner }),
      },
    );
    const measured: GateMeasurement = { ...m, mode, group: cell.group, attempt };
    state.results.measurements.push(measured);
    return measured;
  } catch (err) {
    if (isAbort(err, signal)) throw new GateInterrupted();
    throw err;
  }
}

/** Measures once more what failed, with the time the cell's cap has left; none when it has none. */
async function secondLook(
  state: GateState,
  job: CellJob,
  first: GateMeasurement,
  failing: string[],
  capMs: number,
  cellStart: number,
): Promise<CellLooks> {
  const { config, signal } = state;
  const looks: CellLooks = { first, second: null, both: null, noTime: false };
  if (failing.length === 0 || !config.remeasure || first.stoppedBy === 'server-stopped' || signal?.aborted)
    return looks;
  const left = capMs - (performance.now() - cellStart);
  if (left <= 0) return { ...looks, noTime: true };
  const second = await measure(state, job, 1, left);
  state.servers.noteStops(second, job.sides, job.context.at, job.mode);
  state.events.cellDone?.(second, []);
  // The second look is decided on every round taken: the first measurement's and its own.
  return {
    ...looks,
    second,
    both: { ...mergeMeasurements(first, second), mode: job.mode, group: job.cell.group, attempt: 1 },
  };
}

/** Sets aside the checks a server out of the gate makes impossible, recording why; returns the others. */
function checkable(state: GateState, group: Group, live: string[], context: CellContext): Array<ClaimCheck<Claim>> {
  return group.checks.filter((check) => {
    const gone = check.servers.find((s) => !live.includes(s));
    if (gone)
      claimResult(state, check.claim).cells.push(
        kindOf(check.claim).unchecked(check, context.place, state.servers.whyOut(gone)),
      );
    return !gone;
  });
}

function regressionSubjects(state: GateState, servers: string[], mode: LoadMode, cell: GateCell): RegressionSubject[] {
  const baseline = state.config.baseline!;
  const settings = {
    alert: baseline.alert,
    fail: baseline.fail,
    alpha: state.config.alpha,
    confidence: state.config.confidence,
  };
  return servers.map((server) => ({
    server,
    runs: baselineRuns(state.baseline, server, mode, baselineCell(cell, state.config.engine?.name)),
    machine: state.machineFor(server),
    settings,
  }));
}

/** Measures and judges one group in one cell, and records its verdicts. */
export async function runGroup(state: GateState, group: Group, mode: LoadMode, cell: GateCell): Promise<void> {
  const { config, servers, budget } = state;
  const place = cellPlace(mode, cell);
  const context: CellContext = {
    place,
    at: cellLabel(cell),
    settings: { tolerance: config.tolerance, alpha: config.alpha, confidence: config.confidence },
  };
  const live = group.servers.filter((s) => servers.isLive(s));
  const yardstickLive = group.yardstick && servers.isLive(YARDSTICK);
  // Checks that cannot run: a server did not start, crashed or stopped answering earlier.
  const checks = checkable(state, group, live, context);
  const regression = group.regression.filter((s) => live.includes(s) && yardstickLive);
  if (live.length === 0) {
    budget.spend(0);
    return;
  }
  const job: CellJob = { group, mode, cell, checks, sides: [...live, ...(yardstickLive ? [YARDSTICK] : [])], context };
  // The cell's cap covers the second look too: the first measurement leaves room for it.
  const capMs = budget.next();
  const cellStart = performance.now();
  const first = await measure(state, job, 0, config.remeasure ? capMs * FIRST_SHARE : capMs);
  servers.noteStops(first, job.sides, context.at, mode);
  const firstLooks = lookFirst(
    checks,
    regression.length ? regressionSubjects(state, regression, mode, cell) : [],
    first,
    context,
  );
  // A failing comparison is measured once more before it fails; a server that stopped answering is not asked again.
  const failing = failingOf(firstLooks);
  state.events.cellDone?.(first, failing);
  const looks = await secondLook(state, job, first, failing, capMs, cellStart);
  budget.spend(performance.now() - cellStart);
  const judged = judgeCell(firstLooks, looks, context);
  record(state, judged.checks, judged.regressions);
}
