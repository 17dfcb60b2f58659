/**
 * Where servers run: as processes (the default) or in containers. One entry point for the CLI
 * and the specs, so that a run can switch with --runtime and nothing else changes. A server
 * given by URL runs already: whatever the runtime, it is attached to (lib/url-server.ts).
 * The container launcher (and testcontainers with it) is loaded only when a container is asked for.
 * TLS (`tls`, `insecure`) reaches the process launcher and the URL servers; a container is not
 * given a certificate, so TLS there is refused before anything starts.
 */
import { launch, LaunchError, type LaunchOptions, type RunningServer } from './launcher.ts';
import type { ServerSpec } from './types.ts';
import { attachUrlServer } from './url-server.ts';

export type Runtime = 'process' | 'container';
export const RUNTIMES: readonly Runtime[] = ['process', 'container'];

/**
 * Where and how a command's servers run, as bench, check and diff take it from the command line:
 * one type, so that a new way to run servers reaches every command.
 */
export interface ServerPlacement {
  /** Where the servers run (default process). */
  runtime?: Runtime;
  /** Container CPU limit (overrides the manifest's). */
  cpus?: number;
  /** Container memory limit, MiB (overrides the manifest's). */
  memoryMb?: number;
  /** Start the servers talking TLS (--tls), and talk TLS to them. */
  tls?: boolean;
  /** Over TLS, accept a certificate that cannot be verified (--insecure; an https:// server too). */
  insecure?: boolean;
}

/** The launch options of a placement: where, with which limits, and TLS. */
export function placementLaunchOptions(placement: ServerPlacement): Omit<ServerLaunchOptions, 'root' | 'env'> {
  return {
    runtime: placement.runtime,
    cpus: placement.cpus,
    memoryMb: placement.memoryMb,
    ...(placement.tls && { tls: true }),
    ...(placement.insecure && { insecure: true }),
  };
}

export interface ServerLaunchOptions extends LaunchOptions {
  runtime?: Runtime;
  /** Container CPU limit, in CPUs. */
  cpus?: number;
  /** Container memory limit, in MiB. */
  memoryMb?: number;
}

export async function launchServer(spec: ServerSpec, opts: ServerLaunchOptions = {}): Promise<RunningServer> {
  const { runtime = 'process', cpus, memoryMb, ...rest } = opts;
  if (spec.url !== undefined)
    return attachUrlServer(spec, {
      ...(rest.readyTimeoutMs !== undefined && { readyTimeoutMs: rest.readyTimeoutMs }),
      ...(rest.insecure !== undefined && { insecure: rest.insecure }),
    });
  if (runtime === 'process') return launch(spec, rest);
  if (rest.tls)
    throw new LaunchError(spec.name, 'was not started: --tls starts servers as processes only', null, '', '');
  const { launchContainer } = await import('./container/launch-container.ts');
  return launchContainer(spec, {
    ...rest,
    ...(cpus !== undefined ? { cpus } : {}),
    ...(memoryMb !== undefined ? { memoryMb } : {}),
  });
}

/**
 * Parses a memory size as docker takes it: a number of bytes with an optional unit b, k, m, g
 * (powers of 1024; "512m", "1g", "1.5g"), into MiB. Throws a message naming the value.
 */
export function parseMemoryMb(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmg]?)i?b?\s*$/i.exec(text);
  if (!m) throw new Error(`memory "${text}" is not a size such as 512m or 1g`);
  const value = Number(m[1]);
  const unit = (m[2] || 'b').toLowerCase();
  const bytes = value * { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit as 'b' | 'k' | 'm' | 'g'];
  const mb = Math.floor(bytes / 1024 ** 2);
  if (mb < 6) throw new Error(`memory "${text}" is below 6 MiB, the least a container engine accepts`);
  return mb;
}

/** Parses a CPU limit (a positive number of CPUs, for example 1 or 0.5). */
export function parseCpus(text: string): number {
  // Plain decimals only: Number() would read "", "0x1", "1e-9" and "Infinity" too.
  const n = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`cpus "${text}" is not a positive number of CPUs such as 1 or 0.5`);
  if (n < 0.01) throw new Error(`cpus "${text}" is below 0.01, the least a container engine accepts`);
  return n;
}
