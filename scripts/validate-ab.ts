/**
 * npm run validate:ab -- [--server NAME] [--matrix seed] [--path /]
 *
 * Runs ab and the load engine (close mode) on the same server and cells, interleaved (ab first
 * in one cell, the engine first in the next), and prints both rows with ab's columns and the
 * engine/ab ratio of the timed figures. Exits 1 if Complete requests or Total transferred differ
 * in any cell, 2 if ab is not installed. ab runs with -r and the engine with keepGoing, so that
 * neither stops at a failure. The engine's failed requests (a reset, a truncated response) are
 * complete for ab, which reads to EOF without looking at the framing (docs/accounting.md): its
 * Complete requests are compared with the engine's complete plus failed requests, and the
 * Failed column shows ab's line for both (the engine's abFailedRequests).
 */
import { parseArgs } from 'node:util';
import { loadServer } from '../lib/manifest.ts';
import { launch } from '../lib/launcher.ts';
import { handleSignal } from '../lib/exit-hooks.ts';
import { matrixCells, parseMatrix } from '../lib/matrix.ts';
import { runCell } from '../lib/load/index.ts';
import { findAb, runAb, AB_INSTALL_HINT } from '../lib/ab/run-ab.ts';
import type { AbReport } from '../lib/ab/parse-ab.ts';
import type { CellResult } from '../lib/types.ts';

interface Row {
  timeTakenS: number;
  completeRequests: number;
  /** ab's "Failed requests" line (the engine's abFailedRequests). */
  failedRequests: number;
  /** Requests the engine counted failed, each once (0 for ab, which does not know). */
  failedOnce: number;
  totalTransferred: number;
  requestsPerSecond: number;
  timePerRequestMs: number;
  transferRateKBps: number;
  failedDetail: string;
}

function fromAb(r: AbReport): Row {
  return {
    timeTakenS: r.timeTakenS,
    completeRequests: r.completeRequests,
    failedRequests: r.failedRequests,
    failedOnce: 0,
    totalTransferred: r.totalTransferred,
    requestsPerSecond: r.requestsPerSecond ?? 0,
    timePerRequestMs: r.timePerRequestMs ?? 0,
    transferRateKBps: r.transferRateKBps ?? 0,
    failedDetail: `${r.failed.connect}/${r.failed.receive}/${r.failed.length}/${r.failed.exceptions}`,
  };
}

function fromEngine(r: CellResult): Row {
  return {
    timeTakenS: r.timeTakenS,
    completeRequests: r.completeRequests,
    failedRequests: r.abFailedRequests ?? r.failedRequests,
    failedOnce: r.failedRequests,
    totalTransferred: r.totalTransferred,
    requestsPerSecond: r.requestsPerSecond,
    timePerRequestMs: r.timePerRequestMs,
    transferRateKBps: r.transferRateKBps,
    failedDetail: `${r.failed.connect}/${r.failed.receive}/${r.failed.length}/${r.failed.exceptions}`,
  };
}

const HEAD =
  '            Conc  Time taken (s)  Complete  Failed (C/R/L/E)    Total transferred  Requests/s  Time/request (ms)  Transfer (KB/s)';

function line(label: string, c: number, r: Row): string {
  return (
    `  ${label.padEnd(8)}  ${String(c).padStart(4)}  ${r.timeTakenS.toFixed(3).padStart(14)}  ${String(r.completeRequests).padStart(8)}` +
    `  ${`${r.failedRequests} (${r.failedDetail})`.padEnd(18)}  ${String(r.totalTransferred).padStart(17)}` +
    `  ${r.requestsPerSecond.toFixed(2).padStart(10)}  ${r.timePerRequestMs.toFixed(3).padStart(17)}  ${r.transferRateKBps.toFixed(2).padStart(15)}`
  );
}

function ratioLine(e: Row, a: Row): string {
  const q = (x: number, y: number): string => (y > 0 ? (x / y).toFixed(2) : '-');
  return (
    `  ${'eng/ab'.padEnd(8)}  ${''.padStart(4)}  ${q(e.timeTakenS, a.timeTakenS).padStart(14)}  ${''.padStart(8)}  ${''.padEnd(18)}` +
    `  ${''.padStart(17)}  ${q(e.requestsPerSecond, a.requestsPerSecond).padStart(10)}  ${q(e.timePerRequestMs, a.timePerRequestMs).padStart(17)}` +
    `  ${q(e.transferRateKBps, a.transferRateKBps).padStart(15)}`
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string', default: 'python-async' },
      matrix: { type: 'string', default: 'seed' },
      path: { type: 'string', default: '/' },
    },
  });
  const ab = await findAb();
  if (!ab) {
    console.error(AB_INSTALL_HINT);
    return 2;
  }
  const matrix = parseMatrix(values.matrix);
  const spec = await loadServer(values.server);
  const server = await launch(spec);
  const stopServer = (): void => void server.stop();
  const releaseSigint = handleSignal('SIGINT', stopServer);
  const target = { host: server.host, port: server.port, path: values.path };
  console.log(`server ${spec.name} at ${server.url}; matrix ${matrix.name}; ab runs with -r`);
  console.log(HEAD);

  const mismatches: string[] = [];
  try {
    for (const [i, cell] of matrixCells(matrix).entries()) {
      const runAbCell = async (): Promise<Row> => {
        const run = await runAb({
          ...target,
          abPath: ab,
          requests: cell.requests,
          concurrency: cell.concurrency,
          continueOnReceiveError: true,
        });
        if (!run.report) throw new Error(`ab failed on ${cell.requests} x ${cell.concurrency}: ${run.stderr.trim()}`);
        return fromAb(run.report);
      };
      const runEngineCell = async (): Promise<Row> =>
        fromEngine(await runCell({ ...target, mode: 'close' }, cell, { keepGoing: true }));
      let a: Row;
      let e: Row;
      if (i % 2 === 0) {
        a = await runAbCell();
        e = await runEngineCell();
      } else {
        e = await runEngineCell();
        a = await runAbCell();
      }
      console.log(`N=${cell.requests} C=${cell.concurrency}`);
      console.log(line('ab', cell.concurrency, a));
      console.log(line('engine', cell.concurrency, e));
      console.log(ratioLine(e, a));
      if (e.failedOnce > 0) {
        console.log(
          `  ${e.failedOnce} request(s) failed for the engine, complete for ab (it does not check the framing)`,
        );
      }
      if (a.completeRequests !== e.completeRequests + e.failedOnce || a.totalTransferred !== e.totalTransferred) {
        const msg =
          `N=${cell.requests} C=${cell.concurrency}: complete ${e.completeRequests} (+${e.failedOnce} failed) vs ab ${a.completeRequests}, ` +
          `total transferred ${e.totalTransferred} vs ab ${a.totalTransferred}`;
        mismatches.push(msg);
        console.log(`  MISMATCH: ${msg}`);
      }
    }
  } finally {
    releaseSigint();
    await server.stop();
  }
  if (mismatches.length > 0) {
    console.log(`\n${mismatches.length} cell(s) differ from ab in Complete requests or Total transferred.`);
    return 1;
  }
  console.log("\nEvery cell: Complete requests and Total transferred equal ab's.");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
