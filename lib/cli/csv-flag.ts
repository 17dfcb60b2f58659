/**
 * bench's `--csv FILE`: where the CSV of the cells goes. Checked before anything starts, as every
 * flag is: a folder, a file that cannot be written, or a place no file can be made is a usage
 * error naming the flag. Nothing is written here; the file is made when the run starts
 * (lib/report/csv/writer.ts), its missing folders with it.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { flagError } from './args.ts';

/** The line of --help. */
export const CSV_OPTION_HELP = `  --csv FILE             also write one CSV row per run of a cell (ab's figures and the
                         percentiles in ms), each as its cell finishes`;

/** What the file system says about the path given, gathered by csvFacts. */
export interface CsvPathFacts {
  /** What is at the path itself. */
  target: 'missing' | 'file' | 'folder' | 'other';
  /** Whether the file there can be written (meaningful when target is 'file'). */
  targetWritable: boolean;
  /** The nearest folder above the path that exists, and what it is. */
  ancestor: string;
  ancestorKind: 'folder' | 'other';
  /** Whether files can be made in that folder. */
  ancestorWritable: boolean;
}

/** Why the path cannot take the CSV, or null when it can. Pure: the decision over the facts. */
export function csvPathProblem(facts: CsvPathFacts): string | null {
  switch (facts.target) {
    case 'folder':
      return 'is a folder: name a file, such as cells.csv';
    case 'other':
      return 'is not a regular file';
    case 'file':
      return facts.targetWritable ? null : 'is a file that cannot be written (permission denied)';
    case 'missing':
      if (facts.ancestorKind !== 'folder') return `cannot be made: ${facts.ancestor} is not a folder`;
      return facts.ancestorWritable ? null : `cannot be made: the folder ${facts.ancestor} cannot be written`;
  }
}

function kindOf(path: string): 'missing' | 'file' | 'folder' | 'other' {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'folder' : st.isFile() ? 'file' : 'other';
  } catch (err) {
    // ENOTDIR: a file stands where a folder of the path should be; the walk up then finds it.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw err;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The facts about an absolute path, read from the file system. */
export function csvFacts(path: string): CsvPathFacts {
  const target = kindOf(path);
  let ancestor = dirname(path);
  // The nearest thing above that exists: the writer makes the folders between it and the file.
  while (kindOf(ancestor) === 'missing' && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
  const ancestorKind = kindOf(ancestor) === 'folder' ? 'folder' : 'other';
  return {
    target,
    targetWritable: target === 'file' && writable(path),
    ancestor,
    ancestorKind,
    ancestorWritable: ancestorKind === 'folder' && writable(ancestor),
  };
}

/** `--csv FILE`, resolved against the current folder and checked; throws a UsageError naming the flag. */
export function csvFlag(value: string): string {
  if (value.trim() === '') throw flagError('--csv', value, 'is empty: name a file, such as cells.csv');
  // A trailing slash names a folder, which resolve() would otherwise quietly drop.
  if (value.endsWith('/')) throw flagError('--csv', value, 'is a folder: name a file, such as cells.csv');
  const path = resolve(value);
  let facts: CsvPathFacts;
  try {
    facts = csvFacts(path);
  } catch (err) {
    throw flagError('--csv', value, `cannot be checked: ${(err as Error).message}`);
  }
  const problem = csvPathProblem(facts);
  if (problem) throw flagError('--csv', value, problem);
  return path;
}
