/**
 * `--engine gauntlet|locust`, `--workers N` and `--locust-master HOST:PORT`, for bench and the
 * gate: which engine sends the load, and for Locust where its master listens and how many workers
 * it waits for. The rules a Locust cell must keep are checked here too, each naming its flag, so
 * that a run Locust cannot do stops before any server starts (exit 2).
 */
import { isIP } from 'node:net';
import { ENGINE_NAMES, type EngineName, type LoadEngine } from '../locust/engine.ts';
import { UsageError, flagError, wholeNumber } from './args.ts';
import type { Matrix } from '../types.ts';

/** The most workers one master is asked to wait for: far beyond a machine's cores. */
export const MAX_WORKERS = 1024;

/** The options, to spread into a command's options. */
export const ENGINE_OPTIONS = {
  engine: { type: 'string' },
  workers: { type: 'string' },
  'locust-master': { type: 'string' },
} as const;

/** Their help lines. */
export const ENGINE_OPTION_HELP = `  --engine gauntlet|locust
                         the load engine: gauntlet, the built-in one with ab's definitions
                         (default), or locust, a master and workers (Debian's python3-locust;
                         duration cells; docs/scale.md)
  --workers N            Locust workers the master waits for (default 1); started on this
                         machine unless --locust-master is given
  --locust-master HOST:PORT
                         run only Locust's master here, bound to HOST:PORT; the workers run
                         elsewhere: gauntlet worker --master HOST:PORT (or locust --worker)`;

/** The flags as the parser hands them over. */
export interface EngineFlagValues {
  engine?: string;
  workers?: string;
  'locust-master'?: string;
}

/** `HOST:PORT` (an IPv6 host in brackets: [::1]:5557), as `--master` and `--locust-master` take it. */
export function hostPortFlag(flag: string, text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) throw flagError(flag, text, 'is not HOST:PORT (for example 127.0.0.1:5557, or [::1]:5557)');
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined && isIP(host) !== 6)
    throw flagError(flag, text, 'has brackets around something other than an IPv6 address');
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw flagError(flag, text, 'has a port outside 1-65535');
  return { host, port };
}

/** The engine the flags name; --workers and --locust-master belong to --engine locust only. */
export function parseEngineFlags(v: EngineFlagValues): LoadEngine {
  const name = v.engine ?? 'gauntlet';
  if (!(ENGINE_NAMES as readonly string[]).includes(name)) {
    throw flagError('--engine', name, `is not an engine: the engines are ${ENGINE_NAMES.join(' and ')}`);
  }
  if ((name as EngineName) === 'gauntlet') {
    for (const flag of ['workers', 'locust-master'] as const) {
      if (v[flag] !== undefined) throw new UsageError(`--${flag} places Locust's processes: it needs --engine locust`);
    }
    return { name: 'gauntlet' };
  }
  const workers = v.workers === undefined ? 1 : wholeNumber('--workers', v.workers, 1, MAX_WORKERS);
  const master = v['locust-master'] === undefined ? undefined : hostPortFlag('--locust-master', v['locust-master']);
  return { name: 'locust', placement: { workers, ...(master && { master }) } };
}

/**
 * What a Locust run cannot do, as a usage error naming the flag: cells of a count (Locust runs for
 * a time), durations of a fraction of a second, TLS, a chunked body. Nothing for the built-in engine.
 */
export function checkEngineRun(
  engine: LoadEngine,
  run: { matrix: Matrix; tls: boolean; chunked: boolean; timeoutGiven?: boolean },
): void {
  if (engine.name !== 'locust') return;
  for (const group of run.matrix.groups) {
    if (group.durationS === undefined) {
      throw new UsageError(
        `--engine locust runs cells of a duration: give --duration D (or --matrix 10s:C1,C2), not a number of requests`,
      );
    }
    if (!Number.isInteger(group.durationS)) {
      throw flagError('--duration', `${group.durationS}s`, 'is not whole seconds, which Locust runs');
    }
  }
  if (run.tls) throw new UsageError('--engine locust is not run over TLS here: drop --tls, or use --engine gauntlet');
  if (run.chunked) throw new UsageError('--engine locust sends bodies with Content-Length: drop --chunked');
  // Locust's users keep FastHttpUser's own timeouts (60 s): a --timeout would not reach them.
  if (run.timeoutGiven)
    throw new UsageError(
      "--timeout does not reach Locust's users (FastHttpUser's 60 s timeouts apply): drop it, or use --engine gauntlet",
    );
}
