/**
 * Runs ApacheBench (`ab`) as a child process and parses its report.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { isIPv6 } from 'node:net';
import { parseAbOutput, type AbReport } from './parse-ab.ts';

/** What to tell someone who has no ab. */
export const AB_INSTALL_HINT =
  'ab (ApacheBench) was not found on PATH. Install it with: apt-get install apache2-utils ' +
  '(Debian/Ubuntu), dnf install httpd-tools (Fedora/RHEL), apk add apache2-utils (Alpine); macOS ships it.';

/** The full path of `ab` on PATH, or null. */
export async function findAb(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'ab');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export interface AbRunOptions {
  host: string;
  port: number;
  /** Request path (default "/"). */
  path?: string;
  /** -n */
  requests: number;
  /** -c */
  concurrency: number;
  /** -k */
  keepAlive?: boolean;
  /** -r: go on after socket receive errors (the load engine always does). */
  continueOnReceiveError?: boolean;
  /** -s, seconds. */
  timeoutS?: number;
  /** Other arguments, placed before the URL. */
  extraArgs?: string[];
  /** ab's path (default: found on PATH). */
  abPath?: string;
  /** Kills ab when aborted. */
  signal?: AbortSignal;
}

export interface AbRun {
  /** The command line, for display. */
  command: string;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** Parsed report; null when ab did not print one (it failed; see stderr). */
  report: AbReport | null;
}

/** The URL ab is given: http://host:port/path (IPv6 in brackets). */
export function abUrl(host: string, port: number, path = '/'): string {
  return `http://${isIPv6(host) ? `[${host}]` : host}:${port}${path}`;
}

/** The argument list for an ab run. */
export function abArgs(opts: AbRunOptions): string[] {
  const args = ['-n', String(opts.requests), '-c', String(opts.concurrency)];
  if (opts.keepAlive) args.push('-k');
  if (opts.continueOnReceiveError) args.push('-r');
  if (opts.timeoutS !== undefined) args.push('-s', String(opts.timeoutS));
  args.push(...(opts.extraArgs ?? []));
  args.push(abUrl(opts.host, opts.port, opts.path ?? '/'));
  return args;
}

/** Runs ab once. Rejects only when ab cannot be started; a failing ab resolves with report null. */
export async function runAb(opts: AbRunOptions): Promise<AbRun> {
  const ab = opts.abPath ?? (await findAb());
  if (!ab) throw new Error(AB_INSTALL_HINT);
  const args = abArgs(opts);
  return new Promise<AbRun>((resolve, reject) => {
    const child = spawn(ab, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      let report: AbReport | null = null;
      if (code === 0) {
        try {
          report = parseAbOutput(stdout);
        } catch {
          report = null;
        }
      }
      resolve({ command: ['ab', ...args].join(' '), stdout, stderr, exitCode: code, report });
    });
  });
}
