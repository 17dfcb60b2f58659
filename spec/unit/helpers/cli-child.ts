/**
 * The CLI run as a user runs it, in a child process with pipes (no terminal): for command lines
 * that start servers or are stopped with Ctrl-C, which runInProcess (cli-in-process.ts) cannot do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../../lib/paths.ts';

export const BIN = join(PROJECT_ROOT, 'bin', 'gauntlet.mjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliChildOptions {
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Called with all of stderr so far at each chunk: may act on the progress (send Ctrl-C, say). */
  onStderr?: (text: string, child: ChildProcess) => void;
}

/**
 * Runs `gauntlet ARGS`. A run from a CI job must not see the job's own settings (GitHub Actions'
 * annotations and summary, a webhook) unless the test sets them in `env`.
 */
export function runCli(args: string[], options: CliChildOptions = {}): Promise<CliRun> {
  return new Promise((resolveRun, reject) => {
    const env = { ...process.env, ...options.env };
    for (const name of ['GITHUB_ACTIONS', 'GITHUB_STEP_SUMMARY', 'GAUNTLET_WEBHOOK_URL'])
      if (options.env?.[name] === undefined) delete env[name];
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr, child);
    });
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}
