/**
 * Runs the autocannon command line (`autocannon -a N -c C -j`) in its own process, as a reference
 * for the keep-alive client, and reads its JSON result.
 *
 * Its time: autocannon checks whether the run is over on its sample tick (-L, ms) and reports
 * `duration` rounded to 10 ms from that tick; with the default 1000 ms tick a 0.4 s run is reported
 * as 1.00 s. Here -L is small (default 5 ms, the keep-alive client's own tick) and the elapsed
 * time is taken from the result's `start` and `finish` timestamps (milliseconds), which overstate
 * the run by at most one tick. The rounded `duration` is returned too, for display.
 *
 * Warm-up: each CLI run is a new node process, whose first half second runs cold (interpreted,
 * then compiled) code, while the engine runs in a process that has been working for a while.
 * To compare like with like the CLI is given its own warm-up (`-W [ -c C --amount M ]`: the same
 * connections for up to 20,000 requests, in the same process, reported apart and left out of the
 * figures used here).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import { abHeaders } from './ab-request.ts';

export interface AutocannonCliOptions {
  host: string;
  port: number;
  path: string;
  requests: number;
  connections: number;
  /** Sample tick, ms (-L). Default 5. */
  sampleIntMs?: number;
  /** Per-request timeout, seconds (-t). Default 30, ab's. */
  timeoutS?: number;
  /** Run the cell once before the measured run, in the same process (default true). */
  warmup?: boolean;
}

export interface AutocannonCliRun {
  command: string;
  /** Responses counted (requests.total). */
  responses: number;
  /** Requests sent (requests.sent). */
  sent: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** `duration` as autocannon reports it: seconds, from its tick, rounded to 10 ms. */
  durationS: number;
  /** finish - start, seconds (millisecond timestamps). */
  elapsedS: number;
  /** responses / elapsedS */
  requestsPerSecond: number;
  /** responses / durationS: the figure autocannon's own table implies. */
  requestsPerSecondByDuration: number;
}

const require = createRequire(import.meta.url);

/** The most requests the CLI's own warm-up sends: enough for its code to be compiled. */
const WARMUP_REQUESTS = 20_000;

/** The path of autocannon's command-line script. */
export function autocannonCliPath(): string {
  return require.resolve('autocannon/autocannon.js');
}

export function autocannonCliArgs(opts: AutocannonCliOptions): string[] {
  const host = isIPv6(opts.host) ? `[${opts.host}]` : opts.host;
  const args = [
    '-a',
    String(opts.requests),
    '-c',
    String(opts.connections),
    '-L',
    String(opts.sampleIntMs ?? 5),
    '-t',
    String(opts.timeoutS ?? 30),
    '-j',
  ];
  if (opts.warmup ?? true) {
    const amount = Math.max(opts.connections, Math.min(opts.requests, WARMUP_REQUESTS));
    args.push('-W', '[', '-c', String(opts.connections), '--amount', String(amount), ']');
  }
  // The keep-alive client's headers (ab's), so that both send the same bytes.
  for (const [name, value] of abHeaders(opts.host, opts.port)) args.push('-H', `${name}=${value}`);
  args.push(`http://${host}:${opts.port}${opts.path}`);
  return args;
}

export async function runAutocannonCli(opts: AutocannonCliOptions): Promise<AutocannonCliRun> {
  const cli = autocannonCliPath();
  const args = autocannonCliArgs(opts);
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (c) =>
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: c }),
      );
    },
  );
  // With a warm-up, the warm-up's result is printed first; the measured run's is the last line.
  const line = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .at(-1);
  if (code !== 0 || !line) {
    throw new Error(`autocannon exited with ${code}: ${(stderr || stdout).trim().slice(0, 500)}`);
  }
  const j = JSON.parse(line) as {
    requests: { total: number; sent: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    duration: number;
    start: string;
    finish: string;
  };
  const elapsedS = (Date.parse(j.finish) - Date.parse(j.start)) / 1000;
  return {
    command: ['autocannon', ...args].join(' '),
    responses: j.requests.total,
    sent: j.requests.sent,
    errors: j.errors,
    timeouts: j.timeouts,
    non2xx: j.non2xx,
    durationS: j.duration,
    elapsedS,
    requestsPerSecond: elapsedS > 0 ? j.requests.total / elapsedS : 0,
    requestsPerSecondByDuration: j.duration > 0 ? j.requests.total / j.duration : 0,
  };
}
