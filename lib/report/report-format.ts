/**
 * What an output format of a command's report folder is: an id, the file it writes, the command
 * whose run it renders, and the render itself. The registry (formats.ts) lists every format once;
 * each format lives with the output it belongs to (markdown/, html/, json/, junit/), so that a new
 * format is one module plus one line there.
 *
 * A command's formats render from what that command's run leaves behind: ReportInputs holds one
 * entry per command that has formats (bench, check and gate).
 */
import type { Comparison } from '../compare/types.ts';
import type { CheckRun } from '../conformance/types.ts';
import type { PropertyCheckRun } from '../conformance/properties/record.ts';
import type { GateResults } from '../perf/types.ts';
import type { RunCommand } from '../envelope.ts';
import type { RunResults } from '../types.ts';
import type { ClaimVerdicts } from './html/claims.ts';

/** What bench's formats render: the run, its comparison, and what report.html adds beside them. */
export interface BenchReport {
  results: RunResults;
  /** The comparison stored in results.json, computed once for every format. */
  comparison: Comparison;
  /** The report folder (gate.json is read from it when `gate` is not given). */
  dir?: string;
  /** The conformance run against the same servers, for the grid in report.html. */
  check?: CheckRun | null;
  /** Perf claims' verdicts; read from gate.json in the folder when not given. */
  gate?: ClaimVerdicts | null;
}

/** What each command's formats render, by command. */
export interface ReportInputs {
  bench: BenchReport;
  /** check's formats render the run as it ended: its cases, servers, results and properties. */
  check: PropertyCheckRun;
  /** gate's formats render its results as they ended, as results.json stores them. */
  gate: GateResults;
}

/** The commands that have report formats. */
export type ReportCommand = keyof ReportInputs & RunCommand;

export interface ReportFormat<Command extends ReportCommand = ReportCommand> {
  /** A short name: 'markdown', 'html', 'json', 'junit'. */
  id: string;
  /** The command whose report folder holds the file. */
  command: Command;
  /** The file's name in the report folder. */
  file: string;
  render(run: ReportInputs[Command]): string | Promise<string>;
  /**
   * The same text in pieces, for a file large enough that holding it whole matters (check.json
   * of a server that fails every case); the report folder is written from these when given.
   */
  chunks?(run: ReportInputs[Command]): Iterable<string>;
}
