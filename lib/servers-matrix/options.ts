/**
 * The command line of `npm run servers:matrix` (pure): which servers, where the page goes,
 * whether apt-get may run, and whether unexplained or stale deviations still exit 0.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths.ts';

/** A bad argument: the command says it with its usage and exits 2. */
export class MatrixUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MatrixUsageError';
  }
}

export interface MatrixOptions {
  /** The servers to run, by name; null for all of them. */
  only: string[] | null;
  /** The page to write. */
  out: string;
  /** Never run apt-get, even as root. */
  noInstall: boolean;
  /** Exit 0 even with unexplained or stale deviations (they are still listed). */
  allowUnexplained: boolean;
  help: boolean;
}

export const DEFAULT_OUT = join(PROJECT_ROOT, 'docs', 'servers.md');

export const USAGE = `npm run servers:matrix -- [--only NAME[,NAME]] [--out FILE] [--no-install] [--allow-unexplained]

Runs every conformance case against stock servers (nginx, Apache httpd, lighttpd, Python's
http.server, node:http) and the reference servers of servers/, one at a time on 127.0.0.1, and
writes the table of results (default docs/servers.md). Each failure of a MUST or security case
links to its explanation in docs/servers-deviations.json; failures without one and explanations
that no longer match a failure are listed, printed, and make the command exit 1.

  --only NAME[,NAME]    run only these servers (repeatable)
  --out FILE            the page to write (default docs/servers.md)
  --no-install          never run apt-get: a missing server is a column saying so
  --allow-unexplained   exit 0 even with unexplained or stale deviations
`;

/** Parses the arguments; throws a message naming a bad one. */
export function parseMatrixOptions(argv: readonly string[]): MatrixOptions {
  try {
    return optionsOf(argv);
  } catch (err) {
    throw err instanceof MatrixUsageError ? err : new MatrixUsageError((err as Error).message);
  }
}

function optionsOf(argv: readonly string[]): MatrixOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string', multiple: true },
      out: { type: 'string' },
      'no-install': { type: 'boolean', default: false },
      'allow-unexplained': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const only = values.only?.flatMap((v) => v.split(',')).map((n) => n.trim()) ?? null;
  if (only?.some((n) => n === ''))
    throw new MatrixUsageError(`--only: an empty server name in ${JSON.stringify(values.only)}`);
  if (values.out === '') throw new MatrixUsageError('--out: an empty file name');
  return {
    only,
    out: values.out ?? DEFAULT_OUT,
    noInstall: values['no-install'],
    allowUnexplained: values['allow-unexplained'],
    help: values.help,
  };
}
