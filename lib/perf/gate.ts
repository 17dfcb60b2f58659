/**
 * `gauntlet gate`: starts the servers a configuration names, measures every cell of its matrix
 * soundly (warm-up, interleaving, repetition until precise or capped), checks every claim and the
 * baseline, measures a failing comparison once more before it fails, and returns the whole story
 * as data (GateResults).
 *
 * Servers are measured in groups: the servers that a relative claim links are measured together,
 * interleaved, in each cell; a server that only has absolute claims is measured alone; the
 * yardstick joins every group holding a server compared with the baseline.
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
import { measureCell, TimeBudget, warmUpServer, type CellMeasurement, type Side } from './sampler.ts';
import {
  checkAbsolute,
  checkRegression,
  checkRelative,
  isPrecise,
  MIN_RUNS_TO_FAIL,
  side,
  type PrecisionNeed,
} from './evaluate.ts';
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
    claims: config.claims.map((c) => ({ claim: c.text, kind: c.kind, status: 'pass', cells: [], summary: '' })),
    regressions: [],
    alerts: [],
    passed: false,
  };
  const save = async () => opts.save?.(results);
  const running = new Map<string, RunningServer>();
  const errors = new Map<string, string>();

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
          await warmUpServer(target(name), config.sampling.warmupMs, opts.signal);
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
    const deadReason = (s: string) => errors.get(s) ?? `${s} is not running`;

    // Claims that cannot be checked: a server did not start or crashed earlier.
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
    const capMs = budget.next();
    let m0: GateMeasurement;
    try {
      m0 = await measure({ ...group, relative, absolute }, sides, mode, cell, target, 0, capMs);
      budget.spend(m0.elapsedMs);
    } catch (err) {
      if (isAbort(err, opts.signal)) throw new GateInterrupted();
      throw err;
    }

    // A server that died during the cell: its figures are what the crash looked like, the rest is skipped.
    for (const s of sides) {
      const why = crashed(s);
      if (why && !errors.has(s)) {
        errors.set(s, why);
        const record = results.servers.find((r) => r.name === s);
        if (record) record.error = why;
        events.serverFailed?.(s, why);
      }
    }

    const tol = (c: RelativeClaim) => c.tolerance ?? config.tolerance;
    const rel0 = relative.map((c) => checkRelative(c, m0, { tolerance: tol(c), alpha: config.alpha, confidence: config.confidence }));
    const abs0 = absolute.map(({ claim, server }) => checkAbsolute(claim, side(m0, server), config.confidence));
    const regSettings = config.baseline && {
      alert: config.baseline.alert,
      fail: config.baseline.fail,
      alpha: config.alpha,
      confidence: config.confidence,
    };
    const capLevel = (level: RegressionLevel, s: string, runs: ReturnType<typeof baselineRuns>): RegressionLevel =>
      level === 'fail' && !sameHardware(machineNow(s), runs) ? 'alert' : level;
    const reg0 = regression.map((s) => {
      const runs = baselineRuns(baseline, s, mode, cell);
      const check = checkRegression(side(m0, s), side(m0, YARDSTICK), runs, regSettings!);
      return { ...check, level: capLevel(check.level, s, runs) };
    });

    // A failing comparison is measured once more before it fails. Counts are facts, not noise.
    const failing: string[] = [];
    relative.forEach((c, i) => !rel0[i]!.pass && failing.push(c.text));
    absolute.forEach(({ claim, server }, i) => abs0[i]!.kind === 'bound' && !abs0[i]!.pass && failing.push(`${server}: ${claim.text}`));
    regression.forEach((s, i) => reg0[i]!.level === 'fail' && failing.push(`${s} against the baseline`));
    events.cellDone?.(m0, failing);

    let m1: GateMeasurement | null = null;
    if (failing.length > 0 && config.remeasure && !opts.signal?.aborted) {
      try {
        m1 = await measure({ ...group, relative, absolute }, sides, mode, cell, target, 1, capMs);
      } catch (err) {
        if (isAbort(err, opts.signal)) throw new GateInterrupted();
        throw err;
      }
      events.cellDone?.(m1, []);
    }

    relative.forEach((c, i) => {
      const first = rel0[i]!;
      const verdicts = [first.verdict];
      let pass = first.pass;
      if (!pass && m1) {
        const second = checkRelative(c, m1, { tolerance: tol(c), alpha: config.alpha, confidence: config.confidence }, true);
        verdicts.push(second.verdict);
        pass = second.pass;
      }
      const last = verdicts[verdicts.length - 1]!;
      const cellResult: ClaimCell = {
        ...place,
        status: pass ? 'pass' : 'fail',
        outcome: last.outcome,
        verdicts,
        measured: measurementInfo(m1 && verdicts.length > 1 ? m1 : m0, [c.a, c.b]),
        notes: cellNotes(verdicts.length > 1),
      };
      claimResult(c).cells.push(cellResult);
    });

    absolute.forEach(({ claim, server }, i) => {
      const first = abs0[i]!;
      const cellResult: ClaimCell = {
        ...place,
        server,
        status: first.pass ? 'pass' : 'fail',
        outcome: 'pass',
        measured: measurementInfo(m0, [server]),
        notes: [],
      };
      if (first.kind === 'count') {
        // Counts are totals over every measured run, the second measurement's included.
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
        if (!pass && m1) {
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
        cellResult.notes = cellNotes(bounds.length > 1);
      }
      claimResult(claim).cells.push(cellResult);
    });

    regression.forEach((s, i) => {
      const runs = baselineRuns(baseline, s, mode, cell);
      const first = reg0[i]!;
      const verdicts = [first.verdict];
      let level = first.level;
      let m = m0;
      if (level === 'fail' && m1) {
        const again = checkRegression(side(m1, s), side(m1, YARDSTICK), runs, regSettings!, true);
        verdicts.push(again.verdict);
        // Both measurements must agree for the worse level to stand.
        if (SEVERITY[again.level] < SEVERITY[level]) level = capLevel(again.level, s, runs);
        m = m1;
      }
      const notes = cellNotes(verdicts.length > 1);
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
  }

  function finish(): void {
    results.finishedAt = new Date().toISOString();
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

