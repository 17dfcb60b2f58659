/**
 * The kernel's TCP counters (TcpExt in /proc/net/netstat) and a listening socket's backlog.
 *
 * The counters are system-wide (per network namespace): every socket of the machine adds to
 * them, not only the server's. They are read right before and right after a cell, so what
 * they show is what happened during the cell, but another program's sockets may add to it;
 * the findings say so.
 * - ListenOverflows: a connection arrived at a listening socket whose accept queue was full
 *   (the SYN, or the handshake's final ACK, is dropped; the client retries after a timeout).
 * - ListenDrops: connections a listening socket dropped, overflows included.
 * - TCPSynRetrans: SYNs retransmitted; on loopback, by Gauntlet's own client.
 * - DelayedACKs: ACKs sent by the delayed-ACK timer rather than at once or with data.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { KernelTcpCounters } from '../types.ts';

export const NETSTAT_FILE = '/proc/net/netstat';

/** Every counter of a /proc/net/netstat text, as "TcpExt.ListenOverflows" -> value. */
export function parseNetstat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    const prefix = names[0];
    if (!prefix?.endsWith(':') || values[0] !== prefix) continue;
    for (let j = 1; j < names.length; j++) {
      const v = Number(values[j]);
      if (Number.isFinite(v)) out.set(`${prefix.slice(0, -1)}.${names[j]}`, v);
    }
  }
  return out;
}

/** The counters the diagnostics use, as totals since boot. */
export function tcpCountersFrom(counters: Map<string, number>): KernelTcpCounters | null {
  const get = (name: string): number | undefined => counters.get(`TcpExt.${name}`);
  const overflows = get('ListenOverflows');
  const drops = get('ListenDrops');
  if (overflows === undefined || drops === undefined) return null;
  return {
    listenOverflows: overflows,
    listenDrops: drops,
    synRetrans: get('TCPSynRetrans') ?? 0,
    delayedAcks: get('DelayedACKs') ?? 0,
  };
}

/** The counters now; null where /proc/net/netstat cannot be read (not Linux). */
export function readTcpCounters(file = NETSTAT_FILE): KernelTcpCounters | null {
  try {
    return tcpCountersFrom(parseNetstat(readFileSync(file, 'latin1')));
  } catch {
    return null;
  }
}

/** after - before, counter by counter (never negative: a counter that went back is a reset). */
export function counterDelta(
  before: KernelTcpCounters | null,
  after: KernelTcpCounters | null,
): KernelTcpCounters | null {
  if (!before || !after) return null;
  const d = (k: keyof KernelTcpCounters): number => Math.max(0, after[k] - before[k]);
  return {
    listenOverflows: d('listenOverflows'),
    listenDrops: d('listenDrops'),
    synRetrans: d('synRetrans'),
    delayedAcks: d('delayedAcks'),
  };
}

/**
 * The backlog of the socket listening on `port`, from `ss -ltnH` (for a listening socket ss's
 * Send-Q is the backlog the kernel holds: the listen() argument capped at net.core.somaxconn).
 * /proc/net/tcp does not show it. Null when ss is missing or no such socket is found.
 */
export async function listenBacklog(port: number, host = '127.0.0.1'): Promise<number | null> {
  const out = await new Promise<string | null>((resolve) => {
    execFile('ss', ['-ltnH', `sport = :${port}`], { timeout: 5_000 }, (err, stdout) => resolve(err ? null : stdout));
  });
  return out === null ? null : parseSsListen(out, port, host);
}

/** The Send-Q of the line of `ss -ltnH` output whose local address is host:port (or a wildcard). */
export function parseSsListen(output: string, port: number, host = '127.0.0.1'): number | null {
  let fallback: number | null = null;
  for (const line of output.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || cols[0] !== 'LISTEN') continue;
    const local = cols[3]!;
    const sep = local.lastIndexOf(':');
    if (local.slice(sep + 1) !== String(port)) continue;
    const backlog = Number(cols[2]);
    if (!Number.isFinite(backlog)) continue;
    const addr = local
      .slice(0, sep)
      .replace(/^\[|\]$/g, '')
      .replace(/%.*$/, '');
    if (addr === host) return backlog;
    fallback ??= backlog;
  }
  return fallback;
}
