/**
 * Baselines: earlier measurements kept in the repository, keyed by server, mode and cell, that
 * later gates compare against.
 *
 * A server's figure is stored and compared normalised: its requests per second divided by the
 * yardstick's (a trivial server) in the same round of the same measurement. A CI machine half as
 * fast as the one that saved the baseline halves both, and the ratio does not move; a server that
 * got slower moves it. The last `keep` runs are kept, and a gate compares against the median of
 * their medians, so that one odd run neither raises nor lowers the bar on its own.
 */
import { readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LoadMode, MachineInfo, RuntimeInfo } from '../types.ts';
import { median } from '../stats.ts';
import { writeFileAtomic } from '../results-store.ts';
import { rpsOf, type SideSamples } from './sampler.ts';
import { YARDSTICK, type GateMeasurement, type GateResults } from './types.ts';

export const BASELINE_FORMAT = 1;

/** The machine facts a baseline run records: what its figures mean little without. */
export interface BaselineMachine {
  cpuModel: string;
  cores: number;
  platform: string;
  arch: string;
  node: string;
  python: string | null;
  /**
   * Where the server ran: "process", or "container, 1 CPU, 256 MiB". A run recorded before
   * servers could run in containers has none and was a process.
   */
  runtime?: string;
}

export interface BaselineRun {
  savedAt: string;
  machine: BaselineMachine;
  /** Per round: the server's requests per second over the yardstick's. */
  normalised: number[];
  /** Per round: the server's requests per second (raw, for the report). */
  rps: number[];
  /** Per round: the yardstick's requests per second. */
  yardstickRps: number[];
  /** Runs of the cell per sample. */
  batch: number;
}

export interface BaselineFile {
  tool: 'gauntlet';
  kind: 'baseline';
  format: number;
  /** Runs kept per server, mode and cell. */
  keep: number;
  /** server -> mode -> "NxC" -> runs, oldest first. */
  entries: Record<string, Partial<Record<LoadMode, Record<string, BaselineRun[]>>>>;
}

export class BaselineError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'BaselineError';
  }
}

/**
 * A cell's key in the baseline: "100x10" for 100 requests at 10 connections, "10sx10" for ten
 * seconds at 10 (a cell of a duration has 0 requests: its duration keeps it apart from others),
 * "locust:10sx10" when Locust sent it: Locust's figures are not the built-in engine's
 * (docs/accounting.md), so runs of one engine are never the baseline of the other's.
 */
export function cellKey(cell: BaselineCell): string {
  const size = cell.durationS !== undefined ? `${cell.durationS}s` : String(cell.requests);
  return `${cell.engine === 'locust' ? 'locust:' : ''}${size}x${cell.concurrency}`;
}

/** What names a cell in the baseline: its requests (0 for a duration), connections, duration and engine. */
export interface BaselineCell {
  requests: number;
  concurrency: number;
  durationS?: number;
  /** The engine that sent the load, when it was not the built-in one. */
  engine?: 'gauntlet' | 'locust';
}

/** The cell as the baseline names it: only what names it, sent by `engine`. */
export function baselineCell(cell: BaselineCell, engine?: BaselineCell['engine']): BaselineCell {
  return {
    requests: cell.requests,
    concurrency: cell.concurrency,
    ...(cell.durationS !== undefined && { durationS: cell.durationS }),
    ...(engine === 'locust' && { engine }),
  };
}

export function emptyBaseline(keep: number): BaselineFile {
  return { tool: 'gauntlet', kind: 'baseline', format: BASELINE_FORMAT, keep, entries: {} };
}

/** A server's runtime as a baseline records it: "process", or "container, 1 CPU, 256 MiB". */
export function runtimeLabel(runtime: RuntimeInfo | undefined): string {
  if (!runtime || runtime.kind === 'process') return 'process';
  const cpus = runtime.cpus === null ? 'no CPU limit' : `${runtime.cpus} CPU`;
  const memory = runtime.memoryMb === null ? 'no memory limit' : `${runtime.memoryMb} MiB`;
  return `container, ${cpus}, ${memory}`;
}

export function baselineMachine(machine: MachineInfo, runtime = 'process'): BaselineMachine {
  return {
    runtime,
    cpuModel: machine.cpuModel,
    cores: machine.cores,
    platform: machine.platform,
    arch: machine.arch,
    node: machine.node,
    python: machine.python,
  };
}

/** Reads a baseline file; null when there is none. */
export async function readBaseline(file: string): Promise<BaselineFile | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new BaselineError(file, `cannot be read: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new BaselineError(file, `is not valid JSON: ${(err as Error).message}`);
  }
  const b = data as Partial<BaselineFile>;
  if (b?.kind !== 'baseline' || typeof b.entries !== 'object' || b.entries === null) {
    throw new BaselineError(file, 'is not a Gauntlet baseline (written by `gauntlet baseline save`)');
  }
  if (b.format !== BASELINE_FORMAT)
    throw new BaselineError(file, `has format ${String(b.format)}; this Gauntlet reads format ${BASELINE_FORMAT}`);
  return b as BaselineFile;
}

/** Five significant digits: far finer than any figure's noise, and a file a reviewer can diff. */
function round5(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(5)) : value;
}

/** The baseline as JSON kept in a repository: figures rounded, each list of figures on one line. */
export function formatBaseline(baseline: BaselineFile): string {
  const text = JSON.stringify(
    baseline,
    (_key, value: unknown) => (typeof value === 'number' ? round5(value) : value),
    1,
  );
  return `${text.replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_m, list: string) => `[${list.replace(/\s+/g, '')}]`)}\n`;
}

export async function writeBaseline(file: string, baseline: BaselineFile): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, formatBaseline(baseline));
}

export function baselineRuns(
  baseline: BaselineFile | null,
  server: string,
  mode: LoadMode,
  cell: BaselineCell,
): BaselineRun[] {
  return baseline?.entries[server]?.[mode]?.[cellKey(cell)] ?? [];
}

/** Per round: a side's requests per second over the yardstick's in the same round. */
export function normalisedRps(side: SideSamples, yardstick: SideSamples): number[] {
  const a = rpsOf(side);
  const y = rpsOf(yardstick);
  return a.map((v, i) => v / (y[i] ?? NaN)).filter((v) => Number.isFinite(v) && v > 0);
}

/** The baseline runs a gate's measurements make: every server measured next to the yardstick. */
export function runsFromMeasurements(
  measurements: GateMeasurement[],
  machine: MachineInfo,
  savedAt: string,
  /** Each server's runtime label (runtimeLabel); a server not named ran as a process. */
  runtimes: Record<string, string> = {},
  /** The engine that sent the load (default the built-in one). */
  engine?: BaselineCell['engine'],
): Array<{
  server: string;
  mode: LoadMode;
  cell: BaselineCell;
  run: BaselineRun;
}> {
  // The last attempt of a cell is the one that counts (a second measurement replaces the first).
  const latest = new Map<string, GateMeasurement>();
  for (const m of measurements) {
    if (!m.sides.some((s) => s.name === YARDSTICK)) continue;
    for (const s of m.sides) {
      if (s.name === YARDSTICK) continue;
      const key = `${s.name}|${m.mode}|${cellKey(m.cell)}`;
      const prev = latest.get(key);
      if (!prev || m.attempt >= prev.attempt) latest.set(key, m);
    }
  }
  const out: ReturnType<typeof runsFromMeasurements> = [];
  for (const [key, m] of latest) {
    const server = key.split('|')[0]!;
    const side = m.sides.find((s) => s.name === server)!;
    const yard = m.sides.find((s) => s.name === YARDSTICK)!;
    out.push({
      server,
      mode: m.mode,
      cell: baselineCell(m.cell, engine),
      run: {
        savedAt,
        machine: baselineMachine(machine, runtimes[server] ?? 'process'),
        normalised: normalisedRps(side, yard),
        rps: rpsOf(side),
        yardstickRps: rpsOf(yard),
        batch: side.batch,
      },
    });
  }
  return out;
}

/** Adds runs to a baseline, keeping the last `keep` of each server, mode and cell. Returns how many were added. */
export function appendRuns(
  baseline: BaselineFile,
  runs: ReturnType<typeof runsFromMeasurements>,
  keep = baseline.keep,
): number {
  baseline.keep = keep;
  for (const { server, mode, cell, run } of runs) {
    const byMode = (baseline.entries[server] ??= {});
    const byCell = (byMode[mode] ??= {});
    const list = (byCell[cellKey(cell)] ??= []);
    list.push(run);
    if (list.length > keep) list.splice(0, list.length - keep);
  }
  return runs.length;
}

/** Adds a gate's measurements (with the yardstick) to a baseline. */
export function appendGate(baseline: BaselineFile, gate: GateResults, keep = baseline.keep): number {
  const runtimes = Object.fromEntries(gate.servers.map((s) => [s.name, runtimeLabel(s.runtime)]));
  const runs = runsFromMeasurements(
    gate.measurements,
    gate.machine,
    gate.finishedAt ?? gate.startedAt,
    runtimes,
    gate.settings.engine?.name,
  );
  if (runs.length === 0) {
    throw new Error('the gate measured no server next to the yardstick, so it has nothing a baseline can keep');
  }
  return appendRuns(baseline, runs, keep);
}

/** Differences between the machine of a gate and those of a baseline's runs, as sentences. */
export function machineDifferences(now: BaselineMachine, runs: BaselineRun[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of runs) {
    const diffs: string[] = [];
    if (r.machine.cpuModel !== now.cpuModel) diffs.push(`CPU ${r.machine.cpuModel}`);
    if (r.machine.cores !== now.cores) diffs.push(`${r.machine.cores} cores`);
    if (r.machine.node !== now.node) diffs.push(`node ${r.machine.node}`);
    if (r.machine.python !== now.python) diffs.push(`python ${r.machine.python ?? 'none'}`);
    if ((r.machine.runtime ?? 'process') !== (now.runtime ?? 'process'))
      diffs.push(`run as ${r.machine.runtime ?? 'process'}`);
    const text = diffs.join(', ');
    if (text && !seen.has(text)) {
      seen.add(text);
      out.push(text);
    }
  }
  return out;
}

/**
 * Whether every run of a baseline was measured on the same hardware (CPU model and core count)
 * and in the same runtime (a process, or a container with the same limits).
 * The yardstick corrects for a machine's overall speed, not for how differently two servers use
 * a different CPU, nor for what a container's network namespace and CPU quota cost a server (the
 * yardstick always runs as a process); so a baseline from other hardware or another runtime can
 * raise alerts but not fail a gate.
 */
export function sameHardware(now: BaselineMachine, runs: BaselineRun[]): boolean {
  return runs.every(
    (r) =>
      r.machine.cpuModel === now.cpuModel &&
      r.machine.cores === now.cores &&
      (r.machine.runtime ?? 'process') === (now.runtime ?? 'process'),
  );
}

/** The baseline's median raw requests per second (median of its runs' medians), for the report. */
export function baselineMedianRps(runs: BaselineRun[]): number | null {
  const medians = runs.filter((r) => r.rps.length > 0).map((r) => median(r.rps));
  return medians.length ? median(medians) : null;
}
