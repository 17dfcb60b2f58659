import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import type { LoadMode, Matrix, ServerSpec } from '../types.ts';
import { parseMatrix } from '../matrix.ts';
import { loadAllServers, parseServerFlag } from '../manifest.ts';
import { DEFAULT_DOC_ROOT } from '../paths.ts';

/** A mistake in the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The help text of the `--server` flag, shared by the commands that start servers. */
export const SERVER_OPTION_HELP = `  --server NAME          a server of servers/ (repeatable; default: every server there)
  --server "NAME=CMD"    any command with {port} (and {root}); NAME:MODEL:LANGUAGE=CMD also
                         states its concurrency model and language, so it can be compared`;

export const BENCH_USAGE = `usage: gauntlet bench [options]

Runs ApacheBench's measurements over a matrix of (requests x concurrency) cells against each
server, one server at a time, and writes results.json, report.md and report.html.

options:
${SERVER_OPTION_HELP}
  --mode close|keepalive close: a new connection per request, as ab does (default);
                         keepalive: persistent connections, as ab -k / autocannon
  --matrix M             seed (default), tugas9, or N:C1,C2,... (groups separated by ';')
  --path PATH            the request path (default /)
  --root DIR             the document root given to servers as {root} (default fixtures/www)
  --out DIR              the report folder (default reports/<timestamp>)
  --warmup N             requests sent before the matrix and not recorded (default 0, as ab)
  --timeout S            seconds before a request counts as failed (default 30, as ab -s)
  --no-check             do not run the conformance cases against the servers after measuring
  -h, --help             this text

After measuring, the conformance cases (as gauntlet check) run against the same servers, and
report.html holds the tables, the plots, the findings and the conformance grid; a gate.json
(the results of gauntlet gate) put in the folder adds the verdicts of the perf claims.`;

export interface BenchArgs {
  servers: ServerSpec[];
  mode: LoadMode;
  matrix: Matrix;
  path: string;
  root: string;
  out: string | null;
  warmup: number;
  timeoutMs: number;
  /** Skip the conformance cases after measuring. */
  noCheck: boolean;
  help: boolean;
}

export function nonNegativeInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} takes a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** `--root DIR` as an absolute path to an existing folder. */
export function resolveRoot(value: string): string {
  const root = resolve(value);
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--root ${JSON.stringify(value)} is not a folder`);
  }
  return root;
}

/** The servers named by `--server` flags (every server of servers/ without any), each named once. */
export async function resolveServers(flags: readonly string[] | undefined): Promise<ServerSpec[]> {
  const servers = flags?.length ? await Promise.all(flags.map((s) => parseServerFlag(s))) : await loadAllServers();
  if (servers.length === 0) throw new UsageError('no servers: add a folder to servers/ or pass --server');
  const names = new Set<string>();
  for (const s of servers) {
    if (names.has(s.name)) throw new UsageError(`server "${s.name}" is named twice`);
    names.add(s.name);
  }
  return servers;
}

export async function parseBenchArgs(argv: string[]): Promise<BenchArgs> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        server: { type: 'string', multiple: true },
        mode: { type: 'string', default: 'close' },
        matrix: { type: 'string', default: 'seed' },
        path: { type: 'string', default: '/' },
        root: { type: 'string', default: DEFAULT_DOC_ROOT },
        out: { type: 'string' },
        warmup: { type: 'string', default: '0' },
        timeout: { type: 'string', default: '30' },
        'no-check': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.mode !== 'close' && v.mode !== 'keepalive') {
    throw new UsageError(`--mode takes close or keepalive, got ${JSON.stringify(v.mode)}`);
  }
  if (!v.path.startsWith('/')) throw new UsageError(`--path must start with /, got ${JSON.stringify(v.path)}`);
  let matrix: Matrix;
  try {
    matrix = parseMatrix(v.matrix);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const timeoutS = Number(v.timeout);
  if (!(timeoutS > 0)) throw new UsageError(`--timeout takes a positive number of seconds, got ${JSON.stringify(v.timeout)}`);
  if (v.help) {
    return { servers: [], mode: v.mode, matrix, path: v.path, root: v.root, out: null, warmup: 0, timeoutMs: 0, noCheck: true, help: true };
  }
  const root = resolveRoot(v.root);
  const servers = await resolveServers(v.server);
  return {
    servers,
    mode: v.mode,
    matrix,
    path: v.path,
    root,
    out: v.out ? resolve(v.out) : null,
    warmup: nonNegativeInt(v.warmup, '--warmup'),
    timeoutMs: Math.round(timeoutS * 1000),
    noCheck: v['no-check'],
    help: false,
  };
}
