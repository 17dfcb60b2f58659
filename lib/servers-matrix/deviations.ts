/**
 * The explanations of the servers' deviations, kept by hand in docs/servers-deviations.json: one
 * entry per (server, case) that a server fails, saying what the RFC requires (quoting its
 * sentence) and what the server does instead. The table is generated; these sentences are not,
 * and the loader checks their shape here, before any server starts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths.ts';

/** Why one server fails one case. */
export interface Deviation {
  server: string;
  caseId: string;
  /** The RFC's sentence, quoted, and what the server does instead. */
  why: string;
}

/** The data file, in the project's docs next to the table it explains. */
export const DEVIATIONS_FILE = join(PROJECT_ROOT, 'docs', 'servers-deviations.json');

const FIELDS = ['server', 'caseId', 'why'] as const;

/** The key of a (server, case) pair in maps. */
export function deviationKey(server: string, caseId: string): string {
  return `${server}\u0000${caseId}`;
}

function entryProblems(entry: unknown, i: number): string[] {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return [`entry ${i} must be an object { server, caseId, why }`];
  const obj = entry as Record<string, unknown>;
  const problems = Object.keys(obj)
    .filter((k) => !(FIELDS as readonly string[]).includes(k))
    .map((k) => `entry ${i}: "${k}" is not a known field (known: ${FIELDS.join(', ')})`);
  for (const f of FIELDS) {
    const v = obj[f];
    if (typeof v !== 'string' || v.trim() === '') problems.push(`entry ${i}: "${f}" must be a non-empty string`);
  }
  return problems;
}

/**
 * Validates the parsed file: a list of entries, each with exactly `server`, `caseId` and `why`,
 * no (server, case) twice. Throws one error listing every problem, naming the file.
 */
export function parseDeviations(data: unknown, file: string): Deviation[] {
  if (!Array.isArray(data)) throw new Error(`${file}: must hold a JSON list of { server, caseId, why }`);
  const problems = data.flatMap((e, i) => entryProblems(e, i));
  const entries = problems.length === 0 ? (data as Deviation[]) : [];
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const key = deviationKey(e.server, e.caseId);
    const first = seen.get(key);
    if (first !== undefined)
      problems.push(`entry ${i}: ${e.server} ${e.caseId} is already explained by entry ${first}`);
    else seen.set(key, i);
  });
  if (problems.length > 0) throw new Error(`${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return entries.map((e) => ({ server: e.server, caseId: e.caseId, why: e.why }));
}

/** Reads and validates the data file. */
export async function loadDeviations(file = DEVIATIONS_FILE): Promise<Deviation[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseDeviations(data, file);
}
