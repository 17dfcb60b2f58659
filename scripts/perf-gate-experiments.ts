/**
 * npm run perf:experiments -- aa    [--server node-async] [--count 30] [--matrix seed] [--mode close]
 * npm run perf:experiments -- power [--server node-async] [--slowdown 0.25] [--count 30] [--matrix seed]
 *
 * The experiments behind docs/perf-gates.md: how often the gate's comparison (interleaved,
 * repeated until precise or capped, two-part rule, a failing comparison measured once more)
 * raises a false alarm, and how often it catches a real slowdown.
 *
 * - aa: two instances of the same server, compared `count` times back to back on the cells of the
 *   matrix in turn, with the claim "B >= A". A failure is a false alarm.
 * - power: the server against an instance of itself slowed by a per-request CPU burn
 *   (GAUNTLET_BURN_US), with the claim "slowed >= server". The burn of each cell is calibrated
 *   first, by measurement, so that the slowed server takes about (1 + slowdown) times as long per
 *   request (its requests per second divided by 1 + slowdown). A failure is a detection. The
 *   slowdown measured in each comparison is reported too.
 * Every server is warmed up for as long as the gate warms servers up before it is compared.
 *
 * Each comparison is made as a gate makes it for a relative claim, time budget included: the
 * comparisons of each pass over the matrix share count x --max-time seconds, as a gate's cells do.
 * Each comparison's line, and a JSON file with every figure, are written as it goes.
 */
import { parseArgs } from 'node:util';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadServer } from '../lib/manifest.ts';
import { launch, type RunningServer } from '../lib/launcher.ts';
import { matrixCells, parseMatrix } from '../lib/matrix.ts';
import { measureCell, rpsOf, warmUpServer, SERVER_WARMUP_MS, TimeBudget, type Side } from '../lib/perf/sampler.ts';
import { comparePairOnCell, type PairResult } from '../lib/perf/pair.ts';
import { median } from '../lib/stats.ts';
import { machineInfo } from '../lib/machine.ts';
import { REPORTS_DIR } from '../lib/paths.ts';
import { timestampName } from '../lib/results-store.ts';
import { formatRatio } from '../lib/compare.ts';
import { describePinning, pinGroup, pinSelf, planCores, tasksetAvailable } from '../lib/perf/pinning.ts';
import type { LoadMode } from '../lib/types.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    server: { type: 'string', default: 'node-async' },
    count: { type: 'string', default: '30' },
    matrix: { type: 'string', default: 'seed' },
    mode: { type: 'string', default: 'close' },
    slowdown: { type: 'string', default: '0.25' },
    tolerance: { type: 'string', default: '0.1' },
    'max-time': { type: 'string', default: '10' },
    out: { type: 'string' },
    pin: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const kind = positionals[0];
if (kind !== 'aa' && kind !== 'power') {
  process.stderr.write('usage: perf-gate-experiments.ts aa|power [--server NAME] [--count N] [--matrix M] [--slowdown F]\n');
  process.exit(2);
}
const count = Number(values.count);
const slowdown = Number(values.slowdown);
const tolerance = Number(values.tolerance);
const mode = values.mode as LoadMode;
const cells = matrixCells(parseMatrix(values.matrix));
const baseCapMs = Number(values['max-time']) * 1000;
/**
 * The comparisons of each pass over the matrix share a time budget, as the cells of one gate do:
 * a comparison that became precise early leaves its time to a noisier one later.
 */
let budget = new TimeBudget(cells.length, baseCapMs);
async function compareAsGate(a: Side, b: Side, cell: { requests: number; concurrency: number }, index: number): Promise<PairResult> {
  if (index % cells.length === 0) budget = new TimeBudget(cells.length, baseCapMs);
  const r = await comparePairOnCell(a, b, cell, { tolerance, sampling: { maxTimeMs: budget.next() } });
  budget.spend(r.measurements[0]!.elapsedMs);
  return r;
}
const spec = await loadServer(values.server);
const out = values.out ?? join(REPORTS_DIR, 'perf-experiments', `${kind}-${values.server}-${timestampName(new Date())}.json`);
await mkdir(join(out, '..'), { recursive: true });

const sideOf = (s: RunningServer, name: string): Side => ({ name, target: { host: s.host, port: s.port, path: '/', mode } });
/** As the gate does: servers on one set of cores, this process (the load) on the others. */
const cores = values.pin && tasksetAvailable() ? planCores() : null;
const unpin = cores ? pinSelf(cores.client) : () => {};
async function start(env: Record<string, string> = {}): Promise<RunningServer> {
  const s = await launch(spec, { env });
  if (cores) pinGroup(s.pid, cores.servers);
  await warm(s);
  return s;
}

/** As the gate does: a fresh process is slower for its first second or two. */
const warm = (s: RunningServer) => warmUpServer({ host: s.host, port: s.port, path: '/', mode }, SERVER_WARMUP_MS);

interface Row {
  index: number;
  cell: string;
  burnUs: number | null;
  pass: boolean;
  outcomes: string[];
  ratios: number[];
  intervals: Array<[number, number]>;
  p: number[];
  /** Raw median requests per second of the two sides, per measurement. */
  medians: Array<[number, number]>;
  /** The burn as a fraction of the compared server's time per request during the comparison. */
  injected: number | null;
  rounds: number[];
  batch: number;
  seconds: number;
}
const rows: Row[] = [];
const started = new Date().toISOString();

function record(index: number, cell: { requests: number; concurrency: number }, burnUs: number | null, r: PairResult, seconds: number): Row {
  return {
    index,
    cell: `${cell.requests}x${cell.concurrency}`,
    burnUs,
    pass: r.pass,
    outcomes: r.verdicts.map((v) => v.outcome),
    ratios: r.verdicts.map((v) => v.ratio),
    intervals: r.verdicts.map((v) => [v.interval.lo, v.interval.hi]),
    p: r.verdicts.map((v) => v.p),
    medians: r.verdicts.map((v) => [v.medianA, v.medianB]),
    injected: burnUs === null ? null : (burnUs * (r.verdicts[r.verdicts.length - 1]?.medianB ?? NaN)) / 1e6,
    rounds: r.measurements.map((m) => m.rounds),
    batch: r.measurements[0]?.sides[0]?.batch ?? 1,
    seconds,
  };
}

async function save(): Promise<void> {
  await writeFile(
    out,
    `${JSON.stringify({ kind, server: values.server, mode, matrix: values.matrix, pinning: describePinning(cores), slowdown: kind === 'power' ? slowdown : null, tolerance, count, started, machine: machineInfo(), rows }, null, 1)}\n`,
  );
}

function line(r: Row): string {
  const steps = r.outcomes
    .map((o, i) => `${o} ${formatRatio(r.ratios[i]!)} [${formatRatio(r.intervals[i]![0])}, ${formatRatio(r.intervals[i]![1])}] p=${r.p[i]!.toPrecision(2)} ${r.rounds[i]} rounds`)
    .join(' -> ');
  const burn = r.burnUs === null ? '' : ` burn ${r.burnUs.toFixed(1)} us (${((r.injected ?? NaN) * 100).toFixed(0)}% of a request)`;
  return `#${String(r.index).padStart(2)} ${r.cell.padEnd(8)}${burn}  ${r.pass ? 'pass' : 'FAIL'}  ${steps}  (${r.seconds.toFixed(1)} s)`;
}

const t0 = performance.now();
const base = await start();
try {
  if (kind === 'aa') {
    const twin = await start();
    try {
      for (let i = 0; i < count; i++) {
        const cell = cells[i % cells.length]!;
        const t = performance.now();
        const r = await compareAsGate(sideOf(twin, 'B'), sideOf(base, 'A'), cell, i);
        rows.push(record(i + 1, cell, null, r, (performance.now() - t) / 1000));
        process.stdout.write(`${line(rows[rows.length - 1]!)}\n`);
        await save();
      }
    } finally {
      await twin.stop();
    }
  } else {
    // Calibration, once per cell: a first burn of `slowdown` times the time per request, then
    // corrected by measuring the slowdown it really makes (up to three times, until within 3
    // points). On a 2-core machine a spinning server also takes CPU from the client and from
    // the kernel's network work, so the nominal fraction and the measured one differ.
    const burns = new Map<string, number>();
    for (const cell of cells.slice(0, Math.min(count, cells.length))) {
      const alone = await measureCell([sideOf(base, 'A')], cell, { minRounds: 6, maxRounds: 6 });
      let burnUs = slowdown * (1e6 / median(rpsOf(alone.sides[0]!)));
      for (let step = 0; step < 3; step++) {
        const slowed = await start({ GAUNTLET_BURN_US: burnUs.toFixed(1) });
        let measured: number;
        try {
          const m = await measureCell([sideOf(slowed, 'slowed'), sideOf(base, 'A')], cell, { minRounds: 20, maxTimeMs: 4000 });
          const a = rpsOf(m.sides[0]!);
          const b = rpsOf(m.sides[1]!);
          measured = 1 / median(a.map((x, k) => x / b[k]!)) - 1;
          process.stdout.write(`calibration ${cell.requests}x${cell.concurrency}: burn ${burnUs.toFixed(1)} us -> ${(measured * 100).toFixed(0)}% slower\n`);
        } finally {
          await slowed.stop();
        }
        if (Math.abs(measured - slowdown) <= 0.03) break;
        burnUs *= Math.min(4, Math.max(0.25, slowdown / Math.max(measured, 1e-3)));
      }
      burns.set(`${cell.requests}x${cell.concurrency}`, burnUs);
    }
    for (let i = 0; i < count; i++) {
      const cell = cells[i % cells.length]!;
      const t = performance.now();
      const burnUs = burns.get(`${cell.requests}x${cell.concurrency}`)!;
      const slowed = await start({ GAUNTLET_BURN_US: burnUs.toFixed(1) });
      try {
        const r = await compareAsGate(sideOf(slowed, 'slowed'), sideOf(base, 'A'), cell, i);
        rows.push(record(i + 1, cell, burnUs, r, (performance.now() - t) / 1000));
        process.stdout.write(`${line(rows[rows.length - 1]!)}\n`);
        await save();
      } finally {
        await slowed.stop();
      }
    }
  }
} finally {
  await base.stop();
  unpin();
}

const failures = rows.filter((r) => !r.pass).length;
const firstFailures = rows.filter((r) => r.outcomes[0] === 'slower').length;
const measured = median(rows.map((r) => r.ratios[r.ratios.length - 1]!));
const minutes = (performance.now() - t0) / 60_000;
if (kind === 'aa') {
  process.stdout.write(
    `\nA/A, ${values.server}, ${mode}, ${values.matrix}, ${describePinning(cores)}: ${failures} false alarm(s) in ${rows.length} comparisons ` +
      `(${firstFailures} first measurement(s) said "slower" before the second look); ` +
      `outcomes ${JSON.stringify(tally(rows.map((r) => r.outcomes[r.outcomes.length - 1]!)))}; median ratio ${formatRatio(measured)}; ${minutes.toFixed(1)} min\n`,
  );
} else {
  process.stdout.write(
    `\nPower, ${values.server} slowed by ${slowdown * 100}% per request, ${mode}, ${values.matrix}, ${describePinning(cores)}: caught in ${failures} of ${rows.length} comparisons ` +
      `(${firstFailures} on the first measurement); median burn ${(median(rows.map((r) => r.injected ?? NaN)) * 100).toFixed(0)}% of the server's time per request ` +
      `during the comparison; median measured ratio slowed/server ${formatRatio(measured)}; ${minutes.toFixed(1)} min\n`,
  );
}
process.stdout.write(`figures: ${out}\n`);

function tally(items: string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const i of items) t[i] = (t[i] ?? 0) + 1;
  return t;
}
