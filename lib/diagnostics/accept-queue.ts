/**
 * Accept-queue overflow: the server's listen backlog is full, the kernel drops connections.
 *
 * A listening socket queues connections whose handshake is done until accept() takes them;
 * Linux holds backlog + 1 of them. When the queue is full, a new SYN is dropped (and a
 * handshake's final ACK too), the kernel counts it under TcpExt ListenOverflows and
 * ListenDrops, and the client retransmits its SYN after 1 s, then 3 s, 7 s (Linux 6.5 and
 * later first retry at 1 s intervals: 1 s, 2 s, 3 s...). A request otherwise answered in a
 * millisecond then takes a second or more: the "1.0 s, 1.5 s, 3.0 s" runs of the seed's tables.
 *
 * Attribution: the counters are system-wide, so drops during a cell are the server's only if
 * its queue could overflow at all. Gauntlet's client has at most C connections open at a time,
 * so a socket whose backlog + 1 is at least C cannot overflow because of it: drops seen then
 * are another program's and are ignored. When the backlog could not be read, a drop counts only
 * if requests of the cell stalled for a second or more, or failed to connect or in time.
 */
import type { CellRecord, Finding, ServerRecord } from '../types.ts';
import { findingCell, firstOf, formatMs, joinList, plural, where } from './common.ts';
import { stalledCount } from './signals.ts';
import type { FindingKind } from './finding-kind.ts';

export const ACCEPT_QUEUE_ID = 'accept-queue-overflow';

/** Connections dropped at accept during a cell that are attributable to this server (0 if none). */
export function acceptDrops(cell: CellRecord, backlog: number | null | undefined): number {
  const k = cell.signals?.kernel;
  if (!k) return 0;
  const drops = Math.max(k.listenOverflows, k.listenDrops);
  if (drops === 0) return 0;
  if (typeof backlog === 'number') return cell.concurrency > backlog + 1 ? drops : 0;
  const s = cell.signals!;
  return stalledCount(s) + s.failures.connect + s.failures.timeout > 0 ? drops : 0;
}

export function diagnoseAcceptQueue(server: ServerRecord, cells: readonly CellRecord[]): Finding | null {
  const backlog = server.listenBacklog;
  const hit = cells.map((c) => ({ c, drops: acceptDrops(c, backlog) })).filter((x) => x.drops > 0);
  if (hit.length === 0) return null;
  const total = hit.reduce((n, x) => n + x.drops, 0);
  const evidence: string[] = [];

  const perCell = hit.map(({ c }) => {
    const k = c.signals!.kernel!;
    return `${where(c)}: ListenOverflows +${k.listenOverflows}, ListenDrops +${k.listenDrops}`;
  });
  evidence.push(
    `The kernel's accept-queue counters (TcpExt in /proc/net/netstat) rose during ${plural(hit.length, 'cell')}: ${joinList(firstOf(perCell))}. ` +
      "They are system-wide: a drop at another program's listening socket during those cells would be counted too.",
  );

  const maxC = Math.max(...hit.map((x) => x.c.concurrency));
  if (typeof backlog === 'number') {
    evidence.push(
      `The server's listening socket has a backlog of ${backlog} (ss, Send-Q): its accept queue holds at most ${backlog + 1} ` +
        `connection${backlog + 1 === 1 ? '' : 's'}, and these cells opened up to ${maxC} at once.`,
    );
  }

  let timed = 0;
  const buckets: number[] = [];
  for (const { c } of hit) {
    const s = c.signals!;
    timed += s.timed;
    s.stallsBySecond.forEach((n, i) => (buckets[i] = (buckets[i] ?? 0) + n));
  }
  const stalled = buckets.reduce((n, v) => n + (v ?? 0), 0);
  if (stalled > 0) {
    const spread = buckets.map((n, i) => ((n ?? 0) > 0 ? `${n} took ${i + 1}.x s` : '')).filter(Boolean);
    const medians = hit.map(({ c }) => formatMs(c.result.latencyUs.p50 / 1000));
    evidence.push(
      `${stalled} of ${timed} requests in those cells took 1 s or more (${joinList(firstOf(spread, 8))}), ` +
        `while the median request took ${joinList([...new Set(medians)].slice(0, 4))}: ` +
        'a client whose SYN is dropped retransmits it after 1 s, then 3 s and 7 s (Linux 6.5 and later: 1 s, 2 s, 3 s...).',
    );
  }
  const synRetrans = hit.reduce((n, { c }) => n + (c.signals!.kernel!.synRetrans ?? 0), 0);
  if (synRetrans > 0)
    evidence.push(
      `Connecting sockets retransmitted ${plural(synRetrans, 'SYN')} during those cells (TcpExt TCPSynRetrans).`,
    );
  const connect = hit.reduce((n, { c }) => n + c.signals!.failures.connect, 0);
  const timeouts = hit.reduce((n, { c }) => n + c.signals!.failures.timeout, 0);
  if (connect + timeouts > 0) {
    evidence.push(
      `${[
        connect ? `${plural(connect, 'request')} could not connect` : '',
        timeouts ? `${plural(timeouts, 'request')} timed out` : '',
      ]
        .filter(Boolean)
        .join(' and ')}: retransmitted SYNs were dropped again.`,
    );
  }

  return {
    id: ACCEPT_QUEUE_ID,
    severity: 'error',
    server: server.name,
    cells: hit.map(({ c }) => findingCell(c)),
    title: `${plural(total, 'connection attempt')} ${total === 1 ? 'was' : 'were'} dropped at accept: the listen backlog is too small`,
    evidence,
    cause:
      'The server listens with a small backlog (listen(1) or listen(5), as course servers often do) or accepts more slowly ' +
      'than connections arrive, so its accept queue fills; the kernel then drops new connections and each client waits ' +
      'for its SYN to be retransmitted, a second or more. Listen with a backlog of at least the concurrency you expect ' +
      '(listen(1024); the kernel caps it at net.core.somaxconn) and accept in a loop that does nothing else.',
  };
}

export const acceptQueueFinding: FindingKind = {
  id: ACCEPT_QUEUE_ID,
  lookedFor: 'accept-queue overflow',
  looksAt:
    "the kernel's listen-queue overflow and drop counters (TcpExt ListenOverflows, ListenDrops) and SYN retransmissions over each cell, the server's listen backlog, and the requests that stalled for a second or more or failed to connect",
  diagnose: ({ server, cells }) => diagnoseAcceptQueue(server, cells),
};
