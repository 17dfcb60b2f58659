/**
 * Delayed-ACK stalls: Nagle's algorithm on the server meeting delayed ACKs on the client.
 *
 * A response written in several small writes on a socket without TCP_NODELAY: the first write
 * leaves at once, Nagle's algorithm holds the next until the first is acknowledged, and the
 * client, waiting for the rest and with nothing to send, delays its ACK by 40 ms (Linux's
 * minimum delayed-ACK timeout; 200 ms on some other systems). Each request then takes about
 * 40 ms while the server does nothing. It needs the connection to stay open after the
 * response (keep-alive): a server that closes sends what Nagle held with its FIN at once.
 *
 * The signature, all of which must hold in a cell:
 * - at least half of its timed requests (and 10 or more) fall in the 38-60 ms window (or the
 *   190-240 ms one): a fixed delay, not a spread;
 * - the kernel's delayed-ACK timer fired for at least half of them (TcpExt DelayedACKs); this
 *   tells the stall from a server that sleeps 40 ms, or from queueing that happens to land there;
 * and over the cells where it holds, the server wanted at most a quarter of one core (CPU used
 * plus time waiting for one), measured over 0.2 s or more, and the load client did not set the
 * pace: a busy server's latencies can cluster through queueing, and a starved client can leave
 * ACKs to the timer, but an idle server behind an idle client cannot.
 */
import type { CellRecord, Finding } from '../types.ts';
import {
  describeWaiting,
  findingCell,
  firstOf,
  formatMs,
  joinList,
  serverDemand,
  serverWaited,
  where,
} from './common.ts';
import { DELACK_200_MS, DELACK_40_MS } from './signals.ts';
import type { FindingKind } from './finding-kind.ts';

export const DELAYED_ACK_ID = 'delayed-ack-stall';

/** Share of a cell's timed requests that must sit in the window. */
export const CLUSTER_SHARE = 0.5;
/** Fewest requests in the window for a cell to count: a handful could be chance. */
export const MIN_CLUSTER = 10;
/** Delayed ACKs the kernel must have sent per request in the window. */
export const DELACK_PER_STALL = 0.5;

interface Hit {
  c: CellRecord;
  window: 40 | 200;
  inWindow: number;
}

function cellHit(c: CellRecord): Hit | null {
  const s = c.signals;
  if (!s || s.timed === 0) return null;
  const pick =
    s.near40ms >= s.near200ms ? ({ window: 40, n: s.near40ms } as const) : ({ window: 200, n: s.near200ms } as const);
  if (pick.n < MIN_CLUSTER || pick.n < CLUSTER_SHARE * s.timed) return null;
  if (s.kernel && s.kernel.delayedAcks < DELACK_PER_STALL * pick.n) return null;
  return { c, window: pick.window, inWindow: pick.n };
}

export function diagnoseDelayedAck(server: string, cells: readonly CellRecord[]): Finding | null {
  const hits = cells.map(cellHit).filter((h): h is Hit => h !== null);
  if (hits.length === 0) return null;
  const hitCells = hits.map((h) => h.c);
  // With resource figures, they must show the server waiting (not busy, not starved of CPU,
  // not held back by a slow client); without them (no /proc), the cluster and the ACK timer decide.
  if (serverDemand(hitCells) && !serverWaited(hitCells)) return null;

  const window = hits.filter((h) => h.window === 40).length >= hits.length / 2 ? 40 : 200;
  const [lo, hi] = window === 40 ? DELACK_40_MS : DELACK_200_MS;
  const evidence: string[] = [];
  const perCell = hits.map((h) => {
    const s = h.c.signals!;
    const median =
      h.window === 40 && s.near40msMedianUs !== null ? `, median ${formatMs(s.near40msMedianUs / 1000)}` : '';
    return `${where(h.c)} (${h.c.result.mode}): ${h.inWindow} of ${s.timed}${median}`;
  });
  evidence.push(`Requests that took ${lo}-${hi} ms: ${joinList(firstOf(perCell))}.`);
  const delacks = hits.reduce((n, h) => n + (h.c.signals!.kernel?.delayedAcks ?? 0), 0);
  const stalls = hits.reduce((n, h) => n + h.inWindow, 0);
  if (hits.some((h) => h.c.signals!.kernel)) {
    evidence.push(
      `The kernel's delayed-ACK timer fired ${delacks} times during those cells for ${stalls} stalled requests (TcpExt DelayedACKs, ` +
        'a system-wide counter): about once per stalled request, as this stall has it.',
    );
  }
  evidence.push(describeWaiting(hitCells));
  const rates = hits
    .slice(0, 3)
    .map((h) => `${h.c.result.requestsPerSecond.toFixed(1)} requests/s at c=${h.c.concurrency}`);
  evidence.push(
    `Throughput: ${joinList(rates)}, about c / ${window} ms: each connection waits out the timer once per request.`,
  );

  return {
    id: DELAYED_ACK_ID,
    severity: 'warning',
    server,
    cells: hits.map((h) => findingCell(h.c)),
    title: `Requests stall for about ${window} ms each with the server idle: a delayed-ACK stall (Nagle's algorithm meets delayed ACKs)`,
    evidence,
    cause:
      'The usual cause is a response written in several small writes (status line, headers, body) on a socket without ' +
      "TCP_NODELAY: Nagle's algorithm holds each write after the first until the first is acknowledged, and the client, " +
      `with nothing to send, delays that ACK (40 ms on Linux, 200 ms on some other systems). Set TCP_NODELAY on accepted ` +
      'sockets, or send each response in one write (build it in one buffer, or use writev/sendmsg).',
  };
}

export const delayedAckFinding: FindingKind = {
  id: DELAYED_ACK_ID,
  lookedFor: 'delayed-ACK stalls',
  looksAt:
    "the requests of each cell that took 38-60 ms (or 190-240 ms), the kernel's delayed-ACK counter (TcpExt DelayedACKs), and the CPU the server and the load client used and waited for",
  diagnose: ({ server, cells }) => diagnoseDelayedAck(server.name, cells),
};
