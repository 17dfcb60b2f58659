/**
 * Which engine sends a cell's load: Gauntlet's own (lib/load/, ab's definitions, the default) or
 * Locust (lib/locust/, `--engine locust`), with the samples the diagnostics read. Bench and the
 * gate call this one function, so that both take either engine the same way.
 */
import type { CellResult, CellSpec } from '../types.ts';
import { runCellWithSamples, type CellSamples, type CellTarget, type RunOptions } from '../load/index.ts';
import type { LocustPlacement } from './index.ts';

/** The names `--engine` takes: the built-in engine's, and Locust's. */
export const ENGINE_NAMES = ['gauntlet', 'locust'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** The engine of a run: the built-in one, or Locust placed as `--workers` and `--locust-master` say. */
export type LoadEngine = { name: 'gauntlet' } | { name: 'locust'; placement: LocustPlacement };

/**
 * Runs one cell on the engine. Locust's cells give no per-request samples (Locust keeps only its
 * bucketed histogram): the diagnostics that read latencies see none for them.
 */
export async function runEngineCell(
  engine: LoadEngine | undefined,
  target: CellTarget,
  cell: CellSpec,
  opts: RunOptions,
): Promise<{ result: CellResult; samples: CellSamples }> {
  if (engine === undefined || engine.name === 'gauntlet') return runCellWithSamples(target, cell, opts);
  const { runLocustCell } = await import('./index.ts');
  const result = await runLocustCell(target, cell, engine.placement, { ...(opts.signal && { signal: opts.signal }) });
  // Locust's error texts tell a refused connect and a reset apart; not a timeout from the rest.
  const failures = { connect: result.failed.connect, reset: result.failed.receive, timeout: 0, truncated: 0 };
  return { result, samples: { latenciesUs: new Float64Array(0), failures } };
}
