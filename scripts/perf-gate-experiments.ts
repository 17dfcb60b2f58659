/**
 * npm run perf:experiments -- aa    [--server node-async] [--count 30] [--matrix seed] [--mode close]
 * npm run perf:experiments -- power [--server node-async] [--slowdown 0.25] [--count 30] [--matrix seed]
 * npm run perf:experiments -- noise [--server node-async] [--rounds 20] [--matrix seed]
 * npm run perf:experiments -- aa-gate [--server node-async] [--count 30] [--matrix seed]
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
 * - noise: the per-round spread of an A/A comparison, which the simulations are fitted to.
 * - aa-gate: whole gates (runGate, default settings) on two instances of the server; a failing
 *   gate is a false alarm of the whole gate.
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
import { formatRatio } from '../lib/report/format.ts';
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
    rounds: { type: 'string', default: '20' },
    pin: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const kind = positionals[0];
if (kind !== 'aa' && kind !== 'power' && kind !== 'noise' && kind !== 'aa-gate') {
  process.stderr.write(
    'usage: perf-gate-experiments.ts aa|power|noise|aa-gate [--server NAME] [--count N] [--matrix M] [--slowdown F] [--rounds R]\n',
  );
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
async function compareAsGate(
  a: Side,
  b: Side,
  cell: { requests: number; concurrency: number },
  index: number,
): Promise<PairResult> {
  if (index % cells.length === 0) budget = new TimeBudget(cells.length, baseCapMs);
  const r = await comparePairOnCell(a, b, cell, { tolerance, sampling: { maxTimeMs: budget.next() } });
  // The second look is charged to the same budget, as in a gate.
  budget.spend(r.measurements.reduce((t, m) => t + m.elapsedMs, 0));
  return r;
}
if (kind === 'noise') {
  await runNoise();
  process.exit(0);
}
if (kind === 'aa-gate') {
  await runAaGates();
  process.exit(0);
}
const spec = await loadServer(values.server);
const out =
  values.out ?? join(REPORTS_DIR, 'perf-experiments', `${kind}-${values.server}-${timestampName(new Date())}.json`);
await mkdir(join(out, '..'), { recursive: true });

const sideOf = (s: RunningServer, name: string): Side => ({
  name,
  target: { host: s.host, port: s.port, path: '/', mode },
});
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

function record(
  index: number,
  cell: { requests: number; concurrency: number },
  burnUs: number | null,
  r: PairResult,
  seconds: number,
): Row {
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
    .map(
      (o, i) =>
        `${o} ${formatRatio(r.ratios[i]!)} [${formatRatio(r.intervals[i]![0])}, ${formatRatio(r.intervals[i]![1])}] p=${r.p[i]!.toPrecision(2)} ${r.rounds[i]} rounds`,
    )
    .join(' -> ');
  const burn =
    r.burnUs === null
      ? ''
      : ` burn ${r.burnUs.toFixed(1)} us (${((r.injected ?? NaN) * 100).toFixed(0)}% of a request)`;
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
          const m = await measureCell([sideOf(slowed, 'slowed'), sideOf(base, 'A')], cell, {
            minRounds: 20,
            maxTimeMs: 4000,
          });
          const a = rpsOf(m.sides[0]!);
          const b = rpsOf(m.sides[1]!);
          measured = 1 / median(a.map((x, k) => x / b[k]!)) - 1;
          process.stdout.write(
            `calibration ${cell.requests}x${cell.concurrency}: burn ${burnUs.toFixed(1)} us -> ${(measured * 100).toFixed(0)}% slower\n`,
          );
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

/**
 * noise: the round-to-round spread of an A/A comparison, the figures the gate's simulations
 * (spec/unit/perf-simulation.test.ts) are fitted to. Two instances of the server, pinned and
 * warmed up as a gate does, measured over every cell of the matrix for a fixed number of rounds
 * (no early stop, no cap). Per cell: the standard deviation of the per-round log ratio B/A, its
 * lag-1 autocorrelation (how much the ratio drifts from one round to the next rather than
 * jumping), and the same for the round's shared speed (the log of the round's geometric mean).
 */
async function runNoise(): Promise<void> {
  const rounds = Number(values.rounds);
  const server = await loadServer(values.server);
  const cores = values.pin && tasksetAvailable() ? planCores() : null;
  const release = cores ? pinSelf(cores.client) : () => {};
  const startOne = async (): Promise<RunningServer> => {
    const s = await launch(server, {});
    if (cores) pinGroup(s.pid, cores.servers);
    await warmUpServer({ host: s.host, port: s.port, path: '/', mode }, SERVER_WARMUP_MS);
    return s;
  };
  const a = await startOne();
  const b = await startOne();
  const side = (s: RunningServer, name: string): Side => ({
    name,
    target: { host: s.host, port: s.port, path: '/', mode },
  });
  const perCell: NoiseCell[] = [];
  const t0 = performance.now();
  try {
    for (const cell of cells) {
      const m = await measureCell([side(b, 'B'), side(a, 'A')], cell, {
        minRounds: rounds,
        maxRounds: rounds,
        maxTimeMs: 600_000,
      });
      const rb = rpsOf(m.sides[0]!);
      const ra = rpsOf(m.sides[1]!);
      const logRatio = rb.map((x, i) => Math.log(x / ra[i]!));
      const logShared = rb.map((x, i) => 0.5 * Math.log(x * ra[i]!));
      const row: NoiseCell = {
        cell: `${cell.requests}x${cell.concurrency}`,
        rounds: m.rounds,
        batch: m.sides[0]!.batch,
        ratioSd: sd(logRatio),
        ratioLag1: lag1(logRatio),
        ratioStepSd: sd(diffs(logRatio)),
        sharedSd: sd(logShared),
        sharedLag1: lag1(logShared),
        logRatio,
        logShared,
      };
      perCell.push(row);
      process.stdout.write(
        `${row.cell.padEnd(8)} ${row.rounds} rounds x ${row.batch}: log-ratio sd ${row.ratioSd.toFixed(3)}, lag-1 ${row.ratioLag1.toFixed(2)}, ` +
          `step sd ${row.ratioStepSd.toFixed(3)}; shared speed sd ${row.sharedSd.toFixed(3)}, lag-1 ${row.sharedLag1.toFixed(2)}\n`,
      );
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    release();
  }
  const file =
    values.out ?? join(REPORTS_DIR, 'perf-experiments', `noise-${values.server}-${timestampName(new Date())}.json`);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ kind, server: values.server, mode, matrix: values.matrix, rounds, pinning: describePinning(cores), machine: machineInfo(), cells: perCell }, null, 1)}\n`,
  );
  const pooled = perCell.flatMap((c) => c.logRatio.map((x) => x - mean(c.logRatio)));
  process.stdout.write(
    `\nNoise, ${values.server} vs itself, ${mode}, ${values.matrix}, ${describePinning(cores)}, ${rounds} rounds per cell: ` +
      `log-ratio sd median ${median(perCell.map((c) => c.ratioSd)).toFixed(3)}, max ${Math.max(...perCell.map((c) => c.ratioSd)).toFixed(3)}, pooled ${sd(pooled).toFixed(3)}; ` +
      `lag-1 median ${median(perCell.map((c) => c.ratioLag1)).toFixed(2)}, max ${Math.max(...perCell.map((c) => c.ratioLag1)).toFixed(2)}; ` +
      `shared speed sd median ${median(perCell.map((c) => c.sharedSd)).toFixed(3)}, lag-1 median ${median(perCell.map((c) => c.sharedLag1)).toFixed(2)}; ` +
      `${((performance.now() - t0) / 60_000).toFixed(1)} min\nfigures: ${file}\n`,
  );
}

interface NoiseCell {
  cell: string;
  rounds: number;
  batch: number;
  ratioSd: number;
  ratioLag1: number;
  ratioStepSd: number;
  sharedSd: number;
  sharedLag1: number;
  logRatio: number[];
  logShared: number[];
}

function mean(x: number[]): number {
  return x.reduce((s, v) => s + v, 0) / x.length;
}
function sd(x: number[]): number {
  const m = mean(x);
  return Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1));
}
function diffs(x: number[]): number[] {
  return x.slice(1).map((v, i) => v - x[i]!);
}
/** Lag-1 autocorrelation: near 0 when rounds are independent, near 1 when the figure drifts. */
function lag1(x: number[]): number {
  const m = mean(x);
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    den += (x[i]! - m) ** 2;
    if (i > 0) num += (x[i]! - m) * (x[i - 1]! - m);
  }
  return den > 0 ? num / den : 0;
}

/**
 * aa-gate: whole gates, each a fresh `runGate` with default settings (warm-up, pinning, time
 * budget, second looks, Holm over the cells) on two instances of one server, with the claim
 * "B >= A at every c" over the matrix. A gate that fails is a false alarm of the whole gate, not
 * of one comparison.
 */
async function runAaGates(): Promise<void> {
  const { runGate } = await import('../lib/perf/gate.ts');
  const { resolveConfig } = await import('../lib/perf/config.ts');
  const { DEFAULT_DOC_ROOT } = await import('../lib/paths.ts');
  const server = await loadServer(values.server);
  const a = { ...server, name: `${server.name}-a` };
  const b = { ...server, name: `${server.name}-b` };
  const claim = `${b.name} >= ${a.name} at every c`;
  const file =
    values.out ?? join(REPORTS_DIR, 'perf-experiments', `aa-gate-${values.server}-${timestampName(new Date())}.json`);
  await mkdir(join(file, '..'), { recursive: true });
  const gates: Array<{
    index: number;
    passed: boolean;
    seconds: number;
    cells: Array<{ cell: string; status: string; outcome: string; ratios: number[]; p: number[]; adjustedP?: number }>;
  }> = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const config = resolveConfig(
      {
        claims: [claim],
        matrix: values.matrix,
        mode,
        tolerance,
        baseline: false,
        sampling: { maxTimeS: baseCapMs / 1000 },
      },
      null,
    );
    const t = performance.now();
    const r = await runGate({ config, servers: [a, b], root: DEFAULT_DOC_ROOT });
    const cr = r.claims[0]!;
    gates.push({
      index: i + 1,
      passed: r.passed,
      seconds: (performance.now() - t) / 1000,
      cells: cr.cells.map((c) => ({
        cell: `${c.requests}x${c.concurrency}`,
        status: c.status,
        outcome: String(c.outcome),
        ratios: (c.verdicts ?? []).map((v) => v.ratio),
        p: (c.verdicts ?? []).map((v) => v.p),
        ...(c.adjustedP === undefined ? {} : { adjustedP: c.adjustedP }),
      })),
    });
    const g = gates[gates.length - 1]!;
    const worst = cr.cells.map((c) => c.verdicts?.[c.verdicts.length - 1]?.ratio ?? NaN).filter(Number.isFinite);
    process.stdout.write(
      `gate ${String(g.index).padStart(2)}: ${g.passed ? 'pass' : 'FALSE ALARM'} (${tally(cr.cells.map((c) => String(c.outcome))) && JSON.stringify(tally(cr.cells.map((c) => String(c.outcome))))}), ` +
        `ratios ${formatRatio(Math.min(...worst))}-${formatRatio(Math.max(...worst))}, ${g.seconds.toFixed(0)} s\n`,
    );
    await writeFile(
      file,
      `${JSON.stringify({ kind, server: values.server, claim, mode, matrix: values.matrix, tolerance, count, machine: machineInfo(), gates }, null, 1)}\n`,
    );
  }
  const alarms = gates.filter((g) => !g.passed).length;
  process.stdout.write(
    `\nWhole-gate A/A, ${values.server} vs itself, claim "${claim}", ${mode}, ${values.matrix}: ${alarms} false alarm(s) in ${gates.length} gates; ` +
      `${((performance.now() - t0) / 60_000).toFixed(1)} min\nfigures: ${file}\n`,
  );
}
