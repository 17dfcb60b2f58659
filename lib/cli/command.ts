/**
 * What every command of the CLI does the same way around its own work: the exit codes the
 * README promises, the refusal to start without a container engine, the opening lines naming
 * the report folder, Ctrl-C and SIGTERM, and the closing line naming the files written. One
 * place, so that `gauntlet bench`, `check`, `gate` and `baseline save` cannot drift apart on
 * what a user (or a CI script reading exit codes) relies on.
 */
import { join } from 'node:path';
import { killAllNow } from '../launcher.ts';
import { handleSignal } from '../exit-hooks.ts';
import { REPORTS_DIR } from '../paths.ts';
import { ResultsStore, timestampName } from '../results-store.ts';
import type { Runtime } from '../runtime.ts';
import { containerEngineProblem } from './args.ts';

/** Everything asked for was done, and passed. */
export const EXIT_OK = 0;
/** A server failed, a claim did not hold, a MUST requirement was missed, or an error ended the run. */
export const EXIT_FAILED = 1;
/** The command line was wrong: nothing was started or written. */
export const EXIT_USAGE = 2;
/** Ctrl-C or SIGTERM (128 + SIGINT's 2, as shells report it): what was done so far is kept. */
export const EXIT_INTERRUPTED = 130;

/** Writes a usage text on stdout, as --help asks: it is the answer, not an error. */
export function printUsage(usage: string): number {
  process.stdout.write(`${usage}\n`);
  return EXIT_OK;
}

/**
 * Whether the runtime cannot run here (container asked for, no engine), said on stderr after
 * `label`: checked before anything is started or written, since nothing could be measured.
 */
export async function refusedForEngine(label: string, runtime: Runtime): Promise<boolean> {
  const problem = await containerEngineProblem(runtime);
  if (problem) process.stderr.write(`${label}: ${problem}\n`);
  return problem !== null;
}

/** Where a run writes, and what the opening line says about it. */
export interface RunStart {
  /** "gauntlet bench": what the lines of this command start with. */
  label: string;
  /** The folder given with --out, if any. */
  out: string | null | undefined;
  /** The folder's name under reports/ when --out is not given. */
  defaultName: string;
  /** What is about to run, after the label. */
  summary: string;
}

/** Creates the report folder and says on stderr what runs and where it writes, before it starts. */
export async function openRunStore(start: RunStart): Promise<ResultsStore> {
  const store = await ResultsStore.create(start.out ?? join(REPORTS_DIR, start.defaultName));
  process.stderr.write(`${start.label}: ${start.summary}\n  writing to ${store.dir}\n`);
  return store;
}

/** The default folder name of a run started now, with the command's prefix or suffix. */
export function runFolderName(prefix: string, suffix = ''): string {
  return `${prefix}${timestampName(new Date())}${suffix}`;
}

/**
 * Runs `work` with Ctrl-C and SIGTERM taken over: the first aborts the signal given to `work`
 * (which then stops and keeps what it did), saying `stopping` on stderr; the second kills every
 * server at once and exits 130, for a user who will not wait. The handlers are released when
 * `work` ends, however it ends.
 */
export async function whileInterruptible<T>(stopping: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write(`\n${signal}: ${stopping} (again to quit at once)\n`);
      abort.abort();
    } else {
      killAllNow();
      process.exit(EXIT_INTERRUPTED);
    }
  };
  const releases = [handleSignal('SIGINT', onSignal), handleSignal('SIGTERM', onSignal)];
  try {
    return await work(abort.signal);
  } finally {
    for (const release of releases) release();
  }
}

/**
 * The closing line naming every file written, on stderr (stdout holds the report itself);
 * `apart` puts a blank line before it, after a report that ends without one.
 */
export function announceReports(files: readonly string[], apart = true): void {
  process.stderr.write(`${apart ? '\n' : ''}reports: ${files.join(', ')}\n`);
}
