/**
 * `gauntlet bench`'s command line: its flags, its help, and the one cell `--concurrency` with
 * `--requests` or `--duration` names instead of a matrix. The parser and the checks every command
 * shares are in args.ts.
 */
import type { Matrix } from '../types.ts';
import { DEFAULT_BENCH_ROUNDS } from '../bench.ts';
import { DEFAULT_DOC_ROOT } from '../paths.ts';
import { MAX_CONCURRENCY, MAX_DURATION_S, MAX_REQUESTS, parseDuration } from '../matrix.ts';
import {
  MAX_BENCH_ROUNDS,
  MAX_TIMEOUT_S,
  RUNTIME_OPTIONS,
  RUNTIME_OPTION_HELP,
  SERVER_OPTION_HELP,
  UsageError,
  flagError,
  matrixFlag,
  parseFlags,
  parseMode,
  parseRuntimeOptions,
  resolveOut,
  resolveRoot,
  resolveServers,
  seconds,
  wholeNumber,
} from './args.ts';
import { JSON_OPTION_HELP } from './json-output.ts';
import { REQUEST_OPTIONS, REQUEST_OPTION_HELP, parseRequestFlags } from './request-flags.ts';
import type { RequestShape } from '../load/ab-request.ts';
import { CSV_OPTION_HELP, csvFlag } from './csv-flag.ts';
import { URL_OPTION, URL_OPTION_HELP, serverValuesInOrder } from './url-flag.ts';
import { NO_TLS, TLS_OPTIONS, TLS_OPTION_HELP, parseTlsFlags, type TlsFlags } from './tls-flag.ts';
import type { ServerSpec, LoadMode } from '../types.ts';
import { ENGINE_OPTIONS, ENGINE_OPTION_HELP, checkEngineRun, parseEngineFlags } from './engine-flags.ts';
import type { LoadEngine } from '../locust/engine.ts';
import type { Runtime } from '../runtime.ts';
import { SHARD_OPTION, shardFlag } from './shard-flag.ts';
import { benchShard } from '../shard/bench-shard.ts';
import type { BenchShardRecord } from '../shard/record.ts';

/** The highest --rate: far above what one client process sends, and still a sane timer budget. */
export const MAX_RATE = 1_000_000;

/** `--duration D`: 10s, 500ms, 2m (or plain seconds), up to MAX_DURATION_S. */
export function durationFlag(text: string): number {
  const s = /^\d+(\.\d+)?$/.test(text) ? Number(text) : parseDuration(text);
  if (s === null) throw flagError('--duration', text, 'is not a duration such as 10s, 500ms or 2m');
  if (!(s > 0)) throw flagError('--duration', text, 'must be above 0');
  if (s > MAX_DURATION_S) throw flagError('--duration', text, `is above ${MAX_DURATION_S} s, the most a cell takes`);
  return s;
}

/** `--rate R`: requests per second in all, above 0 (decimals allowed: 0.5 is one every 2 s). */
export function rateFlag(text: string): number {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) throw flagError('--rate', text, 'is not a number of requests per second');
  const r = Number(text);
  if (!(r > 0)) throw flagError('--rate', text, 'must be above 0');
  if (r > MAX_RATE) throw flagError('--rate', text, `is above ${MAX_RATE}, the most it takes`);
  return r;
}

/**
 * The one cell of `--concurrency C` with `--requests N` or `--duration D`, as a matrix of one
 * group; null when none of the three is given. Mixing it with --matrix is a usage error.
 */
export function cellFlags(v: {
  concurrency?: string;
  requests?: string;
  duration?: string;
  matrix?: string;
}): Matrix | null {
  const { concurrency, requests, duration, matrix } = v;
  if (concurrency === undefined && requests === undefined && duration === undefined) return null;
  if (matrix !== undefined) {
    const flag = concurrency !== undefined ? '--concurrency' : requests !== undefined ? '--requests' : '--duration';
    throw new UsageError(`${flag} names one cell, and --matrix a matrix: give one or the other`);
  }
  if (concurrency === undefined) throw new UsageError('--requests and --duration need --concurrency C');
  const c = wholeNumber('--concurrency', concurrency, 1, MAX_CONCURRENCY);
  if (requests !== undefined && duration !== undefined) {
    throw new UsageError('--requests and --duration both end a cell: give one of them');
  }
  if (duration !== undefined) {
    const durationS = durationFlag(duration);
    return { name: `${durationS}s:${c}`, groups: [{ requests: 0, concurrencies: [c], durationS }] };
  }
  if (requests === undefined) throw new UsageError('--concurrency needs --requests N or --duration D');
  const n = wholeNumber('--requests', requests, 1, MAX_REQUESTS);
  if (c > n) throw flagError('--concurrency', concurrency, `is greater than the ${n} requests (ab refuses it too)`);
  return { name: `${n}:${c}`, groups: [{ requests: n, concurrencies: [c] }] };
}

export const BENCH_USAGE = `usage: gauntlet bench [options]

Runs ApacheBench's measurements over a matrix of (requests x concurrency) cells against every
server (one under load at a time, interleaved round by round), and writes results.json,
report.md and report.html.

options:
${SERVER_OPTION_HELP}
${URL_OPTION_HELP}
${RUNTIME_OPTION_HELP}
${TLS_OPTION_HELP}
  --mode close|keepalive close: a new connection per request, as ab does (default);
                         keepalive: persistent connections (HTTP/1.1), as ab -k
  --matrix M             seed (default), tugas9, or N:C1,C2,... (groups separated by ';');
                         a duration instead of N (10s:C1,C2) sends for that long
  --concurrency C        one cell of C connections instead of a matrix, with --requests N or
                         --duration D (10s, 500ms, 2m)
  --requests N           the requests of that one cell
  --duration D           how long that one cell sends
  --rate R               the open model: R requests per second in all, each timed from when it
                         was meant to be sent (as wrk2), in every cell; the achieved and completed
                         rates are reported beside it (default: closed loops, as ab)
${JSON_OPTION_HELP.replace('FILE', 'results.json')}
${CSV_OPTION_HELP}
  --rounds N             runs of each cell, servers interleaved; the table shows the median run
                         (default ${DEFAULT_BENCH_ROUNDS}; 1: one run per cell, as the seed did)
  --keep-going           count refused connects and timeouts as failures and go on, as ab -r does
                         (default: a cell stops at the first one, as ab does)
${REQUEST_OPTION_HELP}
${ENGINE_OPTION_HELP}
  --root DIR             the document root given to servers as {root} (default fixtures/www)
  --out DIR              the report folder (default reports/<timestamp>)
  --warmup N             requests sent before the matrix and not recorded (default 0, as ab)
  --timeout S            seconds before a request counts as failed (default 30, as ab -s;
                         from 0.001 to ${MAX_TIMEOUT_S})
  --no-check             do not run the conformance cases against the servers after measuring
  --shard I/N            measure only shard I of N of the servers (every cell of a server on one
                         shard, compared only with the servers of its shard); gauntlet merge
                         joins the shards' folders
  -h, --help             this text

After measuring, the conformance cases (as gauntlet check) run against the same servers in the
same runtime, and report.html holds the tables, the plots, the findings and the conformance grid;
a gate.json (the results of gauntlet gate) put in the folder adds the verdicts of the perf claims.`;

export interface BenchArgs extends TlsFlags {
  servers: ServerSpec[];
  mode: LoadMode;
  matrix: Matrix;
  /** The request path (the first --path). */
  path: string;
  /** Whether --path was given: if not, each URL server is sent its URL's own path. */
  pathGiven: boolean;
  /** How the request departs from ab's GET (--method, --header, --body, --chunked, several --path). */
  shape?: RequestShape;
  root: string;
  out: string | null;
  warmup: number;
  timeoutMs: number;
  /** Runs of each cell, the servers interleaved (--rounds; default DEFAULT_BENCH_ROUNDS). */
  rounds: number;
  /** Count refused connects and timeouts as failures and go on, as ab -r (--keep-going). */
  keepGoing: boolean;
  /** Skip the conformance cases after measuring. */
  noCheck: boolean;
  /** Print results.json on stdout, the tables on stderr (--json). */
  json: boolean;
  /** Where to write one CSV row per run of a cell, as each finishes (--csv), absolute. */
  csv?: string;
  /** --shard: this shard's part of the servers (`servers` holds only them). */
  shard?: BenchShardRecord;
  /** Requests per second of every cell (--rate): the open model. */
  rate?: number;
  /** The engine that sends the cells (--engine, --workers, --locust-master). */
  engine: LoadEngine;
  /** Where the servers run (the conformance check after measuring uses the same). */
  runtime: Runtime;
  /** Container CPU limit, when given. */
  cpus?: number;
  /** Container memory limit in MiB, when given. */
  memoryMb?: number;
  help: boolean;
}

export const BENCH_OPTIONS = {
  server: { type: 'string', multiple: true },
  ...URL_OPTION,
  ...RUNTIME_OPTIONS,
  ...TLS_OPTIONS,
  mode: { type: 'string', default: 'close' },
  matrix: { type: 'string' },
  rounds: { type: 'string', default: String(DEFAULT_BENCH_ROUNDS) },
  'keep-going': { type: 'boolean', default: false },
  path: { type: 'string', multiple: true },
  ...REQUEST_OPTIONS,
  ...ENGINE_OPTIONS,
  root: { type: 'string', default: DEFAULT_DOC_ROOT },
  out: { type: 'string' },
  warmup: { type: 'string', default: '0' },
  timeout: { type: 'string', default: '30' },
  'no-check': { type: 'boolean', default: false },
  concurrency: { type: 'string' },
  requests: { type: 'string' },
  duration: { type: 'string' },
  rate: { type: 'string' },
  json: { type: 'boolean', default: false },
  csv: { type: 'string' },
  ...SHARD_OPTION,
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Help asked for: nothing else is checked, and nothing runs. */
const BENCH_HELP: BenchArgs = {
  servers: [],
  mode: 'close',
  matrix: { name: 'seed', groups: [] },
  path: '/',
  pathGiven: false,
  root: DEFAULT_DOC_ROOT,
  out: null,
  warmup: 0,
  timeoutMs: 0,
  rounds: DEFAULT_BENCH_ROUNDS,
  keepGoing: false,
  noCheck: true,
  json: false,
  runtime: 'process',
  engine: { name: 'gauntlet' },
  ...NO_TLS,
  help: true,
};

/** --shard's servers: a shard with none (more shards than servers) is a usage error. */
function shardOfServers(servers: ServerSpec[], value: string): { servers: ServerSpec[]; record: BenchShardRecord } {
  const shard = shardFlag(value);
  const mine = benchShard(servers, shard);
  if (!mine)
    throw flagError(
      '--shard',
      value,
      `bench splits by server and there are ${servers.length} server(s): give at most ${servers.length} shards`,
    );
  return mine;
}

/** `gauntlet bench`'s command line, every value checked before anything starts or is written. */
export async function parseBenchArgs(argv: string[]): Promise<BenchArgs> {
  const v = parseFlags(argv, BENCH_OPTIONS);
  if (v.help) return { ...BENCH_HELP };
  const mode = parseMode('--mode', v.mode);
  const request = await parseRequestFlags(v);
  const matrix = cellFlags(v) ?? matrixFlag(v.matrix ?? 'seed');
  const rate = v.rate === undefined ? undefined : rateFlag(v.rate);
  const rounds = wholeNumber('--rounds', v.rounds, 1, MAX_BENCH_ROUNDS);
  const warmup = wholeNumber('--warmup', v.warmup, 0, MAX_REQUESTS);
  // Timeouts are whole milliseconds: a shorter one would round to 0 ms, which timers read as "at once".
  const timeoutS = seconds('--timeout', v.timeout, 0.001, MAX_TIMEOUT_S, ' (1 ms): anything shorter rounds to 0 ms');
  const root = resolveRoot(v.root);
  const out = resolveOut(v.out);
  const csv = v.csv === undefined ? undefined : csvFlag(v.csv);
  const values = serverValuesInOrder(argv, BENCH_OPTIONS);
  const servers = await resolveServers(values.length ? values : undefined);
  const runtime = parseRuntimeOptions(v, servers);
  const tls = parseTlsFlags(v, servers, runtime.runtime, (problem) => new UsageError(problem));
  const engine = parseEngineFlags(v);
  checkEngineRun(engine, {
    matrix,
    tls: tls.tls,
    chunked: request.shape?.chunked === true,
    timeoutGiven: argv.some((a) => a === '--timeout' || a.startsWith('--timeout=')),
  });
  const shard = v.shard === undefined ? null : shardOfServers(servers, v.shard);
  return {
    servers: shard?.servers ?? servers,
    ...(shard && { shard: shard.record }),
    ...runtime,
    ...tls,
    engine,
    mode,
    matrix,
    ...request,
    root,
    out,
    warmup,
    timeoutMs: Math.max(1, Math.round(timeoutS * 1000)),
    rounds,
    keepGoing: v['keep-going'],
    noCheck: v['no-check'],
    json: v.json,
    ...(rate !== undefined && { rate }),
    ...(csv !== undefined && { csv }),
    help: false,
  };
}
