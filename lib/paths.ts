/**
 * The folders Gauntlet reads and writes, in two places. The package's own (found from this
 * file, so wherever it is installed): package.json, the reference servers and the document root
 * they serve. The user's project (the current directory): the servers under test and the reports,
 * so that an installed Gauntlet neither writes into node_modules nor benchmarks its own reference
 * servers. In this repository both are the same folder.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

/**
 * The package's root folder (the one holding its package.json): this file is lib/paths.ts in
 * the sources and dist/paths.js once built, one level down either way.
 */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The reference servers that ship with the package, each a folder with a server.json. */
export const REFERENCE_SERVERS_DIR = join(PROJECT_ROOT, 'servers');

/** Where the servers under test live: servers/ of the current directory, one folder each with a server.json. */
export const SERVERS_DIR = resolve('servers');

/** The document root every reference server is started with (the package's own). */
export const DEFAULT_DOC_ROOT = join(PROJECT_ROOT, 'fixtures', 'www');

/** Where `gauntlet bench` writes its reports by default: reports/ of the current directory. */
export const REPORTS_DIR = resolve('reports');

/**
 * The folder to look a server's name up in: servers/ of the current directory when it has that
 * server (or when the package has none by that name, so that the message names the folder the
 * user would add it to), else the package's reference servers.
 */
export function serversDirFor(name: string): string {
  if (existsSync(join(SERVERS_DIR, name)) || !existsSync(join(REFERENCE_SERVERS_DIR, name))) return SERVERS_DIR;
  return REFERENCE_SERVERS_DIR;
}
