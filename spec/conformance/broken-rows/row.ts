/**
 * One broken server of fixtures/broken/ and the ids that must catch its defect: a row of the
 * table spec/conformance/broken-servers.test.ts checks. Rows live in the other files of this
 * folder (each exports `rows`), one file per area, so that a new group of cases brings its broken
 * servers in a file of its own.
 */
export interface Row {
  /** The folder under fixtures/broken/. */
  server: string;
  /** The one defect, as a reader of a report would name it. */
  defect: string;
  /** Cases that must fail (or warn, for a SHOULD case) on this server and pass on the control. */
  caughtBy: string[];
  /** Properties that must fail on this server and pass on the control. */
  properties: string[];
  /** Cases this server must still pass: its defect does not touch them. */
  stillPasses: string[];
  /**
   * A case started on another connection just before each catching case and left to run beside
   * it: for a defect that only shows when two clients interleave.
   */
  alongside?: string;
  /** The server process is expected to die of some catching case. */
  dies?: boolean;
}
