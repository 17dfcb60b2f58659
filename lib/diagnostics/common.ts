/** Pieces shared by the diagnostics: cells of a server, CPU over cells, wording. */
import type { CellRecord, FindingCell, FindingSeverity } from '../types.ts';

/** A finding's cell, from a cell record. */
export function findingCell(c: CellRecord): FindingCell {
  return {
    group: c.group,
    requests: c.requests,
    concurrency: c.concurrency,
    ...(c.durationS !== undefined && { durationS: c.durationS }),
  };
}

/** "n=100 c=10" ("10s c=10" for a duration), the label the reports use for a cell. */
export function where(c: { requests: number; concurrency: number; durationS?: number }): string {
  return `${c.durationS !== undefined ? `${c.durationS}s` : `n=${c.requests}`} c=${c.concurrency}`;
}

/**
 * Below this much wall-clock time, the CPU figures (10 ms clock ticks) cannot tell an idle
 * server from a busy one: 0.2 s is 20 ticks of one core, so 25% of a core is 5 ticks.
 */
export const MIN_CPU_WALL_US = 200_000;

/**
 * A server is "idle" when it wanted at most this share of one core: the CPU it used plus the
 * time its threads waited on a run queue for a CPU. A server doing the work of its requests
 * uses most of a core under load (the reference servers: 50-100%); one starved of CPU by other
 * programs uses little but waits for a CPU all along; a server waiting on a timer or a lock
 * does neither.
 */
export const IDLE_SHARE = 0.25;

/**
 * The load client set the pace when it wanted at least this share of one core (the engine is
 * single-threaded): a fast server behind a saturated client, or behind a client starved of
 * CPU, idles whatever its design.
 */
export const CLIENT_BOUND_SHARE = 0.6;

/** How much of a CPU a process wanted over some cells. */
export interface Demand {
  /** CPU time used, microseconds (user + sys). */
  cpuUs: number;
  /** Time its threads waited on a run queue, microseconds; null where schedstat is not available. */
  runDelayUs: number | null;
  /** Wall-clock time covered, microseconds. */
  wallUs: number;
  /** (CPU + run-queue wait) / wall: the share of one core it wanted. */
  share: number;
  /** Whether enough time was covered for the share to mean something. */
  measurable: boolean;
}

function demand(cpuUs: number, runDelayUs: number | null, wallUs: number): Demand {
  const want = cpuUs + (runDelayUs ?? 0);
  return { cpuUs, runDelayUs, wallUs, share: wallUs > 0 ? want / wallUs : 0, measurable: wallUs >= MIN_CPU_WALL_US };
}

/** The server's demand over some cells (those with resource figures), or null when none has them. */
export function serverDemand(cells: readonly CellRecord[]): Demand | null {
  let cpuUs = 0;
  let wallUs = 0;
  let delay: number | null = 0;
  let any = false;
  for (const c of cells) {
    const r = c.resources;
    if (!r) continue;
    any = true;
    cpuUs += r.cpuUserUs + r.cpuSysUs;
    wallUs += r.wallUs;
    delay = delay === null || r.runDelayUs === undefined ? null : delay + r.runDelayUs;
  }
  return any ? demand(cpuUs, delay, wallUs) : null;
}

/** The load client's demand over some cells, or null when it was not recorded. */
export function clientDemand(cells: readonly CellRecord[]): Demand | null {
  let cpuUs = 0;
  let wallUs = 0;
  let delay: number | null = 0;
  for (const c of cells) {
    const s = c.signals;
    if (s?.clientCpuUs === undefined) return null;
    cpuUs += s.clientCpuUs;
    wallUs += c.resources?.wallUs ?? c.result.timeTakenS * 1e6;
    delay = delay === null || s.clientRunDelayUs === undefined ? null : delay + s.clientRunDelayUs;
  }
  return cells.length ? demand(cpuUs, delay, wallUs) : null;
}

/**
 * Whether cells show a server that waited for its own reasons: idle enough, over enough time,
 * with a client that did not set the pace. Without resource figures (no /proc), false.
 */
export function serverWaited(cells: readonly CellRecord[]): boolean {
  const server = serverDemand(cells);
  if (!server || !server.measurable || server.share > IDLE_SHARE) return false;
  const client = clientDemand(cells);
  return client === null || client.share < CLIENT_BOUND_SHARE;
}

/**
 * "The server used 30 ms of CPU time in 2.25 s (1% of one core) and waited 2.10 ms for a CPU;
 * the load client used 3% of one core": the figures behind serverWaited().
 */
export function describeWaiting(cells: readonly CellRecord[]): string {
  const server = serverDemand(cells);
  if (!server) return "The server's CPU use could not be read here (no /proc).";
  const wait = server.runDelayUs === null ? '' : ` and waited ${formatMs(server.runDelayUs / 1000)} for a CPU`;
  const client = clientDemand(cells);
  const clientText = client
    ? `; the load client wanted ${percent(client.share)} of one core, so it did not set the pace either`
    : '';
  return (
    `The server used ${formatMs(server.cpuUs / 1000)} of CPU time in ${formatSeconds(server.wallUs / 1e6)} ` +
    `(${percent(server.cpuUs / Math.max(1, server.wallUs))} of one core)${wait}: it was waiting, not working${clientText}.`
  );
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'n/a';
  return s >= 10 ? `${s.toFixed(1)} s` : `${s.toFixed(2)} s`;
}

/** "1%", "25%", "0.4%" */
export function percent(fraction: number): string {
  const p = fraction * 100;
  if (p > 0 && p < 1) return `${p.toFixed(1)}%`;
  return `${Math.round(p)}%`;
}

/** "a, b and c" */
export function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The first `max` items and "and N more". */
export function firstOf(items: readonly string[], max = 6): string[] {
  if (items.length <= max) return [...items];
  return [...items.slice(0, max), `and ${items.length - max} more`];
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** Severity order, worst first. */
export const SEVERITY_ORDER: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2 };
