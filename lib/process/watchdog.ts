/**
 * A watchdog per server: a tiny detached process that kills the server's whole process group
 * when the harness dies, however it dies (SIGKILL and the OOM killer included, which run no exit
 * hook), and exits by itself once the group is gone.
 *
 * How it knows the harness died, without polling it: its stdin is one end of a socket pair
 * whose other end only the harness holds (libuv opens it close-on-exec, so no other child
 * inherits it). When the harness dies the kernel closes that end, and the watchdog's `read`
 * returns end-of-file at once. Every 2 s without input (a timed `read`, a bash builtin: no
 * process is started while it waits) it checks that the group still exists.
 *
 * The harness also sends it, once known, the inode of the server's listening socket: a server
 * process that left the group (setsid) but kept the socket is then found (`find -lname` over
 * /proc/<pid>/fd) and killed too.
 *
 * Why bash: measured here (docs/launching.md), starting and ending took a median of 75 ms for
 * bash, 46 ms for dash, 184 ms for python3 -S and 584 ms for node on a loaded machine, and they
 * hold 3.2, 1.7, 7.8 and 40 MB resident. dash has no timed `read`, so it would have to start a
 * `sleep` process every period; bash's few extra milliseconds, once per server, buy that.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/** Seconds between two checks that the group still exists. */
export const WATCH_PERIOD_S = 2;

export const WATCHDOG_SCRIPT = `
pgid=$1; inodes=
while :; do
  read -r -t ${WATCH_PERIOD_S} line; rc=$?
  if [ $rc -eq 0 ]; then
    case $line in inode\\ *) inodes="$inodes \${line#inode }" ;; esac
  elif [ $rc -gt 128 ]; then
    kill -0 -- "-$pgid" 2>/dev/null || exit 0
  else
    kill -KILL -- "-$pgid" 2>/dev/null
    for i in $inodes; do
      for f in $(find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\\\\[$i\\\\]" 2>/dev/null); do
        p=\${f#/proc/}; kill -KILL "\${p%%/*}" 2>/dev/null
      done
    done
    exit 0
  fi
done
`;

export interface Watchdog {
  /** The watchdog's pid (null when it could not be started). */
  readonly pid: number | null;
  /** Tells it the inode of the server's listening socket, to kill whoever still holds it. */
  watchSocket(inode: number): void;
  /** Ends it without touching the server (the server was stopped the normal way). */
  dismiss(): void;
  /** Acts as if the harness had died: the watchdog kills the group (for tests). */
  trigger(): void;
}

const BASH = '/bin/bash';

/**
 * Starts the watchdog of process group `pgid`. Never throws: a watchdog that cannot be started
 * leaves the exit hooks and the parent-death signal as the only guards, and says so once.
 */
export function startWatchdog(pgid: number): Watchdog {
  let child: ChildProcess;
  try {
    // The script comes through the environment, so that `ps` shows one short line:
    // /bin/bash -c eval "$GAUNTLET_WATCHDOG" gauntlet-watchdog <pgid>
    // The rest of the environment is kept: without it (HOME, USER) bash looks the user up, which
    // took seconds here; BASH_ENV is dropped, so that no startup file runs.
    const { BASH_ENV: _startupFile, ...env } = process.env;
    child = spawn(BASH, ['-c', 'eval "$GAUNTLET_WATCHDOG"', 'gauntlet-watchdog', String(pgid)], {
      env: { ...env, GAUNTLET_WATCHDOG: WATCHDOG_SCRIPT },
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
  } catch (err) {
    warnOnce(`could not start ${BASH}: ${(err as Error).message}`);
    return inert;
  }
  child.once('error', (err) => warnOnce(`could not start ${BASH}: ${err.message}`));
  // Neither the watchdog nor its socket may keep the harness alive.
  child.unref();
  const stdin = child.stdin as (Socket & NodeJS.WritableStream) | null;
  stdin?.on('error', () => {}); // the watchdog ended first
  (stdin as Socket | null)?.unref?.();
  return {
    pid: child.pid ?? null,
    watchSocket(inode) {
      if (stdin && !stdin.destroyed) stdin.write(`inode ${inode}\n`);
    },
    dismiss() {
      // Through the ChildProcess, which does nothing once the watchdog has exited and been
      // reaped: its pid may belong to another process by then.
      child.kill('SIGKILL');
    },
    trigger() {
      stdin?.destroy();
    },
  };
}

const inert: Watchdog = { pid: null, watchSocket() {}, dismiss() {}, trigger() {} };

let warned = false;
function warnOnce(detail: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`gauntlet: no watchdog for servers (${detail}): a server may outlive a harness killed by SIGKILL\n`);
}
