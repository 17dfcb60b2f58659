/**
 * The shape of Gauntlet's three run records (bench's results.json, check.json, gate's
 * results.json), small enough to commit: every field path with its JSON type(s), for example
 * `servers[].name: string`, and the values that do not change from one run to the next (case
 * ids and verdicts, matrix, settings, claim texts and kinds, server names, models and
 * languages). Measured figures, times, ports and pids change every run and are left out.
 * spec/golden/outputs.test.ts compares today's outputs with the shapes in fixtures/golden/before,
 * so that a change to what the files hold is always a decision, written down with its reason.
 *
 *   npx tsx scripts/golden-shapes.ts OUTPUTS_DIR FIXTURES_DIR
 *
 * reads OUTPUTS_DIR/bench/results.json, OUTPUTS_DIR/check/check.json and
 * OUTPUTS_DIR/gate/results.json and writes bench.json, check.json and gate.json to FIXTURES_DIR.
 *
 * fixtures/golden/before was made from the outputs of commit
 * e6e13f9112510e337cdd1fff4d2b679839b0a33e, run in the project's folder as:
 *
 *   gauntlet bench --server python-async --server node-async --matrix 40:1,4 --rounds 2
 *   gauntlet check --server python-async --group host --group methods
 *   gauntlet gate --claim "node-async >= python-async at every c" --matrix 40:1,4 \
 *     --max-time 2 --warmup 0.5 --no-baseline --no-pin
 *
 * (bench also wrote its own check.json; its shape is check's, so only check's is kept.)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../lib/paths.ts';

/** The three run records, by the command that writes them. */
export type GoldenOutput = 'bench' | 'check' | 'gate';

/** Where each command's record is, under a folder of outputs. */
export const OUTPUT_FILES: Record<GoldenOutput, string> = {
  bench: 'bench/results.json',
  check: 'check/check.json',
  gate: 'gate/results.json',
};

/** A field path (`servers[].runtime.kind`) and the JSON types seen there, sorted. */
export type FieldTypes = Record<string, string[]>;

/** What is kept of one output. */
export interface GoldenShape {
  output: string;
  fields: FieldTypes;
  values: Record<string, unknown>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = Record<string, Json>;

function jsonType(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Every field path of a JSON value with its types; array elements share the path `name[]`. */
export function fieldTypes(value: Json): FieldTypes {
  const seen = new Map<string, Set<string>>();
  const visit = (v: Json, path: string) => {
    const types = seen.get(path) ?? new Set<string>();
    types.add(jsonType(v));
    seen.set(path, types);
    if (Array.isArray(v)) for (const item of v) visit(item, `${path}[]`);
    else if (v !== null && typeof v === 'object')
      for (const [key, item] of Object.entries(v)) visit(item, path ? `${path}.${key}` : key);
  };
  visit(value, '');
  const fields: FieldTypes = {};
  for (const path of [...seen.keys()].sort()) if (path) fields[path] = [...seen.get(path)!].sort();
  return fields;
}

/** A path inside the project as it is written relative to it, so that checkouts elsewhere compare. */
function projectRelative(path: Json | undefined): Json | undefined {
  return typeof path === 'string' && isAbsolute(path) ? relative(PROJECT_ROOT, path) : path;
}

/** A scalar as text, anything else as its JSON, for the ids of cells and verdicts. */
function text(value: Json | undefined): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : JSON.stringify(value ?? null);
}

function objects(value: Json | undefined): JsonObject[] {
  return Array.isArray(value)
    ? value.filter((v): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v))
    : [];
}

/** The fields of each server that a run does not change. */
function serverIdentities(output: JsonObject, fields: readonly string[]): Json[] {
  return objects(output.servers).map((s) => Object.fromEntries(fields.map((f) => [f, s[f] ?? null])));
}

function benchValues(output: JsonObject): Record<string, unknown> {
  const cells = objects(output.cells).map(
    (c) => `${text(c.server)} n=${text(c.requests)} c=${text(c.concurrency)} round ${text(c.round ?? 0)}`,
  );
  return {
    tool: output.tool,
    status: output.status,
    mode: output.mode,
    path: output.path,
    matrix: output.matrix,
    rounds: output.rounds,
    keepGoing: output.keepGoing,
    servers: serverIdentities(output, ['name', 'model', 'language', 'command']),
    cells: cells.sort(),
  };
}

function checkValues(output: JsonObject): Record<string, unknown> {
  const cases = Object.fromEntries(
    objects(output.cases).map((c) => [text(c.id), { level: c.level, group: c.group, rfc: c.rfc }]),
  );
  const verdicts = Object.fromEntries(
    objects(output.results).map((r) => [`${text(r.server)} ${text(r.caseId)}`, r.verdict]),
  );
  return {
    tool: output.tool,
    status: output.status,
    servers: serverIdentities(output, ['name', 'command', 'capabilities', 'serverFlag']),
    cases,
    verdicts,
  };
}

function gateValues(output: JsonObject): Record<string, unknown> {
  const settings = { ...(output.settings as JsonObject) };
  settings.configFile = projectRelative(settings.configFile) ?? null;
  const cells = objects(output.measurements).map((m) => {
    const cell = m.cell as JsonObject;
    const sides = objects(m.sides).map((s) => text(s.name));
    return `${text(m.mode)} n=${text(cell.requests)} c=${text(cell.concurrency)}: ${sides.join(' vs ')}`;
  });
  return {
    tool: output.tool,
    status: output.status,
    settings,
    servers: serverIdentities(output, ['name', 'model', 'language', 'command']),
    claims: objects(output.claims).map((c) => ({ claim: c.claim, kind: c.kind })),
    measuredCells: [...new Set(cells)].sort(),
  };
}

const VALUES: Record<GoldenOutput, (output: JsonObject) => Record<string, unknown>> = {
  bench: benchValues,
  check: checkValues,
  gate: gateValues,
};

/** The shape of one command's output, parsed. */
export function goldenShape(command: GoldenOutput, output: unknown): GoldenShape {
  return {
    output: OUTPUT_FILES[command],
    fields: fieldTypes(output as Json),
    values: VALUES[command](output as JsonObject),
  };
}

/** Reads a folder of outputs and writes one shape file per command. */
async function writeShapes(outputsDir: string, fixturesDir: string): Promise<void> {
  await mkdir(fixturesDir, { recursive: true });
  for (const command of Object.keys(OUTPUT_FILES) as GoldenOutput[]) {
    const output = JSON.parse(await readFile(join(outputsDir, OUTPUT_FILES[command]), 'utf8')) as unknown;
    await writeFile(join(fixturesDir, `${command}.json`), `${JSON.stringify(goldenShape(command, output), null, 2)}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [outputsDir, fixturesDir] = process.argv.slice(2);
  if (!outputsDir || !fixturesDir) {
    process.stderr.write('usage: tsx scripts/golden-shapes.ts OUTPUTS_DIR FIXTURES_DIR\n');
    process.exit(2);
  }
  await writeShapes(outputsDir, fixturesDir);
}
