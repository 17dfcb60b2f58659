/**
 * Whether an output follows its JSON Schema and the schema describes each of its fields: the
 * check the end-to-end specs make of what bench, check and gate wrote.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { goldenShape } from '../../scripts/golden-shapes.ts';
import { undescribedFields } from './schema-fields.ts';

const SCHEMAS = { bench: 'results.schema.json', check: 'check.schema.json', gate: 'gate.schema.json' } as const;

/** The schema's complaints about `output` and the fields it does not describe; both empty when it follows. */
export async function schemaProblems(
  kind: keyof typeof SCHEMAS,
  output: unknown,
): Promise<{ errors: unknown[]; undescribed: string[] }> {
  const schema = JSON.parse(await readFile(join(PROJECT_ROOT, 'schemas', SCHEMAS[kind]), 'utf8')) as {
    [key: string]: unknown;
  };
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajvFormats.default(ajv);
  const validate = ajv.compile(schema);
  const errors = validate(output) ? [] : [...(validate.errors ?? [])];
  return { errors, undescribed: undescribedFields(schema, Object.keys(goldenShape(kind, output).fields)) };
}
