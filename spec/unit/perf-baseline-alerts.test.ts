import { describe, expect, it, afterEach } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendGate,
  appendRuns,
  baselineMachine,
  emptyBaseline,
  machineDifferences,
  readBaseline,
  runsFromMeasurements,
  sameHardware,
  runtimeLabel,
  writeBaseline,
  type BaselineMachine,
} from '../../lib/perf/baseline.ts';
import { buildAlerts } from '../../lib/perf/alerts.ts';
import {
  deliverAlerts,
  escapeData,
  escapeProperty,
  escapeSlack,
  githubAnnotations,
  webhookPayload,
} from '../../lib/cli/gate-alerts.ts';
import { checkRegression } from '../../lib/perf/evaluate.ts';
import { YARDSTICK, type Alert, type GateResults } from '../../lib/perf/types.ts';
import { around, emptyGate, gateMeasurement, MACHINE, sideOf } from './helpers/perf-fixtures.ts';

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'gauntlet-perf-'));
}

describe('baseline files', () => {
  it('keeps the last runs of each server, mode and cell, with the machine', async () => {
    const m = gateMeasurement([sideOf('srv', around(5000)), sideOf(YARDSTICK, around(10000, 12, 2))]);
    const runs = runsFromMeasurements([m], MACHINE, '2026-01-01T00:00:00Z');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ server: 'srv', mode: 'close', cell: { requests: 100, concurrency: 10 } });
    expect(runs[0]!.run.machine).toEqual({
      cpuModel: 'Test CPU',
      cores: 2,
      platform: 'linux',
      arch: 'x64',
      node: 'v20.0.0',
      python: '3.11.7',
      runtime: 'process',
    });
    expect(runs[0]!.run.normalised[0]).toBeCloseTo(runs[0]!.run.rps[0]! / runs[0]!.run.yardstickRps[0]!);

    const b = emptyBaseline(3);
    for (let i = 0; i < 5; i++) appendRuns(b, runsFromMeasurements([m], MACHINE, `2026-01-0${i + 1}T00:00:00Z`));
    const kept = b.entries.srv?.close?.['100x10'];
    expect(kept?.map((r) => r.savedAt)).toEqual([
      '2026-01-03T00:00:00Z',
      '2026-01-04T00:00:00Z',
      '2026-01-05T00:00:00Z',
    ]);

    const dir = await tmp();
    const file = join(dir, 'sub', 'baseline.json');
    expect(await readBaseline(file)).toBeNull();
    await writeBaseline(file, b);
    const back = await readBaseline(file);
    const first = b.entries.srv!.close!['100x10']![0]!;
    const again = back!.entries.srv!.close!['100x10']![0]!;
    expect(back!.entries.srv!.close!['100x10']!.map((r) => r.savedAt)).toEqual(kept!.map((r) => r.savedAt));
    expect(again.machine).toEqual(first.machine);
    // Figures keep five significant digits, each list on one line of the file.
    expect(again.normalised[0]).toBeCloseTo(first.normalised[0]!, 4);
    expect(await readFile(file, 'utf8')).toMatch(/"rps": \[[\d.]+(,[\d.]+){11}\]/);
  });

  it('takes the last attempt of a cell measured twice, and refuses a gate without the yardstick', () => {
    const first = gateMeasurement([sideOf('srv', around(1000)), sideOf(YARDSTICK, around(10000))], undefined, 0);
    const second = gateMeasurement([sideOf('srv', around(4000)), sideOf(YARDSTICK, around(10000))], undefined, 1);
    const runs = runsFromMeasurements([first, second], MACHINE, 'now');
    expect(runs[0]!.run.rps[0]).toBeGreaterThan(3000);

    const gate = emptyGate();
    gate.measurements = [gateMeasurement([sideOf('srv', around(1000))])];
    expect(() => appendGate(emptyBaseline(5), gate)).toThrow(/yardstick/);
  });

  it('rejects files that are not baselines', async () => {
    const dir = await tmp();
    const file = join(dir, 'b.json');
    await writeFile(file, '{"kind":"gate"}');
    await expect(readBaseline(file)).rejects.toThrow(/not a Gauntlet baseline/);
    await writeFile(file, '{');
    await expect(readBaseline(file)).rejects.toThrow(/not valid JSON/);
  });

  it('says how the machine differs', () => {
    const now = baselineMachine(MACHINE);
    const run = {
      savedAt: 'x',
      machine: { ...now, cpuModel: 'Other CPU', cores: 8 },
      normalised: [],
      rps: [],
      yardstickRps: [],
      batch: 1,
    };
    expect(machineDifferences(now, [run])).toEqual(['CPU Other CPU, 8 cores']);
    expect(machineDifferences(now, [{ ...run, machine: now }])).toEqual([]);
    expect(sameHardware(now, [run])).toBe(false);
    expect(sameHardware(now, [{ ...run, machine: { ...now, node: 'v22.0.0' } }])).toBe(true);
  });

  it('treats another runtime like other hardware, and a run without one as a process', () => {
    const inContainer = baselineMachine(
      MACHINE,
      runtimeLabel({
        kind: 'container',
        image: 'gauntlet/x:1',
        baseImage: null,
        cpus: 1,
        memoryMb: 256,
        buildS: 1,
        engine: 'Docker 20.10.24',
        containerId: 'c',
      }),
    );
    expect(inContainer.runtime).toBe('container, 1 CPU, 256 MiB');
    // A run recorded before servers could run in containers has no runtime.
    const older: BaselineMachine = { ...baselineMachine(MACHINE) };
    delete older.runtime;
    const run = { savedAt: 'x', machine: older, normalised: [], rps: [], yardstickRps: [], batch: 1 };
    expect(sameHardware(baselineMachine(MACHINE), [run])).toBe(true);
    expect(sameHardware(inContainer, [run])).toBe(false);
    expect(machineDifferences(inContainer, [run])).toEqual(['run as process']);
  });
});

describe('checkRegression', () => {
  const settings = { alert: 0.1, fail: 0.25, alpha: 0.05, confidence: 0.95 };
  const base = (centre: number, seed: number) => ({
    savedAt: 'x',
    machine: baselineMachine(MACHINE),
    normalised: around(centre, 12, seed),
    rps: around(centre * 10000, 12, seed),
    yardstickRps: around(10000, 12, seed),
    batch: 1,
  });
  // Runs that agree closely: the test is run against run, so the spread between the runs' medians
  // sets how far the current run must be to count (three runs 1% apart: about +-3.5%).
  const runs = [base(0.5, 1), base(0.505, 2), base(0.498, 3)];

  it('is quiet on noise, an alert past the alert threshold, a failure past the fail threshold', () => {
    const yard = sideOf(YARDSTICK, around(10000, 12, 5));
    const same = sideOf('srv', around(5000, 12, 6));
    expect(['within', 'undecided']).toContain(checkRegression(same, yard, runs, settings).level);
    const slower = sideOf('srv', around(4000, 12, 7));
    expect(checkRegression(slower, yard, runs, settings).level).toBe('alert');
    const muchSlower = sideOf('srv', around(3000, 12, 8));
    expect(checkRegression(muchSlower, yard, runs, settings).level).toBe('fail');
    expect(checkRegression(sideOf('srv', around(7000, 12, 9)), yard, runs, settings).level).toBe('improved');
  });

  it('raises only alerts from fewer than three baseline runs: they cannot show how much runs differ', () => {
    const yard = sideOf(YARDSTICK, around(10000, 12, 5));
    const muchSlower = sideOf('srv', around(3000, 12, 8));
    expect(checkRegression(muchSlower, yard, runs.slice(0, 2), settings).level).toBe('alert');
  });

  it('tests run against run: runs that differ widely cannot show a 20% drop, however many samples each has', () => {
    const yard = sideOf(YARDSTICK, around(10000, 12, 5));
    const spread = [base(0.5, 1), base(0.56, 2), base(0.45, 3)];
    const slower = sideOf('srv', around(4000, 12, 7));
    const check = checkRegression(slower, yard, spread, settings);
    expect(check.verdict.test).toBe('runs-t-prediction');
    expect(check.verdict.n).toBe(3);
    expect(check.verdict.p).toBeGreaterThan(0.05);
    expect(check.level).toBe('undecided');
  });

  it('does not mistake a slower machine for a regression: the yardstick slows down too', () => {
    const yard = sideOf(YARDSTICK, around(5000, 12, 5));
    const srv = sideOf('srv', around(2500, 12, 6));
    expect(['within', 'undecided']).toContain(checkRegression(srv, yard, runs, settings).level);
  });
});

function failingGate(errors: number, warnings: number): GateResults {
  const gate = emptyGate();
  gate.passed = false;
  gate.alerts = [
    ...Array.from({ length: errors }, (_, i): Alert => ({
      level: 'error',
      title: `claim failed: a >= b #${i}`,
      message: `line one\nline two, 50% worse: ok`,
    })),
    ...Array.from({ length: warnings }, (_, i): Alert => ({
      level: 'warning',
      title: `possible regression: s${i}`,
      message: 'slower',
    })),
  ];
  return gate;
}

describe('GitHub annotations', () => {
  it('escape data and properties as the Actions toolkit does', () => {
    expect(escapeData('50% a\r\nb')).toBe('50%25 a%0D%0Ab');
    expect(escapeProperty('a: b, c%')).toBe('a%3A b%2C c%25');
  });

  it('print at most 10 of each level and say where the rest are', () => {
    const lines = githubAnnotations(failingGate(13, 12).alerts);
    const errors = lines.filter((l) => l.startsWith('::error '));
    const warnings = lines.filter((l) => l.startsWith('::warning '));
    expect(errors).toHaveLength(10);
    expect(warnings).toHaveLength(10);
    expect(lines).toContain('Gauntlet: 3 more errors are listed in the job summary.');
    expect(lines).toContain('Gauntlet: 2 more warnings are listed in the job summary.');
    expect(errors[0]).toBe('::error title=Gauntlet%3A claim failed%3A a >= b #0::line one%0Aline two, 50%25 worse: ok');
    // One line per annotation: no message can start a workflow command of its own.
    for (const l of lines) expect(l).not.toMatch(/\n/);
  });
});

describe('buildAlerts', () => {
  it('lists failed claims, regressions and broken servers, errors first', () => {
    const gate = emptyGate();
    gate.servers = [{ name: 'bad', model: 'm', language: 'l', command: 'x', source: 's', error: 'exited early\nmore' }];
    gate.claims = [{ claim: 'a >= b', kind: 'relative', status: 'fail', cells: [], summary: 'Does not hold.' }];
    const verdict = {
      outcome: 'slower' as const,
      ratio: 0.85,
      interval: { lo: 0.8, hi: 0.88, confidence: 0.95 },
      p: 0.001,
      test: 'mann-whitney-u' as const,
      medianA: 0.4,
      medianB: 0.5,
      factor: 1,
      tolerance: 0.1,
      alpha: 0.05,
      n: 30,
    };
    const measured = { rounds: 12, batch: 1, runMs: 20, stoppedBy: 'time-cap' as const, seconds: 10 };
    gate.regressions = [
      {
        server: 'srv',
        mode: 'close',
        group: 0,
        requests: 100,
        concurrency: 10,
        level: 'alert',
        verdicts: [verdict],
        baselineRuns: 3,
        rpsNow: 1,
        rpsBaseline: 2,
        measured,
        notes: [],
      },
      {
        server: 'srv',
        mode: 'close',
        group: 0,
        requests: 100,
        concurrency: 1,
        level: 'within',
        verdicts: [verdict],
        baselineRuns: 3,
        rpsNow: 1,
        rpsBaseline: 2,
        measured,
        notes: [],
      },
    ];
    const alerts = buildAlerts(gate);
    expect(alerts.map((a) => `${a.level} ${a.title}`)).toEqual([
      'error server bad did not run',
      'error claim failed: a >= b',
      'warning possible regression: srv n=100 c=10 (close)',
    ]);
    expect(alerts[2]!.message).toContain('15% slower than its baseline');
    expect(alerts[0]!.message).toBe('exited early');
  });
});

describe('webhook', () => {
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = null;
  });

  /** A local receiver on an ephemeral loopback port, answering `status`. */
  async function receiver(
    status = 200,
  ): Promise<{ url: string; received: Array<{ headers: IncomingMessage['headers']; body: string }> }> {
    const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(status).end('ok');
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const addr = server.address();
    return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`, received };
  }

  it('posts a Slack-compatible JSON message with the alerts when there are some', async () => {
    const { url, received } = await receiver();
    const gate = failingGate(1, 1);
    const notes = await deliverAlerts(gate, {
      env: { HOOK: url },
      webhookEnv: 'HOOK',
      webhookOn: 'alerts',
      annotations: false,
      write: () => {},
    });
    expect(notes).toEqual(['webhook (HOOK): delivered']);
    expect(received).toHaveLength(1);
    expect(received[0]!.headers['content-type']).toBe('application/json');
    const payload = JSON.parse(received[0]!.body) as { text: string };
    expect(payload.text).toContain('*Gauntlet gate FAILED*');
    expect(payload.text).toContain('claim failed: a &gt;= b #0');
    expect(payload.text).toContain(':warning:');
    // The notes name the variable, never the URL (a secret).
    expect(notes.join(' ')).not.toContain(url);
  });

  it('stays quiet without alerts unless asked to post always, and reports a refused delivery', async () => {
    const { url, received } = await receiver(500);
    const quiet = emptyGate();
    expect(
      await deliverAlerts(quiet, { env: { HOOK: url }, webhookEnv: 'HOOK', webhookOn: 'alerts', annotations: false }),
    ).toEqual([]);
    expect(received).toHaveLength(0);
    const notes = await deliverAlerts(quiet, {
      env: { HOOK: url },
      webhookEnv: 'HOOK',
      webhookOn: 'always',
      annotations: false,
    });
    expect(received).toHaveLength(1);
    expect(notes).toEqual(['webhook (HOOK): not delivered (HTTP 500)']);
  });

  it('escapes text and links the workflow run', () => {
    expect(escapeSlack('a <b> & c')).toBe('a &lt;b&gt; &amp; c');
    const payload = webhookPayload(failingGate(25, 0), {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_RUN_ID: '7',
    });
    expect(payload.text).toContain('and 5 more (see the report)');
    expect(payload.text).toContain('<https://github.com/o/r/actions/runs/7|the workflow run>');
  });
});

describe('job summary and annotations through deliverAlerts', () => {
  it('appends the markdown report to GITHUB_STEP_SUMMARY and prints annotations in GitHub Actions', async () => {
    const dir = await tmp();
    const summary = join(dir, 'summary.md');
    await writeFile(summary, 'before\n');
    const lines: string[] = [];
    const gate = failingGate(2, 0);
    const notes = await deliverAlerts(gate, {
      env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
      webhookEnv: 'NONE',
      webhookOn: 'alerts',
      write: (l) => lines.push(l),
    });
    expect(lines.filter((l) => l.startsWith('::error'))).toHaveLength(2);
    const text = await readFile(summary, 'utf8');
    expect(text.startsWith('before\n## Gauntlet gate: FAILED')).toBe(true);
    expect(text).toContain('| level | what | details |');
    expect(text).toContain('claim failed: a \\>= b #1');
    expect(notes).toEqual([`job summary: appended to ${summary}`]);
  });
});
