/**
 * `--json` on bench, check and gate: stdout then holds the run's record alone (results.json or
 * check.json, byte for byte as written), for a program to read; the tables, the grid and
 * everything else meant for people go to stderr with the progress.
 */
import { readFile } from 'node:fs/promises';

/** The stream for what people read: stdout, or stderr when --json keeps stdout for the record. */
export function peopleStream(json: boolean): NodeJS.WriteStream {
  return json ? process.stderr : process.stdout;
}

/** Prints a record the run wrote, as it is on disk, so that stdout and the file never differ. */
export async function printRecord(file: string): Promise<void> {
  process.stdout.write(await readFile(file, 'utf8'));
}

/** The line of --help, the same on every command that has the flag. */
export const JSON_OPTION_HELP = `  --json                 print the run's record (FILE) on stdout; tables go to stderr`;
