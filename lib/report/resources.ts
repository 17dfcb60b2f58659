/**
 * What each server used per cell (lib/diagnostics/observe.ts): CPU time per request, the share
 * of a core, peak resident memory, threads, open descriptors before and after. A table per
 * server, in report.html and report.md; nothing for runs measured without /proc. The rows are
 * built here once; html/resources.ts and markdown/resources.ts lay them out.
 */
import type { CellRecord, RunResults } from '../types.ts';
import { integer } from './format.ts';
import { medianRunsView } from './cells.ts';
import { TICK_US } from '../diagnostics/proc.ts';

export const RESOURCE_HEADERS = [
  'n',
  'c',
  'CPU per request (µs)',
  'CPU (% of a core)',
  'peak RSS (MiB)',
  'threads (peak)',
  'fds before',
  'fds after',
];

export const RESOURCES_NOTE =
  "Sampled from /proc for every process of the server's process group. CPU is user + system time, " +
  'which /proc gives in 10 ms clock ticks: in cells shorter than a few tenths of a second it is rough. ' +
  'Descriptors are counted before each cell and once the count has settled after it.';

/** Less CPU than one clock tick reads as 0: show the bound it is under instead. */
function underOneTick(perUnit: number): string {
  return `< ${perUnit >= 10 ? Math.ceil(perUnit) : Number(perUnit.toPrecision(2))}`;
}

export function resourceRow(c: CellRecord): string[] {
  const r = c.resources!;
  const cpu = r.cpuUserUs + r.cpuSysUs;
  const complete = c.result.completeRequests;
  const perRequest =
    r.cpuUsPerRequest === null
      ? 'n/a'
      : cpu === 0
        ? underOneTick(TICK_US / Math.max(1, complete))
        : integer(r.cpuUsPerRequest);
  const share = !(r.wallUs > 0)
    ? 'n/a'
    : cpu === 0
      ? underOneTick((TICK_US / r.wallUs) * 100)
      : `${Math.round((cpu / r.wallUs) * 100)}`;
  return [
    integer(c.requests),
    integer(c.concurrency),
    perRequest,
    share,
    (r.peakRssBytes / 1024 / 1024).toFixed(1),
    integer(r.threadsPeak),
    integer(r.fdsBefore),
    integer(r.fdsAfter),
  ];
}

export function serversWithResources(run: RunResults): Array<{ name: string; cells: CellRecord[] }> {
  const names = [...new Set([...run.servers.map((s) => s.name), ...run.cells.map((c) => c.server)])];
  // One row per cell: its median run, the run the seed tables show.
  const medians = medianRunsView(run);
  return names
    .map((name) => ({ name, cells: medians.filter((c) => c.server === name && c.resources) }))
    .filter((s) => s.cells.length > 0);
}
