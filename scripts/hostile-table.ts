/**
 * The reliability table of docs/reliability.md: every hostile server (fixtures/hostile/) x every
 * command (bench, check, gate), each run under the same watchdog and with the same arguments as
 * the hostile spec (spec/hostile/expectations.ts), printed as markdown: gauntlet's verdict in a
 * few words, whether it is the honest one, the wall time, the CLI's peak resident memory and
 * what was left running.
 *
 * usage: npx tsx scripts/hostile-table.ts [--only hang,drip] [--json FILE]
 *   --only   the rows of these servers only
 *   --json   also write every run (exit, time, memory, leftovers, output tails) to FILE
 *
 * The runs are serial: each one times itself. Allow up to about 2 minutes per row against a
 * harness that does not bound them (the watchdog kills a run at 125 s or 600 MB).
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { hostileName, runHostile, type HostileOutcome } from '../spec/helpers/hostile-run.ts';
import { BOUNDS, HOSTILE_CASES, caseProblems, type HostileCase } from '../spec/hostile/expectations.ts';

interface Row {
  c: HostileCase;
  o: HostileOutcome;
  problems: string[];
}

const firstLine = (text: string | undefined, max = 90): string => {
  const line = (text ?? '').split('\n').find((l) => l.trim()) ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** What bench said of the hostile server: its counts, its best rate, and why it stopped. */
function benchVerdict(o: HostileOutcome): string {
  const name = hostileName(o.spec.server);
  const cells = (
    (o.written?.cells ?? []) as Array<{
      server: string;
      result: { completeRequests: number; failedRequests: number; requestsPerSecond: number };
    }>
  ).filter((c) => c.server === name);
  const server = (
    (o.written?.servers ?? []) as Array<{
      name: string;
      error?: string;
      stoppedAnswering?: string;
      skippedCells?: unknown[];
    }>
  ).find((s) => s.name === name);
  const complete = cells.reduce((n, c) => n + c.result.completeRequests, 0);
  const failed = cells.reduce((n, c) => n + c.result.failedRequests, 0);
  const rps = Math.max(0, ...cells.map((c) => c.result.requestsPerSecond));
  const parts = [`${cells.length} cells: ${complete} complete, ${failed} failed, up to ${rps.toFixed(1)} req/s`];
  if (server?.skippedCells?.length) parts.push(`${server.skippedCells.length} skipped`);
  if (server?.stoppedAnswering) parts.push(firstLine(server.stoppedAnswering, 70));
  if (server?.error) parts.push(firstLine(server.error, 70));
  const comparison = o.written?.comparison as { conclusion?: string[] } | undefined;
  if (o.spec.withReference && comparison?.conclusion?.length)
    parts.push(`conclusion: ${firstLine(comparison.conclusion.join(' '), 90)}`);
  return parts.join('; ');
}

/** What check said: its verdicts counted. */
function checkVerdict(o: HostileOutcome): string {
  const counts = new Map<string, number>();
  for (const r of (o.written?.results ?? []) as Array<{ verdict: string }>)
    counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${n} ${v}`).join(', ') || 'no case result';
}

/** What the gate said of each claim. */
function gateVerdict(o: HostileOutcome): string {
  const claims = (o.written?.claims ?? []) as Array<{ claim: string; status: string; summary: string }>;
  return claims.map((c) => `"${c.claim}" ${c.status}: ${firstLine(c.summary, 80)}`).join('; ') || 'no claim evaluated';
}

/** Gauntlet's verdict in a few words; when nothing was written, the end of its output. */
export function verdictOf(o: HostileOutcome): string {
  const r = o.run;
  const prefix = r.killedBy ? `killed by the watchdog (${r.killedBy}); ` : '';
  if (!o.written) {
    const lastLines = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-1)[0] ?? '';
    return `${prefix}nothing written; last output: ${firstLine(lastLines.trim(), 90) || 'none'}`;
  }
  const byCommand = { bench: benchVerdict, check: checkVerdict, gate: gateVerdict };
  return prefix + byCommand[o.spec.command](o);
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function renderRow({ c, o, problems }: Row): string {
  const r = o.run;
  const left = r.leftovers.length
    ? r.leftovers.map((l) => `pid ${l.pid}${l.listening.length ? ` on ${l.listening.join(', ')}` : ''}`).join('; ')
    : 'nothing';
  const honest = problems.length
    ? `no: ${firstLine(problems[0], 100)}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`
    : 'yes';
  const exit = r.exitCode ?? r.signal;
  return `| ${c.server} | ${c.command} | ${cell(verdictOf(o))} (exit ${exit}) | ${cell(honest)} | ${(r.wallMs / 1000).toFixed(1)} | ${r.peakRssMb.toFixed(0)} | ${cell(left)} |`;
}

function gitRev(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'lib', 'bin'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${rev} with uncommitted changes to lib/ or bin/` : rev;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, json: { type: 'string' } } });
  const only = values.only?.split(',').filter(Boolean) ?? [];
  const unknown = only.filter((s) => !HOSTILE_CASES.some((c) => c.server === s));
  if (unknown.length) {
    process.stderr.write(
      `--only: no hostile server named ${unknown.join(', ')} (known: ${[...new Set(HOSTILE_CASES.map((c) => c.server))].join(', ')})\n`,
    );
    process.exit(2);
  }
  const cases = HOSTILE_CASES.filter((c) => only.length === 0 || only.includes(c.server));
  const started = new Date();
  const rows: Row[] = [];
  for (const [i, c] of cases.entries()) {
    process.stderr.write(`[${i + 1}/${cases.length}] ${c.server} ${c.command} ... `);
    const o = await runHostile(c);
    const problems = caseProblems(c, o);
    rows.push({ c, o, problems });
    process.stderr.write(
      `${(o.run.wallMs / 1000).toFixed(1)} s, ${o.run.peakRssMb.toFixed(0)} MB, ${problems.length ? 'NOT as expected' : 'as expected'}\n`,
    );
  }
  const honest = rows.filter((r) => r.problems.length === 0).length;
  const lines = [
    `Measured on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC against the code of ${gitRev()}, with`,
    `\`npx tsx scripts/hostile-table.ts${only.length ? ` --only ${only.join(',')}` : ''}\`: ${honest} of ${rows.length} runs as expected`,
    `(bounds: ${BOUNDS.wallMs / 1000} s, ${BOUNDS.peakRssMb} MB peak resident, nothing left running).`,
    '',
    '| server | command | verdict (gauntlet) | as expected | wall s | peak MB | left running |',
    '|---|---|---|---|---:|---:|---|',
    ...rows.map(renderRow),
    '',
    'Commands (each with `--out` to a fresh folder):',
    '',
    ...rows.map((r) => `- ${r.c.server} ${r.c.command}: \`${r.o.commandLine}\``),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json) {
    const runs = rows.map(({ c, o, problems }) => ({
      server: c.server,
      command: c.command,
      commandLine: o.commandLine,
      expected: c.expected,
      problems,
      verdict: verdictOf(o),
      ...o.run,
      stdout: o.run.stdout.slice(-4000),
      stderr: o.run.stderr.slice(-4000),
    }));
    await writeFile(
      values.json,
      `${JSON.stringify({ startedAt: started.toISOString(), rev: gitRev(), runs }, null, 1)}\n`,
    );
  }
}

await main();
