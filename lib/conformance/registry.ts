/**
 * Loads the conformance cases from spec/conformance/cases/*.ts (each file exports
 * `cases: ConformanceCase[]`) and validates them, so that a mistake in a case is reported with
 * the case's id and file before any server is started, rather than as a confusing verdict.
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../paths.ts';
import type { Capability, CaseGroup, CaseInfo, ConformanceCase, Level } from './types.ts';

/** Where the case files are. */
export const CASES_DIR = join(PROJECT_ROOT, 'spec', 'conformance', 'cases');

/** Every group, in the order reports list them. */
export const CASE_GROUPS = [
  'request-line',
  'header-fields',
  'framing',
  'chunked',
  'host',
  'methods',
  'versions',
  'persistence',
  'connection-close',
  'expect-continue',
  'limits',
  'timeouts',
  'path-traversal',
  'smuggling',
  'liveness',
  'responses',
] as const satisfies readonly CaseGroup[];

// A group added to the CaseGroup type must be added above too: this fails to compile otherwise.
const everyGroupListed: Exclude<CaseGroup, (typeof CASE_GROUPS)[number]> extends never ? true : false = true;
void everyGroupListed;

export const LEVELS = ['MUST', 'SHOULD', 'informational'] as const satisfies readonly Level[];
export const CAPABILITIES = ['echo'] as const satisfies readonly Capability[];

/** A case and the file it came from. */
export interface LoadedCase {
  case: ConformanceCase;
  /** Path relative to the project root. */
  file: string;
}

/** One or more invalid cases; the message lists each problem with its case id and file. */
export class CaseError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid conformance cases:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CaseError';
  }
}

const ID_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The problems of one case, each a sentence without the case's name. */
function caseProblems(c: unknown): string[] {
  if (!isRecord(c)) return ['is not an object'];
  const problems: string[] = [];
  const nonEmpty = (field: string) => {
    const v = c[field];
    if (typeof v !== 'string' || v.trim() === '') problems.push(`"${field}" must be a non-empty string`);
  };
  if (typeof c.id !== 'string' || !ID_RE.test(c.id)) problems.push(`"id" must be kebab-case (a-z, 0-9, single hyphens), got ${JSON.stringify(c.id)}`);
  nonEmpty('name');
  nonEmpty('rfc');
  if (!(LEVELS as readonly unknown[]).includes(c.level)) problems.push(`"level" must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(c.level)}`);
  if (!(CASE_GROUPS as readonly unknown[]).includes(c.group)) problems.push(`"group" must be one of ${CASE_GROUPS.join(', ')}, got ${JSON.stringify(c.group)}`);

  if (!Array.isArray(c.request) || c.request.length === 0) {
    problems.push('"request" must be a non-empty list of parts');
  } else {
    c.request.forEach((part: unknown, i) => {
      if (!isRecord(part)) {
        problems.push(`request part ${i} must be an object { data, delayMs? }`);
        return;
      }
      if (typeof part.data === 'string') {
        // Strings go on the wire as latin1: a char above \xff would silently become another byte.
        const bad = [...part.data].find((ch) => ch.charCodeAt(0) > 0xff);
        if (bad !== undefined) problems.push(`request part ${i} has ${JSON.stringify(bad)}, which is not one byte: write bytes as \\x00-\\xff or pass a Uint8Array`);
      } else if (!(part.data instanceof Uint8Array)) {
        problems.push(`request part ${i} "data" must be a string or a Uint8Array`);
      }
      if (part.delayMs !== undefined && (typeof part.delayMs !== 'number' || !(part.delayMs >= 0))) {
        problems.push(`request part ${i} "delayMs" must be a number of ms >= 0`);
      }
    });
  }

  if (!Array.isArray(c.accept) || c.accept.length === 0) {
    problems.push('"accept" must list at least one outcome');
  } else {
    c.accept.forEach((o: unknown, i) => {
      if (!isRecord(o)) {
        problems.push(`accept[${i}] must be an outcome object`);
      } else if (o.kind === 'status') {
        const { min, max } = o;
        if (typeof min !== 'number' || typeof max !== 'number' || !Number.isInteger(min) || !Number.isInteger(max) || min < 100 || max > 599 || min > max) {
          problems.push(`accept[${i}] status range must be whole numbers with 100 <= min <= max <= 599, got ${JSON.stringify(o)}`);
        }
      } else if (o.kind !== 'close' && o.kind !== 'timeout') {
        problems.push(`accept[${i}] "kind" must be status, close or timeout, got ${JSON.stringify(o.kind)}`);
      }
    });
  }
  if (c.check !== undefined && typeof c.check !== 'function') problems.push('"check" must be a function');
  if (c.thenAlive !== undefined && typeof c.thenAlive !== 'boolean') problems.push('"thenAlive" must be true or false');
  if (c.timeoutMs !== undefined && (typeof c.timeoutMs !== 'number' || !(c.timeoutMs > 0))) problems.push('"timeoutMs" must be a positive number of ms');
  if (c.needs !== undefined) {
    if (!Array.isArray(c.needs)) problems.push('"needs" must be a list of capabilities');
    else {
      for (const cap of c.needs) {
        if (!(CAPABILITIES as readonly unknown[]).includes(cap)) problems.push(`"needs" has ${JSON.stringify(cap)}, not one of ${CAPABILITIES.join(', ')}`);
      }
    }
  }
  if (c.methods !== undefined && (!Array.isArray(c.methods) || c.methods.some((m) => typeof m !== 'string' || m === ''))) {
    problems.push('"methods" must be a list of method names');
  }
  if (c.notes !== undefined && typeof c.notes !== 'string') problems.push('"notes" must be a string');
  return problems;
}

/** Checks cases (with their files); throws a CaseError listing every problem, by case id and file. */
export function validateCases(loaded: readonly LoadedCase[]): void {
  const problems: string[] = [];
  const firstFile = new Map<string, string>();
  for (const [i, { case: c, file }] of loaded.entries()) {
    const rec = c as unknown as Record<string, unknown> | null;
    const id = isRecord(rec) && typeof rec.id === 'string' && rec.id !== '' ? rec.id : `#${i}`;
    for (const p of caseProblems(c)) problems.push(`case ${id} in ${file}: ${p}`);
    if (isRecord(rec) && typeof rec.id === 'string') {
      const prev = firstFile.get(rec.id);
      if (prev !== undefined) problems.push(`case ${rec.id} in ${file}: the id is already used in ${prev}`);
      else firstFile.set(rec.id, file);
    }
  }
  if (problems.length > 0) throw new CaseError(problems);
}

/** The case files of a folder: every .ts file, except tests and type declarations. */
async function caseFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(dir, e.name))
    .sort();
}

function looksLikeCase(v: unknown): boolean {
  return isRecord(v) && typeof v.id === 'string' && Array.isArray(v.request) && Array.isArray(v.accept);
}

/**
 * Imports every case file of `dir` and validates all cases together. A file that exports no
 * `cases` holds shared helpers and is passed over.
 */
export async function loadCases(dir = CASES_DIR): Promise<LoadedCase[]> {
  const loaded: LoadedCase[] = [];
  const problems: string[] = [];
  for (const path of await caseFiles(dir)) {
    const rel = relative(PROJECT_ROOT, path);
    const file = rel && !rel.startsWith('..') ? rel : path;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (err) {
      problems.push(`${file} cannot be loaded: ${(err as Error).message}`);
      continue;
    }
    if (mod.cases === undefined) {
      // A module of shared helpers. Cases exported under another name would be silently lost.
      const misnamed = Object.entries(mod).find(([, v]) => Array.isArray(v) && v.length > 0 && v.every(looksLikeCase));
      if (misnamed) problems.push(`${file} exports "${misnamed[0]}", which looks like a list of cases: export it as "cases"`);
      continue;
    }
    if (!Array.isArray(mod.cases)) {
      problems.push(`${file}: "cases" must be an array of ConformanceCase, got ${typeof mod.cases}`);
      continue;
    }
    for (const c of mod.cases as ConformanceCase[]) loaded.push({ case: c, file });
  }
  if (problems.length > 0) throw new CaseError(problems);
  validateCases(loaded);
  return loaded;
}

/** A case as reports show it. */
export function caseInfo(loaded: LoadedCase): CaseInfo {
  const c = loaded.case;
  return {
    id: c.id,
    name: c.name,
    rfc: c.rfc,
    level: c.level,
    group: c.group,
    ...(c.notes ? { notes: c.notes } : {}),
    file: loaded.file,
  };
}

export interface CaseSelection {
  /** Case ids; an unknown id is an error. */
  ids?: readonly string[];
  /** Groups; an unknown group is an error. */
  groups?: readonly string[];
}

/**
 * The cases chosen by ids and groups (a case is chosen when it matches either; with neither,
 * every case), in their loading order. Throws for an id or group that does not exist, naming
 * the nearest existing ones.
 */
export function selectCases<T extends { case: ConformanceCase }>(all: readonly T[], sel: CaseSelection): T[] {
  const ids = sel.ids ?? [];
  const groups = sel.groups ?? [];
  const known = new Set(all.map((l) => l.case.id));
  for (const id of ids) {
    if (!known.has(id)) {
      const near = [...known].filter((k) => k.includes(id) || id.includes(k) || sharedPrefix(k, id) >= 6).slice(0, 5);
      throw new Error(`no case with id ${JSON.stringify(id)}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`);
    }
  }
  for (const g of groups) {
    if (!(CASE_GROUPS as readonly string[]).includes(g)) throw new Error(`no group ${JSON.stringify(g)}; groups: ${CASE_GROUPS.join(', ')}`);
  }
  if (ids.length === 0 && groups.length === 0) return [...all];
  return all.filter((l) => ids.includes(l.case.id) || (groups as readonly string[]).includes(l.case.group));
}

function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
