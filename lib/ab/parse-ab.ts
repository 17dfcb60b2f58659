/**
 * Parses the text report ApacheBench prints (httpd support/ab.c, output_results()).
 * Only the report on stdout is read; progress lines ("Completed 100 requests") go to stderr.
 */
import type { FailureCounts } from '../types.ts';

/** One row of ab's "Connection Times (ms)" table (whole milliseconds, sd with one decimal). */
export interface AbTimesRow {
  min: number;
  mean: number;
  sd: number | null;
  median: number | null;
  max: number;
}

export interface AbReport {
  /** "2.3" from "This is ApacheBench, Version 2.3 <...>", when the banner was printed. */
  version: string | null;
  serverSoftware: string;
  serverHostname: string;
  serverPort: number;
  documentPath: string;
  /** null when ab printed "Variable" (-l). */
  documentLength: number | null;
  concurrencyLevel: number;
  /** As printed: %.3f seconds. */
  timeTakenS: number;
  completeRequests: number;
  failedRequests: number;
  /** The "(Connect: ..., Receive: ..., Length: ..., Exceptions: ...)" line; zeros when not printed. */
  failed: FailureCounts;
  /** "Write errors", 0 when not printed. */
  writeErrors: number;
  /** "Non-2xx responses", 0 when not printed. */
  non2xx: number;
  /** "Keep-Alive requests" (-k only), else null. */
  keepAliveRequests: number | null;
  totalTransferred: number;
  htmlTransferred: number;
  /** The derived figures; null when ab did not print them (no time taken or nothing complete). */
  requestsPerSecond: number | null;
  timePerRequestMs: number | null;
  timePerRequestAcrossMs: number | null;
  transferRateKBps: number | null;
  /** The "Connection Times (ms)" table, when printed. */
  connectionTimes: { connect: AbTimesRow; processing: AbTimesRow; waiting: AbTimesRow; total: AbTimesRow } | null;
  /** "Percentage of the requests served within a certain time (ms)": percent -> ms. */
  percentiles: Array<{ percent: number; ms: number }>;
}

export class AbParseError extends Error {
  constructor(
    message: string,
    readonly text: string,
  ) {
    super(message);
    this.name = 'AbParseError';
  }
}

function field(text: string, label: string): string | null {
  const re = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:[ \\t]*(.*)$`, 'm');
  const m = re.exec(text);
  return m ? m[1]!.trimEnd() : null;
}

function required(text: string, label: string): string {
  const v = field(text, label);
  if (v === null) throw new AbParseError(`ab output has no "${label}" line`, text);
  return v;
}

function leadingNumber(value: string, label: string, text: string): number {
  const m = /^-?\d+(?:\.\d+)?/.exec(value.trim());
  if (!m) throw new AbParseError(`ab output: "${label}" is not a number: ${value}`, text);
  return Number(m[0]);
}

function optionalNumber(text: string, label: string): number | null {
  const v = field(text, label);
  return v === null ? null : leadingNumber(v, label, text);
}

function timesRow(text: string, label: string): AbTimesRow | null {
  const m = new RegExp(`^${label}:\\s+(.*)$`, 'm').exec(text);
  if (!m) return null;
  const parts = m[1]!.trim().split(/\s+/).map(Number);
  if (parts.some((n) => Number.isNaN(n))) return null;
  // With confidence (default): min mean sd median max; with -S: min avg max.
  if (parts.length === 5) {
    return { min: parts[0]!, mean: parts[1]!, sd: parts[2]!, median: parts[3]!, max: parts[4]! };
  }
  if (parts.length === 3) return { min: parts[0]!, mean: parts[1]!, sd: null, median: null, max: parts[2]! };
  return null;
}

/** Parses ab's report. Throws AbParseError when a line every report has is missing. */
export function parseAbOutput(text: string): AbReport {
  const num = (label: string): number => leadingNumber(required(text, label), label, text);

  const version = /This is ApacheBench, Version (\S+)/.exec(text)?.[1] ?? null;
  const docLen = required(text, 'Document Length');

  const failed: FailureCounts = { connect: 0, receive: 0, length: 0, exceptions: 0 };
  const breakdown = /\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)/.exec(text);
  if (breakdown) {
    failed.connect = Number(breakdown[1]);
    failed.receive = Number(breakdown[2]);
    failed.length = Number(breakdown[3]);
    failed.exceptions = Number(breakdown[4]);
  }

  const tpr = [...text.matchAll(/^Time per request:\s+([\d.]+) \[ms\] \(mean(, across all concurrent requests)?\)$/gm)];
  const timePerRequestMs = tpr.find((m) => !m[2]);
  const timePerRequestAcrossMs = tpr.find((m) => m[2]);

  const connect = timesRow(text, 'Connect');
  const processing = timesRow(text, 'Processing');
  const waiting = timesRow(text, 'Waiting');
  const total = timesRow(text, 'Total');

  const percentiles: Array<{ percent: number; ms: number }> = [];
  for (const m of text.matchAll(/^\s+(\d+)%\s+(\d+)(?: \(longest request\))?$/gm)) {
    percentiles.push({ percent: Number(m[1]), ms: Number(m[2]) });
  }

  return {
    version,
    serverSoftware: field(text, 'Server Software') ?? '',
    serverHostname: required(text, 'Server Hostname'),
    serverPort: num('Server Port'),
    documentPath: required(text, 'Document Path'),
    documentLength: docLen.startsWith('Variable') ? null : leadingNumber(docLen, 'Document Length', text),
    concurrencyLevel: num('Concurrency Level'),
    timeTakenS: num('Time taken for tests'),
    completeRequests: num('Complete requests'),
    failedRequests: num('Failed requests'),
    failed,
    writeErrors: optionalNumber(text, 'Write errors') ?? 0,
    non2xx: optionalNumber(text, 'Non-2xx responses') ?? 0,
    keepAliveRequests: optionalNumber(text, 'Keep-Alive requests'),
    totalTransferred: num('Total transferred'),
    htmlTransferred: num('HTML transferred'),
    requestsPerSecond: optionalNumber(text, 'Requests per second'),
    timePerRequestMs: timePerRequestMs ? Number(timePerRequestMs[1]) : null,
    timePerRequestAcrossMs: timePerRequestAcrossMs ? Number(timePerRequestAcrossMs[1]) : null,
    transferRateKBps: optionalNumber(text, 'Transfer rate'),
    connectionTimes: connect && processing && waiting && total ? { connect, processing, waiting, total } : null,
    percentiles,
  };
}
