/**
 * Runs the cases against the servers of the matrix, one server at a time (a run takes seconds
 * per server, and timing cases are steadier without a neighbour): start, check, stop. Bounded:
 * a server that is not installed or does not start is a column with the reason, not a crash;
 * a server whose cases take longer than the limit is stopped with what it did kept.
 */
import { runCheck } from '../conformance/check-run.ts';
import type { LoadedCase } from '../conformance/registry.ts';
import type { CaseResult } from '../conformance/types.ts';
import type { ServerSpec } from '../types.ts';

/** A server to run: its manifest (when it could be read), and the reason it cannot run, if any. */
export interface MatrixEntry {
  name: string;
  manifest?: ServerSpec;
  /** Not installed, or its manifest is wrong: the column says so and nothing starts. */
  cannotRun?: string;
}

/** What one server's run gave. */
export interface ServerRun {
  name: string;
  results: CaseResult[];
  /** Why it has no results: not installed, did not start. */
  notRun: string | null;
  /** What went wrong during its run, when something did. */
  error?: string;
  ms: number;
}

export interface RunOptions {
  cases: LoadedCase[];
  root: string;
  /** Extra environment for every server (the temporary folder it writes into). */
  env: Record<string, string>;
  /** The longest one server's cases may take, ms. */
  perServerMs: number;
  /** Cases run at once against one server. */
  jobs: number;
  log(line: string): void;
}

/** One server: the cases, or why none ran. */
async function runOne(entry: MatrixEntry, opts: RunOptions): Promise<ServerRun> {
  const started = Date.now();
  if (entry.cannotRun !== undefined || entry.manifest === undefined)
    return { name: entry.name, results: [], notRun: entry.cannotRun ?? 'no manifest', ms: 0 };
  const spec: ServerSpec = { ...entry.manifest, env: { ...entry.manifest.env, ...opts.env } };
  const run = await runCheck({
    servers: [spec],
    cases: opts.cases,
    root: opts.root,
    concurrency: opts.jobs,
    properties: 'none',
    signal: AbortSignal.timeout(opts.perServerMs),
  });
  const record = run.servers[0];
  const ms = Date.now() - started;
  const error = record?.error;
  if (run.results.length === 0) return { name: entry.name, results: [], notRun: error ?? 'no case ran', ms };
  const timedOut = run.status === 'interrupted' ? `stopped after ${opts.perServerMs / 1000} s, the limit` : undefined;
  const problem = [error, timedOut].filter((t) => t !== undefined).join('; ');
  return { name: entry.name, results: run.results, notRun: null, ms, ...(problem && { error: problem }) };
}

/** Every server in order, one at a time; `log` says how each went. */
export async function runServers(entries: readonly MatrixEntry[], opts: RunOptions): Promise<ServerRun[]> {
  const runs: ServerRun[] = [];
  for (const [i, entry] of entries.entries()) {
    opts.log(`[${i + 1}/${entries.length}] ${entry.name}`);
    const r = await runOne(entry, opts);
    if (r.notRun !== null) opts.log(`      ${r.name}: ${r.notRun.split('\n')[0] ?? ''}`);
    else {
      const fails = r.results.filter((x) => x.verdict === 'fail').length;
      opts.log(
        `      ${r.name}: ${r.results.length} cases, ${fails} fail (${(r.ms / 1000).toFixed(1)} s)${r.error ? `; ${r.error.split('\n')[0] ?? ''}` : ''}`,
      );
    }
    runs.push(r);
  }
  return runs;
}
