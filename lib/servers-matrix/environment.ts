/**
 * What the matrix finds out about the machine before it runs: each server's version (the first
 * line of its version command), the commit it runs at, and a document root every server can
 * read (Apache switches to www-data, so the root and every folder above it must be readable by
 * others; when they are not, the fixtures are copied to a folder that is).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../paths.ts';
import { versionLine } from './servers.ts';

/** The first line a version command prints (on stdout or stderr: nginx -v uses stderr). */
export function versionOf(command: readonly string[]): string {
  const [bin, ...args] = command;
  if (bin === undefined) return 'unknown';
  const out = spawnSync(bin, args, { encoding: 'utf8', timeout: 10_000 });
  if (out.error) return `unknown (${out.error.message})`;
  return versionLine(`${out.stdout}\n${out.stderr}`) || 'unknown (it printed nothing)';
}

/** The commit the tree is at, short, with a note when the tree differs from it. */
export function currentCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    // `git diff --quiet` exits 1 when tracked files differ from the commit; it changes nothing.
    const clean = spawnSync('git', ['diff', '--quiet', 'HEAD'], { cwd: PROJECT_ROOT }).status === 0;
    return clean ? sha : `${sha} + uncommitted changes`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Whether a mode lets others reach into a folder (x) and list it (r). */
export function othersCanEnter(mode: number): boolean {
  return (mode & 0o005) === 0o005;
}

/** The folders from `path` up to /, the first that others cannot enter, or null. */
export function firstClosedFolder(path: string, modeOf: (p: string) => number): string | null {
  for (let p = path; ; p = dirname(p)) {
    if (!othersCanEnter(modeOf(p))) return p;
    if (dirname(p) === p) return null;
  }
}

/**
 * A document root others can read: `root` itself when every folder up to / lets them in,
 * else a copy under `tmp` (made readable by all). `log` says when a copy is made.
 */
export function readableRoot(root: string, tmp: string, log: (line: string) => void): string {
  const closed = firstClosedFolder(root, (p) => statSync(p).mode);
  if (closed === null) return root;
  const copy = join(tmp, 'www');
  log(`${closed} is not readable by others (Apache runs as www-data): serving a copy of ${root} from ${copy}`);
  cpSync(root, copy, { recursive: true });
  chmodTree(copy);
  return copy;
}

/** o+rX over a copied tree: folders 755, files 644. */
function chmodTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(p);
    else chmodSync(p, 0o644);
  }
}
