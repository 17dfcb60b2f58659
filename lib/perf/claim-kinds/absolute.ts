/**
 * Absolute claims: a threshold on one server's figures in a cell, k6-like ("failed == 0",
 * "node-async: p(99) < 20ms at c=1", "every server: rps > 500"). Noisy metrics are judged by the
 * interval of their median, and a failing one is measured once more; counts (failed, non2xx) are
 * facts, totalled over every run of the cell, with no interval and no second look of their own.
 */
import {
  ClaimSyntaxError,
  EVERY_CELL,
  OPS,
  parseMetric,
  parseValue,
  type CellFilter,
  type ClaimText,
  type Metric,
} from '../claim-syntax.ts';
import { checkBound, holds, type BoundOp, type BoundVerdict } from '../decide.ts';
import { measuredSide, metricValue, side } from '../measurement.ts';
import { allTotalsOf, type SideSamples } from '../sampler.ts';
import type { ClaimCell, ClaimResult, GateMeasurement } from '../types.ts';
import { plural } from '../../report/format.ts';
import {
  cellNotes,
  cellsOf,
  fmtPlain,
  formatMs,
  lastBound,
  measurementInfo,
  noTimeNotes,
  notCheckedSentence,
  samplesText,
  where,
  type ClaimTable,
} from '../report-words.ts';
import type { CellContext, CellLooks, CheckVerdict, ClaimCheck, ClaimKind, ParseOptions } from './kind.ts';

export interface AbsoluteClaim {
  kind: 'absolute';
  text: string;
  /** The servers it is checked on; null for every server of the gate. */
  servers: string[] | null;
  metric: Metric;
  op: BoundOp;
  /** The bound in the metric's unit: requests/s, milliseconds, or a count. */
  value: number;
  where: CellFilter;
}

/** Reads "METRIC OP VALUE" after an optional "server:" scope; null when the text has no comparison. */
function parseAbsolute(t: ClaimText, options: ParseOptions): AbsoluteClaim | null {
  const absolute = new RegExp(`^(.+?)\\s*(${OPS})\\s*(.+)$`).exec(t.main);
  if (!absolute) return null;
  if (t.allowing) {
    throw new ClaimSyntaxError(
      t.original,
      '"allowing failures" applies to comparisons of two servers; a threshold such as "failed <= 10" states its own',
    );
  }
  const metric = parseMetric(absolute[1]!, t.original);
  const op = absolute[2] as BoundOp;
  const value = parseValue(absolute[3]!, metric, t.original);
  if (options.tolerance !== undefined) {
    throw new ClaimSyntaxError(
      t.original,
      'a tolerance applies to comparisons of two servers; a threshold states its own bound',
    );
  }
  return { kind: 'absolute', text: t.claim, servers: t.scope, metric, op, value, where: t.where ?? EVERY_CELL };
}

export type AbsoluteCheck =
  { kind: 'count'; value: number; pass: boolean } | { kind: 'bound'; bound: BoundVerdict; pass: boolean };

/** `confirming`: the second look at a failed bound; a median that still misses the bound fails, even if its interval reaches it. */
export function checkAbsolute(
  claim: Pick<AbsoluteClaim, 'metric' | 'op' | 'value'>,
  s: SideSamples,
  confidence: number,
  confirming = false,
): AbsoluteCheck {
  if (claim.metric.kind === 'count') {
    // Every run of the cell counts, its warm-up and a run that stopped included: a failure in
    // the warm-up is as much a failure as one in a round.
    const totals = allTotalsOf(s);
    const value = claim.metric.count === 'failed' ? totals.failed : totals.non2xx;
    // Failed requests are facts, not noise: a count is checked as it is, with no interval.
    return { kind: 'count', value, pass: holds(value, claim.op, claim.value) };
  }
  const metric = claim.metric;
  const values = s.samples.map((x) => metricValue(x, metric));
  const bound = checkBound(values, claim.op, claim.value, confidence);
  return { kind: 'bound', bound, pass: confirming ? bound.outcome === 'pass' : bound.outcome !== 'fail' };
}

/** An absolute claim on a server's first measurement; null when a noisy metric has no sample to judge. */
function absoluteLook(
  claim: AbsoluteClaim,
  server: string,
  first: GateMeasurement,
  confidence: number,
): AbsoluteCheck | null {
  return claim.metric.kind === 'count' || measuredSide(first, server)
    ? checkAbsolute(claim, side(first, server), confidence)
    : null;
}

/** A count's cell: the total over every run of the cell, both measurements' included. */
function judgeCount(
  claim: AbsoluteClaim,
  server: string,
  value: number,
  looks: CellLooks,
  confidence: number,
  cell: ClaimCell,
): void {
  let total = value;
  if (looks.second) {
    const again = checkAbsolute(claim, side(looks.second, server), confidence);
    if (again.kind === 'count') total += again.value;
  }
  const ok = holds(total, claim.op, claim.value);
  cell.count = total;
  cell.status = ok ? 'pass' : 'fail';
  cell.outcome = ok ? 'pass' : 'fail';
}

/** A noisy metric's cell: a failing first bound is judged once more, strictly, on the second look. */
function judgeBound(
  claim: AbsoluteClaim,
  server: string,
  first: BoundVerdict,
  pass: boolean,
  looks: CellLooks,
  confidence: number,
  cell: ClaimCell,
): void {
  const bounds = [first];
  let holdsNow = pass;
  const second = looks.second;
  if (!holdsNow && second && measuredSide(second, server)) {
    const again = checkAbsolute(claim, side(second, server), confidence, true);
    if (again.kind === 'bound') {
      bounds.push(again.bound);
      holdsNow = again.pass;
    }
  }
  cell.bounds = bounds;
  cell.status = holdsNow ? 'pass' : 'fail';
  cell.outcome = bounds[bounds.length - 1]!.outcome;
  cell.measured = measurementInfo(second && bounds.length > 1 ? second : looks.first, [server]);
  cell.notes = [...cellNotes(bounds.length > 1), ...(holdsNow ? [] : noTimeNotes(looks.noTime))];
}

/** A cell of an absolute claim on one server from every measurement taken. */
export function judgeAbsolute(
  claim: AbsoluteClaim,
  server: string,
  looks: CellLooks,
  context: CellContext,
  first: AbsoluteCheck | null = absoluteLook(claim, server, looks.first, context.settings.confidence),
): CheckVerdict {
  const { place, at } = context;
  if (!first) {
    const s0 = side(looks.first, server);
    const why = s0.stopped
      ? `${server} stopped answering at ${at}: ${s0.stopped.reason}`
      : `${server} was not measured at ${at}`;
    return { cell: { ...place, server, status: 'fail', outcome: 'fail', reason: why, notes: [] } };
  }
  const cell: ClaimCell = {
    ...place,
    server,
    status: first.pass ? 'pass' : 'fail',
    outcome: 'pass',
    measured: measurementInfo(looks.first, [server]),
    notes: [],
  };
  const confidence = context.settings.confidence;
  if (first.kind === 'count') judgeCount(claim, server, first.value, looks, confidence, cell);
  else judgeBound(claim, server, first.bound, first.pass, looks, confidence, cell);
  return { cell };
}

function formatBoundValue(claim: AbsoluteClaim, value: number): string {
  if (claim.metric.kind === 'latency') return formatMs(value);
  if (claim.metric.kind === 'rps') return `${value.toFixed(0)} rps`;
  return String(value);
}

/** Where the threshold holds, where it does not, and the figures that missed it. */
function summarizeAbsolute(claim: AbsoluteClaim, result: ClaimResult): string {
  const cells = result.cells;
  const { modes, errors, failed } = cellsOf(cells);
  const servers = [...new Set(cells.map((c) => c.server ?? ''))];
  const on = servers.length === 1 ? ` on ${servers[0]}` : ` on ${plural(servers.length, 'server')}`;
  if (failed.length === 0 && errors.length === 0) {
    const borderline = cells.filter((c) => c.outcome === 'borderline').length;
    return (
      `Holds${on} in ${plural(cells.length, 'cell')}` +
      (borderline ? `, ${borderline} of them borderline (the median misses the bound, its interval does not)` : '') +
      '.'
    );
  }
  const parts: string[] = [];
  const details = failed.map((c) => {
    const b = lastBound(c);
    if (c.reason) return `${c.server} at ${where(c, modes)}: ${c.reason}`;
    const value =
      c.count !== undefined
        ? `${c.count}`
        : b
          ? `median ${formatBoundValue(claim, b.median)} (${Math.round(b.interval.confidence * 100)}% CI ${formatBoundValue(claim, b.interval.lo)}-${formatBoundValue(claim, b.interval.hi)})`
          : 'n/a';
    return `${c.server} at ${where(c, modes)}: ${value}`;
  });
  if (failed.length)
    parts.push(`Does not hold at ${plural(failed.length, 'cell')} of ${cells.length}: ${details.join('; ')}.`);
  if (errors.length) parts.push(notCheckedSentence(errors));
  return parts.join(' ');
}

/** The unit of an absolute claim's figures, for a column header. */
function unitOf(claim: ClaimResult): string {
  if (/^(.*:\s*)?(p\(\d+\)|med|median|avg|mean|min|max)\b/i.test(claim.claim)) return ' (ms)';
  if (/^(.*:\s*)?rps\b/i.test(claim.claim)) return ' (rps)';
  return '';
}

/** One row per server and cell; none when every cell is a count that held (the summary says so). */
function absoluteTable(result: ClaimResult, modes: number): ClaimTable {
  const unit = result.cells.length ? unitOf(result) : '';
  const headers = ['server', 'cell', `median${unit}`, 'interval', 'samples', 'verdict'];
  const table: ClaimTable = { headers, rows: [], tones: [] };
  if (result.cells.every((c) => c.status === 'pass' && c.count !== undefined)) return table;
  for (const c of result.cells) {
    const b = lastBound(c);
    table.rows.push([
      c.server ?? '',
      where(c, modes),
      c.count !== undefined ? `${c.count} (total)` : b ? fmtPlain(b.median) : 'error',
      b ? `${fmtPlain(b.interval.lo)}-${fmtPlain(b.interval.hi)}` : '',
      samplesText(c.measured),
      c.status === 'pass' && c.outcome === 'borderline' ? 'PASS (borderline)' : c.status.toUpperCase(),
    ]);
    table.tones.push(c.status === 'pass' ? (c.outcome === 'borderline' ? 'warn' : 'good') : 'bad');
  }
  return table;
}

/** The server of an absolute check (every check of this kind has one). */
function serverOf(check: ClaimCheck<AbsoluteClaim>): string {
  return check.server ?? check.servers[0]!;
}

export const absoluteKind: ClaimKind<AbsoluteClaim, AbsoluteCheck | null> = {
  kind: 'absolute',
  parse: parseAbsolute,
  servers: (claim) => claim.servers ?? [],
  checks: (claim, gateServers) =>
    (claim.servers ?? gateServers).map((server) => ({ claim, servers: [server], server })),
  need: (check, settings) =>
    check.claim.metric.kind === 'count'
      ? null
      : { kind: 'median', server: serverOf(check), metric: check.claim.metric, tolerance: settings.tolerance },
  unchecked: (check, place, error) => ({
    ...place,
    server: serverOf(check),
    status: 'error',
    outcome: 'fail',
    error,
    notes: [],
  }),
  firstLook: (check, first, context) => absoluteLook(check.claim, serverOf(check), first, context.settings.confidence),
  failing: (check, look) =>
    look && look.kind === 'bound' && !look.pass ? `${serverOf(check)}: ${check.claim.text}` : null,
  judge: (check, look, looks, context) => judgeAbsolute(check.claim, serverOf(check), looks, context, look),
  summarize: (claim, result) => summarizeAbsolute(claim, result),
  table: absoluteTable,
};
