/**
 * `gauntlet gate`: starts the servers a configuration names, measures every cell of its matrix
 * soundly (warm-up, interleaving, repetition until precise or capped), checks every claim and the
 * baseline, measures a failing comparison once more before it fails, and returns the whole story
 * as data (GateResults).
 *
 * Servers are measured in groups: the servers that a relative claim links are measured together,
 * interleaved, in each cell; a server that only has absolute claims is measured alone; the
 * yardstick joins every group holding a server compared with the baseline.
 *
 * Time is bounded, whatever the servers do:
 * - a cell's cap covers its second look: the first measurement may use FIRST_SHARE of it, the
 *   second what is left, so a cell never runs more than about one round past its cap;
 * - a server that stops answering (a run the load engine stopped at a refused connection or a
 *   timeout, or a run that completed nothing) ends its cell at once, with no second look; one
 *   that answered nothing in a whole cell, or in its warm-up, has stopped answering, and its
 *   remaining cells are skipped with that verdict.
 */
import type { CellSpec, LoadMode, LoadTarget, ServerSpec } from '../types.ts';
import { holds } from './decide.ts';
import { describeExit, type RunningServer } from '../launcher.ts';
import { launchServer } from '../runtime.ts';
import { matrixCells } from '../matrix.ts';
import { machineInfo, gauntletVersion } from '../machine.ts';
import { median } from '../stats.ts';
import { cellMatches, claimServers, type AbsoluteClaim, type Claim, type RelativeClaim } from './claims.ts';
import type { ResolvedConfig } from './config.ts';
import { allTotalsOf, FIRST_SHARE, measureCell, mergeMeasurements, TimeBudget, warmUpServer, type CellMeasurement, type Side } from './sampler.ts';
import {
  checkAbsolute,
  checkRegression,
  checkRelative,
  decideRelative,
  failureReason,
  familyFailures,
  isPrecise,
  MIN_RUNS_TO_FAIL,
  side,
  type PrecisionNeed,
} from './evaluate.ts';
export { FIRST_SHARE };
import { cellLabel } from '../report/format.ts';
import type { RatioVerdict } from './decide.ts';
import {
  baselineMachine,
  runtimeLabel,
  baselineMedianRps,
  baselineRuns,
  machineDifferences,
  readBaseline,
  sameHardware,
  type BaselineFile,
} from './baseline.ts';
import { rpsOf } from './sampler.ts';
import { yardstickSpec } from './yardstick.ts';
import { describePinning, pinGroup, pinSelf, planCores, tasksetAvailable } from './pinning.ts';
import { buildAlerts } from './alerts.ts';
import { cellNotes, measurementInfo, summarizeClaim } from './report.ts';
import {
  YARDSTICK,
  type ClaimCell,
  type ClaimResult,
  type GateMeasurement,
  type GateResults,
  type GateSettings,
  type RegressionLevel,
  type RegressionResult,
} from './types.ts';

export interface GateEvents {
  serverStarting?(name: string): void;
  serverReady?(server: RunningServer): void;
  serverFailed?(name: string, message: string): void;
  cellStarted?(mode: LoadMode, cell: CellSpec, sides: string[], attempt: number): void;
  round?(m: CellMeasurement): void;
  cellDone?(m: GateMeasurement, failing: string[]): void;
}

export interface GateRunOptions {
  config: ResolvedConfig;
  servers: ServerSpec[];
  /** Document root given to the servers. */
  root: string;
  /** Measure the yardstick next to every server even with no baseline to compare with (to save one). */
  withYardstick?: boolean;
  /** Compare with the baseline file when it exists (default true). */
  compareBaseline?: boolean;
  /** Called with the results after every cell, so that an interrupted gate keeps what it measured. */
  save?: (results: GateResults) => Promise<void>;
  signal?: AbortSignal;
  events?: GateEvents;
  /** Extra environment per server name (tests inject slowdowns this way). */
  env?: Record<string, Record<string, string>>;
}

export class GateInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'GateInterrupted';
  }
}

function settingsOf(config: ResolvedConfig): GateSettings {
  return {
    configFile: config.file,
    modes: config.modes,
    matrix: config.matrix,
    path: config.path,
    tolerance: config.tolerance,
    alpha: config.alpha,
    confidence: config.confidence,
    sampling: { ...config.sampling },
    remeasure: config.remeasure,
    pinning: 'not pinned',
    baseline: config.baseline,
  };
}

/** Checks that every server a claim names is one the gate starts. */
export function checkClaimServers(claims: Claim[], servers: string[]): void {
  const known = new Set(servers);
  for (const claim of claims) {
    for (const name of claimServers(claim)) {
      if (!known.has(name)) {
        throw new Error(`claim ${JSON.stringify(claim.text)} names "${name}", which is not among the gate's servers (${servers.join(', ') || 'none'})`);
      }
    }
  }
}

/** The server names the claims name, in order of first mention; all of servers/ when none. */
export function serversNamedByClaims(claims: Claim[]): string[] {
  const names: string[] = [];
  for (const c of claims) for (const n of claimServers(c)) if (!names.includes(n)) names.push(n);
  return names;
}

interface Group {
  servers: string[];
  yardstick: boolean;
  relative: RelativeClaim[];
  absolute: Array<{ claim: AbsoluteClaim; server: string }>;
  regression: string[];
}

/** Splits a cell's work into groups measured separately. */
export function planGroups(
  claims: Claim[],
  servers: string[],
  cell: CellSpec,
  regressionServers: Set<string>,
  yardstickFor: (server: string) => boolean,
): Group[] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const relative: RelativeClaim[] = [];
  const absolute: Array<{ claim: AbsoluteClaim; server: string }> = [];
  const involved = new Set<string>();
  for (const claim of claims) {
    if (!cellMatches(claim.where, cell)) continue;
    if (claim.kind === 'relative') {
      relative.push(claim);
      involved.add(claim.a).add(claim.b);
    } else {
      for (const s of claim.servers ?? servers) {
        absolute.push({ claim, server: s });
        involved.add(s);
      }
    }
  }
  for (const s of servers) if (regressionServers.has(s) || yardstickFor(s)) involved.add(s);
  for (const s of involved) parent.set(s, s);
  for (const c of relative) parent.set(find(c.a), find(c.b));
  const groups = new Map<string, Group>();
  for (const s of servers) {
    if (!involved.has(s)) continue;
    const root = find(s);
    let g = groups.get(root);
    if (!g) {
      g = { servers: [], yardstick: false, relative: [], absolute: [], regression: [] };
      groups.set(root, g);
    }
    g.servers.push(s);
    if (yardstickFor(s) || regressionServers.has(s)) g.yardstick = true;
    if (regressionServers.has(s)) g.regression.push(s);
  }
  for (const c of relative) groups.get(find(c.a))!.relative.push(c);
  for (const a of absolute) groups.get(find(a.server))!.absolute.push(a);
  return [...groups.values()];
}

const SEVERITY: Record<RegressionLevel, number> = {
  'no-baseline': 0,
  improved: 0,
  ok: 0,
  within: 0,
  undecided: 0,
  alert: 1,
  fail: 2,
};

function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted) || (err instanceof Error && err.name === 'AbortError');
}

/** Runs a gate. Rejects only on a programming or configuration error; server failures are results. */
export async function runGate(opts: GateRunOptions): Promise<GateResults> {
  const { config, events = {} } = opts;
  const names = opts.servers.map((s) => s.name);
  checkClaimServers(config.claims, names);
  const baseline: BaselineFile | null =
    config.baseline && opts.compareBaseline !== false ? await readBaseline(config.baseline.file) : null;

  const machine = machineInfo();
  /** The machine facts a baseline compares, with the runtime the server ran in. */
  const machineNow = (server: string) => baselineMachine(machine, runtimeLabel(results.servers.find((r) => r.name === server)?.runtime));
  const results: GateResults = {
    tool: 'gauntlet',
    kind: 'gate',
    version: gauntletVersion(),
    startedAt: new Date().toISOString(),
    finishedAt: null,
    status: 'running',
    settings: settingsOf(config),
    machine,
    servers: [],
    measurements: [],
    warmups: [],
    claims: config.claims.map((c) => ({ claim: c.text, kind: c.kind, status: 'pass', cells: [], summary: '' })),
    regressions: [],
    alerts: [],
    passed: false,
  };
  const save = async () => opts.save?.(results);
  const running = new Map<string, RunningServer>();
  const errors = new Map<string, string>();
  /** Each compared cell of a relative claim: its p-value for the family-wise correction. */
  const familyP = new Map<ClaimCell, number>();

  const hasBaseline = (server: string, mode: LoadMode, cell: CellSpec) =>
    baseline !== null && baselineRuns(baseline, server, mode, cell).length > 0;
  const anyBaseline =
    baseline !== null &&
    opts.servers.some((s) => config.modes.some((mode) => matrixCells(config.matrix).some((c) => hasBaseline(s.name, mode, c))));
  const useYardstick = Boolean(opts.withYardstick) || anyBaseline;

  const cores = config.pin && tasksetAvailable() ? planCores() : null;
  results.settings.pinning = describePinning(cores);
  const unpin = cores ? pinSelf(cores.client) : () => {};
  try {
    const toStart: ServerSpec[] = [...opts.servers, ...(useYardstick ? [yardstickSpec()] : [])];
    for (const spec of toStart) {
      if (opts.signal?.aborted) throw new GateInterrupted();
      const isYard = spec.name === yardstickSpec().name && spec.source === yardstickSpec().source;
      const label = isYard ? YARDSTICK : spec.name;
      // The yardstick stands for the machine's own speed and has no Dockerfile: it always runs as
      // a process, next to servers in containers as next to processes.
      const inContainer = !isYard && config.runtime === 'container';
      if (!isYard) {
        // In a container the manifest's container argv runs, not its process command.
        const command = inContainer && spec.container ? spec.container.command.join(' ') : spec.command;
        results.servers.push({ name: spec.name, model: spec.model, language: spec.language, command, source: spec.source });
      }
      events.serverStarting?.(label);
      try {
        const server = await launchServer(spec, {
          root: opts.root,
          env: opts.env?.[spec.name] ?? {},
          runtime: inContainer ? 'container' : 'process',
          ...(inContainer && config.cpus !== null ? { cpus: config.cpus } : {}),
          ...(inContainer && config.memoryMb !== null ? { memoryMb: config.memoryMb } : {}),
        });
        if (cores) pinGroup(server.pid, cores.servers);
        const record = results.servers.find((s) => s.name === label);
        if (record && server.runtime) record.runtime = server.runtime;
        running.set(label, server);
        events.serverReady?.(server);
      } catch (err) {
        const message = (err as Error).message;
        errors.set(label, message);
        if (isYard) {
          // Without the yardstick no server can be compared with its baseline: a failure of the gate.
          results.servers.push({ name: YARDSTICK, model: spec.model, language: spec.language, command: spec.command, source: spec.source, error: message });
        }
        const record = results.servers.find((s) => s.name === label);
        if (record) record.error = message;
        events.serverFailed?.(label, message);
      }
    }
    await save();

    const plan = config.modes.map((mode) => ({
      mode,
      cells: matrixCells(config.matrix).map((cell) => ({
        cell,
        groups: planGroups(config.claims, names, cell, new Set(names.filter((n) => hasBaseline(n, mode, cell))), () => Boolean(opts.withYardstick)),
      })),
    }));
    // One budget for the whole gate: time a cell did not need goes to the noisier cells after it.
    const budget = new TimeBudget(
      plan.reduce((n, p) => n + p.cells.reduce((k, c) => k + c.groups.length, 0), 0),
      config.sampling.maxTimeMs,
    );

    for (const { mode, cells } of plan) {
      const target = (name: string): LoadTarget => {
        const s = running.get(name)!;
        return { host: s.host, port: s.port, path: config.path, mode, timeoutMs: config.timeoutMs };
      };
      for (const name of running.keys()) {
        if (opts.signal?.aborted) throw new GateInterrupted();
        if (errors.has(name)) continue;
        try {
          const report = await warmUpServer(target(name), config.sampling.warmupMs, opts.signal);
          results.warmups!.push({ server: name, mode, ...report });
          if (report.complete === 0) {
            stoppedAnswering(name, `${name} stopped answering during its warm-up (${mode} mode): ${report.stopped?.reason ?? 'no request completed'}; its cells are skipped`);
          }
        } catch (err) {
          if (isAbort(err, opts.signal)) throw new GateInterrupted();
          // A server that cannot take the warm-up shows it in its first cell, where it is reported.
        }
      }

      for (const { cell, groups } of cells) {
        for (const group of groups) {
          if (opts.signal?.aborted) throw new GateInterrupted();
          await runGroup(group, mode, cell, target, budget);
          await save();
        }
      }
    }
    results.status = 'complete';
  } catch (err) {
    results.status = err instanceof GateInterrupted || isAbort(err, opts.signal) ? 'interrupted' : 'failed';
    if (results.status === 'failed') throw err;
  } finally {
    await Promise.all([...running.values()].map((s) => s.stop()));
    unpin();
    finish();
    await save();
  }
  return results;

  function claimResult(claim: Claim): ClaimResult {
    return results.claims[config.claims.indexOf(claim)]!;
  }

  function crashed(name: string): string | null {
    const s = running.get(name);
    const exit = s?.exitInfo();
    if (!s || !exit) return null;
    const tail = (s.stderr().trim() || s.stdout().trim()).split('\n').slice(-6).join('\n');
    return `${name} exited during the gate (${describeExit(exit)})${tail ? `:\n${tail}` : ''}`;
  }

  async function measure(
    group: Group,
    sides: string[],
    mode: LoadMode,
    cell: CellSpec & { group: number },
    target: (name: string) => LoadTarget,
    attempt: number,
    capMs: number,
  ): Promise<GateMeasurement> {
    const needs: PrecisionNeed[] = [];
    for (const c of group.relative) needs.push({ kind: 'pair', a: c.a, b: c.b, factor: c.factor, tolerance: c.tolerance ?? config.tolerance });
    for (const { claim, server } of group.absolute) {
      if (claim.metric.kind !== 'count') needs.push({ kind: 'median', server, metric: claim.metric, tolerance: config.tolerance });
    }
    if (sides.includes(YARDSTICK)) {
      for (const s of group.servers) needs.push({ kind: 'normalised', server: s, yardstick: YARDSTICK, tolerance: config.tolerance });
    }
    events.cellStarted?.(mode, cell, sides, attempt);
    const m = await measureCell(
      sides.map((name): Side => ({ name, target: target(name) })),
      { requests: cell.requests, concurrency: cell.concurrency },
      {
        ...config.sampling,
        maxTimeMs: capMs,
        precise: (cur) => isPrecise(needs, cur, config.confidence),
        onRound: (cur) => events.round?.(cur),
        signal: opts.signal,
      },
    );
    const gm: GateMeasurement = { ...m, mode, group: cell.group, attempt };
    results.measurements.push(gm);
    return gm;
  }

  /** Marks a server as no longer answering: its remaining cells are skipped with this verdict. */
  function stoppedAnswering(name: string, why: string): void {
    if (errors.has(name)) return;
    errors.set(name, why);
    const record = results.servers.find((r) => r.name === name);
    if (record) record.error = why;
    events.serverFailed?.(name, why);
  }

  async function runGroup(
    group: Group,
    mode: LoadMode,
    cell: CellSpec & { group: number },
    target: (name: string) => LoadTarget,
    budget: TimeBudget,
  ): Promise<void> {
    const live = group.servers.filter((s) => running.has(s) && !errors.has(s));
    const dead = group.servers.filter((s) => !live.includes(s));
    const yard = group.yardstick && running.has(YARDSTICK) && !errors.has(YARDSTICK);
    const place = { mode, group: cell.group, requests: cell.requests, concurrency: cell.concurrency };
    const at = cellLabel(cell);
    const deadReason = (s: string) => errors.get(s) ?? `${s} is not running`;

    // Claims that cannot be checked: a server did not start, crashed or stopped answering earlier.
    const relative = group.relative.filter((c) => {
      const gone = [c.a, c.b].find((s) => dead.includes(s));
      if (gone) claimResult(c).cells.push({ ...place, status: 'error', outcome: 'undecided', error: deadReason(gone), notes: [] });
      return !gone;
    });
    const absolute = group.absolute.filter(({ claim, server }) => {
      if (!dead.includes(server)) return true;
      claimResult(claim).cells.push({ ...place, server, status: 'error', outcome: 'fail', error: deadReason(server), notes: [] });
      return false;
    });
    const regression = group.regression.filter((s) => live.includes(s) && yard);
    if (live.length === 0) {
      budget.spend(0);
      return;
    }

    const sides = [...live, ...(yard ? [YARDSTICK] : [])];
    // The cell's cap covers the second look too: the first measurement leaves room for it.
    const capMs = budget.next();
    const cellStart = performance.now();
    const sub = { ...group, relative, absolute };
    const measureOnce = async (attempt: number, maxMs: number): Promise<GateMeasurement> => {
      try {
        return await measure(sub, sides, mode, cell, target, attempt, maxMs);
      } catch (err) {
        if (isAbort(err, opts.signal)) throw new GateInterrupted();
        throw err;
      }
    };
    const m0 = await measureOnce(0, config.remeasure ? capMs * FIRST_SHARE : capMs);
    noteStops(m0);

    const tol = (c: RelativeClaim) => c.tolerance ?? config.tolerance;
    const decision = (c: RelativeClaim) => ({ tolerance: tol(c), alpha: config.alpha, confidence: config.confidence });
    /** A relative claim on a measurement: a named failure, nothing to compare, or a verdict. */
    type RelativeOn =
      | { kind: 'reason'; reason: string }
      | { kind: 'unmeasured'; why: string }
      | { kind: 'check'; check: ReturnType<typeof checkRelative> };
    const relativeOn = (c: RelativeClaim, m: GateMeasurement): RelativeOn => {
      const reason = failureReason(c, m, at);
      if (reason) return { kind: 'reason', reason };
      const stopper = m.sides.find((x) => x.stopped);
      if (m.rounds === 0 || stopper) {
        const why = `not compared: ${stopper?.name ?? 'a server'} stopped answering in this cell's measurement${stopper?.stopped ? ` (${stopper.stopped.reason})` : ''}`;
        return { kind: 'unmeasured', why };
      }
      return { kind: 'check', check: checkRelative(c, m, decision(c)) };
    };
    const rel0 = relative.map((c) => relativeOn(c, m0));
    const measuredSide = (m: GateMeasurement, server: string) => side(m, server).samples.length > 0;
    const abs0 = absolute.map(({ claim, server }) =>
      claim.metric.kind === 'count' || measuredSide(m0, server) ? checkAbsolute(claim, side(m0, server), config.confidence) : null,
    );
    const regSettings = config.baseline && {
      alert: config.baseline.alert,
      fail: config.baseline.fail,
      alpha: config.alpha,
      confidence: config.confidence,
    };
    const capLevel = (level: RegressionLevel, s: string, runs: ReturnType<typeof baselineRuns>): RegressionLevel =>
      level === 'fail' && !sameHardware(machineNow(s), runs) ? 'alert' : level;
    const regressionOn = (m: GateMeasurement, s: string) => {
      if (!measuredSide(m, s) || !measuredSide(m, YARDSTICK)) return null;
      const runs = baselineRuns(baseline, s, mode, cell);
      const check = checkRegression(side(m, s), side(m, YARDSTICK), runs, regSettings!);
      return { ...check, level: capLevel(check.level, s, runs) };
    };
    const reg0 = regression.map((s) => regressionOn(m0, s));

    // A failing comparison is measured once more before it fails; counts are facts, not noise, and
    // a server that stopped answering is not asked again.
    const failing: string[] = [];
    relative.forEach((c, i) => {
      const r = rel0[i]!;
      if (r.kind === 'check' && !r.check.pass) failing.push(c.text);
    });
    absolute.forEach(({ claim, server }, i) => {
      const a = abs0[i];
      if (a && a.kind === 'bound' && !a.pass) failing.push(`${server}: ${claim.text}`);
    });
    regression.forEach((s, i) => reg0[i]?.level === 'fail' && failing.push(`${s} against the baseline`));
    events.cellDone?.(m0, failing);

    let m1: GateMeasurement | null = null;
    let noTime = false;
    if (failing.length > 0 && config.remeasure && m0.stoppedBy !== 'server-stopped' && !opts.signal?.aborted) {
      const left = capMs - (performance.now() - cellStart);
      if (left > 0) {
        m1 = await measureOnce(1, left);
        noteStops(m1);
        events.cellDone?.(m1, []);
      } else {
        noTime = true;
      }
    }
    budget.spend(performance.now() - cellStart);
    const noTimeNote = noTime ? ['failed on a first measurement, and the cell\'s time cap left no time to measure it once more: the first measurement decides'] : [];

    // The second look is decided on every round taken: the first measurement's and its own.
    const both: GateMeasurement | null = m1 ? { ...mergeMeasurements(m0, m1), mode, group: cell.group, attempt: 1 } : null;
    relative.forEach((c, i) => {
      const first = rel0[i]!;
      const reason1 = first.kind === 'reason' ? first.reason : m1 ? failureReason(c, m1, at) : null;
      const second = both && !reason1 ? relativeOn(c, both) : null;
      const reason = reason1 ?? (second?.kind === 'reason' ? second.reason : null);
      if (reason) {
        claimResult(c).cells.push({ ...place, status: 'fail', outcome: 'undecided', reason, notes: [reason] });
        return;
      }
      if (first.kind !== 'check') {
        claimResult(c).cells.push({ ...place, status: 'error', outcome: 'undecided', error: first.kind === 'unmeasured' ? first.why : '', notes: [] });
        return;
      }
      const verdicts: RatioVerdict[] = [first.check.verdict];
      if (second?.kind === 'check') verdicts.push(second.check.verdict);
      const decided = decideRelative(c.op, verdicts);
      const last = verdicts[verdicts.length - 1]!;
      const cellResult: ClaimCell = {
        ...place,
        status: decided.pass ? 'pass' : 'fail',
        outcome: last.outcome,
        verdicts,
        measured: measurementInfo(both && verdicts.length > 1 ? both : m0, [c.a, c.b]),
        notes: [...cellNotes(verdicts.length > 1), ...(decided.pass ? [] : noTimeNote)],
      };
      familyP.set(cellResult, decided.familyP);
      claimResult(c).cells.push(cellResult);
    });

    absolute.forEach(({ claim, server }, i) => {
      const first = abs0[i];
      const s0 = side(m0, server);
      if (!first) {
        const why = s0.stopped ? `${server} stopped answering at ${at}: ${s0.stopped.reason}` : `${server} was not measured at ${at}`;
        claimResult(claim).cells.push({ ...place, server, status: 'fail', outcome: 'fail', reason: why, notes: [] });
        return;
      }
      const cellResult: ClaimCell = {
        ...place,
        server,
        status: first.pass ? 'pass' : 'fail',
        outcome: 'pass',
        measured: measurementInfo(m0, [server]),
        notes: [],
      };
      if (first.kind === 'count') {
        // Counts are totals over every run of the cell: warm-up, rounds, a run that stopped, and
        // the second measurement's.
        let value = first.value;
        if (m1) {
          const again = checkAbsolute(claim, side(m1, server), config.confidence);
          if (again.kind === 'count') value += again.value;
        }
        const ok = holds(value, claim.op, claim.value);
        cellResult.count = value;
        cellResult.status = ok ? 'pass' : 'fail';
        cellResult.outcome = ok ? 'pass' : 'fail';
      } else {
        const bounds = [first.bound];
        let pass = first.pass;
        if (!pass && m1 && measuredSide(m1, server)) {
          const again = checkAbsolute(claim, side(m1, server), config.confidence, true);
          if (again.kind === 'bound') {
            bounds.push(again.bound);
            pass = again.pass;
          }
        }
        cellResult.bounds = bounds;
        cellResult.status = pass ? 'pass' : 'fail';
        cellResult.outcome = bounds[bounds.length - 1]!.outcome;
        cellResult.measured = measurementInfo(m1 && bounds.length > 1 ? m1 : m0, [server]);
        cellResult.notes = [...cellNotes(bounds.length > 1), ...(pass ? [] : noTimeNote)];
      }
      claimResult(claim).cells.push(cellResult);
    });

    regression.forEach((s, i) => {
      const runs = baselineRuns(baseline, s, mode, cell);
      const first = reg0[i];
      if (!first) return; // not measured: the server (or the yardstick) stopped answering; reported as such
      const verdicts = [first.verdict];
      let level = first.level;
      let m = m0;
      const again = level === 'fail' && both ? regressionOn(both, s) : null;
      if (again) {
        verdicts.push(again.verdict);
        // The first measurement and all the rounds together must agree for the worse level to stand.
        if (SEVERITY[again.level] < SEVERITY[level]) level = again.level;
        m = both!;
      }
      const notes = [...cellNotes(verdicts.length > 1), ...(level === 'fail' ? noTimeNote : [])];
      if (runs.length < MIN_RUNS_TO_FAIL) {
        notes.push(`the baseline has ${runs.length} of the ${MIN_RUNS_TO_FAIL} runs a regression needs to fail the gate: alerts only`);
      }
      const now = machineNow(s);
      const diffs = machineDifferences(now, runs);
      if (diffs.length) {
        notes.push(
          `the baseline was measured with ${diffs.join('; ')}; figures are normalised by the yardstick` +
            (sameHardware(now, runs) ? '' : ', and on other hardware or in another runtime a regression is an alert at most, never a failure'),
        );
      }
      const result: RegressionResult = {
        server: s,
        ...place,
        level,
        verdicts,
        baselineRuns: runs.length,
        rpsNow: median(rpsOf(side(m, s))),
        rpsBaseline: baselineMedianRps(runs),
        measured: measurementInfo(m, [s, YARDSTICK]),
        notes,
      };
      results.regressions.push(result);
    });

    /** A server that died, or answered nothing in the whole cell, is done: its other cells are skipped. */
    function noteStops(m: GateMeasurement): void {
      for (const s of sides) {
        const why = crashed(s);
        if (why) {
          stoppedAnswering(s, why);
          continue;
        }
        const sd = m.sides.find((x) => x.name === s);
        if (sd?.stopped && allTotalsOf(sd).complete === 0) {
          stoppedAnswering(s, `${s} stopped answering at ${at} (${mode} mode): ${sd.stopped.reason}; its remaining cells are skipped`);
        }
      }
    }
  }

  /**
   * Holm's correction over the compared cells of each `>=` claim: a "slower" cell fails only when
   * it stays significant once all the claim's cells are taken together.
   */
  function correctFamilies(): void {
    for (const [i, claim] of config.claims.entries()) {
      if (claim.kind !== 'relative' || claim.op !== '>=') continue;
      const cells = results.claims[i]!.cells.filter((c) => familyP.has(c));
      if (cells.length < 2) continue;
      const { adjusted, fails } = familyFailures(cells.map((c) => familyP.get(c)!), config.alpha);
      cells.forEach((c, k) => {
        c.adjustedP = adjusted[k]!;
        if (c.status === 'fail' && !fails[k]) {
          c.status = 'pass';
          c.outcome = 'undecided';
          c.notes.push(
            `slower on its own (p = ${familyP.get(c)!.toPrecision(2)}), but not once the claim's ${cells.length} cells are taken together ` +
              `(Holm-adjusted p = ${adjusted[k]!.toPrecision(2)}, alpha ${config.alpha}): not a failure`,
          );
        }
      });
    }
  }

  function finish(): void {
    results.finishedAt = new Date().toISOString();
    correctFamilies();
    for (const [i, claim] of config.claims.entries()) {
      const r = results.claims[i]!;
      // A claim that checked nothing (no cell of the matrix matches it) cannot be said to hold.
      r.status = r.cells.length === 0 || r.cells.some((c) => c.status !== 'pass') ? 'fail' : 'pass';
      r.summary = summarizeClaim(claim, r, config.tolerance);
    }
    results.alerts = buildAlerts(results);
    results.passed =
      results.status === 'complete' &&
      results.claims.every((c) => c.status === 'pass') &&
      !results.regressions.some((r) => r.level === 'fail') &&
      !results.servers.some((s) => s.error);
  }
}

