/**
 * A server's first process dies with the harness, however the harness dies.
 *
 * Exit hooks (lib/exit-hooks.ts) stop servers when the harness exits or is ended by SIGINT,
 * SIGTERM or SIGHUP; SIGKILL and the kernel's OOM killer run no code at all. The kernel itself
 * can deliver a signal to a process when its parent dies (prctl PR_SET_PDEATHSIG), and
 * `setpriv --pdeathsig KILL` (util-linux) sets that before it execs the command. It survives
 * exec, so it stays on the server when the shell execs it.
 *
 * It reaches only that one process: the children a shell or a forking server starts are not
 * signalled, which is why the launcher also starts a watchdog for the whole process group
 * (lib/process/watchdog.ts). Where setpriv is missing, the watchdog alone does the job, and one
 * line on stderr says so.
 */
import { spawnSync } from 'node:child_process';

let available: boolean | null = null;
let warned = false;

/** Whether `setpriv --pdeathsig` works here; asked once per process (it costs one short spawn). */
export function setprivAvailable(): boolean {
  if (available !== null) return available;
  const r = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore', timeout: 5_000 });
  available = r.status === 0;
  return available;
}

/**
 * The argv that runs `argv` with SIGKILL on its parent's death, when setpriv is there; `argv`
 * itself otherwise (after one warning on stderr). Pure but for the `have` default.
 */
export function withParentDeathSignal(argv: readonly string[], have = setprivAvailable()): string[] {
  if (have) return ['setpriv', '--pdeathsig', 'KILL', '--', ...argv];
  if (!warned) {
    warned = true;
    process.stderr.write(
      'gauntlet: setpriv (util-linux) not found: a server is stopped with the harness by a watchdog only; install util-linux to have the kernel kill it too\n',
    );
  }
  return [...argv];
}
