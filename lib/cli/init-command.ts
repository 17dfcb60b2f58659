/**
 * `gauntlet init`: the three files a project needs to start testing its server with Gauntlet (a
 * gate configuration, a vitest spec using the matchers, a GitHub workflow), copied from the
 * templates shipped in the package (templates/init/). It never overwrites a file unless told
 * to: a project's own configuration is worth more than a starting point.
 */
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { PROJECT_ROOT } from '../paths.ts';
import { flagError, parseFlags } from './args.ts';
import { EXIT_FAILED, EXIT_OK, printUsage } from './command.ts';

export const INIT_USAGE = `usage: gauntlet init [options]

Writes a starting point into the current folder: gauntlet.config.ts (servers and claims for
"gauntlet gate"), test/gauntlet.test.ts (a vitest spec with the matchers of gauntlet/vitest) and
.github/workflows/gauntlet.yml (check and gate on every push, the reports kept as an artifact).
An existing file is never overwritten without --force: init names it and exits 1.

options:
  --dir DIR   the folder to write into (default: the current folder; made if missing)
  --force     overwrite files that exist
  -h, --help  this text`;

/** Where the templates are, in the repository and in the installed package alike. */
export const INIT_TEMPLATES_DIR = join(PROJECT_ROOT, 'templates', 'init');

/** Each file init writes, by its path in the project, and the template it is copied from. */
export const INIT_FILES: Readonly<Record<string, string>> = {
  'gauntlet.config.ts': 'gauntlet.config.ts.template',
  'test/gauntlet.test.ts': 'gauntlet.test.ts.template',
  '.github/workflows/gauntlet.yml': 'gauntlet.yml.template',
};

const INIT_OPTIONS = {
  dir: { type: 'string' },
  force: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** What to run once the files are there, printed after them. */
const NEXT_STEPS = `next:
  npm install --save-dev /path/to/gauntlet-<version>.tgz vitest   # the packed gauntlet (npm pack)
  npx gauntlet check --server node-async   # the conformance cases
  npx gauntlet gate                        # the claims of gauntlet.config.ts
  edit gauntlet.config.ts to name your own server ("NAME=COMMAND", {port} where it takes its port)`;

/** The folder to write into, checked before anything is written. */
function targetDir(value: string | undefined): string {
  if (value === undefined) return process.cwd();
  if (value.trim() === '') throw flagError('--dir', value, 'is empty: name a folder');
  const dir = resolve(value);
  const st = statSync(dir, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw flagError('--dir', value, 'is a file, not a folder');
  return dir;
}

/** How a written file is named to the user: relative to the working folder when inside it. */
function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/** `gauntlet init`. Exit codes: 0 written; 1 a file exists (nothing written); 2 usage. */
export async function initCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, INIT_OPTIONS);
  if (flags.help) return printUsage(INIT_USAGE);
  const dir = targetDir(flags.dir);
  const targets = Object.keys(INIT_FILES).map((path) => join(dir, path));
  const existing = targets.filter((file) => existsSync(file));
  if (existing.length > 0 && !flags.force) {
    const names = existing.map(shown).join(', ');
    process.stderr.write(
      `gauntlet init: ${names} ${existing.length === 1 ? 'exists' : 'exist'}; nothing was written (--force overwrites)\n`,
    );
    return EXIT_FAILED;
  }
  for (const [path, template] of Object.entries(INIT_FILES)) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await copyFile(join(INIT_TEMPLATES_DIR, template), file);
    process.stdout.write(`wrote ${shown(file)}\n`);
  }
  const cd = relative(process.cwd(), dir) ? `  cd ${shown(dir)}\n` : '';
  process.stdout.write(`\n${NEXT_STEPS.replace('\n', `\n${cd}`)}\n`);
  return EXIT_OK;
}
