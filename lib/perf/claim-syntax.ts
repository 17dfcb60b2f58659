/**
 * The syntax every claim shares, whatever its kind: where it applies ("at c=1,10"), the metrics a
 * threshold can name, numbers with units, the "server:" prefix and "allowing failures", and the
 * error a claim that cannot be read raises. Each kind of claim (claim-kinds/) reads its own
 * comparison from the pieces this module cuts the text into.
 */
import { parseDuration } from '../matrix.ts';
import type { CellSpec } from '../types.ts';
import type { BoundOp } from './decide.ts';

export type LatencyStat = 'p50' | 'p90' | 'p99' | 'p99_9' | 'mean' | 'min' | 'max';

export type Metric =
  { kind: 'rps' } | { kind: 'latency'; stat: LatencyStat } | { kind: 'count'; count: 'failed' | 'non2xx' };

/** A condition on a cell: all of its parts must hold. */
export interface CellFilter {
  /** How the filter was written, for reports ("every c" when there was none). */
  text: string;
  parts: Array<
    { kind: 'field'; field: 'c' | 'n'; op: BoundOp; values: number[] } | { kind: 'cells'; cells: CellSpec[] }
  >;
}

/** What every claim has, whatever its kind. */
export interface ClaimBase {
  kind: string;
  /** The claim as written, spaces collapsed. */
  text: string;
  where: CellFilter;
}

/** A claim that cannot be read, with what was expected. */
export class ClaimSyntaxError extends Error {
  constructor(
    readonly claim: string,
    detail: string,
  ) {
    super(`claim ${JSON.stringify(claim)}: ${detail}`);
    this.name = 'ClaimSyntaxError';
  }
}

export const NAME = '[a-z0-9][a-z0-9._-]*';
export const NUMBER = '\\d+(?:\\.\\d+)?|\\.\\d+';
export const OPS = '>=|<=|==|!=|>|<';

export const EVERY_CELL: CellFilter = { text: 'every c', parts: [] };

export function parseNumber(text: string, claim: string): number {
  const v = Number(text);
  if (!Number.isFinite(v)) throw new ClaimSyntaxError(claim, `${JSON.stringify(text)} is not a number`);
  return v;
}

/** Parses the text after "at". */
export function parseWhere(text: string, claim = text): CellFilter {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  if (/^every (c|level|concurrency level|cell)s?$/i.test(trimmed) || trimmed === '')
    return { text: 'every c', parts: [] };
  const parts: CellFilter['parts'] = [];
  for (const piece of trimmed.split(/\s+and\s+|;/i)) {
    const p = piece.trim();
    const field = new RegExp(`^(c|n)\\s*(${OPS}|=)\\s*(\\d+(?:\\s*,\\s*\\d+)*)$`, 'i').exec(p);
    if (field) {
      const op = (field[2] === '=' ? '==' : field[2]) as BoundOp;
      const values = field[3]!.split(',').map((v) => Number(v.trim()));
      if (values.length > 1 && op !== '==')
        throw new ClaimSyntaxError(claim, `a list of values needs "=", as in c=1,10`);
      parts.push({ kind: 'field', field: field[1]!.toLowerCase() as 'c' | 'n', op, values });
      continue;
    }
    const cells = p.split(/\s*,\s*/).map(parseCell);
    if (cells.length > 0 && cells.every((c) => c !== null)) {
      parts.push({ kind: 'cells', cells });
      continue;
    }
    throw new ClaimSyntaxError(
      claim,
      `cannot read where it applies, ${JSON.stringify(p)}: write "every c", "c=1,10", "c>=100", "n=1000" or cells such as "100x10, 1000x1, 10sx10"`,
    );
  }
  return { text: trimmed, parts };
}

/** "100x10" (100 requests at concurrency 10) or "10sx10" (10 seconds at 10), as the matrix writes them; null otherwise. */
function parseCell(text: string): CellSpec | null {
  const m = /^(\d+|\d+(?:\.\d+)?(?:ms|s|m))\s*x\s*(\d+)$/i.exec(text);
  if (!m) return null;
  const concurrency = Number(m[2]);
  const durationS = parseDuration(m[1]!.toLowerCase());
  return durationS === null ? { requests: Number(m[1]), concurrency } : { requests: 0, concurrency, durationS };
}

/** Whether `cell` is the cell `named` names: the same concurrency, and the same duration or number of requests. */
function sameCell(named: CellSpec, cell: CellSpec): boolean {
  if (named.concurrency !== cell.concurrency) return false;
  return named.durationS !== undefined
    ? cell.durationS === named.durationS
    : cell.durationS === undefined && cell.requests === named.requests;
}

function compareField(value: number, op: BoundOp, bounds: number[]): boolean {
  if (op === '==') return bounds.includes(value);
  if (op === '!=') return !bounds.includes(value);
  const b = bounds[0]!;
  return op === '<' ? value < b : op === '<=' ? value <= b : op === '>' ? value > b : value >= b;
}

/** Whether a cell is one the claim speaks about. */
export function cellMatches(filter: CellFilter, cell: CellSpec): boolean {
  return filter.parts.every((part) =>
    part.kind === 'cells'
      ? part.cells.some((c) => sameCell(c, cell))
      : part.field === 'c'
        ? compareField(cell.concurrency, part.op, part.values)
        : // n speaks of cells of N requests: a cell of a duration has none to compare.
          cell.durationS === undefined && compareField(cell.requests, part.op, part.values),
  );
}

export function parseMetric(text: string, claim: string): Metric {
  const t = text.trim().toLowerCase();
  if (t === 'rps' || t === 'requests/s' || t === 'requests_per_second') return { kind: 'rps' };
  if (t === 'failed' || t === 'failed_requests') return { kind: 'count', count: 'failed' };
  if (t === 'non2xx' || t === 'non_2xx') return { kind: 'count', count: 'non2xx' };
  const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(t);
  if (p) {
    // p(99.9) is stored as p99_9, the key of the cell's HDR percentiles.
    const stat = `p${p[1]!.replace('.', '_')}`;
    if (stat === 'p50' || stat === 'p90' || stat === 'p99' || stat === 'p99_9') return { kind: 'latency', stat };
    throw new ClaimSyntaxError(claim, `${text}: only p(50), p(90), p(99) and p(99.9) are measured`);
  }
  const named: Record<string, LatencyStat> = {
    med: 'p50',
    median: 'p50',
    avg: 'mean',
    mean: 'mean',
    min: 'min',
    max: 'max',
  };
  const stat = named[t];
  if (stat) return { kind: 'latency', stat };
  throw new ClaimSyntaxError(
    claim,
    `unknown metric ${JSON.stringify(text)} (known: rps, p(50), p(90), p(99), p(99.9), med, avg, min, max, failed, non2xx)`,
  );
}

const UNITS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000 };

export function parseValue(text: string, metric: Metric, claim: string): number {
  const m = new RegExp(`^(${NUMBER})\\s*(us|µs|ms|s)?$`, 'i').exec(text.trim());
  if (!m)
    throw new ClaimSyntaxError(
      claim,
      `${JSON.stringify(text.trim())} is not a number (with a unit for latencies: 20ms, 1.5s)`,
    );
  const value = parseNumber(m[1]!, claim);
  const unit = m[2]?.toLowerCase();
  if (metric.kind === 'latency') return value * (unit ? UNITS[unit]! : 1);
  if (unit)
    throw new ClaimSyntaxError(
      claim,
      `${unit} is a unit of time; ${metric.kind === 'rps' ? 'rps' : metric.count} takes a plain number`,
    );
  return value;
}

function splitWhere(body: string): [string, CellFilter | null] {
  const at = /\s+at\s+(.+)$/i.exec(body);
  if (!at) return [body, null];
  return [body.slice(0, at.index), parseWhere(at[1]!, body)];
}

/** A claim's text cut into the pieces every kind shares; a kind reads `main`. */
export interface ClaimText {
  /** The claim as given. */
  original: string;
  /** Trimmed, spaces collapsed: the claim's text in results. */
  claim: string;
  /** Whether it opens with "NAME:", "every server:" or "*:". */
  scoped: boolean;
  /** The servers of a "NAME, NAME:" prefix; null for none, "every server" and "*". */
  scope: string[] | null;
  /** Whether it ends with "allowing failures". */
  allowing: boolean;
  /** The comparison itself: no prefix, no "allowing failures", no "at ...". */
  main: string;
  where: CellFilter | null;
}

/** Cuts a claim into its shared pieces (an empty claim, or an unreadable "at ...", throws). */
export function cutClaim(text: string): ClaimText {
  const claim = text.trim().replace(/\s+/g, ' ');
  if (claim === '') throw new ClaimSyntaxError(text, 'is empty');
  let scope: string[] | null = null;
  let body = claim;
  const scoped = new RegExp(`^(every server|\\*|${NAME}(?:\\s*,\\s*${NAME})*)\\s*:\\s*(.+)$`, 'i').exec(claim);
  if (scoped) {
    scope = /^(every server|\*)$/i.test(scoped[1]!) ? null : scoped[1]!.split(',').map((s) => s.trim());
    body = scoped[2]!;
  }
  const allowing = /\s*,?\s+allowing failures$/i.exec(body);
  if (allowing) body = body.slice(0, allowing.index);
  const [main, where] = splitWhere(body);
  return {
    original: text,
    claim,
    scoped: scoped !== null,
    scope,
    allowing: allowing !== null,
    main: main.trim(),
    where,
  };
}

/** The metric as written in reports: "rps", "p(99)", "failed". */
export function metricLabel(metric: Metric): string {
  if (metric.kind === 'rps') return 'rps';
  if (metric.kind === 'count') return metric.count;
  const labels: Record<LatencyStat, string> = {
    p50: 'p(50)',
    p90: 'p(90)',
    p99: 'p(99)',
    p99_9: 'p(99.9)',
    mean: 'avg',
    min: 'min',
    max: 'max',
  };
  return labels[metric.stat];
}
