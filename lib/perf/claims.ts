/**
 * Claims a gate checks, written as text that reads like the claim:
 *
 *   python-async >= python-threaded at every c        relative: rps(a) >= rps(b), within the tolerance
 *   node-async >= 0.9 * node-threaded at c=1           relative with a factor
 *   node-async > node-threaded at c>=100               strictly faster: by more than the tolerance
 *   failed == 0                                        absolute, on every server of the gate
 *   node-async: p(99) < 20ms at c=1                    absolute, on one server (k6-like)
 *   every server: rps > 500 at n=1000                  absolute, on every server
 *   a >= b at c>=30 allowing failures                  relative, even when requests fail
 *
 * Relative claims compare requests per second. `a <= b` and `a < b` are read as `b >= a` and
 * `b > a`. Absolute metrics: rps; latency p(50), p(90), p(99), med, avg, min, max (units us, ms
 * (default), s); counts failed and non2xx (totals over every measured run). Where: `at every c`
 * (the default), `at c=1,10`, `at c>=100`, `at n=100`, `at 100x10, 1000x1`, or several of
 * these joined by `and` (all must hold).
 *
 * A relative claim holds only when neither server fails a request in the cell (a server whose
 * connections are refused is quick to refuse them); `allowing failures` at the end lifts that,
 * for servers expected to shed load.
 */
import type { CellSpec } from '../types.ts';
import type { BoundOp } from './decide.ts';

export type LatencyStat = 'p50' | 'p90' | 'p99' | 'mean' | 'min' | 'max';

export type Metric =
  | { kind: 'rps' }
  | { kind: 'latency'; stat: LatencyStat }
  | { kind: 'count'; count: 'failed' | 'non2xx' };

/** A condition on a cell: all of its parts must hold. */
export interface CellFilter {
  /** How the filter was written, for reports ("every c" when there was none). */
  text: string;
  parts: Array<
    | { kind: 'field'; field: 'c' | 'n'; op: BoundOp; values: number[] }
    | { kind: 'cells'; cells: CellSpec[] }
  >;
}

export interface RelativeClaim {
  kind: 'relative';
  text: string;
  /** The side claimed faster (or at least as fast). */
  a: string;
  b: string;
  /** '>=': at least as fast, within the tolerance; '>': faster by more than the tolerance. */
  op: '>=' | '>';
  /** b is scaled by this factor: `a >= 0.9 * b`. */
  factor: number;
  where: CellFilter;
  /** A tolerance for this claim only. */
  tolerance?: number;
  /** Written `allowing failures`: the cell is compared even when a server failed requests. */
  allowFailures?: boolean;
}

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

export type Claim = RelativeClaim | AbsoluteClaim;

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

const NAME = '[a-z0-9][a-z0-9._-]*';
const NUMBER = '\\d+(?:\\.\\d+)?|\\.\\d+';
const OPS = '>=|<=|==|!=|>|<';

export const EVERY_CELL: CellFilter = { text: 'every c', parts: [] };

function parseNumber(text: string, claim: string): number {
  const v = Number(text);
  if (!Number.isFinite(v)) throw new ClaimSyntaxError(claim, `${JSON.stringify(text)} is not a number`);
  return v;
}

/** Parses the text after "at". */
export function parseWhere(text: string, claim = text): CellFilter {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  if (/^every (c|level|concurrency level|cell)s?$/i.test(trimmed) || trimmed === '') return { text: 'every c', parts: [] };
  const parts: CellFilter['parts'] = [];
  for (const piece of trimmed.split(/\s+and\s+|;/i)) {
    const p = piece.trim();
    const field = new RegExp(`^(c|n)\\s*(${OPS}|=)\\s*(\\d+(?:\\s*,\\s*\\d+)*)$`, 'i').exec(p);
    if (field) {
      const op = (field[2] === '=' ? '==' : field[2]) as BoundOp;
      const values = field[3]!.split(',').map((v) => Number(v.trim()));
      if (values.length > 1 && op !== '==') throw new ClaimSyntaxError(claim, `a list of values needs "=", as in c=1,10`);
      parts.push({ kind: 'field', field: field[1]!.toLowerCase() as 'c' | 'n', op, values });
      continue;
    }
    const cells = p.split(/\s*,\s*/).map((c) => /^(\d+)\s*x\s*(\d+)$/i.exec(c));
    if (cells.length > 0 && cells.every((m) => m !== null)) {
      parts.push({ kind: 'cells', cells: cells.map((m) => ({ requests: Number(m![1]), concurrency: Number(m![2]) })) });
      continue;
    }
    throw new ClaimSyntaxError(
      claim,
      `cannot read where it applies, ${JSON.stringify(p)}: write "every c", "c=1,10", "c>=100", "n=1000" or cells such as "100x10, 1000x1"`,
    );
  }
  return { text: trimmed, parts };
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
      ? part.cells.some((c) => c.requests === cell.requests && c.concurrency === cell.concurrency)
      : compareField(part.field === 'c' ? cell.concurrency : cell.requests, part.op, part.values),
  );
}

function parseMetric(text: string, claim: string): Metric {
  const t = text.trim().toLowerCase();
  if (t === 'rps' || t === 'requests/s' || t === 'requests_per_second') return { kind: 'rps' };
  if (t === 'failed' || t === 'failed_requests') return { kind: 'count', count: 'failed' };
  if (t === 'non2xx' || t === 'non_2xx') return { kind: 'count', count: 'non2xx' };
  const p = /^p\((\d+)\)$/.exec(t);
  if (p) {
    const stat = `p${p[1]}`;
    if (stat === 'p50' || stat === 'p90' || stat === 'p99') return { kind: 'latency', stat };
    throw new ClaimSyntaxError(claim, `${text}: only p(50), p(90) and p(99) are measured`);
  }
  const named: Record<string, LatencyStat> = { med: 'p50', median: 'p50', avg: 'mean', mean: 'mean', min: 'min', max: 'max' };
  const stat = named[t];
  if (stat) return { kind: 'latency', stat };
  throw new ClaimSyntaxError(
    claim,
    `unknown metric ${JSON.stringify(text)} (known: rps, p(50), p(90), p(99), med, avg, min, max, failed, non2xx)`,
  );
}

const UNITS: Record<string, number> = { us: 0.001, 'µs': 0.001, ms: 1, s: 1000 };

function parseValue(text: string, metric: Metric, claim: string): number {
  const m = new RegExp(`^(${NUMBER})\\s*(us|µs|ms|s)?$`, 'i').exec(text.trim());
  if (!m) throw new ClaimSyntaxError(claim, `${JSON.stringify(text.trim())} is not a number (with a unit for latencies: 20ms, 1.5s)`);
  const value = parseNumber(m[1]!, claim);
  const unit = m[2]?.toLowerCase();
  if (metric.kind === 'latency') return value * (unit ? UNITS[unit]! : 1);
  if (unit) throw new ClaimSyntaxError(claim, `${unit} is a unit of time; ${metric.kind === 'rps' ? 'rps' : metric.count} takes a plain number`);
  return value;
}

function splitWhere(body: string): [string, CellFilter | null] {
  const at = /\s+at\s+(.+)$/i.exec(body);
  if (!at) return [body, null];
  return [body.slice(0, at.index), parseWhere(at[1]!, body)];
}

/** Parses one claim. */
export function parseClaim(text: string, options: { tolerance?: number } = {}): Claim {
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

  const relative = new RegExp(`^(${NAME})\\s*(>=|>|<=|<)\\s*(?:(${NUMBER})\\s*\\*\\s*)?(${NAME})$`, 'i').exec(main.trim());
  const metricWords = /^(rps|failed|non2xx|p\(\d+\)|med|median|avg|mean|min|max|requests\/s|requests_per_second|failed_requests|non_2xx)$/i;
  if (relative && !metricWords.test(relative[1]!) && !/^\d/.test(relative[4]!)) {
    if (scoped) throw new ClaimSyntaxError(text, 'a comparison of two servers takes no "server:" prefix');
    const [, x, op, factorText, y] = relative;
    const factor = factorText === undefined ? 1 : parseNumber(factorText, text);
    if (!(factor > 0)) throw new ClaimSyntaxError(text, 'the factor must be positive');
    if (x === y) throw new ClaimSyntaxError(text, 'compares a server with itself');
    const flipped = op === '<=' || op === '<';
    // a <= f * b  is  b >= (1 / f) * a
    const result: RelativeClaim = {
      kind: 'relative',
      text: claim,
      a: flipped ? y! : x!,
      b: flipped ? x! : y!,
      op: op === '>' || op === '<' ? '>' : '>=',
      factor: flipped ? 1 / factor : factor,
      where: where ?? EVERY_CELL,
    };
    if (options.tolerance !== undefined) result.tolerance = options.tolerance;
    if (allowing) result.allowFailures = true;
    return result;
  }

  const absolute = new RegExp(`^(.+?)\\s*(${OPS})\\s*(.+)$`).exec(main.trim());
  if (!absolute) {
    throw new ClaimSyntaxError(
      text,
      'expected a comparison of two servers ("a >= b", "a >= 0.9 * b") or a threshold ("p(99) < 20ms", "rps > 500", "failed == 0")',
    );
  }
  if (allowing) throw new ClaimSyntaxError(text, '"allowing failures" applies to comparisons of two servers; a threshold such as "failed <= 10" states its own');
  const metric = parseMetric(absolute[1]!, text);
  const op = absolute[2] as BoundOp;
  const value = parseValue(absolute[3]!, metric, text);
  if (options.tolerance !== undefined) {
    throw new ClaimSyntaxError(text, 'a tolerance applies to comparisons of two servers; a threshold states its own bound');
  }
  return { kind: 'absolute', text: claim, servers: scope, metric, op, value, where: where ?? EVERY_CELL };
}

/** The metric as written in reports: "rps", "p(99)", "failed". */
export function metricLabel(metric: Metric): string {
  if (metric.kind === 'rps') return 'rps';
  if (metric.kind === 'count') return metric.count;
  const labels: Record<LatencyStat, string> = { p50: 'p(50)', p90: 'p(90)', p99: 'p(99)', mean: 'avg', min: 'min', max: 'max' };
  return labels[metric.stat];
}

/** The servers a claim names (an absolute claim without a scope names none). */
export function claimServers(claim: Claim): string[] {
  return claim.kind === 'relative' ? [claim.a, claim.b] : (claim.servers ?? []);
}
