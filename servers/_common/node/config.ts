/**
 * Command line and environment of the reference servers: `server.ts {port} {root}`, plus
 * GAUNTLET_HOST, GAUNTLET_HEADER_TIMEOUT_MS, GAUNTLET_IDLE_TIMEOUT_MS and GAUNTLET_WORKERS, and
 * for the servers that can listen over TLS, GAUNTLET_TLS_CERT and GAUNTLET_TLS_KEY. TLS is set
 * by the environment rather than the command line so that a manifest's `{port} {root}` command
 * stays the same and a test turns it on for one run without a second manifest.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ConnectionTimeouts } from './connection.ts';

export interface ServerConfig extends ConnectionTimeouts {
  port: number;
  /** Real path of the served directory. */
  root: string;
  host: string;
  /** Worker threads, for servers that have them. */
  workers: number;
}

/** Exit status for a bad command line, as the harness expects. */
export const EXIT_USAGE = 2;

function usage(name: string, message: string): never {
  process.stderr.write(`${name}: ${message}\nusage: node --import tsx server.ts <port> <root>\n`);
  process.exit(EXIT_USAGE);
}

function positiveInt(name: string, env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) <= 0)
    usage(name, `${key} must be a positive integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

export function loadConfig(
  name: string,
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const [portArg, rootArg] = argv;
  if (portArg === undefined || rootArg === undefined) usage(name, 'expected a port and a root directory');
  if (!/^\d{1,5}$/.test(portArg) || Number(portArg) > 65535) usage(name, `bad port ${JSON.stringify(portArg)}`);
  let root: string;
  try {
    root = realpathSync.native(rootArg);
    if (!statSync(root).isDirectory()) usage(name, `root ${JSON.stringify(rootArg)} is not a directory`);
  } catch {
    usage(name, `root ${JSON.stringify(rootArg)} does not exist`);
  }
  return {
    port: Number(portArg),
    root,
    host: env.GAUNTLET_HOST || '127.0.0.1',
    headerTimeoutMs: positiveInt(name, env, 'GAUNTLET_HEADER_TIMEOUT_MS', 5000),
    idleTimeoutMs: positiveInt(name, env, 'GAUNTLET_IDLE_TIMEOUT_MS', 5000),
    workers: positiveInt(name, env, 'GAUNTLET_WORKERS', Math.max(2, availableParallelism())),
  };
}

/** How often deadlines are checked: often enough that a short timeout is kept to within ~20%. */
export function sweepInterval(config: ConnectionTimeouts): number {
  return Math.max(10, Math.min(250, Math.floor(Math.min(config.headerTimeoutMs, config.idleTimeoutMs) / 5)));
}

/** The PEM files of a TLS listener. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * The certificate and key named by GAUNTLET_TLS_CERT and GAUNTLET_TLS_KEY (paths of PEM files),
 * or null when neither is set: the server then listens in plain TCP. One without the other, or
 * a file that cannot be read, is a usage error rather than a silent fall back to plain TCP.
 */
export function loadTls(name: string, env: NodeJS.ProcessEnv = process.env): TlsFiles | null {
  const certPath = env.GAUNTLET_TLS_CERT ?? '';
  const keyPath = env.GAUNTLET_TLS_KEY ?? '';
  if (certPath === '' && keyPath === '') return null;
  if (certPath === '' || keyPath === '') usage(name, 'GAUNTLET_TLS_CERT and GAUNTLET_TLS_KEY go together');
  const read = (key: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch {
      usage(name, `${key} ${JSON.stringify(path)} cannot be read`);
    }
  };
  return { cert: read('GAUNTLET_TLS_CERT', certPath), key: read('GAUNTLET_TLS_KEY', keyPath) };
}

export function listeningLine(name: string, host: string, port: number, root: string, scheme = 'http'): string {
  const shown = host.includes(':') ? `[${host}]` : host;
  return `${name} listening on ${scheme}://${shown}:${port} root=${root}\n`;
}

/** The listen backlog: it must hold a thousand connections arriving at once. */
export const LISTEN_BACKLOG = 1024;
/** How long a graceful stop waits for requests in progress. */
export const SHUTDOWN_GRACE_MS = 5000;
/** After our FIN, how long the peer gets to close before the socket is dropped. */
export const LINGER_MS = 2000;
