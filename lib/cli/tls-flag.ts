/**
 * The `--tls` and `--insecure` flags of bench, check and gate: whether the servers Gauntlet
 * starts listen over TLS (with a certificate made for the run, given to them as
 * GAUNTLET_TLS_CERT and GAUNTLET_TLS_KEY) and how certificates are checked. Kept apart from
 * args.ts, which spreads TLS_OPTIONS into each command's options, so that these flags read
 * the same on every command.
 */
import type { Runtime } from '../runtime.ts';
import type { ServerSpec } from '../types.ts';
import { isHttpsUrl } from '../url-server.ts';

/** The help text of the two flags, shared by the commands that take servers. */
export const TLS_OPTION_HELP = `  --tls                  start the servers talking TLS and send them https: a certificate made
                         for the run is named by GAUNTLET_TLS_CERT and GAUNTLET_TLS_KEY, which a
                         server must read (of the reference servers, node-async does); processes
                         only (not --runtime container)
  --insecure             over TLS (--tls, or an https:// --url), accept a certificate that cannot
                         be verified (self-signed, expired, for another name) instead of failing`;

/** The two options, to spread into a command's options. */
export const TLS_OPTIONS = {
  tls: { type: 'boolean', default: false },
  insecure: { type: 'boolean', default: false },
} as const;

/** The flags as parsed. */
export interface TlsFlags {
  tls: boolean;
  insecure: boolean;
}

/** No TLS: the flags of a command line that names neither. */
export const NO_TLS: TlsFlags = { tls: false, insecure: false };

/** Whether a server is given by an https:// URL: it talks TLS whatever `--tls` says. */
export function isHttpsServer(spec: Pick<ServerSpec, 'url'>): boolean {
  return spec.url !== undefined && isHttpsUrl(spec.url);
}

/**
 * What is wrong with the two flags together, or null: `--insecure` means something only over
 * TLS, so without `--tls` (or an https:// server) it is a mistake rather than a quiet no-op.
 */
export function tlsFlagsProblem(flags: TlsFlags, httpsServers: boolean): string | null {
  if (flags.insecure && !flags.tls && !httpsServers) {
    return '--insecure: certificates are only checked over TLS; give --tls (or an https:// server) with it';
  }
  return null;
}

/**
 * What is wrong with the two flags for these servers in this runtime, or null: tlsFlagsProblem,
 * and `--tls` in containers, which are not given the run's certificate.
 */
export function tlsRunProblem(flags: TlsFlags, servers: readonly ServerSpec[], runtime: Runtime): string | null {
  const problem = tlsFlagsProblem(flags, servers.some(isHttpsServer));
  if (problem !== null) return problem;
  if (flags.tls && runtime === 'container') {
    return '--tls: servers in containers are not given a certificate; --tls starts servers as processes (--runtime process)';
  }
  const plainUrl = servers.find((s) => s.url !== undefined && !isHttpsServer(s));
  if (flags.tls && plainUrl && servers.every((s) => s.url !== undefined)) {
    // --tls is about servers Gauntlet starts; a URL server is reached as its URL says.
    return `--tls: --url "${plainUrl.url}" is reached as its URL says and no server is started; write https:// to reach it over TLS`;
  }
  return null;
}

/**
 * The two flags of a command line, checked for its servers and runtime; a problem is thrown as
 * `usageError` makes it (the command line's UsageError, exit 2).
 */
export function parseTlsFlags(
  values: TlsFlags,
  servers: readonly ServerSpec[],
  runtime: Runtime,
  usageError: (problem: string) => Error,
): TlsFlags {
  const problem = tlsRunProblem(values, servers, runtime);
  if (problem !== null) throw usageError(problem);
  return { tls: values.tls, insecure: values.insecure };
}
