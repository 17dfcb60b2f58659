/**
 * npm run bench:engine -- [--server nginx|NAME] [--rounds 15] [--close 2000x10] [--keepalive 100000x10]
 *                         [--wrk-seconds 2] [--path /] [--only close|keepalive] [--no-pin]
 *
 * How fast the load engine is next to the tools it stands in for, on one server, side by side:
 * - keep-alive mode vs `wrk -t1 -cC` (target: at least 0.9 of wrk's requests/s); without wrk
 *   installed, vs the autocannon command line;
 * - close mode vs `ab -n N -c C` (target: at least 0.9 of ab's).
 * The default server is a stock nginx with one worker serving a 138-byte file (fixtures/nginx,
 * the file in a throw-away root): fast enough that the client's own cost shows.
 * After a warm-up, each round runs every cell with both tools, their order alternating from round
 * to round (A B, B A, ...). Requests/s is each tool's own figure (complete requests over its own
 * time); CPU per request is the engine's process.cpuUsage() over the cell, and the tool's user +
 * system time (lib/engine-bench/child-cpu.ts), over the requests each completed. The verdict is on
 * the median of the per-round ratios with a 95% bootstrap interval (lib/engine-bench/verdict.ts).
 * With two cores or more (and taskset) the server is pinned to the upper half of the cores, this
 * process and the tools it starts to the lower half (lib/perf/pinning.ts; --no-pin leaves them free).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findAb, abArgs, AB_INSTALL_HINT } from '../lib/ab/run-ab.ts';
import { parseAbOutput } from '../lib/ab/parse-ab.ts';
import { runWithCpu } from '../lib/engine-bench/child-cpu.ts';
import { formatVerdict, type RoundSample } from '../lib/engine-bench/verdict.ts';
import { findWrk, parseWrkOutput, wrkArgs, WRK_INSTALL_HINT } from '../lib/engine-bench/wrk.ts';
import { handleSignal } from '../lib/exit-hooks.ts';
import { launch, type RunningServer } from '../lib/launcher.ts';
import { autocannonCliArgs, autocannonCliPath } from '../lib/load/autocannon-cli.ts';
import { runCell } from '../lib/load/index.ts';
import { transportKind } from '../lib/load/transport.ts';
import { loadServer } from '../lib/manifest.ts';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { describePinning, pinForMeasurement, planCores, tasksetAvailable } from '../lib/perf/pinning.ts';
import type { CellSpec, LoadMode } from '../lib/types.ts';

const TARGET = 0.9;
/** A small static page, 138 bytes: serving it costs nginx little, so the client's own cost shows. */
const PAGE_OPEN = '<!doctype html><title>gauntlet</title><p>';
const PAGE_CLOSE = '</p>\n';
const FILE_138 = PAGE_OPEN + 'a'.repeat(138 - PAGE_OPEN.length - PAGE_CLOSE.length) + PAGE_CLOSE;

function parseCells(flag: string, text: string): CellSpec[] {
  return text
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const m = /^(\d+)x(\d+)$/.exec(part.trim());
      if (!m) throw new Error(`--${flag}: cell "${part}" is not NxC (for example 2000x10)`);
      return { requests: Number(m[1]), concurrency: Number(m[2]) };
    });
}

interface Side {
  rps: number;
  cpuS: number;
  requests: number;
}

type Target = { host: string; port: number; path: string };

async function engineSide(target: Target, mode: LoadMode, cell: CellSpec): Promise<Side> {
  const cpu0 = process.cpuUsage();
  const r = await runCell({ ...target, mode }, cell);
  const cpu = process.cpuUsage(cpu0);
  if (r.failedRequests > 0)
    console.error(`  engine: ${r.failedRequests} failed requests (${JSON.stringify(r.failed)})`);
  return { rps: r.requestsPerSecond, cpuS: (cpu.user + cpu.system) / 1e6, requests: r.completeRequests };
}

async function abSide(ab: string, target: Target, cell: CellSpec): Promise<Side> {
  const args = abArgs({
    ...target,
    requests: cell.requests,
    concurrency: cell.concurrency,
    continueOnReceiveError: true,
  });
  const run = await runWithCpu(ab, args);
  if (run.exitCode !== 0) throw new Error(`ab failed (exit ${run.exitCode}): ${run.stderr.trim()}`);
  const report = parseAbOutput(run.stdout);
  if (report.failedRequests > 0) console.error(`  ab: ${report.failedRequests} failed requests`);
  return { rps: report.requestsPerSecond ?? 0, cpuS: run.cpuS, requests: report.completeRequests };
}

async function wrkSide(wrk: string, target: Target, cell: CellSpec, seconds: number): Promise<Side> {
  const url = `http://${target.host}:${target.port}${target.path}`;
  const run = await runWithCpu(wrk, wrkArgs({ url, threads: 1, connections: cell.concurrency, durationS: seconds }));
  if (run.exitCode !== 0) throw new Error(`wrk failed (exit ${run.exitCode}): ${run.stderr.trim()}`);
  const report = parseWrkOutput(run.stdout);
  if (report.socketErrors + report.non2xx > 0)
    console.error(`  wrk: ${report.socketErrors} socket errors, ${report.non2xx} non-2xx`);
  return { rps: report.requestsPerSecond, cpuS: run.cpuS, requests: report.requests };
}

async function autocannonSide(target: Target, cell: CellSpec): Promise<Side> {
  const args = autocannonCliArgs({ ...target, requests: cell.requests, connections: cell.concurrency });
  const run = await runWithCpu(process.execPath, [autocannonCliPath(), ...args]);
  const json = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as {
    start?: string;
    finish?: string;
    requests?: { total?: number };
  };
  const total = json.requests?.total ?? 0;
  const ms = Date.parse(json.finish ?? '') - Date.parse(json.start ?? '');
  return { rps: ms > 0 ? (total * 1000) / ms : 0, cpuS: run.cpuS, requests: total };
}

/** Runs both sides of every round, their order alternating, after one warm-up of each. */
async function rounds(
  count: number,
  engine: () => Promise<Side>,
  reference: () => Promise<Side>,
  label: string,
): Promise<RoundSample[]> {
  await engine();
  await reference();
  const samples: RoundSample[] = [];
  for (let i = 0; i < count; i++) {
    const first = i % 2 === 0 ? await engine() : await reference();
    const second = i % 2 === 0 ? await reference() : await engine();
    const [e, r] = i % 2 === 0 ? [first, second] : [second, first];
    samples.push({
      engineRps: e.rps,
      referenceRps: r.rps,
      engineCpuS: e.cpuS,
      referenceCpuS: r.cpuS,
      engineRequests: e.requests,
      referenceRequests: r.requests,
    });
    process.stderr.write(`${label}: round ${i + 1}/${count}\n`);
  }
  return samples;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string', default: 'nginx' },
      rounds: { type: 'string', default: '15' },
      close: { type: 'string', default: '2000x10' },
      keepalive: { type: 'string', default: '100000x10' },
      'wrk-seconds': { type: 'string', default: '2' },
      path: { type: 'string', default: '/' },
      only: { type: 'string' },
      pin: { type: 'boolean', default: true },
    },
    allowNegative: true,
  });
  const count = Number(values.rounds);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--rounds: "${values.rounds}" is not a whole number >= 1`);
  const wrkSeconds = Number(values['wrk-seconds']);
  if (!(wrkSeconds > 0)) throw new Error(`--wrk-seconds: "${values['wrk-seconds']}" is not a positive number`);
  if (values.only !== undefined && values.only !== 'close' && values.only !== 'keepalive')
    throw new Error(`--only: "${values.only}" is neither close nor keepalive`);
  const closeCells = values.only === 'keepalive' ? [] : parseCells('close', values.close);
  const kaCells = values.only === 'close' ? [] : parseCells('keepalive', values.keepalive);

  const ab = closeCells.length > 0 ? await findAb() : null;
  if (closeCells.length > 0 && !ab) console.error(`close mode skipped: ${AB_INSTALL_HINT}`);
  const wrk = kaCells.length > 0 ? findWrk() : null;
  if (kaCells.length > 0 && !wrk)
    console.error(`keep-alive mode compared with the autocannon CLI: ${WRK_INSTALL_HINT}`);

  const nginx = values.server === 'nginx';
  const root = nginx ? mkdtempSync(join(tmpdir(), 'gauntlet-bench-engine-')) : undefined;
  try {
    return await measure(values, root, { count, wrkSeconds, closeCells, kaCells, ab, wrk });
  } finally {
    if (root) rmSync(root, { recursive: true, force: true });
  }
}

interface Plan {
  count: number;
  wrkSeconds: number;
  closeCells: CellSpec[];
  kaCells: CellSpec[];
  ab: string | null;
  wrk: string | null;
}

/** Starts the server (nginx on the 138-byte page in `root`), runs the rounds, prints the verdicts. */
async function measure(
  values: { server: string; path: string; pin: boolean },
  root: string | undefined,
  plan: Plan,
): Promise<number> {
  const { count, wrkSeconds, closeCells, kaCells, ab, wrk } = plan;
  if (root) {
    // nginx's worker runs as nobody when started as root: the folder and file must be readable.
    chmodSync(root, 0o755);
    writeFileSync(join(root, 'index.html'), FILE_138, { mode: 0o644 });
  }
  const spec = await loadServer(root ? join(PROJECT_ROOT, 'fixtures', 'nginx') : values.server);
  const server: RunningServer = await launch(spec, root ? { root } : {});
  const releaseSigint = handleSignal('SIGINT', () => void server.stop());
  const cores = values.pin && tasksetAvailable() ? planCores() : null;
  const unpin = cores ? pinForMeasurement([server], cores) : () => {};
  console.log(
    `server ${spec.name} at ${server.url} (pid ${server.pid})${root ? `, a ${FILE_138.length}-byte file` : ''}; ` +
      `${cpus().length} cores (${cores ? describePinning(cores) : 'not pinned'}); node ${process.version}; ` +
      `transport: ${transportKind()}; ${count} rounds after a warm-up`,
  );
  const target = { host: server.host, port: server.port, path: values.path };
  const out: string[] = [];
  try {
    for (const cell of kaCells) {
      const ref = wrk ? `wrk -t1 -c${cell.concurrency} -d${wrkSeconds}s` : 'autocannon CLI';
      const samples = await rounds(
        count,
        () => engineSide(target, 'keepalive', cell),
        () => (wrk ? wrkSide(wrk, target, cell, wrkSeconds) : autocannonSide(target, cell)),
        `keep-alive ${cell.requests}x${cell.concurrency}`,
      );
      const title = `\nkeep-alive: engine ${cell.requests} x ${cell.concurrency} vs ${ref}`;
      out.push(...formatVerdict(title, wrk ? 'wrk' : 'autocannon', samples, TARGET));
    }
    for (const cell of ab ? closeCells : []) {
      const samples = await rounds(
        count,
        () => engineSide(target, 'close', cell),
        () => abSide(ab!, target, cell),
        `close ${cell.requests}x${cell.concurrency}`,
      );
      const title = `\nclose: engine ${cell.requests} x ${cell.concurrency} vs ab -n ${cell.requests} -c ${cell.concurrency}`;
      out.push(...formatVerdict(title, 'ab', samples, TARGET));
    }
    console.log(out.join('\n'));
    return 0;
  } finally {
    releaseSigint();
    unpin();
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench:engine: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
