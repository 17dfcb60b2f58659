/**
 * Locust's processes (a master, workers): each started in its own process group, under the
 * kernel's parent-death signal and a watchdog, and listed here until it ends, so that Ctrl-C, a
 * failure or the harness's own death leaves none behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { onProcessEnd } from '../exit-hooks.ts';
import { withParentDeathSignal } from '../process/parent-death.ts';
import { startWatchdog, type Watchdog } from '../process/watchdog.ts';

/** The program, found on PATH. */
export const LOCUST_COMMAND = 'locust';

/** Said whenever Locust cannot be run. */
export const LOCUST_MISSING =
  "Locust is not installed: --engine locust and gauntlet worker run Debian's python3-locust (apt-get install python3-locust)";

/** Locust is missing or does not run. */
export class LocustMissingError extends Error {
  constructor(detail: string) {
    super(`${LOCUST_MISSING}; ${detail}`);
    this.name = 'LocustMissingError';
  }
}

/** Whether `locust --version` runs here; null when it does, else why not. */
export function locustProblem(): string | null {
  const r = spawnSync(LOCUST_COMMAND, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error)
    return `${LOCUST_COMMAND} could not be run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  if (r.status !== 0)
    return `${LOCUST_COMMAND} --version exited with ${r.status}: ${r.stderr.trim().split('\n').pop()}`;
  return null;
}

/** Whether Locust was found to run already: asked once, since each ask starts Python (about a second). */
let found = false;

/** Throws LocustMissingError unless Locust runs. */
export function requireLocust(): void {
  if (found) return;
  const problem = locustProblem();
  if (problem) throw new LocustMissingError(problem);
  found = true;
}

/** The last bytes of a process's output kept, for an error message. */
const TAIL_BYTES = 4096;

/** One Locust process: its exit, and the tail of what it wrote. */
export class LocustProcess {
  readonly exited: Promise<number | null>;
  private output = '';
  private ended = false;
  private readonly watchdog: Watchdog;

  constructor(
    readonly role: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.watchdog = startWatchdog(child.pid ?? null);
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        keep(Buffer.from(`\n${err.message}\n`));
        resolve(null);
      });
      child.once('close', (code) => resolve(code));
    }).then((code) => {
      this.ended = true;
      live.delete(this);
      this.watchdog.dismiss();
      return code as number | null;
    });
    live.add(this);
  }

  /** The last lines it wrote (at most a few KB). */
  tail(lines = 12): string {
    return this.output.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Kills its whole process group at once (Locust holds nothing worth a graceful stop). */
  kill(): void {
    if (this.ended || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  /** Kills it and waits for its end. */
  async stop(): Promise<void> {
    this.kill();
    await this.exited;
  }
}

/** Every Locust process alive: killed when the harness ends, however it ends. */
const live = new Set<LocustProcess>();
let hooked = false;

/** Kills every Locust process still alive (the harness is ending, or a run failed). */
export function killAllLocust(): void {
  for (const p of live) p.kill();
}

/**
 * Starts `locust ARGS` as `role` ("master", "worker 1"), in `cwd`. Its own process group, so that a
 * kill reaches everything it starts; the teardown is registered here, where it is spawned.
 */
export function startLocust(role: string, args: readonly string[], cwd: string): LocustProcess {
  if (!hooked) {
    hooked = true;
    onProcessEnd(killAllLocust);
  }
  const [file, ...rest] = withParentDeathSignal([LOCUST_COMMAND, ...args]);
  const child = spawn(file!, rest, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  return new LocustProcess(role, child);
}
