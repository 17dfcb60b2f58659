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
 * Containers: a container server has no process group of the harness's to watch (its processes
 * are the engine's children), so its watchdog is started without one (`pgid` null): it never
 * exits by itself, and on the harness's death it runs the cleanup commands it was given, in
 * order (`docker rm --force --volumes -- <container>`, then `docker rmi --force -- <image>`).
 * The commands are plain words (checked: letters, digits and a few punctuation marks), so the
 * script runs them without eval and no quoting can go wrong; their output goes nowhere.
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
pgid=$1; inodes=; cleanup=()
while :; do
  read -r -t ${WATCH_PERIOD_S} line; rc=$?
  if [ $rc -eq 0 ]; then
    case $line in
      inode\\ *) inodes="$inodes \${line#inode }" ;;
      run\\ *) cleanup+=("\${line#run }") ;;
    esac
  elif [ $rc -gt 128 ]; then
    [ "$pgid" = - ] || kill -0 -- "-$pgid" 2>/dev/null || exit 0
  else
    [ "$pgid" = - ] || kill -KILL -- "-$pgid" 2>/dev/null
    for i in $inodes; do
      for f in $(find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\\\\[$i\\\\]" 2>/dev/null); do
        p=\${f#/proc/}; kill -KILL "\${p%%/*}" 2>/dev/null
      done
    done
    set -f
    for c in "\${cleanup[@]}"; do $c </dev/null; done
    exit 0
  fi
done
`;

export interface Watchdog {
  /** The watchdog's pid (null when it could not be started). */
  readonly pid: number | null;
  /** Tells it the inode of the server's listening socket, to kill whoever still holds it. */
  watchSocket(inode: number): void;
  /** Adds a command it runs when the harness dies, after the commands given before (see cleanupLine). */
  runOnDeath(argv: readonly string[]): void;
  /** Ends it without touching the server (the server was stopped the normal way). */
  dismiss(): void;
  /** Acts as if the harness had died: the watchdog kills the group and runs its cleanup (for tests). */
  trigger(): void;
}

export interface WatchdogOptions {
  /** Commands run when the harness dies, in order (for example `docker rm --force --volumes -- <name>`). */
  onDeath?: readonly (readonly string[])[];
}

/** A word of a cleanup command: what the script can run split on spaces, with no glob or quote. */
const CLEANUP_WORD = /^[A-Za-z0-9_.:/@=+,%-]+$/;

/**
 * The line that hands the watchdog a cleanup command. Pure. Throws, naming the word, when a word
 * is empty or holds anything but letters, digits and _ . : / @ = + , % -: the script splits the
 * line on spaces and runs it without a shell's quoting.
 */
export function cleanupLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('a watchdog cleanup command needs at least a program name');
  for (const word of argv) {
    if (!CLEANUP_WORD.test(word)) {
      throw new Error(
        `watchdog cleanup word ${JSON.stringify(word)} (in ${JSON.stringify(argv.join(' '))}) may hold only letters, digits and _ . : / @ = + , % -`,
      );
    }
  }
  return `run ${argv.join(' ')}\n`;
}

const BASH = '/bin/bash';

/**
 * Starts the watchdog of process group `pgid`, or, with null, one that watches no group and
 * only runs its cleanup commands when the harness dies (a container's). Never throws for want of
 * bash: a watchdog that cannot be started leaves the exit hooks, the parent-death signal and the
 * registry as the only guards, and says so once. Throws for a cleanup command it could not run
 * (cleanupLine), before starting anything.
 */
export function startWatchdog(pgid: number | null, opts: WatchdogOptions = {}): Watchdog {
  const initial = (opts.onDeath ?? []).map(cleanupLine);
  let child: ChildProcess;
  try {
    // The script comes through the environment, so that `ps` shows one short line:
    // /bin/bash -c eval "$GAUNTLET_WATCHDOG" gauntlet-watchdog <pgid, or - for none>
    // The rest of the environment is kept: without it (HOME, USER) bash looks the user up, which
    // took seconds here, and a cleanup command needs PATH (and DOCKER_HOST, when set); BASH_ENV
    // is dropped, so that no startup file runs.
    const env = { ...process.env };
    delete env.BASH_ENV;
    child = spawn(BASH, ['-c', 'eval "$GAUNTLET_WATCHDOG"', 'gauntlet-watchdog', pgid === null ? '-' : String(pgid)], {
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
  stdin?.unref?.();
  const send = (line: string): void => {
    if (stdin && !stdin.destroyed) stdin.write(line);
  };
  for (const line of initial) send(line);
  return {
    pid: child.pid ?? null,
    watchSocket(inode) {
      send(`inode ${inode}\n`);
    },
    runOnDeath(argv) {
      send(cleanupLine(argv));
    },
    dismiss() {
      // Through the ChildProcess, which does nothing once the watchdog has exited and been
      // reaped: its pid may belong to another process by then.
      child.kill('SIGKILL');
    },
    trigger() {
      // end() rather than destroy(): the lines written so far are delivered first.
      stdin?.end();
    },
  };
}

const inert: Watchdog = { pid: null, watchSocket() {}, runOnDeath() {}, dismiss() {}, trigger() {} };

let warned = false;
function warnOnce(detail: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(
    `gauntlet: no watchdog for servers (${detail}): a server (or a container) may outlive a harness killed by SIGKILL\n`,
  );
}
