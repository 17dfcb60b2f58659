/**
 * The load engine of a gate: Gauntlet's own (the default) or Locust (`--engine locust`), as bench
 * takes it. What a Locust gate cannot measure is said before anything starts (pure), every run of
 * a cell the sampler takes goes through the engine, and the results and the report say which
 * engine sent the load, because Locust's figures are not ab's (docs/accounting.md, "Locust cells").
 */
import type { CellSpec, Matrix } from '../types.ts';
import { matrixCells } from '../matrix.ts';
import { cellLabel } from '../report/format.ts';
import { runEngineCell, type LoadEngine } from '../locust/engine.ts';
import type { CellRunner } from './sampler.ts';
import type { GateEngineRecord } from './types.ts';

/** What a gate on `engine` would run, for the checks before it starts. */
export interface GateEngineRun {
  matrix: Matrix;
  tls: boolean;
  chunked: boolean;
}

/**
 * Why the gate cannot run on `engine`, naming the cells or the flag at fault; null when it can
 * (always, for the built-in engine). Locust runs cells of a duration in whole seconds, over plain
 * HTTP, with bodies of a Content-Length.
 */
export function gateEngineProblem(engine: LoadEngine, run: GateEngineRun): string | null {
  if (engine.name !== 'locust') return null;
  const cells = matrixCells(run.matrix);
  const counted = cells.filter((c) => c.durationS === undefined).map(cellLabel);
  if (counted.length > 0) {
    return (
      `--engine locust runs cells of a duration, and the matrix ${JSON.stringify(run.matrix.name)} has cells of a ` +
      `number of requests: ${[...new Set(counted)].join(', ')} (give durations, for example --matrix 10s:1,10)`
    );
  }
  const fractional = cells.filter((c) => !Number.isInteger(c.durationS)).map(cellLabel);
  if (fractional.length > 0)
    return `--engine locust runs whole seconds, and the matrix has cells of a fraction of one: ${[...new Set(fractional)].join(', ')}`;
  if (run.tls) return '--engine locust is not run over TLS here: drop --tls, or use --engine gauntlet';
  if (run.chunked) return "--engine locust sends bodies with Content-Length: drop the request's chunked framing";
  return null;
}

/** The engine as the gate's results record it. */
export function engineRecord(engine: LoadEngine | undefined): GateEngineRecord {
  if (engine?.name !== 'locust') return { name: 'gauntlet' };
  const { workers, master } = engine.placement;
  return { name: 'locust', workers, ...(master && { master: `${master.host}:${master.port}` }) };
}

/** What runs each of the sampler's runs: the engine's cell; undefined keeps the sampler's own (built-in). */
export function engineRunner(engine: LoadEngine | undefined): CellRunner | undefined {
  if (engine?.name !== 'locust') return undefined;
  return async (target, cell: CellSpec, opts) => (await runEngineCell(engine, target, cell, opts)).result;
}
