/**
 * The docker command line, for the paths that cannot use the engine's API through
 * testcontainers: exit hooks (they must be synchronous), the watchdog (a bash process that runs
 * after the harness died), and a later run's search for leftovers (which must not load
 * testcontainers in a run that starts only processes). The normal path uses the API
 * (lib/container/cleanup.ts).
 *
 * Every name handed to it has been checked to be one word that cannot be read as an option
 * (ENGINE_NAME in lib/process/registry.ts), and `--` ends the options anyway.
 */
import { execFile, execFileSync } from 'node:child_process';

/** The docker command (on PATH); tests pass a fake one. */
export const DOCKER = 'docker';

/** How long one docker command may take: `rm -f` of a container that ignores SIGTERM is quick, an engine that hangs is not. */
export const DOCKER_TIMEOUT_MS = 20_000;

export interface DockerResult {
  ok: boolean;
  stdout: string;
  /** Why it did not run or failed, in one line (null when ok). */
  error: string | null;
}

export interface DockerOptions {
  /** The docker command (default DOCKER). */
  command?: string;
  timeoutMs?: number;
}

/** The argv that removes containers (by name or id), running or not, with their anonymous volumes. */
export function removeContainersArgs(refs: readonly string[]): string[] {
  return ['rm', '--force', '--volumes', '--', ...refs];
}

/** The argv that removes images (by name), even when a stopped container still uses them. */
export function removeImagesArgs(refs: readonly string[]): string[] {
  return ['rmi', '--force', '--', ...refs];
}

/** One line for a failed docker command: its stderr's last line, or how it failed to run. */
export function failureLine(
  command: string,
  args: readonly string[],
  err: { code?: unknown; signal?: unknown; message?: string },
  stderr: string,
): string {
  const what = `${command} ${args.slice(0, 2).join(' ')}`;
  if (err.code === 'ENOENT') return `${what}: no "${command}" command on PATH`;
  if (err.signal === 'SIGTERM') return `${what}: no answer within the time allowed`;
  const last = stderr.trim().split('\n').pop()?.trim();
  return `${what}: ${last || (typeof err.code === 'number' ? `exit code ${err.code}, nothing on stderr` : err.message || 'failed')}`;
}

/** Runs a docker command; never throws. */
export function docker(args: readonly string[], opts: DockerOptions = {}): Promise<DockerResult> {
  const command = opts.command ?? DOCKER;
  return new Promise((done) => {
    execFile(
      command,
      args,
      { timeout: opts.timeoutMs ?? DOCKER_TIMEOUT_MS, maxBuffer: 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) done({ ok: true, stdout, error: null });
        else done({ ok: false, stdout, error: failureLine(command, args, err, String(stderr)) });
      },
    );
  });
}

/** The same, synchronously, for exit paths that cannot wait. */
export function dockerSync(args: readonly string[], opts: DockerOptions = {}): DockerResult {
  const command = opts.command ?? DOCKER;
  try {
    const stdout = execFileSync(command, args, {
      timeout: opts.timeoutMs ?? DOCKER_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    return { ok: true, stdout, error: null };
  } catch (err) {
    // With encoding 'utf8' the error's stderr is the captured text.
    const e = err as { code?: unknown; signal?: unknown; message?: string; stderr?: string };
    return { ok: false, stdout: '', error: failureLine(command, args, e, String(e.stderr ?? '')) };
  }
}
