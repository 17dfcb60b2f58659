/**
 * The output formats of the commands' report folders, each listed once, under its command, in
 * the order the files are written and named. results.json is not among them: bench and gate
 * write it as the run goes. Keyed by command so that each command's list holds only formats of
 * its input.
 */
import { htmlBenchReport } from './html/bench-report.ts';
import { htmlCheckReport } from './html/check-report.ts';
import { jsonCheckReport } from './json/check-json.ts';
import { junitCheckReport } from './junit/check-junit.ts';
import { markdownBenchReport } from './markdown/bench-report.ts';
import { markdownGateReport } from './markdown/gate-report.ts';
import type { ReportCommand, ReportFormat } from './report-format.ts';

/** One format of any command. */
export type AnyReportFormat = { [Command in ReportCommand]: ReportFormat<Command> }[ReportCommand];

/** Each command's formats, in the order its files are written. */
export const FORMATS_BY_COMMAND: { readonly [Command in ReportCommand]: readonly ReportFormat<Command>[] } = {
  bench: [markdownBenchReport, htmlBenchReport],
  check: [junitCheckReport, jsonCheckReport, htmlCheckReport],
  gate: [markdownGateReport],
};

/** Every format of every command. */
export const REPORT_FORMATS: readonly AnyReportFormat[] = Object.values(FORMATS_BY_COMMAND).flat();

/** The formats of one command's report folder, in registry order. */
export function formatsFor<Command extends ReportCommand>(command: Command): readonly ReportFormat<Command>[] {
  return FORMATS_BY_COMMAND[command];
}
