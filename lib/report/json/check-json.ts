/**
 * check.json, a format of check's report folder: the whole run as data, for programs to read.
 * Every result states its verdict and what the server did; every result that did not pass also
 * carries the raw bytes both ways, as base64 (exact) and as escaped text (readable), with its
 * wire log and replay commands. Each server that ran properties carries them in its
 * `properties` section (see lib/conformance/properties/record.ts).
 */
import type { CaseResult, CheckRun, Exchange, ParsedResponse, RecordedResult } from '../../conformance/types.ts';
import type { PropertyCheckRun } from '../../conformance/properties/record.ts';
import { escapeBytes } from '../../conformance/wire-log.ts';
import { resultDetail } from '../../conformance/summary.ts';
import type { ReportFormat } from '../report-format.ts';

export interface JsonResponse {
  version: string;
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  framing: ParsedResponse['framing'];
  bodyLength: number;
  start: number;
  end: number;
  incomplete?: boolean;
  /** The client kept only the start of this response. */
  truncated?: boolean;
}

export interface JsonExchange {
  responses: JsonResponse[];
  interim: JsonResponse[];
  trailingGarbage: number;
  closedBy: Exchange['closedBy'];
  reset: boolean;
  closeAfterMs: number | null;
  sentLength: number;
  receivedLength: number;
  unsent?: number;
  harnessError?: string;
  /** The server refused the connection or did not accept it. */
  connectFailure?: string;
  /** The client stopped at its deadline or at a response head too large. */
  limit?: Exchange['limit'];
  /**
   * The server sent more than the client keeps: `receivedLength` and the bytes below are the
   * first `keptBytes`; `receivedBytes` counts everything that arrived.
   */
  truncated?: Exchange['truncated'];
  /**
   * Only for results that did not pass. The bytes each way are given up to JSON_BYTES;
   * `sentShown` and `receivedShown` say how many when that is fewer than the length.
   */
  sentBase64?: string;
  receivedBase64?: string;
  sentText?: string;
  receivedText?: string;
  sentShown?: number;
  receivedShown?: number;
}

/**
 * The most bytes check.json carries each way per exchange: a server flooding every case, or a
 * case sending a MiB, would otherwise make the file (and the harness writing it) hundreds of
 * MB. The wire log shows the start and end of longer blocks; the case's replay sends it all.
 */
export const JSON_BYTES = 16 * 1024;

export interface JsonResult {
  caseId: string;
  server: string;
  verdict: CaseResult['verdict'];
  reason: string;
  durationMs: number;
  exchange: JsonExchange | null;
  aliveExchange?: JsonExchange | null;
  /** Only for results that did not pass. */
  wireLog?: string;
  replay?: string;
  printfReplay?: string | null;
}

export type JsonCheckRun = Omit<PropertyCheckRun, 'results'> & { results: JsonResult[] };

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function jsonResponse(r: ParsedResponse): JsonResponse {
  return {
    version: r.version,
    status: r.status,
    reason: r.reason,
    headers: r.headers,
    framing: r.framing,
    bodyLength: r.body.length,
    start: r.start,
    end: r.end,
    ...(r.incomplete ? { incomplete: true } : {}),
    ...(r.truncated ? { truncated: true } : {}),
  };
}

export function jsonExchange(ex: Exchange, withBytes: boolean): JsonExchange {
  const out: JsonExchange = {
    responses: ex.responses.map(jsonResponse),
    interim: ex.interim.map(jsonResponse),
    trailingGarbage: ex.trailingGarbage,
    closedBy: ex.closedBy,
    reset: ex.reset,
    closeAfterMs: ex.closeAfterMs,
    sentLength: ex.sent.length,
    receivedLength: ex.received.length,
  };
  if (ex.unsent) out.unsent = ex.unsent;
  if (ex.harnessError) out.harnessError = ex.harnessError;
  if (ex.connectFailure) out.connectFailure = ex.connectFailure;
  if (ex.limit) out.limit = ex.limit;
  if (ex.truncated) out.truncated = ex.truncated;
  if (withBytes) {
    const sent = ex.sent.subarray(0, JSON_BYTES);
    const shown = ex.received.subarray(0, JSON_BYTES);
    out.sentBase64 = base64(sent);
    out.receivedBase64 = base64(shown);
    out.sentText = escapeBytes(sent);
    out.receivedText = escapeBytes(shown);
    if (sent.length < ex.sent.length) out.sentShown = sent.length;
    if (shown.length < ex.received.length) out.receivedShown = shown.length;
  }
  return out;
}

export function jsonResult(run: CheckRun, r: CaseResult): JsonResult {
  // A result read back from a shard's check.json is written as that file had it.
  if (r.recorded) return recordedJson(r, r.recorded);
  // A result with nothing to test is shown like a pass: its reason says what happened instead.
  const detailed = r.verdict !== 'pass' && r.verdict !== 'skip' && r.verdict !== 'not-run' && r.verdict !== 'n/a';
  const out = resultFields(r, r.exchange ? jsonExchange(r.exchange, detailed) : null);
  if (r.aliveExchange !== undefined)
    out.aliveExchange = r.aliveExchange ? jsonExchange(r.aliveExchange, detailed) : null;
  if (detailed) {
    const d = resultDetail(run, r);
    out.wireLog = d.log;
    out.replay = d.replay;
    out.printfReplay = d.printf;
  }
  return out;
}

/** What every result of check.json holds, with its exchange. */
function resultFields(r: CaseResult, exchange: JsonExchange | null): JsonResult {
  return {
    caseId: r.caseId,
    server: r.server,
    verdict: r.verdict,
    reason: r.reason,
    durationMs: r.durationMs,
    exchange,
  };
}

function recordedJson(r: CaseResult, recorded: RecordedResult): JsonResult {
  const out = resultFields(r, recorded.exchange as JsonExchange | null);
  if (recorded.aliveExchange !== undefined) out.aliveExchange = recorded.aliveExchange as JsonExchange | null;
  if (recorded.wireLog !== undefined) out.wireLog = recorded.wireLog;
  if (recorded.replay !== undefined) out.replay = recorded.replay;
  if (recorded.printfReplay !== undefined) out.printfReplay = recorded.printfReplay;
  return out;
}

export function renderCheckJson(run: PropertyCheckRun): string {
  return [...checkJsonChunks(run)].join('');
}

/**
 * check.json's text in pieces, a result at a time: the text JSON.stringify(record, null, 2)
 * writes, without the whole of it, or every result's JSON form, held at once. A server that
 * fails every case gives every result its bytes (base64, text and wire log: tens of KB each);
 * written whole, a run of 568 such cases made a 20 MB file and about 60 MB more resident memory
 * at its peak.
 */
export function* checkJsonChunks(run: PropertyCheckRun): Generator<string> {
  const placeholder = '\u0000results\u0000';
  const mark = JSON.stringify(placeholder);
  const envelope = JSON.stringify({ ...run, results: placeholder }, null, 2);
  const at = envelope.indexOf(mark);
  if (run.results.length === 0) {
    yield `${envelope.slice(0, at)}[]${envelope.slice(at + mark.length)}\n`;
    return;
  }
  yield `${envelope.slice(0, at)}[\n`;
  for (let i = 0; i < run.results.length; i++) {
    // Two levels deep: each line of a result is indented by four spaces (JSON strings hold no raw newline).
    const text = JSON.stringify(jsonResult(run, run.results[i]!), null, 2).replaceAll('\n', '\n    ');
    yield `    ${text}${i + 1 < run.results.length ? ',' : ''}\n`;
  }
  yield `  ]${envelope.slice(at + mark.length)}\n`;
}

export const jsonCheckReport: ReportFormat<'check'> = {
  id: 'json',
  command: 'check',
  file: 'check.json',
  render: renderCheckJson,
  chunks: checkJsonChunks,
};
