/**
 * Installing the stock servers the matrix needs: the decision (pure: which packages apt-get
 * installs, and what is said about those it cannot) and the apt-get run. apt-get runs only as
 * root, only for a binary that is missing, and never with `--no-install`; otherwise the message
 * names the package, and the server's column says it is not installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { MatrixServer } from './servers.ts';

/** What to do about the missing binaries. */
export interface InstallPlan {
  /** Debian packages for apt-get to install. */
  packages: string[];
  /** One sentence per server that stays missing, naming its package. */
  messages: string[];
}

/** The servers whose binary is missing (`present` says whether a path exists). */
export function missingServers(servers: readonly MatrixServer[], present: (path: string) => boolean): MatrixServer[] {
  return servers.filter((s) => s.binary !== undefined && !present(s.binary));
}

/** Which missing servers apt-get installs: all of them as root when allowed, none otherwise. */
export function installPlan(
  missing: readonly MatrixServer[],
  opts: { isRoot: boolean; noInstall: boolean },
): InstallPlan {
  const packages = [...new Set(missing.flatMap((s) => (s.aptPackage ? [s.aptPackage] : [])))];
  if (packages.length === 0) return { packages: [], messages: [] };
  if (opts.isRoot && !opts.noInstall) return { packages, messages: [] };
  const why = opts.noInstall ? 'not installed (--no-install)' : 'not installed, and apt-get needs root';
  return {
    packages: [],
    messages: missing.map(
      (s) =>
        `${s.name}: ${s.binary ?? ''} ${why}: install it with apt-get install ${s.aptPackage ?? '(no package known)'}`,
    ),
  };
}

/** Why a server cannot run, when its binary is still missing after the installation. */
export function notInstalledReason(server: MatrixServer): string | null {
  if (server.binary === undefined || existsSync(server.binary)) return null;
  return `not installed: ${server.binary} is missing (apt-get install ${server.aptPackage ?? '?'})`;
}

/**
 * Runs apt-get for the plan's packages, updating the package lists once if the first attempt
 * fails (a fresh image has none). Returns the error's message, or null when it went well.
 */
export function aptInstall(packages: readonly string[], log: (line: string) => void): string | null {
  if (packages.length === 0) return null;
  const install = ['install', '-y', '--no-install-recommends', ...packages];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`apt-get ${install.join(' ')}`);
  try {
    execFileSync('apt-get', install, { stdio: 'inherit', env });
    return null;
  } catch {
    log('apt-get install failed; apt-get update, then once more');
  }
  try {
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
    execFileSync('apt-get', install, { stdio: 'inherit', env });
    return null;
  } catch (err) {
    return `apt-get install ${packages.join(' ')} failed: ${(err as Error).message}`;
  }
}

/** Whether this process is root (apt-get needs it). */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Whether a binary is there. */
export function binaryPresent(path: string): boolean {
  return existsSync(path);
}
