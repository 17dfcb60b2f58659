/**
 * The CSV file of a bench run (`--csv FILE`), written as the run goes: the header when the run
 * starts, then one line as each run of a cell finishes, so that a run stopped by Ctrl-C (or
 * killed) leaves every cell it measured in the file, as results.json does. The lines are
 * rows.ts's; this is the file around them.
 *
 * Writes are synchronous and small (a few hundred bytes between two cells, never during one), so
 * the lines land in the order the cells finished and nothing is left in a buffer at an exit.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CellRecord } from '../../types.ts';
import { csvHeaderLine, csvRowLine } from './rows.ts';

export class CsvWriter {
  private fd: number | null;

  private constructor(
    readonly file: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Makes (or empties) the file, and its missing folders, and writes the header line. */
  static open(file: string): CsvWriter {
    mkdirSync(dirname(file), { recursive: true });
    const writer = new CsvWriter(file, openSync(file, 'w'));
    writer.write(csvHeaderLine());
    return writer;
  }

  /** Appends the line of one run of a cell. */
  append(record: CellRecord): void {
    this.write(csvRowLine(record));
  }

  /** Closes the file; later appends are ignored (a cell cannot finish after the run). */
  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  private write(text: string): void {
    if (this.fd !== null) writeSync(this.fd, text);
  }
}
