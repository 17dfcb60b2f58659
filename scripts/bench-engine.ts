/**
 * npm run bench:engine -- [--server NAME] [--rounds 9] [--close 2000x10,2000x50]
 *                         [--keepalive 100000x10,100000x50] [--path /] [--only close|keepalive]
 *
 * How fast the load engine is next to the tools it stands in for, on one server:
 * - close mode vs `ab -n N -c C` (target: the engine reaches at least 0.7 of ab's requests/s);
 * - keep-alive mode vs the autocannon command line (target: within 10%).
 * After a warm-up, each round runs every cell with both tools, their order alternating from
 * round to round (A B, B A, ...). Both sides' requests/s are complete requests over their own time
 * from the first connect to the last response: ab's printed figure; the engine's hrtime; the
 * autocannon CLI's `finish - start` (ms timestamps, -L 5, so at most 5 ms late; its rounded
 * `duration` is shown apart).
 * The verdict is on the median of the per-round ratios, with a 95% bootstrap interval: the two
 * sides of a round ran seconds apart, so their ratio cancels what the machine was doing then, which
 * a ratio of the two medians would not. Keep-alive cells are large by default (about 2 s a run
 * here): at 0.4 s a run, one round's ratio ranged from 0.74 to 1.37 on this shared machine.
 * With two cores or more (and taskset), the server and the clients are pinned as a gate pins
 * them (lib/perf/pinning.ts: the server to the upper half of the cores, this process, with the ab
 * and autocannon processes it starts, to the lower half; --no-pin leaves them free), so that the
 * two sides do not take each other's cores.
 */
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { loadServer } from '../lib/manifest.ts';
import { launch, type RunningServer } from '../lib/launcher.ts';
import { handleSignal } from '../lib/exit-hooks.ts';
import { runCell } from '../lib/load/index.ts';
import { rawTransportAvailable } from '../lib/load/transport.ts';
import { runAutocannonCli } from '../lib/load/autocannon-cli.ts';
import { findAb, runAb, AB_INSTALL_HINT } from '../lib/ab/run-ab.ts';
import { median } from '../lib/stats.ts';
import { bootstrapMedian } from '../lib/perf/significance.ts';
import { describePinning, pinForMeasurement, planCores, tasksetAvailable } from '../lib/perf/pinning.ts';
import type { CellSpec } from '../lib/types.ts';

interface Sample {
  engine: number;
  reference: number;
  /** Extra figure shown for the reference (autocannon's rounded-duration rps). */
  note?: string;
}

function parseCells(text: string): CellSpec[] {
  return text
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const m = /^(\d+)x(\d+)$/.exec(part.trim());
      if (!m) throw new Error(`cell "${part}" is not NxC (for example 2000x10)`);
      return { requests: Number(m[1]), concurrency: Number(m[2]) };
    });
}

const fmt = (n: number, d = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

interface CellVerdict {
  /** Median of the per-round ratios engine / reference. */
  ratio: number;
  lo: number;
  hi: number;
}

function printCell(title: string, refName: string, cell: CellSpec, samples: Sample[]): CellVerdict {
  const e = median(samples.map((s) => s.engine));
  const r = median(samples.map((s) => s.reference));
  const ratios = samples.map((s) => s.engine / s.reference);
  const ratio = median(ratios);
  const ci = bootstrapMedian(ratios);
  console.log(`\n${title}  ${cell.requests} x ${cell.concurrency}`);
  console.log(`  round  engine rps   ${refName.padEnd(10)} rps   engine/${refName}`);
  samples.forEach((s, i) => {
    console.log(
      `  ${String(i + 1).padStart(5)}  ${fmt(s.engine).padStart(10)}   ${fmt(s.reference).padStart(14)}   ${fmt(s.engine / s.reference, 2).padStart(8)}${s.note ? `   ${s.note}` : ''}`,
    );
  });
  console.log(
    `  median ${fmt(e).padStart(10)}   ${fmt(r).padStart(14)}   ${fmt(ratio, 2).padStart(8)}   (median of the round ratios, 95% CI ${fmt(ci.lo, 2)}-${fmt(ci.hi, 2)})`,
  );
  return { ratio, lo: ci.lo, hi: ci.hi };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string', default: 'node-async' },
      rounds: { type: 'string', default: '9' },
      close: { type: 'string', default: '2000x10,2000x50' },
      keepalive: { type: 'string', default: '100000x10,100000x50' },
      path: { type: 'string', default: '/' },
      only: { type: 'string' },
      pin: { type: 'boolean', default: true },
    },
    allowNegative: true,
  });
  const rounds = Number(values.rounds);
  const closeCells = values.only === 'keepalive' ? [] : parseCells(values.close);
  const kaCells = values.only === 'close' ? [] : parseCells(values.keepalive);
  const path = values.path;

  const ab = closeCells.length > 0 ? await findAb() : null;
  if (closeCells.length > 0 && !ab) console.error(`close mode skipped: ${AB_INSTALL_HINT}`);

  const spec = await loadServer(values.server);
  const server: RunningServer = await launch(spec);
  const stopServer = (): void => void server.stop();
  const releaseSigint = handleSignal('SIGINT', stopServer);
  const plan = values.pin && tasksetAvailable() ? planCores() : null;
  const unpin = plan ? pinForMeasurement([server], plan) : () => {};
  const pinned = plan ? describePinning(plan) : null;
  console.log(
    `server ${spec.name} at ${server.url} (pid ${server.pid}); ${cpus().length} cores` +
      `${pinned ? ` (${pinned})` : ', not pinned'}; node ${process.version}; ` +
      `close transport: ${rawTransportAvailable() ? 'tcp_wrap' : 'net'}; ${rounds} rounds after a warm-up`,
  );

  const target = { host: server.host, port: server.port, path };
  const engineClose = async (c: CellSpec): Promise<number> => {
    const r = await runCell({ ...target, mode: 'close' }, c);
    if (r.failedRequests > 0)
      console.error(`  engine: ${r.failedRequests} failed requests (${JSON.stringify(r.failed)})`);
    return r.requestsPerSecond;
  };
  const abClose = async (c: CellSpec): Promise<number> => {
    const run = await runAb({
      ...target,
      abPath: ab!,
      requests: c.requests,
      concurrency: c.concurrency,
      continueOnReceiveError: true,
    });
    if (!run.report) throw new Error(`ab failed: ${run.stderr.trim()}`);
    if (run.report.failedRequests > 0) console.error(`  ab: ${run.report.failedRequests} failed requests`);
    return run.report.requestsPerSecond ?? 0;
  };
  const engineKa = async (c: CellSpec): Promise<number> =>
    (await runCell({ ...target, mode: 'keepalive' }, c)).requestsPerSecond;
  const cliKa = async (c: CellSpec): Promise<{ rps: number; note: string }> => {
    const run = await runAutocannonCli({ ...target, requests: c.requests, connections: c.concurrency });
    return {
      rps: run.requestsPerSecond,
      note: `(autocannon's rounded duration ${run.durationS.toFixed(2)} s: ${fmt(run.requestsPerSecondByDuration)} rps)`,
    };
  };

  try {
    // Warm-up: the server's and both clients' first runs (JIT, caches, accept queues) are not kept.
    if (closeCells[0] && ab) {
      const w = { requests: Math.min(500, closeCells[0].requests), concurrency: closeCells[0].concurrency };
      await engineClose(w);
      await abClose(w);
    }
    if (kaCells[0]) {
      const w = { requests: Math.min(2000, kaCells[0].requests), concurrency: kaCells[0].concurrency };
      await engineKa(w);
      await cliKa(w);
    }

    const closeSamples = closeCells.map((): Sample[] => []);
    const kaSamples = kaCells.map((): Sample[] => []);
    for (let round = 0; round < rounds; round++) {
      const engineFirst = round % 2 === 0;
      if (ab) {
        for (const [i, c] of closeCells.entries()) {
          let e = 0;
          let r = 0;
          if (engineFirst) {
            e = await engineClose(c);
            r = await abClose(c);
          } else {
            r = await abClose(c);
            e = await engineClose(c);
          }
          closeSamples[i]!.push({ engine: e, reference: r });
        }
      }
      for (const [i, c] of kaCells.entries()) {
        let e = 0;
        let r = { rps: 0, note: '' };
        if (engineFirst) {
          e = await engineKa(c);
          r = await cliKa(c);
        } else {
          r = await cliKa(c);
          e = await engineKa(c);
        }
        kaSamples[i]!.push({ engine: e, reference: r.rps, note: r.note });
      }
      process.stderr.write(`round ${round + 1}/${rounds} done\n`);
    }

    if (ab) {
      closeCells.forEach((c, i) => {
        const v = printCell('close mode: engine vs ab', 'ab', c, closeSamples[i]!);
        console.log(
          `  target engine/ab >= 0.70: ${v.ratio >= 0.7 ? 'met' : 'NOT met'}${v.ratio >= 0.7 && v.lo < 0.7 ? ' (the interval reaches below 0.70: run more rounds)' : ''}`,
        );
      });
    }
    kaCells.forEach((c, i) => {
      const v = printCell('keep-alive mode: engine vs autocannon CLI', 'autocannon', c, kaSamples[i]!);
      const met = Math.abs(v.ratio - 1) <= 0.1;
      const sure = v.lo >= 0.9 && v.hi <= 1.1;
      console.log(
        `  target within 10% of autocannon: ${met ? 'met' : 'NOT met'}` +
          `${met && !sure ? ' (the interval reaches beyond 10%: run more rounds)' : ''}`,
      );
    });
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
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
