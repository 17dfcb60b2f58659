/**
 * The suite against servers with one known defect each (fixtures/broken/<name>/), so that a case
 * or a property that stops catching what it was written for is noticed.
 *
 * For each broken server the table below names the case and property ids that must catch its
 * defect (a case: verdict fail or warn; a property: fail) and a few basics the defect does not
 * touch, which the same server must still pass: a catch is then for the right reason, not a
 * server that fails everything. The control, fixtures/broken/_base (the code every broken server
 * derives from, without a defect), must pass every id of the table: a case that fails on the
 * control would "catch" defects that are not there.
 *
 * A server runs its basics first, then its catching cases one at a time (restarted when one of
 * them killed it), then its properties against a fresh instance. A few servers are examined at
 * once; each property runs with a fixed seed (GAUNTLET_SEED overrides it) so that a run repeats.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { readManifest, MANIFEST_FILE } from '../../lib/manifest.ts';
import { launch, describeExit, type ExitInfo, type RunningServer } from '../../lib/launcher.ts';
import { DEFAULT_DOC_ROOT, PROJECT_ROOT } from '../../lib/paths.ts';
import { loadCases } from '../../lib/conformance/registry.ts';
import { CONFORMANCE_ENV, runCase, type CaseTarget } from '../../lib/conformance/runner.ts';
import { renderWireLog } from '../../lib/conformance/wire-log.ts';
import { PROPERTIES, propertyById } from '../../lib/conformance/properties/registry.ts';
import { propertyFailureMessage } from '../../lib/conformance/properties/replay.ts';
import type { PropertyResult, PropertySettings } from '../../lib/conformance/properties/types.ts';
import type { CaseResult, ConformanceCase } from '../../lib/conformance/types.ts';
import type { ServerSpec } from '../../lib/types.ts';
import type { Row } from './broken-rows/row.ts';

const BROKEN_DIR = join(PROJECT_ROOT, 'fixtures', 'broken');
const CONTROL = '_base';

/**
 * Which ids must catch which defect: every `rows` of the files in broken-rows/ (row.ts holds
 * the type), in file-name order.
 */
const ROWS_DIR = join(PROJECT_ROOT, 'spec', 'conformance', 'broken-rows');
const TABLE: Row[] = [];
for (const f of readdirSync(ROWS_DIR)
  .filter((n) => n.endsWith('.ts') && n !== 'row.ts')
  .sort()) {
  const mod = (await import(pathToFileURL(join(ROWS_DIR, f)).href)) as { rows: Row[] };
  TABLE.push(...mod.rows);
}

/** Servers examined at once: each is a Python process and a stream of exchanges on a small machine. */
const SERVERS_AT_ONCE = 4;
/** How long the `alongside` case runs before the catching case starts, ms. */
const ALONGSIDE_LEAD_MS = 200;
/** A catching case for a server that may die: how long to wait for the exit to be seen, ms. */
const DEATH_GRACE_MS = 300;

/** A fixed seed, so that a catch found once is found again; GAUNTLET_SEED tries another. */
function seedFromEnv(): number {
  const raw = process.env.GAUNTLET_SEED?.trim();
  if (!raw) return 20_251_126;
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)))
    throw new Error(`GAUNTLET_SEED must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

const settings: PropertySettings = {
  seed: seedFromEnv(),
  numRuns: 40,
  timeMs: 4_000,
  shrinkTimeMs: 1_000,
};
/**
 * Properties whose runs are cheap get more of them: the traversal targets mix a dozen spellings
 * of ".." and "/", and the plain ones a naive server falls for are a small share of them.
 */
const NUM_RUNS: Record<string, number> = { 'prop-no-traversal': 400 };

const allCases = new Map((await loadCases()).map((l) => [l.case.id, l.case] as const));

interface Examined {
  cases: Map<string, CaseResult>;
  /** Keyed by catching case id, for rows with an `alongside` case: that case's own result. */
  alongside: Map<string, CaseResult>;
  properties: Map<string, PropertyResult>;
  /** Exits seen while the catching cases ran. */
  exits: ExitInfo[];
  error?: Error;
}

function caseOf(id: string): ConformanceCase {
  const c = allCases.get(id);
  if (!c) throw new Error(`no case with id ${id} (lib/conformance/cases/)`);
  return c;
}

function targetOf(server: RunningServer, spec: ServerSpec): CaseTarget {
  return {
    host: server.host,
    port: server.port,
    root: DEFAULT_DOC_ROOT,
    capabilities: spec.capabilities ?? [],
    name: spec.name,
  };
}

/** Runs a row's ids against one server (the row's own, or the control). */
async function examine(
  folder: string,
  row: { caughtBy: string[]; stillPasses: string[]; properties: string[]; alongside?: string; dies?: boolean },
): Promise<Examined> {
  const out: Examined = { cases: new Map(), alongside: new Map(), properties: new Map(), exits: [] };
  const spec = await readManifest(join(BROKEN_DIR, folder, MANIFEST_FILE));
  let server: RunningServer | null = null;
  try {
    server = await launch(spec, { env: { ...CONFORMANCE_ENV } });
    for (const id of row.stillPasses) out.cases.set(`still:${id}`, await runCase(caseOf(id), targetOf(server, spec)));
    for (const id of row.caughtBy) {
      if (server.exitInfo()) {
        out.exits.push(server.exitInfo()!);
        await server.stop();
        server = await launch(spec, { env: { ...CONFORMANCE_ENV } });
      }
      const target = targetOf(server, spec);
      if (row.alongside) {
        const beside = runCase(caseOf(row.alongside), target);
        await sleep(ALONGSIDE_LEAD_MS);
        out.cases.set(`caught:${id}`, await runCase(caseOf(id), target));
        out.alongside.set(id, await beside);
      } else {
        out.cases.set(`caught:${id}`, await runCase(caseOf(id), target));
      }
      if (row.dies) await Promise.race([server.exited, sleep(DEATH_GRACE_MS)]);
    }
    if (server.exitInfo()) out.exits.push(server.exitInfo()!);
    await server.stop();
    server = null;

    if (row.properties.length > 0) {
      // A fresh instance with the server's own timeouts: a property's verdict is then about the
      // requests it generates, not about a one-second head deadline on a busy machine.
      server = await launch(spec);
      for (const id of row.properties) {
        const p = propertyById(id);
        if (!p) throw new Error(`no property with id ${id} (lib/conformance/properties/registry.ts)`);
        const r = await p.run(targetOf(server, spec), { ...settings, numRuns: NUM_RUNS[id] ?? settings.numRuns });
        out.properties.set(id, r);
      }
    }
  } catch (err) {
    out.error = err as Error;
  } finally {
    await server?.stop();
  }
  return out;
}

/** A pool of SERVERS_AT_ONCE: every examination waits for its turn. */
function pooled<T>(jobs: Array<() => Promise<T>>, size: number): Array<Promise<T>> {
  let active = 0;
  const waiting: Array<() => void> = [];
  const turn = () => (active < size ? (active++, Promise.resolve()) : new Promise<void>((r) => waiting.push(r)));
  const done = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return jobs.map(async (job) => {
    await turn();
    try {
      return await job();
    } finally {
      done();
    }
  });
}

function union(rows: readonly Row[], pick: (r: Row) => string[]): string[] {
  return [...new Set(rows.flatMap(pick))];
}

/** The control runs every id of the table, each `alongside` pairing included. */
const controlRow = {
  stillPasses: union(TABLE, (r) => [...r.caughtBy, ...r.stillPasses, ...(r.alongside ? [r.alongside] : [])]),
  caughtBy: [] as string[],
  properties: union(TABLE, (r) => r.properties),
};
const controlAlongside = TABLE.filter((r) => r.alongside).map((r) => ({
  alongside: r.alongside!,
  ids: r.caughtBy,
  server: r.server,
}));

const results = new Map<string, Promise<Examined>>();

beforeAll(() => {
  const jobs: Array<[string, () => Promise<Examined>]> = [
    [CONTROL, () => examine(CONTROL, controlRow)],
    ...controlAlongside.map((a): [string, () => Promise<Examined>] => [
      `${CONTROL}:${a.server}`,
      () => examine(CONTROL, { ...a, caughtBy: a.ids, stillPasses: [], properties: [] }),
    ]),
    ...TABLE.map((row): [string, () => Promise<Examined>] => [row.server, () => examine(row.server, row)]),
  ];
  const promises = pooled(
    jobs.map(([, job]) => job),
    SERVERS_AT_ONCE,
  );
  jobs.forEach(([key], i) => results.set(key, promises[i]!));
});

afterAll(async () => {
  await Promise.allSettled(results.values());
});

/** Long enough for every examination ahead in the pool, with the slowest rows taking ~20 s each. */
const WAIT_MS = 240_000;

async function examined(key: string): Promise<Examined> {
  const e = await results.get(key);
  if (!e) throw new Error(`${key} was not examined`);
  if (e.error) throw e.error;
  return e;
}

function caseMessage(server: string, id: string, r: CaseResult, expected: string): string {
  const c = caseOf(id);
  const parts = [
    `${server} ${id} (${c.level}): expected ${expected}, got ${r.verdict}${r.reason ? `: ${r.reason}` : ''}`,
  ];
  if (r.exchange) parts.push(renderWireLog(r.exchange, { timeoutMs: c.timeoutMs ?? 2_000 }));
  return parts.join('\n');
}

it('the table names every broken server, and only ids that exist', () => {
  const folders = readdirSync(BROKEN_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('_') && existsSync(join(BROKEN_DIR, e.name, MANIFEST_FILE)))
    .map((e) => e.name)
    .sort();
  expect(TABLE.map((r) => r.server).sort()).toEqual(folders);
  expect(folders.length).toBeGreaterThanOrEqual(12);
  const ids = union(TABLE, (r) => [...r.caughtBy, ...r.stillPasses, ...(r.alongside ? [r.alongside] : [])]);
  expect(
    ids.filter((id) => !allCases.has(id)),
    'case ids in the table that no case file defines',
  ).toEqual([]);
  const props = union(TABLE, (r) => r.properties);
  expect(
    props.filter((id) => !PROPERTIES.some((p) => p.id === id)),
    'property ids in the table that do not exist',
  ).toEqual([]);
  for (const row of TABLE)
    expect(row.caughtBy.length + row.properties.length, `${row.server} is caught by nothing`).toBeGreaterThan(0);
});

describe('control: fixtures/broken/_base passes every id of the table', () => {
  it.concurrent.for(controlRow.stillPasses)('%s', { timeout: WAIT_MS }, async (id) => {
    const r = (await examined(CONTROL)).cases.get(`still:${id}`)!;
    expect(r.verdict, caseMessage('broken-base', id, r, 'pass')).toBe('pass');
  });
  for (const a of controlAlongside) {
    it.concurrent.for(a.ids)(`%s beside ${a.alongside}`, { timeout: WAIT_MS }, async (id) => {
      const e = await examined(`${CONTROL}:${a.server}`);
      const r = e.cases.get(`caught:${id}`)!;
      expect(r.verdict, caseMessage('broken-base', id, r, `pass while ${a.alongside} ran beside it`)).toBe('pass');
      const beside = e.alongside.get(id)!;
      expect(beside.verdict, caseMessage('broken-base', a.alongside, beside, 'pass')).toBe('pass');
    });
  }
  it.concurrent.for(controlRow.properties)('%s', { timeout: WAIT_MS }, async (id) => {
    const r = (await examined(CONTROL)).properties.get(id)!;
    expect(r.verdict, propertyFailureMessage('broken-base', r)).toBe('pass');
  });
});

describe.each(TABLE.map((row) => [`broken-${row.server}: ${row.defect}`, row] as const))('%s', (_title, row) => {
  const name = `broken-${row.server}`;
  it.concurrent.for(row.stillPasses)('still passes %s', { timeout: WAIT_MS }, async (id) => {
    const r = (await examined(row.server)).cases.get(`still:${id}`)!;
    expect(r.verdict, caseMessage(name, id, r, 'pass: the defect does not touch this case')).toBe('pass');
  });
  it.concurrent.for(row.caughtBy)(
    row.alongside ? `is caught by %s (beside ${row.alongside})` : 'is caught by %s',
    { timeout: WAIT_MS },
    async (id) => {
      const r = (await examined(row.server)).cases.get(`caught:${id}`)!;
      expect(['fail', 'warn'], caseMessage(name, id, r, 'fail or warn')).toContain(r.verdict);
    },
  );
  it.concurrent.for(row.properties)('is caught by property %s', { timeout: WAIT_MS }, async (id) => {
    const r = (await examined(row.server)).properties.get(id)!;
    expect(r.verdict, `${name} ${id}: expected fail, got ${r.verdict} after ${r.numRuns} runs (seed ${r.seed})`).toBe(
      'fail',
    );
  });
  if (row.dies) {
    it('dies of it', { timeout: WAIT_MS }, async () => {
      const e = await examined(row.server);
      expect(e.exits.map(describeExit), 'the server never exited while the catching cases ran').not.toEqual([]);
    });
  }
});
