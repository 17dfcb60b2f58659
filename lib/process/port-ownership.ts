/**
 * Whose is the socket that answers on a port: the launched server's, or another program's.
 *
 * A readiness probe that gets an HTTP answer proves only that something listens. When the port
 * was taken by another program (a fixed --port already in use, a server that ignores {port}
 * while something else happens to hold it, a race for an ephemeral port), every figure after it
 * would be that program's. So once the probe answers, the socket that takes connections to
 * host:port is looked up in /proc/net/tcp{,6} and its holders in /proc/<pid>/fd: at least one
 * must be a process of the launched server (its process group, or the container's processes),
 * or one they started (a child that left the group with setsid() still descends from it).
 *
 * When /proc cannot tell (not Linux, the socket closed meanwhile, a holder this user may not
 * inspect but that runs under this user's uid) the verdict is "unknown" and the launch goes on:
 * only a socket seen to be another program's fails it.
 *
 * A port the server's manifest or `--server NAME@PORT=...` states is looked at before the start
 * instead: a server that cannot bind it would only exit with an address-in-use error, and one
 * that binds it beside the holder (SO_REUSEPORT) would share its connections with it.
 */
import { allPids, allProcs, describeProcess, descendantsOf } from './proc-table.ts';
import { listeningSocketsOn, socketsServing, type ListeningSocket } from './listen-sockets.ts';
import { holdersOf } from './socket-holders.ts';

/** What /proc says about a port, gathered by checkPortOwnership and judged by judgeOwnership. */
export interface PortFacts {
  /** The sockets that take connections to host:port; null when /proc/net/tcp cannot be read. */
  serving: readonly ListeningSocket[] | null;
  /** Who holds each of those sockets: pid to the inodes it holds. */
  holders: ReadonlyMap<number, readonly number[]>;
  /** The launched server's processes (its process group, or a container's main process and its descendants). */
  members: ReadonlySet<number>;
  /** Processes started by the members that left their group (setsid) or were started after. */
  descendants: ReadonlySet<number>;
  /** This process's uid: a socket created under another uid, with no holder in sight, is another program's. */
  ownUid: number;
}

export type Ownership =
  /** `escaped`: holders outside the group that descend from it (the launcher stops them too). */
  | { verdict: 'ours'; inodes: number[]; escaped: number[] }
  /** `holder` null: the socket's owner cannot be inspected; `uid` is the user that created it. */
  | { verdict: 'foreign'; inode: number; holder: number | null; uid: number }
  | { verdict: 'unknown'; why: string };

/** The verdict on a port from what /proc says. Pure. */
export function judgeOwnership(f: PortFacts): Ownership {
  if (f.serving === null) return { verdict: 'unknown', why: '/proc/net/tcp cannot be read' };
  if (f.serving.length === 0) return { verdict: 'unknown', why: 'no socket listens on the port any more' };
  const escaped = new Set<number>();
  for (const socket of f.serving) {
    const holders = [...f.holders].filter(([, inodes]) => inodes.includes(socket.inode)).map(([pid]) => pid);
    if (holders.some((pid) => f.members.has(pid))) continue;
    const ours = holders.filter((pid) => f.descendants.has(pid));
    if (ours.length > 0) {
      ours.forEach((pid) => escaped.add(pid));
      continue;
    }
    if (holders.length > 0)
      return { verdict: 'foreign', inode: socket.inode, holder: Math.min(...holders), uid: socket.uid };
    if (socket.uid !== f.ownUid) return { verdict: 'foreign', inode: socket.inode, holder: null, uid: socket.uid };
    return { verdict: 'unknown', why: `no process in sight holds socket ${socket.inode}` };
  }
  return { verdict: 'ours', inodes: f.serving.map((s) => s.inode), escaped: [...escaped].sort((a, b) => a - b) };
}

/**
 * Looks up who holds the socket answering on host:port. `members` are the launched server's
 * processes, read only when needed; `likely` are those most likely to hold it (the process the
 * shell exec'ed, a container's main process). The common case (a likely one holds it) reads
 * their fds only; finding the members means reading every /proc/<pid>/stat, and naming another
 * holder every /proc/<pid>/fd, which takes tens of milliseconds on a busy machine.
 */
export function checkPortOwnership(
  host: string,
  port: number,
  members: () => Iterable<number>,
  likely: Iterable<number> = [],
): Ownership {
  const sockets = listeningSocketsOn(port);
  const serving = sockets === null ? null : socketsServing(sockets, host, port);
  const ownUid = process.getuid?.() ?? 0;
  const inodes = new Set((serving ?? []).map((s) => s.inode));
  const judge = (
    pids: ReadonlySet<number>,
    holderPids: Iterable<number>,
    descendants: ReadonlySet<number> = new Set(),
  ): Ownership =>
    judgeOwnership({ serving, holders: holdersOf(inodes, holderPids), members: pids, descendants, ownUid });
  const first = new Set(likely);
  const quick = judge(first, first);
  if (quick.verdict === 'ours' || serving === null || serving.length === 0) return quick;
  const memberSet = new Set([...first, ...members()]);
  const fast = judge(memberSet, memberSet);
  if (fast.verdict === 'ours') return fast;
  const descendants = new Set(descendantsOf(memberSet, allProcs()).map((p) => p.pid));
  return judge(memberSet, allPids(), descendants);
}

/**
 * The reason of the LaunchError when another program has the port, for example
 * `port 40123 answers, but the listening socket belongs to pid 777 (nginx: master process), not
 * to server "x" (pgid 1234): another program has the port`.
 */
export function foreignPortReason(
  o: Extract<Ownership, { verdict: 'foreign' }>,
  port: number,
  serverName: string,
  serverOwner: string,
): string {
  const who = o.holder === null ? `a process of uid ${o.uid} that this user cannot inspect` : describeProcess(o.holder);
  return `port ${port} answers, but the listening socket belongs to ${who}, not to server "${serverName}" (${serverOwner}): another program has the port`;
}

/** What already listens on a port: the lowest pid holding it, null when no holder can be read. */
export interface PortHolder {
  port: number;
  address: string;
  pid: number | null;
  /** The user that created the socket. */
  uid: number;
}

/** Who listens on `port` (on any address), or null when nothing does or /proc cannot tell. */
export function portHolder(port: number): PortHolder | null {
  const sockets = listeningSocketsOn(port);
  const first = sockets?.[0];
  if (!sockets || !first) return null;
  const holders = holdersOf(new Set(sockets.map((s) => s.inode)));
  const pid = holders.size > 0 ? Math.min(...holders.keys()) : null;
  return { port, address: first.address, pid, uid: first.uid };
}

/**
 * The reason of the LaunchError when a stated port is taken before the start, for example
 * `port 10002 is taken: pid 777 (python3 server.py) listens on 0.0.0.0:10002; nothing was started`.
 */
export function takenPortReason(holder: PortHolder): string {
  const ownUid = process.getuid?.() ?? 0;
  const who =
    holder.pid !== null
      ? describeProcess(holder.pid)
      : holder.uid === ownUid
        ? 'a process this user cannot inspect'
        : `a process of another user (uid ${holder.uid})`;
  const where = holder.address.includes(':') ? `[${holder.address}]` : holder.address;
  return `did not start: port ${holder.port} is taken: ${who} listens on ${where}:${holder.port}; nothing was started (stop that process, or state another port)`;
}
