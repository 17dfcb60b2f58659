/**
 * The verdict checks of the hostile spec (spec/hostile/expectations.ts) on made-up runs: each
 * must reject what the harness printed before it was made honest (a refusing server with a
 * request rate, a reset counted complete, a harness-error, a claim that passes) and accept the
 * honest verdict, or the hostile spec would pass whatever happens.
 */
import { describe, it, expect } from 'vitest';
import type { GuardedRun } from '../helpers/guarded-run.ts';
import type { HostileOutcome, HostileRunSpec } from '../helpers/hostile-run.ts';
import { commandArgs, displayCommand, hostileDir } from '../helpers/hostile-run.ts';
import {
  HOSTILE_CASES,
  boundProblems,
  caseProblems,
  casesNotRun,
  claimsFailNamed,
  allComplete,
  crashCaseNamed,
  crashNamed,
  neverWins,
  noneComplete,
  serverBlamed,
  stoppedAnswering,
} from '../hostile/expectations.ts';

function run(extra: Partial<GuardedRun> = {}): GuardedRun {
  return {
    args: [],
    exitCode: 1,
    signal: null,
    wallMs: 5_000,
    peakRssMb: 120,
    killedBy: null,
    stdout: '',
    stderr: '',
    leftovers: [],
    ...extra,
  };
}

function outcome(
  spec: Partial<HostileRunSpec>,
  written: Record<string, unknown> | null,
  extra: Partial<GuardedRun> = {},
): HostileOutcome {
  const s: HostileRunSpec = { server: 'refuse-after-ready', command: 'bench', args: [], ...spec };
  return { spec: s, run: run(extra), commandLine: displayCommand(s), written };
}

const cellOf = (server: string, complete: number, failed: number, rps: number) => ({
  server,
  requests: 10,
  concurrency: 1,
  result: { completeRequests: complete, failedRequests: failed, requestsPerSecond: rps },
});

const NAME = 'hostile-refuse-after-ready';

describe('hostile expectations: bench', () => {
  it('rejects a refusing server with complete requests and a rate, as the harness once printed it', () => {
    const o = outcome(
      {},
      { cells: [cellOf(NAME, 10, 10, 30834)], servers: [{ name: NAME }] },
      { stderr: `      ${NAME} cell 1/11: 10 requests x 1 concurrent: 30834.00 req/s in 0.001 s, 10 FAILED` },
    );
    const problems = noneComplete(o);
    expect(problems).toContain('n=10 c=1: 10 complete requests, expected 0');
    expect(problems).toContain('n=10 c=1: 30834 requests per second for requests that did not complete');
    expect(problems.some((p) => p.startsWith('progress line shows 30834.00 req/s'))).toBe(true);
    expect(stoppedAnswering(o)).toEqual([
      `${NAME} is not marked as having stopped answering (servers[].stoppedAnswering)`,
    ]);
  });

  it('accepts 0 complete, failures, no rate, and the stop named', () => {
    const o = outcome(
      {},
      {
        cells: [cellOf(NAME, 0, 1, 0)],
        servers: [{ name: NAME, stoppedAnswering: 'stopped answering in n=10 c=1', skippedCells: [{}] }],
      },
    );
    expect(noneComplete(o)).toEqual([]);
    expect(stoppedAnswering(o)).toEqual([]);
  });

  it('a server serving normally has every cell of the seed matrix complete, once or once per round', () => {
    const name = 'hostile-forks-keeper';
    const seed = [
      [10, 1],
      [10, 5],
      [10, 10],
      [50, 1],
      [50, 10],
      [50, 30],
      [50, 50],
      [100, 1],
      [100, 10],
      [100, 50],
      [100, 100],
    ];
    const records = (rounds: number, failed = 0) =>
      seed.flatMap(([n, c]) =>
        Array.from({ length: rounds }, () => ({
          server: name,
          requests: n,
          concurrency: c,
          result: { completeRequests: n! - failed, failedRequests: failed, requestsPerSecond: 500 },
        })),
      );
    const spec = { server: 'forks-keeper' };
    expect(allComplete(outcome(spec, { cells: records(1) }))).toEqual([]);
    expect(allComplete(outcome(spec, { cells: records(10) }))).toEqual([]);
    expect(allComplete(outcome(spec, { cells: records(1).slice(0, 3) }))).toEqual([
      '3 cells measured, expected the 11 of the seed matrix',
    ]);
    expect(allComplete(outcome(spec, { cells: records(1, 1) }))).toHaveLength(11);
  });

  it('rejects a run that wrote nothing', () => {
    expect(noneComplete(outcome({}, null))).toEqual(['no results.json was written']);
  });

  it('rejects a refusing server called the winner or faster, and accepts it shown as failed', () => {
    const pair = (winner: string, verdict: string) => ({
      comparison: {
        pairs: [{ a: { name: 'python-async' }, b: { name: NAME }, cells: [{ winner }], verdict }],
        conclusion: [verdict],
      },
    });
    const won = neverWins(outcome({}, pair('b', `${NAME} was faster than python-async in 1 of 1 cells`)));
    expect(won).toHaveLength(2);
    expect(won[0]).toBe(`cell 1: ${NAME} is called the winner`);
    expect(won[1]).toMatch(/^the conclusion calls hostile-refuse-after-ready faster/);
    expect(neverWins(outcome({}, pair('a', `${NAME} failed every request`)))).toEqual([]);
    expect(neverWins(outcome({}, { comparison: { pairs: [] } }))).toEqual([
      `no comparison of ${NAME} with python-async in results.json`,
    ]);
  });

  it('a crash must be named with its exit code and stderr, and no more requests completed than were served', () => {
    const name = 'hostile-dies-mid-run';
    const check = crashNamed(30);
    const spec = { server: 'dies-mid-run' };
    const bad = outcome(spec, { cells: [cellOf(name, 40, 0, 100)], servers: [{ name, error: 'crashed' }] });
    expect(check(bad)).toHaveLength(3);
    const good = outcome(spec, {
      cells: [cellOf(name, 30, 1, 100)],
      servers: [
        { name, error: 'crashed during cell 50 x 1 (exit code 3)\ndies-mid-run: exiting with code 3 on request 31' },
      ],
    });
    expect(check(good)).toEqual([]);
  });
});

describe('hostile expectations: check and gate', () => {
  const results = (...verdicts: Array<[string, string]>) => ({
    results: verdicts.map(([verdict, reason], i) => ({ caseId: `c${i}`, verdict, reason })),
  });

  it("rejects harness-errors for the server's faults, and cases neither run nor explained", () => {
    const o = outcome(
      { command: 'check' },
      results(['fail', 'no answer'], ['harness-error', 'could not connect within 2000 ms']),
    );
    expect(serverBlamed(o)).toEqual(['1 harness-error results, first: c1: could not connect within 2000 ms']);
    expect(casesNotRun(o)).toEqual(['no case is "not run" although the server stopped answering']);
    const honest = outcome(
      { command: 'check' },
      results(['fail', 'timed out'], ['not-run', 'not run: the server stopped answering']),
    );
    expect(serverBlamed(honest)).toEqual([]);
    expect(casesNotRun(honest)).toEqual([]);
  });

  it('needs the exit code on the failed cases and the stderr of a server that died beside them', () => {
    const spec = { server: 'dies-mid-run', command: 'check' as const };
    const inFlight = ['fail', 'the server exited (exit code 3) while this case ran'] as [string, string];
    const bare = outcome(spec, results(inFlight, ['not-run', 'not run: the server is down']));
    expect(crashCaseNamed(bare)).toEqual([
      "the server's stderr is neither in a failed case nor in the record of its exit; first: c0: the server exited (exit code 3) while this case ran",
    ]);
    const inReason = outcome(
      spec,
      results(inFlight, ['fail', 'exit code 3\ndies-mid-run: exiting with code 3 on request 31, after 30 served']),
    );
    expect(crashCaseNamed(inReason)).toEqual([]);
    const death = {
      exit: 'exit code 3',
      outputTail: 'dies-mid-run: exiting with code 3 on request 31, after 30 served',
      inFlight: ['c0'],
    };
    expect(crashCaseNamed(outcome(spec, { ...results(inFlight), servers: [{ deaths: [death] }] }))).toEqual([]);
    // The record of an exit names other cases: it says nothing about this one.
    expect(
      crashCaseNamed(outcome(spec, { ...results(inFlight), servers: [{ deaths: [{ ...death, inFlight: ['c9'] }] }] })),
    ).toHaveLength(1);
    expect(crashCaseNamed(outcome(spec, results(['pass', ''])))).toEqual(['no failed case names the exit code 3']);
  });

  it('rejects a claim that passes, or fails without a reason', () => {
    const gate = (status: string, summary: string, passed: boolean) =>
      outcome({ command: 'gate' }, { passed, claims: [{ claim: 'failed == 0', status, summary, cells: [] }] });
    expect(claimsFailNamed(gate('pass', 'held at every cell', true))).toEqual([
      'claim "failed == 0" is pass, expected fail',
      'the gate is not marked as failed (passed !== false)',
    ]);
    expect(claimsFailNamed(gate('fail', ' ', false))).toEqual(['claim "failed == 0" fails without a reason']);
    expect(claimsFailNamed(gate('fail', '10 of 10 requests failed at n=10 c=1', false))).toEqual([]);
  });
});

describe('hostile expectations: the bounds and the rows', () => {
  it('names a run killed by the watchdog, over 2 minutes, over 300 MB, or leaving a listener', () => {
    const o = outcome({}, null, {
      killedBy: 'memory',
      wallMs: 130_000,
      peakRssMb: 612,
      leftovers: [{ pid: 4242, command: 'python3 -u server.py 40000', listening: ['127.0.0.1:40000'] }],
    });
    expect(boundProblems(o)).toEqual([
      'killed by the watchdog (memory) after 130.0 s at 612 MB',
      'took 130.0 s, over 120 s',
      'peak resident memory 612 MB, not under 300 MB',
      'left running: pid 4242 python3 -u server.py 40000 (listening on 127.0.0.1:40000)',
    ]);
  });

  it('rejects a stack trace and an unexpected exit code', () => {
    const row = HOSTILE_CASES.find((c) => c.server === 'forks-keeper' && c.command === 'gate')!;
    const o = outcome(
      { server: 'forks-keeper', command: 'gate' },
      { passed: true, claims: [{ claim: 'failed == 0', status: 'pass', summary: 'held', cells: [] }] },
      {
        exitCode: 1,
        stderr: 'TypeError: x is not a function\n    at main (/work/lib/cli/main.ts:10:3)\n',
      },
    );
    expect(caseProblems(row, o)).toEqual([
      'exit code 1, expected 0',
      'a stack trace on stderr: at main (/work/lib/cli/main.ts:10:3)',
    ]);
  });

  it('covers every hostile server with bench, check and gate, once each', () => {
    const servers = [...new Set(HOSTILE_CASES.map((c) => c.server))].sort();
    expect(servers).toHaveLength(12);
    for (const s of servers)
      expect(
        HOSTILE_CASES.filter((c) => c.server === s)
          .map((c) => c.command)
          .sort(),
      ).toEqual(['bench', 'check', 'gate']);
    // At least one run per command with the default options, to prove the 2-minute bound as a user runs it.
    for (const command of ['bench', 'check', 'gate'] as const) {
      expect(HOSTILE_CASES.some((c) => c.server === 'hang' && c.command === command && c.args.length === 0)).toBe(true);
    }
  });

  it('builds each command line from the row: standard options, the reference server, a fresh folder', () => {
    expect(commandArgs({ server: 'hang', command: 'gate', args: [] }, '/tmp/out')).toEqual([
      'gate',
      '--server',
      hostileDir('hang'),
      '--no-baseline',
      '--claim',
      'failed == 0',
      '--out',
      '/tmp/out',
    ]);
    // A row that states its claims replaces the default one.
    expect(commandArgs({ server: 'hang', command: 'gate', args: ['--claim', 'rps > 1'] }, null)).toEqual([
      'gate',
      '--server',
      hostileDir('hang'),
      '--no-baseline',
      '--claim',
      'rps > 1',
    ]);
    expect(displayCommand({ server: 'hang', command: 'gate', args: [] })).toBe(
      "gauntlet gate --server fixtures/hostile/hang --no-baseline --claim 'failed == 0'",
    );
    expect(displayCommand({ server: 'hang', command: 'bench', args: ['--timeout', '2'], withReference: true })).toBe(
      'gauntlet bench --server fixtures/hostile/hang --server python-async --matrix seed --no-check --timeout 2',
    );
  });
});
