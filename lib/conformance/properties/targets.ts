/**
 * What generated targets name when they should name something: the files under the server's
 * document root, as URL paths.
 */
import fc from 'fast-check';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestTarget } from '../arbitraries/request-target.ts';
import type { PropertyTarget } from './types.ts';

/** Regular files under the root, as URL paths ("/" for a root with an index.html); what targets name when they should name something. */
export function knownFiles(root: string, maxFiles = 64): string[] {
  const files: string[] = [];
  const walk = (dir: string, prefix: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of entries) {
      if (files.length >= maxFiles) return;
      // Names that need encoding would make the equivalent spellings harder to get right; they are skipped.
      if (!/^[A-Za-z0-9._~-]+$/.test(name) || name === '.' || name === '..') continue;
      const full = join(dir, name);
      let st;
      try {
        st = statSync(full);
      } catch {
        continue;
      }
      if (st.isFile()) files.push(`${prefix}/${name}`);
      else if (st.isDirectory() && depth < 3) walk(full, `${prefix}/${name}`, depth + 1);
    }
  };
  walk(root, '', 0);
  if (files.includes('/index.html')) files.unshift('/');
  return files.length > 0 ? files : ['/'];
}

export function filesOf(target: PropertyTarget): string[] {
  return knownFiles(target.root);
}

/** A target that is always the same path, with no query. */
export function fixedTarget(path: string): fc.Arbitrary<RequestTarget> {
  return fc.constant({ target: path, path, query: null, names: null });
}
