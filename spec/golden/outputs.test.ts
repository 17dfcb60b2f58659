/**
 * The outputs of bench, check and gate, made by today's code, against the ones the code wrote
 * before the run envelope (fixtures/golden/before, scripts/golden-shapes.ts): the same fields
 * with the same types, and the same values where a run does not change them, except for the
 * differences listed in expected-differences.ts, each with its reason. Each output is also held
 * to its JSON Schema (schemas/), which must describe every field it holds.
 *
 * The commands are the recorded ones, except that bench runs without its conformance pass
 * (--no-check: check.json is compared from the check command instead), so that the three take
 * about 15 s.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { goldenShape, OUTPUT_FILES, type GoldenOutput, type GoldenShape } from '../../scripts/golden-shapes.ts';
import { runInProcess } from '../unit/helpers/cli-in-process.ts';
import { describeExpected, reconcile, shapeDifferences, type Difference } from './shape-diff.ts';
import { EXPECTED_DIFFERENCES, RUN_DEPENDENT } from './expected-differences.ts';
import { undescribedFields } from './schema-fields.ts';

const OUTPUTS: GoldenOutput[] = ['bench', 'check', 'gate'];

/** Each command line, as recorded (see scripts/golden-shapes.ts), shortened; --out is added. */
const COMMANDS: Record<GoldenOutput, string[]> = {
  bench: [
    'bench',
    '--server',
    'python-async',
    '--server',
    'node-async',
    '--matrix',
    '40:1,4',
    '--rounds',
    '2',
    '--no-check',
  ],
  check: ['check', '--server', 'python-async', '--group', 'host', '--group', 'methods'],
  gate: [
    'gate',
    '--claim',
    'node-async >= python-async at every c',
    '--matrix',
    '40:1,4',
    '--max-time',
    '2',
    '--warmup',
    '0.5',
    '--no-baseline',
    '--no-pin',
  ],
};

/** The exit codes each may end with: a gate's claim may fail on a noisy machine, which is not the point here. */
const EXIT_CODES: Record<GoldenOutput, number[]> = { bench: [0], check: [0], gate: [0, 1] };

const SCHEMAS: Record<GoldenOutput, string> = {
  bench: 'results.schema.json',
  check: 'check.schema.json',
  gate: 'gate.schema.json',
};

interface Made {
  output: unknown;
  shape: GoldenShape;
  before: GoldenShape;
}

const made = {} as Record<GoldenOutput, Made>;
const found: Difference[] = [];

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8')) as unknown;
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gauntlet-golden-'));
  try {
    for (const command of OUTPUTS) {
      const run = await runInProcess([...COMMANDS[command], '--out', join(dir, command)]);
      if (!EXIT_CODES[command].includes(run.code))
        throw new Error(`gauntlet ${command} exited ${run.code}:\n${run.stderr}`);
      const output = await readJson(join(dir, OUTPUT_FILES[command]));
      const before = (await readJson(
        join(PROJECT_ROOT, 'fixtures', 'golden', 'before', `${command}.json`),
      )) as GoldenShape;
      made[command] = { output, shape: goldenShape(command, output), before };
      found.push(...shapeDifferences(command, before, made[command].shape, RUN_DEPENDENT));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);

describe('the outputs of bench, check and gate against the recorded ones', () => {
  it('differ only as listed, and every listed difference occurs', () => {
    process.stdout.write(
      `expected differences from fixtures/golden/before:\n${describeExpected(EXPECTED_DIFFERENCES, found)}\n`,
    );
    const { unexpected, missing, landed } = reconcile(found, EXPECTED_DIFFERENCES, OUTPUTS);
    const lines = [
      ...unexpected.map((d) => `not listed: ${d.output} ${d.kind} ${d.path} (${d.detail})`),
      ...missing.map((e) => `listed but does not occur: ${e.output} ${e.kind} ${e.path} (${e.reason})`),
      ...landed.map(
        (e) => `pending but occurs (the change landed: drop its pending mark): ${e.output} ${e.kind} ${e.path}`,
      ),
    ];
    expect(lines).toEqual([]);
  });

  const ajv = new Ajv2020({ allErrors: true, strict: true });
  // ajv-formats is CommonJS: under NodeNext its default import is the module, the plugin its `default`.
  ajvFormats.default(ajv);

  it.each(OUTPUTS)('%s: its output follows its schema, which describes every field', async (command) => {
    const schema = (await readJson(join(PROJECT_ROOT, 'schemas', SCHEMAS[command]))) as Record<string, unknown>;
    const validate = ajv.getSchema(String(schema.$id)) ?? ajv.compile(schema);
    // Synchronous: these schemas have no $async.
    const valid = validate(made[command].output) as boolean;
    const errors = valid ? [] : (validate.errors ?? []);
    // Fields still to come (pending entries) are missing from today's output, as required fields.
    const pendingAdded = EXPECTED_DIFFERENCES.filter(
      (e) => e.output === command && e.pending && e.kind === 'added',
    ).map((e) => e.path);
    const stillPending = (e: ErrorObject) =>
      e.keyword === 'required' && e.instancePath === '' && pendingAdded.includes(String(e.params.missingProperty));
    expect(errors.filter((e) => !stillPending(e))).toEqual([]);
    expect(undescribedFields(schema, Object.keys(made[command].shape.fields))).toEqual([]);
  });
});
