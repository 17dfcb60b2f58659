/**
 * `gauntlet worker --master HOST:PORT [--processes N]`: Locust workers for a master started
 * elsewhere by `gauntlet bench --engine locust --locust-master HOST:PORT` (or the gate's).
 *
 * The workers need no flag about the request: their locustfile is the cell-less one
 * (lib/locust/locustfile.ts), and the master sends the cell with its spawn message. Each cell's
 * master quits its workers when the cell ends, so every worker that ends is started again (after
 * a short pause), until Ctrl-C or SIGTERM: one `gauntlet worker` serves a whole matrix.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { locustfileText } from '../locust/locustfile.ts';
import { requireLocust, startLocust } from '../locust/processes.ts';
import { workerArgs } from '../locust/run-cell.ts';
import { flagError, parseFlags, wholeNumber, UsageError } from './args.ts';
import { EXIT_INTERRUPTED, EXIT_OK, printUsage, whileInterruptible } from './command.ts';
import { hostPortFlag } from './engine-flags.ts';

/** The most processes one command starts: a machine's cores, with room to spare. */
export const MAX_PROCESSES = 256;

/** Seconds between a worker's end and its next start: a master between cells is not up yet. */
const RESTART_PAUSE_MS = 1_000;

export const WORKER_USAGE = `usage: gauntlet worker --master HOST:PORT [--processes N]
       gauntlet worker --write-locustfile FILE

Runs Locust workers (Debian's python3-locust) for a master started elsewhere with
gauntlet bench --engine locust --locust-master HOST:PORT. The master sends each cell's request;
a worker that ends (each cell's master quits its workers) is started again, until Ctrl-C.

options:
  --master HOST:PORT     where the master listens (its --locust-master)
  --processes N          workers started here (default 1; one per core uses the machine)
  --write-locustfile FILE
                         write the workers' locustfile to FILE and exit, for plain
                         locust --worker -f FILE --master-host HOST (a container image, say)
  -h, --help             this text`;

const WORKER_OPTIONS = {
  master: { type: 'string' },
  processes: { type: 'string', default: '1' },
  'write-locustfile': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export interface WorkerArgs {
  master: { host: string; port: number };
  /** --write-locustfile: where to write the workers' locustfile (nothing is started). */
  writeLocustfile?: string;
  processes: number;
  help: boolean;
}

/** The command line, checked. */
export function parseWorkerArgs(argv: string[]): WorkerArgs {
  const v = parseFlags(argv, WORKER_OPTIONS);
  if (v.help) return { master: { host: '', port: 0 }, processes: 1, help: true };
  const file = v['write-locustfile'];
  if (file !== undefined) {
    if (file === '') throw flagError('--write-locustfile', file, 'is empty: name a file');
    if (v.master !== undefined)
      throw new UsageError('--write-locustfile writes a file and starts nothing: drop --master');
    return { master: { host: '', port: 0 }, processes: 1, writeLocustfile: resolve(file), help: false };
  }
  if (v.master === undefined) throw new UsageError('--master HOST:PORT is needed: where the Locust master listens');
  const master = hostPortFlag('--master', v.master);
  const processes = wholeNumber('--processes', v.processes, 1, MAX_PROCESSES);
  return { master, processes, help: false };
}

/** One worker slot: start, wait for its end, start again, until the signal. */
async function keepWorking(index: number, args: WorkerArgs, dir: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const worker = startLocust(`worker ${index}`, workerArgs(args.master), dir);
    const onAbort = (): void => worker.kill();
    signal.addEventListener('abort', onAbort, { once: true });
    const code = await worker.exited;
    signal.removeEventListener('abort', onAbort);
    if (signal.aborted) return;
    if (code !== 0) process.stderr.write(`worker ${index} ended (${code}):\n${worker.tail(3)}\n`);
    await sleep(RESTART_PAUSE_MS, null, { signal }).catch(() => null);
  }
}

/** `gauntlet worker`: runs until interrupted (exit 130), its workers killed with it. */
export async function workerCommand(argv: string[]): Promise<number> {
  const args = parseWorkerArgs(argv);
  if (args.help) return printUsage(WORKER_USAGE);
  if (args.writeLocustfile !== undefined) {
    await writeFile(args.writeLocustfile, locustfileText(null));
    process.stderr.write(`gauntlet worker: wrote ${args.writeLocustfile}\n`);
    return EXIT_OK;
  }
  requireLocust();
  const dir = await mkdtemp(join(tmpdir(), 'gauntlet-worker-'));
  try {
    await writeFile(join(dir, 'worker.py'), locustfileText(null));
    const { host, port } = args.master;
    process.stderr.write(
      `gauntlet worker: ${args.processes} Locust worker(s) for the master at ${host}:${port} (Ctrl-C to stop)\n`,
    );
    await whileInterruptible('stopping the workers', (signal) =>
      Promise.all(Array.from({ length: args.processes }, (_, i) => keepWorking(i + 1, args, dir, signal))),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return EXIT_INTERRUPTED;
}
