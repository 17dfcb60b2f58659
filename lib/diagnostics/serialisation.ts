/**
 * Serialisation: the server answers one request at a time.
 *
 * More concurrent clients should mean more requests per second until the server's CPU (or the
 * client's) is used up. When the throughput stays flat, or falls, as concurrency rises while
 * the server's CPU stays low, requests are waiting for each other, not for the CPU: a global
 * lock held across a blocking call, a single worker, a blocking call inside an event loop. The
 * seed's threaded server did this: about 0.2 s per request at every concurrency above 1.
 *
 * Per matrix group (same N, rising C), against its lowest-concurrency cell:
 * - every cell at twice that concurrency or more reaches at most 1.25x its requests/s (flat
 *   or falling; a server that overlaps requests gains far more);
 * - those cells take 1 ms or more per request (under 1000 requests/s): a server answering a
 *   small file on loopback faster than that is limited by the CPU or the client, not by a queue;
 * - over those cells the server wanted at most a quarter of one core (CPU used plus time
 *   waiting for one), measured over 0.2 s or more: a CPU-bound server is flat too, but busy,
 *   and one starved of CPU by other programs waits for it;
 * - and Gauntlet's own process wanted under 60% of a core: a fast server behind a saturated
 *   (or starved) client is flat and idle too, but the client set the pace.
 * Cells with failed requests, or whose stalls the accept-queue diagnostic explains, are left
 * out: their throughput measures the failures.
 */
import type { CellRecord, Finding, ServerRecord } from '../types.ts';
import { describeWaiting, findingCell, formatMs, joinList, serverWaited } from './common.ts';
import { acceptDrops } from './accept-queue.ts';
import type { FindingKind } from './finding-kind.ts';

export const SERIALISED_ID = 'serialised';

/** "Flat": the best higher-concurrency cell gains at most this factor over the lowest one. */
export const FLAT_FACTOR = 1.25;
/** A cell counts as "higher concurrency" from this multiple of the lowest one. */
export const CONCURRENCY_STEP = 2;
/** Time per request (across all concurrent requests) at or above which a queue is plausible, ms. */
export const MIN_SERIAL_MS = 1;
interface GroupHit {
  base: CellRecord;
  highs: CellRecord[];
}

export function diagnoseSerialisation(server: ServerRecord, cells: readonly CellRecord[]): Finding | null {
  const groups = new Map<number, CellRecord[]>();
  for (const c of cells) {
    if (c.result.failedRequests > 0 || c.result.completeRequests === 0) continue;
    if (acceptDrops(c, server.listenBacklog) > 0) continue;
    const list = groups.get(c.group) ?? [];
    list.push(c);
    groups.set(c.group, list);
  }
  const hits: GroupHit[] = [];
  for (const list of groups.values()) {
    const sorted = [...list].sort((a, b) => a.concurrency - b.concurrency);
    const base = sorted[0]!;
    const highs = sorted.filter((c) => c.concurrency >= CONCURRENCY_STEP * base.concurrency);
    if (highs.length === 0 || base.result.requestsPerSecond <= 0) continue;
    const flat = highs.every((c) => c.result.requestsPerSecond <= FLAT_FACTOR * base.result.requestsPerSecond);
    const slow = highs.every((c) => c.result.timePerRequestAcrossMs >= MIN_SERIAL_MS);
    if (!flat || !slow) continue;
    if (!serverWaited(highs)) continue;
    hits.push({ base, highs });
  }
  if (hits.length === 0) return null;

  const evidence: string[] = [];
  for (const { base, highs } of hits) {
    const all = [base, ...highs];
    const rps = all.map((c) => `${c.result.requestsPerSecond.toFixed(1)} at c=${c.concurrency}`);
    const best = Math.max(...highs.map((c) => c.result.requestsPerSecond)) / base.result.requestsPerSecond;
    const mean = all.map((c) => `${formatMs(c.result.timePerRequestMs)} at c=${c.concurrency}`);
    evidence.push(
      `n=${base.requests}: requests per second ${joinList(rps)} (at most ${best.toFixed(2)}x the c=${base.concurrency} figure); ` +
        `the mean time per request grew with the queue: ${joinList(mean)}.`,
    );
  }
  const highs = hits.flatMap((h) => h.highs);
  evidence.push(`Above the lowest concurrency: ${describeWaiting(highs).replace(/^The/, 'the')}`);
  const perRequest = highs.map((c) => c.result.timePerRequestAcrossMs).sort((a, b) => a - b)[highs.length >> 1]!;
  evidence.push(
    `Each request holds the server for about ${formatMs(perRequest)} (time taken / requests) that concurrency does not overlap.`,
  );

  return {
    id: SERIALISED_ID,
    severity: 'warning',
    server: server.name,
    cells: hits.flatMap((h) => [h.base, ...h.highs]).map(findingCell),
    title: 'The server handles one request at a time: throughput stays flat as concurrency rises, with the CPU idle',
    evidence,
    cause:
      'Requests are serialised: a global lock held across a blocking call (sleep, disk, network), a single worker thread ' +
      'or process, or a blocking call inside an event loop. Each request then waits for all those ahead of it. Hold locks ' +
      'only around shared state and never across I/O; keep blocking calls off the event loop (or in a pool).',
  };
}

export const serialisationFinding: FindingKind = {
  id: SERIALISED_ID,
  lookedFor: 'serialisation',
  looksAt:
    'requests per second as concurrency rises within each matrix group, the CPU the server and the load client used and waited for, and the accept-queue drops that would explain a flat throughput otherwise',
  diagnose: ({ server, cells }) => diagnoseSerialisation(server, cells),
};
