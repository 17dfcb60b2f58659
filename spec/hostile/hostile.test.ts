/**
 * bench, check and gate against every hostile server (fixtures/hostile/), each run as a child
 * process under a watchdog (spec/helpers/guarded-run.ts) that kills it past 600 MB resident or
 * 125 s, so that a regression fails a test instead of the machine. Each row of HOSTILE_CASES
 * (expectations.ts) asserts its verdict, the 2-minute bound, a peak resident memory under 300 MB
 * and that nothing is left running. Two rows run at a time (project `hostile`, maxConcurrency 2):
 * most rows spend their time waiting on a server's silence or on Node's start, so two at once halve
 * the project's wall time, and the bounds (2 minutes, 300 MB) are far above what a row takes alone.
 *
 * HOSTILE_ONLY=hang,drip runs the rows of those servers only.
 */
import { describe, it } from 'vitest';
import { outputHead, runHostile } from '../helpers/hostile-run.ts';
import { HOSTILE_CASES, caseLabel, caseProblems } from './expectations.ts';

const only = process.env.HOSTILE_ONLY?.split(',').filter(Boolean) ?? [];
const cases = HOSTILE_CASES.filter((c) => only.length === 0 || only.includes(c.server));

describe('hostile servers: honest verdicts in bounded time and memory, nothing left running', () => {
  for (const c of cases) {
    it.concurrent(`${caseLabel(c)}: ${c.expected}`, async ({ expect }) => {
      const outcome = await runHostile(c);
      const r = outcome.run;
      const problems = caseProblems(c, outcome);
      const facts = `${outcome.commandLine}\nexit ${r.exitCode ?? r.signal}, ${(r.wallMs / 1000).toFixed(1)} s, peak ${r.peakRssMb.toFixed(0)} MB`;
      expect(problems, `${facts}\n${problems.join('\n')}\n${outputHead(r)}`).toEqual([]);
    });
  }
});
