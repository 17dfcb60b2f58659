/** The project's fixed folders, found from this file, so that no command depends on its working directory. */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The project's root folder (the one holding package.json). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where servers under test live, one folder each with a server.json. */
export const SERVERS_DIR = join(PROJECT_ROOT, 'servers');

/** The document root every reference server is started with. */
export const DEFAULT_DOC_ROOT = join(PROJECT_ROOT, 'fixtures', 'www');

/** Where `gauntlet bench` writes its reports by default. */
export const REPORTS_DIR = join(PROJECT_ROOT, 'reports');
