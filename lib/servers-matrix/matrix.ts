/**
 * `npm run servers:matrix` from end to end: install what is missing, read the servers'
 * manifests, run the cases against each, hold the failures to their explanations, write the
 * page, and say what is unexplained or stale. Returns the exit code.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { loadAllServers, readManifest } from '../manifest.ts';
import { DEFAULT_DOC_ROOT, PROJECT_ROOT, REFERENCE_SERVERS_DIR } from '../paths.ts';
import { caseInfos } from '../conformance/check-run.ts';
import { loadCases } from '../conformance/registry.ts';
import { auditDeviations, type Audit } from './audit.ts';
import { DEVIATIONS_FILE, loadDeviations } from './deviations.ts';
import { currentCommit, readableRoot, versionOf } from './environment.ts';
import { aptInstall, binaryPresent, installPlan, isRoot, missingServers, notInstalledReason } from './install.ts';
import type { MatrixOptions } from './options.ts';
import type { ServerSpec } from '../types.ts';
import { renderMatrix, type MatrixColumn } from './render.ts';
import { runServers, type MatrixEntry } from './run.ts';
import { referenceServer, selectServers, stockServers, type MatrixServer } from './servers.ts';

/** The most one server's cases may take: far above the seconds they take, so only a hang hits it. */
const PER_SERVER_MS = 10 * 60_000;

/** Cases at once against one server, as `gauntlet check` does by default. */
const JOBS = 8;

/** Every server of the matrix, stock ones first. */
async function allServers(): Promise<MatrixServer[]> {
  const refs = await loadAllServers(REFERENCE_SERVERS_DIR);
  return [...stockServers(), ...refs.map((s) => referenceServer(s.name, s.cwd, s.language))];
}

/** apt-get for what is missing, when allowed; what cannot be installed is said, not fatal. */
function install(servers: readonly MatrixServer[], opts: MatrixOptions, log: (line: string) => void): void {
  const plan = installPlan(missingServers(servers, binaryPresent), { isRoot: isRoot(), noInstall: opts.noInstall });
  for (const m of plan.messages) log(m);
  const failed = aptInstall(plan.packages, log);
  if (failed) log(failed);
}

/** A server's manifest, and why it cannot run when it cannot (the manifest is still read for its description). */
async function entryFor(server: MatrixServer): Promise<MatrixEntry> {
  let manifest: ServerSpec;
  try {
    manifest = await readManifest(server.manifest);
  } catch (err) {
    return { name: server.name, cannotRun: `did not start: ${(err as Error).message}` };
  }
  const missing = notInstalledReason(server);
  return missing ? { name: server.name, manifest, cannotRun: missing } : { name: server.name, manifest };
}

/** The lines printed after the run: what makes it exit 1. */
export function auditLines(audit: Audit): string[] {
  return [
    ...audit.unexplained.map(
      (u) => `unexplained: ${u.server} ${u.caseId} (${u.level}): ${u.reason.split('\n')[0] ?? ''}`,
    ),
    ...audit.stale.map((s) => `stale: ${s.deviation.server} ${s.deviation.caseId}: ${s.problem}`),
  ];
}

/** Runs the matrix and writes the page; resolves with the exit code. */
export async function serversMatrix(opts: MatrixOptions, log: (line: string) => void): Promise<number> {
  const started = Date.now();
  const generatedAt = new Date(started).toISOString();
  const deviations = await loadDeviations();
  const every = await allServers();
  const servers = selectServers(every, opts.only);
  install(servers, opts, log);
  const loaded = await loadCases();
  // Every server writes its configuration and pid file here; it goes at the end, whatever happens.
  const tmp = mkdtempSync(join(tmpdir(), 'gauntlet-matrix.'));
  try {
    chmodSync(tmp, 0o755);
    const root = readableRoot(DEFAULT_DOC_ROOT, tmp, log);
    const entries = await Promise.all(servers.map(entryFor));
    const runs = await runServers(entries, {
      cases: loaded,
      root,
      env: { TMPDIR: tmp },
      perServerMs: PER_SERVER_MS,
      jobs: JOBS,
      log,
    });
    const cases = caseInfos(loaded);
    const results = runs.flatMap((r) => r.results);
    const audit = auditDeviations(cases, results, deviations, {
      known: every.map((s) => s.name),
      ran: runs.filter((r) => r.notRun === null).map((r) => r.name),
    });
    const columns: MatrixColumn[] = servers.map((s, i) => {
      const run = runs[i];
      const description = entries[i]?.manifest?.description;
      return {
        name: s.name,
        version: versionOf(s.versionCommand),
        ...(description !== undefined && { description }),
        notRun: run ? run.notRun : 'not run',
        ...(run?.error !== undefined && { error: run.error }),
      };
    });
    const page = renderMatrix({
      generatedAt,
      command: opts.only ? `npm run servers:matrix -- --only ${opts.only.join(',')}` : 'npm run servers:matrix',
      commit: currentCommit(),
      dataFile: relative(PROJECT_ROOT, DEVIATIONS_FILE),
      durationS: (Date.now() - started) / 1000,
      columns,
      cases,
      results,
      audit,
    });
    await writeFile(resolve(opts.out), page);
    log(
      `wrote ${resolve(opts.out)} (${servers.length} servers, ${cases.length} cases, ${Math.round((Date.now() - started) / 1000)} s)`,
    );
    const problems = auditLines(audit);
    for (const p of problems) log(p);
    if (problems.length === 0) return 0;
    log(
      `${audit.unexplained.length} unexplained, ${audit.stale.length} stale: explain or remove them in ${relative(PROJECT_ROOT, DEVIATIONS_FILE)}` +
        (opts.allowUnexplained ? ' (--allow-unexplained: exit 0)' : ''),
    );
    return opts.allowUnexplained ? 0 : 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
