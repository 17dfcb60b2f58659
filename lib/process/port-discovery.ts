/**
 * The port of a server whose command has no {port}: it binds a port of its own choosing (a
 * course's server_thread_http.py binds 10002 and takes no arguments), so the launcher learns the
 * port from what the started process group listens on. The sockets are those of
 * /proc/net/tcp{,6} held by a process of the group (/proc/<pid>/fd) that did not exist before
 * the start; when the group listens on several ports, the one that answers HTTP is the server's
 * (a debug console or a metrics port may listen beside it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { allProcs, membersOf } from './proc-table.ts';
import { listeningSockets, reachableAt, type ListeningSocket } from './listen-sockets.ts';
import { holdersOf } from './socket-holders.ts';

/** The inodes of every socket listening now: what a group started after this cannot have opened. */
export function listeningInodesNow(): Set<number> {
  return new Set((listeningSockets() ?? []).map((s) => s.inode));
}

/**
 * The listening sockets that a process of group `pgid` holds, that a connection to `host` reaches,
 * and that are not among `preexisting`; sorted by port.
 */
export function groupListeners(pgid: number, host: string, preexisting: ReadonlySet<number>): ListeningSocket[] {
  const fresh = (listeningSockets() ?? []).filter((s) => !preexisting.has(s.inode) && reachableAt(s, host));
  if (fresh.length === 0) return [];
  const inodes = new Set(fresh.map((s) => s.inode));
  // The group's leader is usually the server itself (a simple command is exec'ed): its fds first.
  let held = holdersOf(inodes, [pgid]);
  if (held.size === 0) held = holdersOf(inodes, [pgid, ...membersOf(pgid, allProcs()).map((p) => p.pid)]);
  const ours = new Set([...held.values()].flat());
  return fresh.filter((s) => ours.has(s.inode)).sort((a, b) => a.port - b.port || a.family - b.family);
}

/** "0.0.0.0:10002, 127.0.0.1:10003", or "nothing": what a message says the group listened on. */
export function describeListeners(sockets: readonly ListeningSocket[]): string {
  if (sockets.length === 0) return 'nothing';
  const seen = new Set(sockets.map((s) => (s.family === 6 ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`)));
  return [...seen].join(', ');
}

/** The started group, as discovery watches it. */
export interface DiscoveryTarget {
  pgid: number;
  host: string;
  /** Listening sockets that existed before the start. */
  preexisting: ReadonlySet<number>;
  /** Whether the group's first process has exited (then nothing more will listen). */
  exited: () => boolean;
  /** Settles when it exits, to end a wait early. */
  exitedPromise: Promise<unknown>;
}

export type Discovery =
  | { outcome: 'ready'; port: number; listening: ListeningSocket[] }
  | { outcome: 'exited' | 'timeout'; listening: ListeningSocket[] };

/** Asks one port whether it answers HTTP, within `timeoutMs`. */
export type HttpProbe = (port: number, timeoutMs: number) => Promise<boolean>;

const POLL_MS = 50;
const PROBE_CAP_MS = 2_000;

/**
 * The first of `ports` to answer HTTP, null when none does. They are asked together, and the
 * first answer decides: a port that accepts and stays silent delays nothing.
 */
function firstAnswering(ports: readonly number[], probe: HttpProbe, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    let pending = ports.length;
    if (pending === 0) resolve(null);
    for (const port of ports) {
      void probe(port, timeoutMs).then((answers) => {
        pending--;
        if (answers) resolve(port);
        else if (pending === 0) resolve(null);
      });
    }
  });
}

/**
 * Waits until one of the ports the group listens on answers HTTP, the group's first process
 * exits, or `timeoutMs` passes.
 */
export async function discoverPort(target: DiscoveryTarget, probe: HttpProbe, timeoutMs: number): Promise<Discovery> {
  const deadline = Date.now() + timeoutMs;
  let listening: ListeningSocket[] = [];
  for (;;) {
    if (target.exited()) return { outcome: 'exited', listening };
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { outcome: 'timeout', listening };
    listening = groupListeners(target.pgid, target.host, target.preexisting);
    const ports = [...new Set(listening.map((s) => s.port))];
    const port = await firstAnswering(ports, probe, Math.min(PROBE_CAP_MS, remaining));
    if (port !== null && !target.exited()) return { outcome: 'ready', port, listening };
    if (port === null) await Promise.race([sleep(POLL_MS), target.exitedPromise]);
  }
}
