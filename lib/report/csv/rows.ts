/**
 * bench's CSV (`--csv FILE`): one row per run of a cell, with ab's figures under the names of
 * the lines ab prints and the latency percentiles in milliseconds. Pure: a record in, a line
 * out, quoted as RFC 4180 says (fields with a comma, a double quote or a line break are quoted,
 * quotes doubled, lines end with CRLF), so that a spreadsheet or Python's csv module reads back
 * exactly what was written. docs/outputs.md lists the columns.
 */
import type { CellRecord } from '../../types.ts';
import { fixed, integer } from '../format.ts';

/** One column: its header, and its field for a cell's run ('' where it does not apply). */
interface Column {
  header: string;
  field: (record: CellRecord) => string;
}

/** Milliseconds with three decimals: whole microseconds, as the histogram records them. */
const msOf = (us: number | undefined): string => (us === undefined ? '' : fixed(us / 1000, 3));
const optional = (v: number | undefined, decimals: number): string => (v === undefined ? '' : fixed(v, decimals));
/** A value of the cell as it was asked for (10, 2.5): not a measurement, so no decimals are added. */
const asked = (v: number | undefined): string => (v === undefined ? '' : String(v));

/**
 * The columns in order: what the cell was, which run of it, then ab's figures with ab's decimals
 * (requests per second and transfer rate %.2f, times per request %.3f, as ab prints them), then
 * the open model's rates and the percentiles. A figure that is not a finite number is "n/a", as
 * in the other reports.
 */
const COLUMNS: readonly Column[] = [
  { header: 'server', field: (r) => r.server },
  { header: 'mode', field: (r) => r.result.mode },
  { header: 'group', field: (r) => String(r.group + 1) },
  { header: 'requests', field: (r) => String(r.requests) },
  { header: 'concurrency', field: (r) => String(r.concurrency) },
  { header: 'duration_s', field: (r) => asked(r.durationS) },
  { header: 'rate', field: (r) => asked(r.rate) },
  // 1-based, so that a run of --rounds 3 reads 1, 2, 3; a run of one round is round 1.
  { header: 'round', field: (r) => String((r.round ?? 0) + 1) },
  { header: 'time_taken_s', field: (r) => fixed(r.result.timeTakenS, 3) },
  { header: 'complete_requests', field: (r) => integer(r.result.completeRequests) },
  { header: 'failed_requests', field: (r) => integer(r.result.failedRequests) },
  { header: 'failed_connect', field: (r) => integer(r.result.failed.connect) },
  { header: 'failed_receive', field: (r) => integer(r.result.failed.receive) },
  { header: 'failed_length', field: (r) => integer(r.result.failed.length) },
  { header: 'failed_exceptions', field: (r) => integer(r.result.failed.exceptions) },
  { header: 'non_2xx', field: (r) => integer(r.result.non2xx) },
  {
    header: 'document_length',
    field: (r) => (r.result.documentLength === null ? '' : integer(r.result.documentLength)),
  },
  { header: 'total_transferred', field: (r) => integer(r.result.totalTransferred) },
  { header: 'html_transferred', field: (r) => integer(r.result.htmlTransferred) },
  { header: 'requests_per_second', field: (r) => fixed(r.result.requestsPerSecond, 2) },
  { header: 'time_per_request_ms', field: (r) => fixed(r.result.timePerRequestMs, 3) },
  { header: 'time_per_request_all_ms', field: (r) => fixed(r.result.timePerRequestAcrossMs, 3) },
  { header: 'transfer_rate_kbps', field: (r) => fixed(r.result.transferRateKBps, 2) },
  { header: 'achieved_rate', field: (r) => optional(r.result.open?.achievedRate, 2) },
  { header: 'completed_rate', field: (r) => optional(r.result.open?.completedRate, 2) },
  { header: 'p50_ms', field: (r) => msOf(r.result.percentilesUs?.p50) },
  { header: 'p75_ms', field: (r) => msOf(r.result.percentilesUs?.p75) },
  { header: 'p90_ms', field: (r) => msOf(r.result.percentilesUs?.p90) },
  { header: 'p99_ms', field: (r) => msOf(r.result.percentilesUs?.p99) },
  { header: 'p99_9_ms', field: (r) => msOf(r.result.percentilesUs?.p99_9) },
  { header: 'p99_99_ms', field: (r) => msOf(r.result.percentilesUs?.p99_99) },
  { header: 'p99_999_ms', field: (r) => msOf(r.result.percentilesUs?.p99_999) },
  { header: 'max_ms', field: (r) => msOf(r.result.percentilesUs?.max) },
  { header: 'stopped', field: (r) => r.result.stopped?.reason ?? '' },
  { header: 'finished_at', field: (r) => r.finishedAt },
];

/** The headers, in column order. */
export const CSV_HEADERS: readonly string[] = COLUMNS.map((c) => c.header);

/** RFC 4180 line end. */
const CRLF = '\r\n';

/** One field as RFC 4180 writes it: quoted, its quotes doubled, when it holds `,`, `"`, CR or LF. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line of fields, CRLF included. */
export function csvLine(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}${CRLF}`;
}

/** The header line. */
export function csvHeaderLine(): string {
  return csvLine(CSV_HEADERS);
}

/** The fields of one run of a cell, in column order. */
export function csvFields(record: CellRecord): string[] {
  return COLUMNS.map((c) => c.field(record));
}

/** The line of one run of a cell. */
export function csvRowLine(record: CellRecord): string {
  return csvLine(csvFields(record));
}

/** A whole file: the header, then one line per run, in the order given. */
export function renderCsv(records: readonly CellRecord[]): string {
  return csvHeaderLine() + records.map(csvRowLine).join('');
}
