/**
 * One cell through Locust: the locustfile written, a headless master started with the cell's
 * users, time and host, N workers started on this machine (or none, when they run elsewhere and
 * connect to `--locust-master`), the master awaited, and its figures read back (stats.ts).
 *
 * Bounded in time: the master waits at most `workerWaitS` for its workers, then runs the cell's
 * duration; past that and a margin, every process is killed and the cell fails. Ctrl-C (the
 * signal) kills them at once.
 */
import { LocustEngineError } from './engine-error.ts';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CellResult, CellSpec } from '../types.ts';
import type { CellTarget } from '../load/tls.ts';
import { abortError } from '../load/common.ts';
import { locustfileText, type LocustCell } from './locustfile.ts';
import { startLocust, requireLocust, type LocustProcess } from './processes.ts';
import { locustCellResult, parseLocustSummary } from './stats.ts';

/** Where the master listens for its workers, and how many it waits for. */
export interface LocustPlacement {
  /** Workers the master waits for before it starts. */
  workers: number;
  /**
   * `--locust-master HOST:PORT`: the master binds there and no worker is started here (they run
   * `gauntlet worker --master HOST:PORT` elsewhere); absent: the master binds a free loopback
   * port and the workers are started on this machine.
   */
  master?: { host: string; port: number };
}

export interface LocustRunOptions {
  signal?: AbortSignal;
  /** Seconds the master waits for its workers to connect (default DEFAULT_WORKER_WAIT_S). */
  workerWaitS?: number;
}

/** Seconds the master waits for its workers by default: local workers connect in about one. */
export const DEFAULT_WORKER_WAIT_S = 30;

/** Seconds allowed past the workers' wait and the duration before everything is killed. */
const MARGIN_S = 30;

/** A cell Locust cannot run, said before anything starts. */
export function locustCellProblem(cell: CellSpec, target: Pick<CellTarget, 'tls' | 'shape'>): string | null {
  if (cell.durationS === undefined) return 'Locust runs cells of a duration: give --duration (or a matrix 10s:C...)';
  if (!Number.isInteger(cell.durationS)) return `Locust runs whole seconds, and the duration is ${cell.durationS} s`;
  if (target.tls) return 'Locust cells are not run over TLS here: use the built-in engine for https';
  if (target.shape?.chunked) return 'Locust sends a body with Content-Length only: drop --chunked';
  return null;
}

/** `http://host:port` as Locust's -H takes it. */
export function locustHostUrl(host: string, port: number): string {
  return `http://${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** The master's command line, pure. */
export function masterArgs(v: {
  cell: CellSpec & { durationS: number };
  target: Pick<CellTarget, 'host' | 'port'>;
  bind: { host: string; port: number };
  workers: number;
  workerWaitS: number;
  summaryFile: string;
}): string[] {
  const users = String(v.cell.concurrency);
  return [
    ...['-f', 'master.py', '--master', '--headless', '--only-summary'],
    ...['--master-bind-host', v.bind.host, '--master-bind-port', String(v.bind.port)],
    ...['--expect-workers', String(v.workers), '--expect-workers-max-wait', String(v.workerWaitS)],
    // Every user at once: a cell measures C connections from its first second, as ab's does.
    ...['-u', users, '-r', users, '-t', `${v.cell.durationS}s`],
    ...['-H', locustHostUrl(v.target.host, v.target.port)],
    // Failed requests are figures of the cell, not a failure of the run.
    ...['--exit-code-on-error', '0', '--gauntlet-summary', v.summaryFile],
  ];
}

/** A worker's command line, pure: the locustfile without a cell (the master sends it). */
export function workerArgs(master: { host: string; port: number }, locustfile = 'worker.py'): string[] {
  return ['-f', locustfile, '--worker', '--master-host', master.host, '--master-port', String(master.port)];
}

/** A free TCP port on the loopback interface (bound, read, closed). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free loopback port');
  return address.port;
}

/** Runs one cell through Locust and returns its figures as a CellResult. */
export async function runLocustCell(
  target: CellTarget,
  cell: CellSpec,
  placement: LocustPlacement,
  opts: LocustRunOptions = {},
): Promise<CellResult> {
  const problem = locustCellProblem(cell, target);
  if (problem) throw new Error(problem);
  requireLocust();
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const dir = await mkdtemp(join(tmpdir(), 'gauntlet-locust-'));
  try {
    const spec: LocustCell = {
      mode: target.mode,
      path: target.path,
      concurrency: cell.concurrency,
      ...(target.shape && { shape: target.shape }),
      ...(cell.rate !== undefined && { rate: cell.rate }),
    };
    await writeFile(join(dir, 'master.py'), locustfileText(spec));
    await writeFile(join(dir, 'worker.py'), locustfileText(null));
    const summaryFile = join(dir, 'summary.json');
    const durationS = cell.durationS!;
    const workerWaitS = opts.workerWaitS ?? DEFAULT_WORKER_WAIT_S;
    const bind = placement.master ?? { host: '127.0.0.1', port: await freeLoopbackPort() };
    const args = masterArgs({
      cell: { ...cell, durationS },
      target,
      bind,
      workers: placement.workers,
      workerWaitS,
      summaryFile,
    });
    const procs: LocustProcess[] = [];
    try {
      procs.push(startLocust('master', args, dir));
      if (!placement.master) {
        for (let i = 1; i <= placement.workers; i++) procs.push(startLocust(`worker ${i}`, workerArgs(bind), dir));
      }
    } catch (err) {
      // The master must not outlive a worker that could not start.
      await Promise.all(procs.map((p) => p.stop()));
      throw err;
    }
    const where: MasterWhere = { ...bind, workers: placement.workers, waitS: workerWaitS, remote: !!placement.master };
    await awaitMaster(procs, (workerWaitS + durationS + MARGIN_S) * 1000, where, opts.signal);
    const text = await readFile(summaryFile, 'utf8').catch(() => null);
    if (text === null) throw new Error(`Locust's master wrote no figures:\n${procs[0]!.tail()}`);
    const summary = parseLocustSummary(text);
    if (summary.workers < placement.workers) {
      throw new Error(
        `${summary.workers} of ${placement.workers} Locust worker(s) connected to ${bind.host}:${bind.port} within ${workerWaitS} s`,
      );
    }
    return locustCellResult(summary, {
      mode: target.mode,
      path: target.path,
      concurrency: cell.concurrency,
      durationS,
      ...(cell.rate !== undefined && { rate: cell.rate }),
    });
  } catch (err) {
    if (opts.signal?.aborted || (err as Error).name === 'AbortError') throw err;
    throw err instanceof LocustEngineError ? err : new LocustEngineError((err as Error).message);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Where the master listened and for how many workers, for its error messages. */
export interface MasterWhere {
  host: string;
  port: number;
  workers: number;
  waitS: number;
  /** The workers were to come from elsewhere (--locust-master). */
  remote: boolean;
}

/**
 * Why a master failed, from its exit code and the tail of its log: workers that did not come
 * are said as such, with how many did and how to start them; anything else keeps the log's
 * last lines, without Locust's once-a-second "Waiting for workers" lines. Pure.
 */
export function masterFailure(code: number | null, tail: string, where: MasterWhere): string {
  const waits = [...tail.matchAll(/Waiting for workers to be ready, (\d+) of (\d+) connected/g)];
  const lines = tail.split('\n').filter((l) => !l.includes('Waiting for workers to be ready'));
  if (/Gave up waiting for workers/.test(tail)) {
    const came = waits.length ? waits[waits.length - 1]![1] : '0';
    const start = where.remote
      ? `: start them with gauntlet worker --master ${where.host}:${where.port} --processes N`
      : '';
    return `${came} of ${where.workers} Locust worker(s) connected to ${where.host}:${where.port} within ${where.waitS} s${start}`;
  }
  return `Locust's master exited with ${code}:\n${lines.slice(-12).join('\n')}`;
}

/**
 * Waits for the master to end (it quits its workers as it does), then gives the local workers a
 * moment to follow; kills every process on a timeout, an abort or a master that failed.
 */
async function awaitMaster(
  procs: LocustProcess[],
  timeoutMs: number,
  where: MasterWhere,
  signal?: AbortSignal,
): Promise<void> {
  const master = procs[0]!;
  const stopAll = (): Promise<void[]> => Promise.all(procs.map((p) => p.stop()));
  const onAbort = (): void => void stopAll();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const code = await Promise.race([master.exited, sleep(timeoutMs, 'timeout' as const, { ref: false })]);
    if (signal?.aborted) throw abortError(signal);
    if (code === 'timeout')
      throw new Error(`Locust's master did not end within ${timeoutMs / 1000} s:\n${master.tail()}`);
    if (code !== 0) throw new Error(masterFailure(code, master.tail(40), where));
    // The workers got the master's quit message: they end within a second or two.
    await Promise.race([Promise.all(procs.map((p) => p.exited)), sleep(5_000, null, { ref: false })]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await stopAll();
  }
}
