/**
 * The output formats of the commands' report folders, each listed once, in the order the files
 * are written and named. results.json is not among them: bench writes it as the run goes.
 */
import { htmlBenchReport } from './html/bench-report.ts';
import { markdownBenchReport } from './markdown/bench-report.ts';
import type { ReportCommand, ReportFormat } from './report-format.ts';

/** One format of any command. */
export type AnyReportFormat = { [Command in ReportCommand]: ReportFormat<Command> }[ReportCommand];

export const REPORT_FORMATS: readonly AnyReportFormat[] = [markdownBenchReport, htmlBenchReport];

/** The formats of one command's report folder, in registry order. */
export function formatsFor<Command extends ReportCommand>(command: Command): ReportFormat<Command>[] {
  return REPORT_FORMATS.filter((format): format is ReportFormat<Command> => format.command === command);
}
