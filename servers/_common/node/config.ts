/**
 * Command line and environment of the reference servers: `server.ts {port} {root}`, plus
 * GAUNTLET_HOST, GAUNTLET_HEADER_TIMEOUT_MS, GAUNTLET_IDLE_TIMEOUT_MS and GAUNTLET_WORKERS.
 */
import { realpathSync, statSync } from 'node:fs';
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

export function listeningLine(name: string, host: string, port: number, root: string): string {
  const shown = host.includes(':') ? `[${host}]` : host;
  return `${name} listening on http://${shown}:${port} root=${root}\n`;
}

/** The listen backlog: it must hold a thousand connections arriving at once. */
export const LISTEN_BACKLOG = 1024;
/** How long a graceful stop waits for requests in progress. */
export const SHUTDOWN_GRACE_MS = 5000;
/** After our FIN, how long the peer gets to close before the socket is dropped. */
export const LINGER_MS = 2000;
