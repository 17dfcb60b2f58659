import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import type { LoadMode, Matrix, ServerSpec } from '../types.ts';
import { parseMatrix } from '../matrix.ts';
import { loadAllServers, parseServerFlag } from '../manifest.ts';
import { DEFAULT_DOC_ROOT } from '../paths.ts';
import { RUNTIMES, parseCpus, parseMemoryMb, type Runtime } from '../runtime.ts';
import { describeCpus, describeMemory } from '../report/run-info.ts';

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

/** The help text of the runtime options, shared by the commands that start servers. */
export const RUNTIME_OPTION_HELP = `  --runtime process|container
                         where the servers run: process (default), or container: each server's
                         image is built from the Dockerfile its server.json names ("container"
                         section) and runs on the host's network; needs a container engine
  --cpus N               container CPU limit, for example 1 or 0.5 (default: the manifest's
                         container.cpus, else none); only with --runtime container
  --memory SIZE          container memory limit, for example 512m or 1g (default: the
                         manifest's container.memoryMb, else none); only with --runtime container`;

/** The runtime options, to spread into the options of parseArgs. No defaults: given or not matters. */
export const RUNTIME_OPTIONS = {
  runtime: { type: 'string' },
  cpus: { type: 'string' },
  memory: { type: 'string' },
} as const;

/** The runtime options as parseArgs returns them. */
export interface RuntimeFlags {
  runtime?: string | undefined;
  cpus?: string | undefined;
  memory?: string | undefined;
}

/** Where servers run, and a container's limits when given (else the manifest's apply). */
export interface RuntimeSelection {
  runtime: Runtime;
  cpus?: number;
  memoryMb?: number;
}

function isRuntime(value: string): value is Runtime {
  return (RUNTIMES as readonly string[]).includes(value);
}

/** An ad-hoc `--server NAME=CMD` server (its source is the flag itself). */
function isAdHoc(spec: ServerSpec): boolean {
  return spec.source.startsWith('--server ');
}

/**
 * The runtime options, checked against the servers they apply to. `fallback` holds what a
 * configuration file chose; a flag given on the command line wins over it.
 */
export function parseRuntimeOptions(flags: RuntimeFlags, servers: readonly ServerSpec[], fallback: Partial<RuntimeSelection> = {}): RuntimeSelection {
  const runtimeText = flags.runtime ?? fallback.runtime ?? 'process';
  if (!isRuntime(runtimeText)) {
    throw new UsageError(`--runtime takes ${RUNTIMES.join(' or ')}, got ${JSON.stringify(runtimeText)}`);
  }
  const runtime: Runtime = runtimeText;
  if (runtime !== 'container') {
    const given = [flags.cpus !== undefined ? '--cpus' : null, flags.memory !== undefined ? '--memory' : null].filter(Boolean);
    // A limit that would silently not apply is a mistake worth stopping for: processes get no limits.
    if (given.length > 0) {
      const what = given.length > 1 ? 'are container limits' : 'is a container limit';
      throw new UsageError(`${given.join(' and ')} ${what}, and servers run as processes here: add --runtime container`);
    }
    return { runtime };
  }
  const selection: RuntimeSelection = { runtime };
  try {
    const cpus = flags.cpus !== undefined ? parseCpus(flags.cpus) : fallback.cpus;
    const memoryMb = flags.memory !== undefined ? parseMemoryMb(flags.memory) : fallback.memoryMb;
    if (cpus !== undefined) selection.cpus = cpus;
    if (memoryMb !== undefined) selection.memoryMb = memoryMb;
  } catch (err) {
    throw new UsageError(`--${(err as Error).message}`);
  }
  const without = servers.filter((s) => !s.container);
  if (without.length > 0) {
    const names = without.map((s) => (isAdHoc(s) ? `${s.name} (${s.source})` : s.name));
    throw new UsageError(
      `in a container (--runtime container) each server runs from the "container" section of its server.json ` +
        `(a Dockerfile and the command to run), and ${without.length === 1 ? 'this server has' : 'these servers have'} none: ${names.join(', ')}. ` +
        'Ad-hoc --server NAME=CMD servers have no Dockerfile, so they run only as processes (--runtime process).',
    );
  }
  return selection;
}

/** "process", "container", or "container, 1 CPU and 512 MiB each": for a command's first line. */
export function describeRuntimeSelection(selection: RuntimeSelection): string {
  if (selection.runtime !== 'container') return selection.runtime;
  const limits = [
    selection.cpus !== undefined ? describeCpus(selection.cpus) : null,
    selection.memoryMb !== undefined ? describeMemory(selection.memoryMb) : null,
  ].filter((l): l is string => l !== null);
  // Without limits on the command line each server has its manifest's, shown when it starts.
  return limits.length ? `container, ${limits.join(' and ')} each` : 'container';
}

/**
 * With --runtime container, whether a container engine answers: null when one does (or none is
 * needed), else the message to print before exiting with code 2, which says how to start one.
 * The engine module (and testcontainers with it) is loaded only when containers are asked for.
 */
export async function containerEngineProblem(runtime: Runtime): Promise<string | null> {
  if (runtime !== 'container') return null;
  const { containerEngineStatus } = await import('../container/engine.ts');
  const status = await containerEngineStatus();
  return status.available ? null : status.reason;
}

export const BENCH_USAGE = `usage: gauntlet bench [options]

Runs ApacheBench's measurements over a matrix of (requests x concurrency) cells against each
server, one server at a time, and writes results.json, report.md and report.html.

options:
${SERVER_OPTION_HELP}
${RUNTIME_OPTION_HELP}
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

After measuring, the conformance cases (as gauntlet check) run against the same servers in the
same runtime, and report.html holds the tables, the plots, the findings and the conformance grid;
a gate.json (the results of gauntlet gate) put in the folder adds the verdicts of the perf claims.`;

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
  /** Where the servers run (the conformance check after measuring uses the same). */
  runtime: Runtime;
  /** Container CPU limit, when given. */
  cpus?: number;
  /** Container memory limit in MiB, when given. */
  memoryMb?: number;
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
        ...RUNTIME_OPTIONS,
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
    return { servers: [], mode: v.mode, matrix, path: v.path, root: v.root, out: null, warmup: 0, timeoutMs: 0, noCheck: true, runtime: 'process', help: true };
  }
  const root = resolveRoot(v.root);
  const servers = await resolveServers(v.server);
  const runtime = parseRuntimeOptions(v, servers);
  return {
    servers,
    ...runtime,
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
