/**
 * vitest matchers for perf specs, so that a spec reads like the claim it checks:
 *
 *   expect.extend(perfMatchers);
 *   const c = { requests: 100, concurrency: 10 };
 *   await expect(cell(pyAsync, c)).toBeAtLeastAsFastAs(cell(pyThreaded, c), { tolerance: 0.1 });
 *   await expect(cell(nodeAsync, c)).toBeFasterThan(cell(nodeThreaded, c));
 *   await expect(cell(nodeAsync, c)).toMeet(['failed == 0', 'p(99) < 20ms']);
 *
 * A comparison is measured when the matcher runs (the two servers must be measured together,
 * interleaved), with the rule `gauntlet gate` uses; so the matchers are asynchronous and must be
 * awaited. A failure message shows both medians, the ratio with its interval, the p-value and
 * every run. `.not` is refused: "not at least as fast" is not the opposite outcome of a
 * tolerance-based comparison; state the opposite claim instead.
 */
import type { CellSpec, LoadMode } from '../types.ts';
import type { RunningServer } from '../launcher.ts';
import { parseClaim, type AbsoluteClaim } from './claims.ts';
import { comparePairOnCell, type PairOptions, type PairResult } from './pair.ts';
import {
  FIRST_SHARE,
  measureCell,
  SAMPLER_DEFAULTS,
  type CellMeasurement,
  type SamplerOptions,
  type Side,
} from './sampler.ts';
import { checkAbsolute } from './claim-kinds/absolute.ts';
import { isPrecise, type PrecisionNeed } from './measurement.ts';
import { DEFAULT_CONFIDENCE, DEFAULT_TOLERANCE, holds, type RatioVerdict } from './decide.ts';
import { formatP, formatRatioInterval, outcomeWords, pct } from './report-words.ts';
import { cellLabel } from '../report/format.ts';
import { formatRatio } from '../report/format.ts';

/** A server on a cell, to be measured by a matcher. */
export interface CellRef {
  readonly kind: 'gauntlet-cell';
  readonly side: Side;
  readonly cell: CellSpec;
}

export interface CellRefOptions {
  mode?: LoadMode;
  path?: string;
  /** The name in messages (default: the server's). */
  name?: string;
  timeoutMs?: number;
}

/** Names a server (a running one, or any host and port) on a cell. */
export function cell(
  server: RunningServer | { name: string; host: string; port: number },
  spec: CellSpec,
  options: CellRefOptions = {},
): CellRef {
  return {
    kind: 'gauntlet-cell',
    side: {
      name: options.name ?? server.name,
      target: {
        host: server.host,
        port: server.port,
        path: options.path ?? '/',
        mode: options.mode ?? 'close',
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      },
    },
    // A cell of a duration stays one: every run of it sends for its duration.
    cell: {
      requests: spec.requests,
      concurrency: spec.concurrency,
      ...(spec.durationS !== undefined && { durationS: spec.durationS }),
    },
  };
}

export type ComparisonMatcherOptions = Omit<PairOptions, 'op' | 'signal'>;

export interface ThresholdMatcherOptions {
  sampling?: Omit<SamplerOptions, 'precise' | 'signal'>;
  tolerance?: number;
  confidence?: number;
}

function isCellRef(v: unknown): v is CellRef {
  return typeof v === 'object' && v !== null && (v as CellRef).kind === 'gauntlet-cell';
}

function runs(m: CellMeasurement, name: string): string {
  const s = m.sides.find((x) => x.name === name);
  if (!s) return '';
  return s.samples.map((x) => x.rps.toFixed(0)).join(', ');
}

function verdictLines(
  a: string,
  b: string,
  v: RatioVerdict,
  m: CellMeasurement,
  index: number,
  total: number,
): string[] {
  const batch = m.sides[0]?.batch ?? 1;
  // A second look is decided on the rounds of both measurements (see decideRelative).
  const label =
    total > 1
      ? `measurement ${index + 1} of ${total}${index > 0 ? ' (its verdict on the rounds of both)' : ''}`
      : 'measurement';
  return [
    `${label}: ${m.rounds} rounds${batch > 1 ? ` of ${batch} runs per sample` : ''}, ${(m.elapsedMs / 1000).toFixed(1)} s (stopped: ${m.stoppedBy})`,
    `  medians: ${a} ${v.medianA.toFixed(1)} req/s, ${b} ${v.medianB.toFixed(1)} req/s`,
    `  ratio ${a}/${v.factor === 1 ? '' : `${Number(v.factor.toFixed(3))} x `}${b}: ${formatRatioInterval(v)}, ${formatP(v.p)} (${v.test}): ${outcomeWords(v)}`,
    `  runs of ${a} (req/s): ${runs(m, a)}`,
    `  runs of ${b} (req/s): ${runs(m, b)}`,
  ];
}

function describePair(a: CellRef, b: CellRef, phrase: string, r: PairResult): string {
  const head = `expected ${a.side.name} to be ${phrase} at ${cellLabel(a.cell)} (${a.side.target.mode} mode)`;
  if (r.reason) return [head, `  ${r.reason}`].join('\n');
  const lines = r.verdicts.flatMap((v, i) =>
    verdictLines(a.side.name, b.side.name, v, r.measurements[i]!, i, r.verdicts.length),
  );
  return [head, ...lines].join('\n');
}

function checkArgs(self: { isNot: boolean }, received: unknown, expected: unknown, name: string): [CellRef, CellRef] {
  if (self.isNot) throw new Error(`${name} cannot be negated: state the opposite claim (swap the servers) instead`);
  if (!isCellRef(received) || !isCellRef(expected)) {
    throw new TypeError(`${name} compares two cell(server, { requests, concurrency }) references`);
  }
  if (
    received.cell.requests !== expected.cell.requests ||
    received.cell.concurrency !== expected.cell.concurrency ||
    received.cell.durationS !== expected.cell.durationS
  ) {
    throw new Error(
      `${name}: both sides must be the same cell, got ${cellLabel(received.cell)} and ${cellLabel(expected.cell)}`,
    );
  }
  if (received.side.target.mode !== expected.side.target.mode)
    throw new Error(`${name}: both sides must use the same load mode`);
  return [received, expected];
}

async function comparison(
  self: { isNot: boolean },
  received: unknown,
  expected: unknown,
  options: ComparisonMatcherOptions | undefined,
  op: '>=' | '>',
  name: string,
) {
  const [a, b] = checkArgs(self, received, expected, name);
  const r = await comparePairOnCell(a.side, b.side, a.cell, { ...options, op });
  const tol = pct(options?.tolerance ?? DEFAULT_TOLERANCE);
  const factor = options?.factor && options.factor !== 1 ? `${Number(options.factor.toFixed(3))} x ` : '';
  const phrase =
    op === '>='
      ? `at least as fast as ${factor}${b.side.name} (within ${tol})`
      : `faster than ${factor}${b.side.name} by more than ${tol}`;
  const last = r.verdicts[r.verdicts.length - 1];
  return {
    pass: r.pass,
    message: () => describePair(a, b, phrase, r),
    actual: last
      ? `${formatRatio(last.ratio)} (${formatRatio(last.interval.lo)}-${formatRatio(last.interval.hi)})`
      : (r.reason ?? 'not compared'),
    expected:
      op === '>='
        ? `not below ${formatRatio(1 - (options?.tolerance ?? DEFAULT_TOLERANCE))}`
        : `above ${formatRatio(1 + (options?.tolerance ?? DEFAULT_TOLERANCE))}`,
  };
}

export const perfMatchers = {
  /** a's requests per second are not significantly below b's by more than the tolerance (default 10%). */
  async toBeAtLeastAsFastAs(
    this: { isNot: boolean },
    received: unknown,
    expected: unknown,
    options?: ComparisonMatcherOptions,
  ) {
    return comparison(this, received, expected, options, '>=', 'toBeAtLeastAsFastAs');
  },
  /** a's requests per second are significantly above b's by more than the tolerance. */
  async toBeFasterThan(
    this: { isNot: boolean },
    received: unknown,
    expected: unknown,
    options?: ComparisonMatcherOptions,
  ) {
    return comparison(this, received, expected, options, '>', 'toBeFasterThan');
  },
  /** k6-like thresholds on one server: "failed == 0", "p(99) < 20ms", "rps > 500". */
  async toMeet(
    this: { isNot: boolean },
    received: unknown,
    thresholds: string | string[],
    options?: ThresholdMatcherOptions,
  ) {
    if (this.isNot) throw new Error('toMeet cannot be negated: state the opposite threshold instead');
    if (!isCellRef(received)) throw new TypeError('toMeet checks a cell(server, { requests, concurrency }) reference');
    const list = (Array.isArray(thresholds) ? thresholds : [thresholds]).map((t) => {
      const claim = parseClaim(t);
      if (claim.kind !== 'absolute' || claim.servers !== null)
        throw new Error(`toMeet takes thresholds such as "p(99) < 20ms", got ${JSON.stringify(t)}`);
      return claim;
    });
    const confidence = options?.confidence ?? DEFAULT_CONFIDENCE;
    const tolerance = options?.tolerance ?? DEFAULT_TOLERANCE;
    const needs: PrecisionNeed[] = list
      .filter((c) => c.metric.kind !== 'count')
      .map((c) => ({ kind: 'median', server: received.side.name, metric: c.metric, tolerance }));
    const capMs = options?.sampling?.maxTimeMs ?? SAMPLER_DEFAULTS.maxTimeMs;
    const started = performance.now();
    const measure = (maxTimeMs: number) =>
      measureCell([received.side], received.cell, {
        ...options?.sampling,
        maxTimeMs,
        precise: (m) => isPrecise(needs, m, confidence),
      });
    const check = (m: CellMeasurement, c: AbsoluteClaim, confirming = false) =>
      c.metric.kind !== 'count' && m.sides[0]!.samples.length === 0
        ? ({
            kind: 'bound',
            bound: { outcome: 'fail', median: NaN, interval: { lo: NaN, hi: NaN, confidence } },
            pass: false,
          } as const)
        : checkAbsolute(c, m.sides[0]!, confidence, confirming);
    let m = await measure(capMs * FIRST_SHARE);
    let checks = list.map((c) => check(m, c));
    const measurements = [m];
    // A failing noisy threshold is measured once more, within the same time cap; a server that
    // stopped answering is not asked again. Counts are facts: totals over every run of both
    // measurements, warm-ups included.
    const left = capMs - (performance.now() - started);
    if (checks.some((c) => !c.pass && c.kind === 'bound') && !m.sides[0]!.stopped && left > 0) {
      m = await measure(left);
      measurements.push(m);
      checks = checks.map((c, i) => {
        const again = check(m, list[i]!, true);
        if (c.kind === 'count' && again.kind === 'count') {
          const value = c.value + again.value;
          return { kind: 'count', value, pass: holds(value, list[i]!.op, list[i]!.value) } as const;
        }
        return c.pass ? c : again;
      });
    }
    const pass = checks.every((c) => c.pass);
    const lines = list.map((c, i) => {
      const r = checks[i]!;
      const value =
        r.kind === 'count'
          ? `${r.value} in total`
          : `median ${r.bound.median.toFixed(2)} (${Math.round(r.bound.interval.confidence * 100)}% CI ${r.bound.interval.lo.toFixed(2)}-${r.bound.interval.hi.toFixed(2)}), ${r.bound.outcome}`;
      return `  ${r.pass ? 'ok  ' : 'FAIL'} ${c.text}: ${value}`;
    });
    return {
      pass,
      message: () =>
        [
          `expected ${received.side.name} at ${cellLabel(received.cell)} (${received.side.target.mode} mode) to meet ${list.map((c) => c.text).join(', ')}`,
          ...lines,
          `  ${measurements.length === 2 ? 'measured twice; ' : ''}${m.rounds} rounds, runs (req/s): ${m.sides[0]!.samples.map((s) => s.rps.toFixed(0)).join(', ')}`,
          ...measurements.flatMap((x) =>
            x.sides[0]!.stopped ? [`  ${received.side.name} stopped answering: ${x.sides[0]!.stopped.reason}`] : [],
          ),
        ].join('\n'),
    };
  },
};

interface PerfMatchers<R = unknown> {
  /** Awaits a sound comparison: a is at least as fast as b (optionally times a factor), within the tolerance. */
  toBeAtLeastAsFastAs(expected: CellRef, options?: ComparisonMatcherOptions): Promise<R>;
  /** Awaits a sound comparison: a is faster than b by more than the tolerance. */
  toBeFasterThan(expected: CellRef, options?: ComparisonMatcherOptions): Promise<R>;
  /** Awaits a measurement of one server against k6-like thresholds. */
  toMeet(thresholds: string | string[], options?: ThresholdMatcherOptions): Promise<R>;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any -- vitest declares Matchers<T = any>; an augmentation must repeat its parameters
  interface Matchers<T = any> extends PerfMatchers<T> {}
}
