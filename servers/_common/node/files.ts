/**
 * Files under the served root: lookup with the containment check, and a small cache.
 *
 * Lookups are synchronous. The files served are small and live in the page cache, so a blocking
 * read costs a few microseconds, less than a round trip through libuv's thread pool; the cache
 * below removes even that for repeated requests. Bigger files are streamed from a descriptor.
 *
 * A cache entry is trusted for REVALIDATE_MS, then its realpath and stat are taken again and
 * compared; a file that changed is read anew. Misses are never cached, so a file created under
 * the root is visible at once.
 */
import { type BigIntStats, closeSync, fstatSync, openSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { sep } from 'node:path';
import { type Validators, validatorsFor } from './conditional.ts';
import { contentTypeFor } from './mime.ts';

/** Files up to this size are held in memory and sent in one write. */
export const CACHE_MAX_FILE = 1024 * 1024;
const CACHE_MAX_ENTRIES = 1024;
const CACHE_MAX_BYTES = 64 * 1024 * 1024;
const REVALIDATE_MS = 1000;

export interface FileEntry {
  realPath: string;
  size: number;
  contentType: string;
  /** The content, when size <= CACHE_MAX_FILE; null for files streamed from disk. */
  body: Buffer | null;
  /** Exact nanoseconds: the ETag is built from them, as the Python servers do (no float rounding). */
  mtimeNs: bigint;
  /** ETag and Last-Modified, computed once from the stat that made the entry. */
  validators: Validators;
  ino: bigint;
  checkedAt: number;
  /** Whole responses already built for this entry, for the current Date value (see responses.ts). */
  responses: Array<Buffer | undefined>;
  responsesDate: string;
}

export type FileLookup = { ok: true; entry: FileEntry } | { ok: false; status: 403 | 404 };

const NOT_FOUND = { ok: false, status: 404 } as const;
const FORBIDDEN = { ok: false, status: 403 } as const;

export class StaticFiles {
  /** Real path of the root, without a trailing separator. */
  readonly root: string;
  private readonly rootPrefix: string;
  private readonly cache = new Map<string, FileEntry>();
  private cachedBytes = 0;

  constructor(root: string) {
    this.root = realpathSync.native(root);
    this.rootPrefix = this.root.endsWith(sep) ? this.root : this.root + sep;
  }

  /** Looks up decoded, normalised segments (see paths.ts). A directory serves its index.html. */
  lookup(segments: readonly string[], trailingSlash: boolean, now = Date.now()): FileLookup {
    const key = trailingSlash ? segments.join('/') + '/' : segments.join('/');
    const cached = this.cache.get(key);
    if (cached !== undefined && now - cached.checkedAt < REVALIDATE_MS) return { ok: true, entry: cached };

    let candidate = segments.length === 0 ? this.root : this.rootPrefix + segments.join(sep);
    if (trailingSlash) candidate += sep;
    const found = this.resolve(candidate);
    if (!found.ok) {
      if (cached !== undefined) this.forget(key, cached);
      return found;
    }
    const { real, stats } = found;
    if (
      cached !== undefined &&
      cached.realPath === real &&
      cached.mtimeNs === stats.mtimeNs &&
      BigInt(cached.size) === stats.size &&
      cached.ino === stats.ino
    ) {
      cached.checkedAt = now;
      return { ok: true, entry: cached };
    }
    if (cached !== undefined) this.forget(key, cached);

    let body: Buffer | null = null;
    let size = Number(stats.size);
    if (size <= CACHE_MAX_FILE) {
      try {
        body = readFileSync(real);
      } catch (err) {
        return statusForError(err);
      }
      size = body.length;
    }
    const entry: FileEntry = {
      realPath: real,
      size,
      contentType: contentTypeFor(real),
      body,
      mtimeNs: stats.mtimeNs,
      validators: validatorsFor(size, stats.mtimeNs, now),
      ino: stats.ino,
      checkedAt: now,
      responses: [],
      responsesDate: '',
    };
    if (body !== null) this.remember(key, entry);
    return { ok: true, entry };
  }

  /** Opens a file that is too big to hold for streaming; returns its descriptor and current size. */
  open(entry: FileEntry): { fd: number; size: number } | null {
    let fd = -1;
    try {
      fd = openSync(entry.realPath, 'r');
      const size = fstatSync(fd).size;
      return { fd, size };
    } catch {
      if (fd >= 0) closeSync(fd);
      return null;
    }
  }

  /** realpath + stat, the realpath checked against the root's; a directory resolves to its index.html. */
  private resolve(
    candidate: string,
  ): { ok: true; real: string; stats: BigIntStats } | { ok: false; status: 403 | 404 } {
    try {
      let real = realpathSync.native(candidate);
      if (!this.inside(real)) return FORBIDDEN;
      let stats = statSync(real, { bigint: true });
      if (stats.isDirectory()) {
        real = realpathSync.native(real + sep + 'index.html');
        if (!this.inside(real)) return FORBIDDEN;
        stats = statSync(real, { bigint: true });
      }
      if (!stats.isFile()) return NOT_FOUND;
      return { ok: true, real, stats };
    } catch (err) {
      return statusForError(err);
    }
  }

  private inside(real: string): boolean {
    return real === this.root || real.startsWith(this.rootPrefix);
  }

  private remember(key: string, entry: FileEntry): void {
    if (this.cache.size >= CACHE_MAX_ENTRIES || this.cachedBytes + entry.size > CACHE_MAX_BYTES) {
      this.cache.clear();
      this.cachedBytes = 0;
    }
    this.cache.set(key, entry);
    this.cachedBytes += entry.size;
  }

  private forget(key: string, entry: FileEntry): void {
    if (this.cache.get(key) === entry) {
      this.cache.delete(key);
      this.cachedBytes -= entry.size;
    }
  }
}

function statusForError(err: unknown): typeof NOT_FOUND | typeof FORBIDDEN {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EACCES' || code === 'EPERM' ? FORBIDDEN : NOT_FOUND;
}
