/**
 * Runs a command and reads the CPU time it used (user + system), for a client's CPU per request.
 *
 * node cannot read a child's resource usage (getrusage of the children is not exposed, and the
 * child is reaped before /proc could be read), so the command runs under bash, whose `times`
 * builtin prints the CPU of the shell's children once the command has ended: its second line,
 * "XmY.YYYs XmY.YYYs", is the children's user and system time, to the millisecond.
 */
import { spawn } from 'node:child_process';

export interface CpuRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** User + system seconds of the command (and anything it started). */
  cpuS: number;
}

const TIMES_LINE = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/;

/**
 * Splits what `cmd; times` printed into the command's own output and its children's CPU seconds.
 * Pure; throws when the two `times` lines are not at the end.
 */
export function splitShellTimes(text: string): { stdout: string; cpuS: number } {
  const lines = text.replace(/\n+$/, '').split('\n');
  const children = TIMES_LINE.exec(lines.at(-1) ?? '');
  const shell = TIMES_LINE.exec(lines.at(-2) ?? '');
  if (!children || !shell) throw new Error(`no CPU times at the end of the output: ${JSON.stringify(lines.slice(-2))}`);
  const cpuS = Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4]);
  return { stdout: lines.slice(0, -2).join('\n') + '\n', cpuS };
}

/** Runs `command args...` (no shell parsing of the arguments) and measures its CPU. */
export function runWithCpu(command: string, args: readonly string[]): Promise<CpuRun> {
  return new Promise<CpuRun>((resolve, reject) => {
    // "$@" runs the command with its arguments as given; `times` then reports its CPU.
    const child = spawn('bash', ['-c', '"$@"; code=$?; times; exit $code', 'bash', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      try {
        const { stdout, cpuS } = splitShellTimes(Buffer.concat(out).toString('utf8'));
        resolve({ stdout, stderr: Buffer.concat(err).toString('utf8'), exitCode, cpuS });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}
