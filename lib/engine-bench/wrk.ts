/**
 * wrk (https://github.com/wg/wrk, Debian's package `wrk`), the keep-alive reference of
 * `npm run bench:engine`: where to find it, its arguments, and what it prints.
 *
 * wrk runs for a time, not for a number of requests; its "Requests/sec" is the requests completed
 * over the run's own measured time, which is what the engine's requests per second are too.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const WRK_INSTALL_HINT = 'wrk is not installed (Debian: apt-get install wrk)';

/** wrk on the PATH (or GAUNTLET_WRK), or null. */
export function findWrk(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = env.GAUNTLET_WRK
    ? [env.GAUNTLET_WRK]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, 'wrk'));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not this one
    }
  }
  return null;
}

export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  durationS: number;
}

export function wrkArgs(opts: WrkOptions): string[] {
  return [`-t${opts.threads}`, `-c${opts.connections}`, `-d${opts.durationS}s`, opts.url];
}

export interface WrkReport {
  /** "N requests in T": responses completed. */
  requests: number;
  /** "in T": wrk's measured run time, seconds. */
  durationS: number;
  /** "Requests/sec:" as printed. */
  requestsPerSecond: number;
  /** Sum of "Socket errors: connect a, read b, write c, timeout d" (0 when the line is absent). */
  socketErrors: number;
  /** "Non-2xx or 3xx responses: N" (0 when absent). */
  non2xx: number;
}

export class WrkParseError extends Error {
  constructor(what: string, text: string) {
    super(`wrk's output has no ${what}:\n${text.trim().split('\n').slice(0, 12).join('\n')}`);
    this.name = 'WrkParseError';
  }
}

const UNIT_S: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Reads wrk 4's summary. Pure. */
export function parseWrkOutput(text: string): WrkReport {
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),/m.exec(text);
  if (!total) throw new WrkParseError('"N requests in T" line', text);
  const rps = /^Requests\/sec:\s*([\d.]+)/m.exec(text);
  if (!rps) throw new WrkParseError('"Requests/sec:" line', text);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return {
    requests: Number(total[1]),
    durationS: Number(total[2]) * UNIT_S[total[3]!]!,
    requestsPerSecond: Number(rps[1]),
    socketErrors: errors ? errors.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}
