/**
 * A run's report folder and how files get into it: whole or not at all, since results.json is
 * rewritten while the run goes and must stay readable if the run is cut short.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResults } from './types.ts';

/** A folder name for a run started at `date`: sortable, and safe on every file system. */
export function timestampName(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
}

/**
 * Writes a file whole or not at all: a crash or Ctrl-C in the middle of a write must not leave
 * a truncated results.json behind, since it holds everything measured so far.
 */
export async function writeFileAtomic(file: string, data: string | Iterable<string>): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** The report folder of one run; results.json is rewritten after every cell. */
export class ResultsStore {
  private constructor(readonly dir: string) {}

  static async create(dir: string): Promise<ResultsStore> {
    await mkdir(dir, { recursive: true });
    return new ResultsStore(dir);
  }

  get resultsFile(): string {
    return join(this.dir, 'results.json');
  }

  async save(results: RunResults): Promise<void> {
    await writeFileAtomic(this.resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  }

  /** Writes a file of the folder at once (rename), from its text or the text's pieces in order. */
  async writeText(name: string, text: string | Iterable<string>): Promise<string> {
    const file = join(this.dir, name);
    await writeFileAtomic(file, text);
    return file;
  }
}
