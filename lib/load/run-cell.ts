/**
 * The load engine's entry: checks a cell and its target as ab checks its arguments, runs the
 * client (ab-client.ts; timed-client.ts for a cell of a duration or a rate) and turns what it recorded
 * into ab's figures (ab-figures.ts).
 */
import type { CellResult, CellSpec } from '../types.ts';
import { cellSamples, computeCellResult, type CellInput, type CellSamples } from './ab-figures.ts';
import { runAbClient, type AbClientOptions } from './ab-client.ts';
import type { CellTarget } from './tls.ts';
import { shapeProblem } from './request-shape-check.ts';

/** A cell that cannot be run: ab refuses the same arguments. */
export class CellSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CellSpecError';
  }
}

/** Checks N and C as ab's main() does (ab also accepts -c 0; a cell needs at least one slot). */
export function validateCell(cell: CellSpec): void {
  const { requests: n, concurrency: c, durationS, rate } = cell;
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) {
    throw new CellSpecError(`Invalid rate: ${rate} requests per second (above 0)`);
  }
  if (durationS !== undefined) {
    if (!(Number.isFinite(durationS) && durationS > 0)) throw new CellSpecError(`Invalid duration: ${durationS} s`);
    if (!Number.isSafeInteger(c) || c < 1) throw new CellSpecError(`Invalid concurrency: ${c} (at least 1)`);
    if (rate !== undefined && Math.floor(rate * durationS) < 1) {
      throw new CellSpecError(`A rate of ${rate}/s for ${durationS} s schedules no request`);
    }
    return;
  }
  if (!Number.isSafeInteger(n) || n < 1) throw new CellSpecError(`Invalid number of requests: ${n} (at least 1)`);
  if (!Number.isSafeInteger(c) || c < 1) throw new CellSpecError(`Invalid concurrency: ${c} (at least 1)`);
  if (c > n) {
    throw new CellSpecError(
      `Cannot use concurrency level greater than total number of requests (concurrency ${c}, requests ${n})`,
    );
  }
}

/**
 * Checks the target: a port, a path that starts with "/" (ab's URL always has one), and a shaped
 * request that can be sent (request-shape-check.ts).
 */
export function validateTarget(target: CellTarget): void {
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new CellSpecError(`Invalid port: ${target.port}`);
  }
  if (typeof target.path !== 'string' || !target.path.startsWith('/') || /[\s]/.test(target.path)) {
    throw new CellSpecError(`Invalid path: ${JSON.stringify(target.path)} (it starts with "/" and has no spaces)`);
  }
  if (target.timeoutMs !== undefined && !(target.timeoutMs > 0)) {
    throw new CellSpecError(`Invalid timeout: ${target.timeoutMs} ms`);
  }
  if (target.tls !== undefined && typeof target.tls.insecure !== 'boolean') {
    throw new CellSpecError(`Invalid TLS settings: ${JSON.stringify(target.tls)} (insecure is true or false)`);
  }
  const shapeWrong = target.shape === undefined ? null : shapeProblem(target.shape);
  if (shapeWrong) throw new CellSpecError(`Invalid request: ${shapeWrong}`);
}

/**
 * Sends one cell's load (N requests at concurrency C) and returns ab's figures for it.
 * `target.mode` picks the mode: 'close' (ab's default, a new connection per request) or
 * 'keepalive' (connections kept from request to request). On abort it stops starting requests,
 * destroys the open sockets and rejects with an AbortError. `opts.transport` forces the plain
 * TCP transport (tests compare them).
 * A target with `tls` is reached over TLS (https) in either mode; CellResult.tls then sums up
 * the handshakes.
 */
export async function runCell(target: CellTarget, cell: CellSpec, opts: AbClientOptions = {}): Promise<CellResult> {
  return computeCellResult(await runCellInput(target, cell, opts));
}

/**
 * runCell, plus each timed request's latency (microseconds) and how the failed ones ended: what
 * the diagnostics need to find stalls, which ab's summary figures average away.
 */
export async function runCellWithSamples(
  target: CellTarget,
  cell: CellSpec,
  opts: AbClientOptions = {},
): Promise<{ result: CellResult; samples: CellSamples }> {
  const input = await runCellInput(target, cell, opts);
  return { result: computeCellResult(input), samples: cellSamples(input.records) };
}

async function runCellInput(target: CellTarget, cell: CellSpec, opts: AbClientOptions): Promise<CellInput> {
  validateCell(cell);
  validateTarget(target);
  if (target.mode !== 'close' && target.mode !== 'keepalive') {
    throw new CellSpecError(`Unknown load mode: ${String((target as { mode: unknown }).mode)}`);
  }
  if (cell.durationS !== undefined || cell.rate !== undefined) {
    const { runTimedClient } = await import('./timed-client.ts');
    return runTimedClient(target, cell, opts);
  }
  return runAbClient(target, cell, opts);
}
