/**
 * Runs a real server (Apache httpd, lighttpd) with a configuration written for this start only:
 * `node --import tsx start.ts PORT ROOT` in its fixture folder makes a temporary folder, writes
 * the configuration there, runs the server in the foreground as a child, and removes the folder
 * when the server exits. A SIGTERM (the launcher signals the whole process group, the server
 * included) waits for the server to go, so that the folder goes too.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APACHE_ERROR_LOG, apacheConfig, envTimeoutMs, lighttpdConfig, type ConfigSettings } from './configs.ts';

/** How one kind of server is started from its configuration. */
export interface ConfiguredServer {
  /** The binary, overridable by an environment variable (for another install). */
  binary: string;
  /** The Debian package that provides it, named when it is missing. */
  aptPackage: string;
  configFile: string;
  config(settings: ConfigSettings): string;
  /** The foreground command line, given the configuration's path. */
  args(configPath: string): string[];
  /** A log the server writes into the temporary folder, copied to stderr when it exits. */
  errorLog?: string;
}

export const CONFIGURED_SERVERS: Readonly<Record<'apache2' | 'lighttpd', ConfiguredServer>> = {
  apache2: {
    binary: process.env.GAUNTLET_APACHE2 ?? '/usr/sbin/apache2',
    aptPackage: 'apache2',
    configFile: 'apache2.conf',
    config: (s) => apacheConfig(s),
    // -X: one process in the foreground, no detaching.
    args: (conf) => ['-X', '-f', conf],
    errorLog: APACHE_ERROR_LOG,
  },
  lighttpd: {
    binary: process.env.GAUNTLET_LIGHTTPD ?? '/usr/sbin/lighttpd',
    aptPackage: 'lighttpd',
    configFile: 'lighttpd.conf',
    config: (s) => lighttpdConfig(s),
    args: (conf) => ['-D', '-f', conf],
  },
};

/** PORT and ROOT from a start script's arguments; throws naming what is wrong. */
export function parseStartArgs(argv: readonly string[]): { port: number; root: string } {
  const [portText, root] = argv;
  if (argv.length !== 2 || portText === undefined || root === undefined)
    throw new RangeError(`usage: start.ts PORT ROOT (got ${JSON.stringify(argv)})`);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535)
    throw new RangeError(`PORT must be 1-65535, got ${portText}`);
  if (!existsSync(root)) throw new RangeError(`ROOT ${root} does not exist`);
  return { port, root: realpathSync(root) };
}

/** A log's text on stderr, so that the launcher shows why a server stopped. */
function copyLog(file: string): void {
  if (existsSync(file)) process.stderr.write(readFileSync(file));
}

/** Starts the server and resolves with the exit code this wrapper should end with. */
export async function runConfiguredServer(
  kind: keyof typeof CONFIGURED_SERVERS,
  argv: readonly string[],
): Promise<number> {
  const server = CONFIGURED_SERVERS[kind];
  const { port, root } = parseStartArgs(argv);
  if (!existsSync(server.binary)) {
    process.stderr.write(`no ${kind} at ${server.binary} (install it: apt-get install ${server.aptPackage})\n`);
    return 127;
  }
  const tmp = mkdtempSync(join(tmpdir(), `gauntlet-${kind}.`));
  // Apache switches to www-data when started as root; the folder must stay reachable.
  chmodSync(tmp, 0o755);
  const settings: ConfigSettings = {
    port,
    root,
    tmp,
    headerTimeoutMs: envTimeoutMs(process.env.GAUNTLET_HEADER_TIMEOUT_MS),
    idleTimeoutMs: envTimeoutMs(process.env.GAUNTLET_IDLE_TIMEOUT_MS),
  };
  const configPath = join(tmp, server.configFile);
  writeFileSync(configPath, server.config(settings));
  const child = spawn(server.binary, server.args(configPath), { stdio: 'inherit' });
  // The group's SIGTERM reaches the server too; passing it on covers a signal sent to this process alone.
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, forward);
  const code = await new Promise<number>((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`${kind} did not start: ${err.message}\n`);
      resolve(126);
    });
    child.on('exit', (c, signal) => resolve(c ?? (signal === 'SIGTERM' ? 0 : 1)));
  });
  if (server.errorLog) copyLog(join(tmp, server.errorLog));
  rmSync(tmp, { recursive: true, force: true });
  return code;
}
