/**
 * An on-disk list of the servers started and not yet stopped, so that a later run can find what
 * a crashed one left behind (lib/process/leftovers.ts).
 *
 * One small JSON file per server, in `${XDG_RUNTIME_DIR:-/tmp}/gauntlet-<uid>/servers/`:
 * written when the server is started, completed with its listening socket's inode once it is
 * ready, removed when it is stopped. A file per server (rather than one shared file) needs no
 * locking between the harnesses that run at the same time (vitest's workers, two terminals).
 * XDG_RUNTIME_DIR is private to the user and emptied at logout; /tmp is the fallback, in a
 * directory of the user's own (mode 0700, checked to be the user's and not a link).
 *
 * A container server has an entry too (ContainerEntry), written before its image is built and
 * completed with the container's id once it runs: it names the image, the container's name and
 * its launch label, which is all a later run needs to find and remove them through the engine
 * (lib/container/leftover-containers.ts), even when the harness died between build and start.
 *
 * Everything here is synchronous, for the exit hooks, and never throws: a registry that cannot
 * be written costs the next run its leftover search, not this run its servers.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RegistryEntry {
  /** The harness process that started the server, and its start time (to tell it from a later process with its pid). */
  harnessPid: number;
  harnessStartTicks: number | null;
  /** The server's name in its manifest. */
  name: string;
  /** The process group: the first process's pid, and that process's start time. */
  pgid: number;
  pgidStartTicks: number | null;
  command: string;
  host: string;
  /** 0 while the port of a command without {port} is being discovered. */
  port: number;
  /** ISO 8601. */
  startedAt: string;
  /** The inodes of its listening sockets, once the server is ready (empty before). */
  socketInodes: number[];
}

/** A container server: what the engine needs to find its container and image again. */
export interface ContainerEntry {
  harnessPid: number;
  harnessStartTicks: number | null;
  /** The server's name in its manifest. */
  name: string;
  /** This start's own id (16 hex digits): the container's `gauntlet.launch` label, and the entry's file name. */
  launchId: string;
  /** The container's name, chosen before it is created, so that it can be removed before its id is known. */
  containerName: string;
  /** The container's id once it was started; null before. */
  containerId: string | null;
  /** The image built for this start (gauntlet/<server>:<random>). */
  image: string;
  /** The container's argv, joined. */
  command: string;
  host: string;
  /** Its port once chosen; null before. */
  port: number | null;
  /** ISO 8601. */
  startedAt: string;
}

/** Whichever kind of server an entry records. */
export type AnyEntry = RegistryEntry | ContainerEntry;

export function isContainerEntry(e: AnyEntry): e is ContainerEntry {
  return typeof (e as Partial<ContainerEntry>).launchId === 'string';
}

/** The registry's directory for this user (not created). */
export function registryDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_RUNTIME_DIR || '/tmp';
  return join(base, `gauntlet-${process.getuid?.() ?? 'user'}`, 'servers');
}

/** How an entry's file is named: harness pid and process group, or harness pid and launch id, make it unique on the machine. */
export type EntryKey = Pick<RegistryEntry, 'harnessPid' | 'pgid'> | Pick<ContainerEntry, 'harnessPid' | 'launchId'>;

/** The file of one server. */
export function entryFile(dir: string, e: EntryKey): string {
  return 'launchId' in e
    ? join(dir, `${e.harnessPid}-container-${e.launchId}.json`)
    : join(dir, `${e.harnessPid}-${e.pgid}.json`);
}

let warned = false;
function warnOnce(detail: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(
    `gauntlet: the list of running servers cannot be kept (${detail}): a later run will not find what this one leaves behind\n`,
  );
}

/** Creates the directory, private to the user; false (after one warning) when it is not safe or not writable. */
export function ensureDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
      warnOnce(`${dir} is not a directory of this user`);
      return false;
    }
    return true;
  } catch (err) {
    warnOnce(`${dir}: ${(err as Error).message}`);
    return false;
  }
}

/** Writes (or rewrites) a server's entry. */
export function writeEntry(dir: string, e: AnyEntry): void {
  if (!ensureDir(dir)) return;
  const file = entryFile(dir, e);
  try {
    // Written aside and renamed: a reader never sees half a file.
    writeFileSync(`${file}.tmp`, `${JSON.stringify(e)}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  } catch (err) {
    warnOnce(`${file}: ${(err as Error).message}`);
  }
}

export function removeEntry(dir: string, e: EntryKey): void {
  rmSync(entryFile(dir, e), { force: true });
}

/** Parses an entry; null for anything that is not one (a file being written, another program's). */
export function parseEntry(text: string): AnyEntry | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  return 'launchId' in v ? parseContainerEntry(v as Partial<ContainerEntry>) : parseProcessEntry(v);
}

const int = (x: unknown): x is number => Number.isInteger(x) && (x as number) > 0;

function parseProcessEntry(e: Partial<RegistryEntry>): RegistryEntry | null {
  // Port 0: a server whose port was still being discovered (its command has no {port}).
  const port = Number.isInteger(e.port) && e.port! >= 0 ? e.port! : null;
  if (!int(e.harnessPid) || !int(e.pgid) || port === null || typeof e.command !== 'string') return null;
  return {
    harnessPid: e.harnessPid,
    harnessStartTicks: Number.isFinite(e.harnessStartTicks) ? e.harnessStartTicks! : null,
    name: typeof e.name === 'string' ? e.name : '?',
    pgid: e.pgid,
    pgidStartTicks: Number.isFinite(e.pgidStartTicks) ? e.pgidStartTicks! : null,
    command: e.command,
    host: typeof e.host === 'string' ? e.host : '127.0.0.1',
    port,
    startedAt: typeof e.startedAt === 'string' ? e.startedAt : '?',
    socketInodes: Array.isArray(e.socketInodes) ? e.socketInodes.filter(int) : [],
  };
}

/**
 * A container's or an image's name as the engine takes it, that cannot be read as an option (no
 * leading "-") and is one word: what a later run hands to the docker command.
 */
export const ENGINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/@-]*$/;

function parseContainerEntry(e: Partial<ContainerEntry>): ContainerEntry | null {
  const name = (x: unknown): x is string => typeof x === 'string' && ENGINE_NAME.test(x) && x.length <= 255;
  if (!int(e.harnessPid) || typeof e.launchId !== 'string' || !/^[0-9a-f]{16}$/.test(e.launchId)) return null;
  if (!name(e.containerName) || !name(e.image)) return null;
  const id = e.containerId;
  if (id !== null && id !== undefined && !(typeof id === 'string' && /^[0-9a-f]{12,64}$/.test(id))) return null;
  return {
    harnessPid: e.harnessPid,
    harnessStartTicks: Number.isFinite(e.harnessStartTicks) ? e.harnessStartTicks! : null,
    name: typeof e.name === 'string' ? e.name : '?',
    launchId: e.launchId,
    containerName: e.containerName,
    containerId: id ?? null,
    image: e.image,
    command: typeof e.command === 'string' ? e.command : '?',
    host: typeof e.host === 'string' ? e.host : '127.0.0.1',
    port: int(e.port) ? e.port : null,
    startedAt: typeof e.startedAt === 'string' ? e.startedAt : '?',
  };
}

/** Every entry file of the directory, with its parsed entry (null when unreadable). */
export function readEntries(dir: string): { file: string; entry: AnyEntry | null }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json') || abandonedClaim(n))
    .map((n) => {
      const file = join(dir, n);
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        /* removed meanwhile */
      }
      return { file, entry: parseEntry(text) };
    });
}

/** An entry claimed by a harness that died before it was done with it (see claimEntry). */
function abandonedClaim(name: string): boolean {
  const m = /\.json\.sweep-(\d+)$/.exec(name);
  if (!m) return false;
  try {
    process.kill(Number(m[1]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Takes an entry for handling, so that two harnesses sweeping at once do not both handle it:
 * the file is renamed, which only one of them can do. Returns the new name, or null.
 */
export function claimEntry(file: string): string | null {
  const claimed = `${file.replace(/\.sweep-\d+$/, '')}.sweep-${process.pid}`;
  try {
    renameSync(file, claimed);
    return claimed;
  } catch {
    return null;
  }
}

/** Gives back a claimed entry that is to stay in the registry (its leftovers could not be handled now). */
export function releaseClaim(claimed: string): void {
  try {
    renameSync(claimed, claimed.replace(/\.sweep-\d+$/, ''));
  } catch {
    /* removed meanwhile */
  }
}
