/**
 * Loads the conformance cases, one case file per group (each file exports
 * `cases: CaseDefinition[]`), and validates them, so that a mistake in a case is reported with
 * the case's id and file before any server is started, rather than as a confusing verdict.
 *
 * A case's group is the name of its file: `framing.ts` holds the group `framing`. Files load in
 * name order, and that is the order reports list groups in; a two-digit prefix (`03-framing.ts`)
 * places a group without showing in its name. So a new group is one new file, nothing else.
 */
import { readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../paths.ts';
import { importModule } from '../import-module.ts';
import type { Capability, CaseDefinition, CaseGroup, CaseInfo, ConformanceCase, Level, RfcSection } from './types.ts';

/**
 * Where the project's own case files are: they ship with the harness, next to this file
 * (lib/conformance/cases in the sources, dist/conformance/cases in the built package).
 */
export const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'cases');

export const LEVELS = ['MUST', 'SHOULD', 'security', 'informational'] as const satisfies readonly Level[];
export const CAPABILITIES = ['echo'] as const satisfies readonly Capability[];

/** A case and the file it came from: what a run of cases needs. */
export interface LoadedCase {
  case: ConformanceCase;
  /** Path relative to the project root (absolute outside the project). */
  file: string;
}

/** A case as the loader gives it: with the sections its `rfc` cites, parsed. */
export interface CitedCase extends LoadedCase {
  sections: RfcSection[];
}

/** One or more invalid cases; the message lists each problem with its case id and file. */
export class CaseError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid conformance cases:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CaseError';
  }
}

const KEBAB_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** A case file's name: an optional two-digit order prefix, the group, `.ts` (or `.js`, built). */
const CASE_FILE_RE = /^(?:\d\d-)?(.*)\.[tj]s$/;

/** Whether a name can be a group: kebab-case (a-z, 0-9, single hyphens). */
function isCaseGroup(name: string): name is CaseGroup {
  return KEBAB_RE.test(name);
}

/** The group a case file holds: its name without the order prefix and `.ts` or `.js`; null when that is not kebab-case. */
export function groupOfFile(path: string): CaseGroup | null {
  const group = CASE_FILE_RE.exec(basename(path))?.[1] ?? '';
  return isCaseGroup(group) ? group : null;
}

const RFC_PIECE_RE = /^RFC (\d{3,5}) (?:§(\d+(?:\.\d+)*)|Appendix ([A-Z](?:\.\d+)*))$/;

/**
 * The sections an `rfc` value cites: "RFC 9112 §6.1; RFC 9110 §5.5" is two, and
 * "RFC 9112 Appendix C.2.2" cites an appendix. Throws a RangeError naming the value and the
 * piece that is not a section.
 */
export function parseRfc(value: string): RfcSection[] {
  return value.split(';').map((raw) => {
    const piece = raw.trim();
    const m = RFC_PIECE_RE.exec(piece);
    const section = m?.[2] ?? m?.[3];
    if (!m?.[1] || section === undefined) {
      throw new RangeError(
        `"rfc" must be sections such as "RFC 9112 §6.1" or "RFC 9112 Appendix C.2.2", separated by "; ": ${JSON.stringify(piece)} in ${JSON.stringify(value)} is not one`,
      );
    }
    return { rfc: Number(m[1]), section };
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requestProblems(request: unknown): string[] {
  if (!Array.isArray(request) || request.length === 0) return ['"request" must be a non-empty list of parts'];
  const problems: string[] = [];
  request.forEach((part: unknown, i) => {
    if (!isRecord(part)) {
      problems.push(`request part ${i} must be an object { data, delayMs? }`);
      return;
    }
    if (typeof part.data === 'string') {
      // Strings go on the wire as latin1: a char above \xff would silently become another byte.
      const bad = [...part.data].find((ch) => ch.charCodeAt(0) > 0xff);
      if (bad !== undefined)
        problems.push(
          `request part ${i} has ${JSON.stringify(bad)}, which is not one byte: write bytes as \\x00-\\xff or pass a Uint8Array`,
        );
    } else if (!(part.data instanceof Uint8Array)) {
      problems.push(`request part ${i} "data" must be a string or a Uint8Array`);
    }
    if (part.delayMs !== undefined && (typeof part.delayMs !== 'number' || !(part.delayMs >= 0))) {
      problems.push(`request part ${i} "delayMs" must be a number of ms >= 0`);
    }
  });
  return problems;
}

function acceptProblems(accept: unknown): string[] {
  if (!Array.isArray(accept) || accept.length === 0) return ['"accept" must list at least one outcome'];
  const problems: string[] = [];
  accept.forEach((o: unknown, i) => {
    if (!isRecord(o)) {
      problems.push(`accept[${i}] must be an outcome object`);
    } else if (o.kind === 'status') {
      const { min, max } = o;
      if (
        typeof min !== 'number' ||
        typeof max !== 'number' ||
        !Number.isInteger(min) ||
        !Number.isInteger(max) ||
        min < 100 ||
        max > 599 ||
        min > max
      ) {
        problems.push(
          `accept[${i}] status range must be whole numbers with 100 <= min <= max <= 599, got ${JSON.stringify(o)}`,
        );
      }
    } else if (o.kind !== 'close' && o.kind !== 'timeout' && o.kind !== 'http2-frame') {
      problems.push(`accept[${i}] "kind" must be status, close, timeout or http2-frame, got ${JSON.stringify(o.kind)}`);
    }
  });
  return problems;
}

function rfcProblems(rfc: unknown): string[] {
  if (typeof rfc !== 'string' || rfc.trim() === '') return ['"rfc" must be a non-empty string'];
  try {
    parseRfc(rfc);
    return [];
  } catch (err) {
    return [(err as RangeError).message];
  }
}

/** The problems of a list of capabilities (`needs`, `wants`), when the case has one. */
function capabilityListProblems(field: 'needs' | 'wants', list: unknown): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return [`"${field}" must be a list of capabilities`];
  return list
    .filter((cap) => !(CAPABILITIES as readonly unknown[]).includes(cap))
    .map((cap) => `"${field}" has ${JSON.stringify(cap)}, not one of ${CAPABILITIES.join(', ')}`);
}

/** The problems of the optional fields of one case. */
function optionalProblems(c: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (c.check !== undefined && typeof c.check !== 'function') problems.push('"check" must be a function');
  if (c.thenAlive !== undefined && typeof c.thenAlive !== 'boolean') problems.push('"thenAlive" must be true or false');
  if (c.timeoutMs !== undefined && (typeof c.timeoutMs !== 'number' || !(c.timeoutMs > 0)))
    problems.push('"timeoutMs" must be a positive number of ms');
  problems.push(...capabilityListProblems('needs', c.needs), ...capabilityListProblems('wants', c.wants));
  if (
    c.methods !== undefined &&
    (!Array.isArray(c.methods) || c.methods.some((m) => typeof m !== 'string' || m === ''))
  ) {
    problems.push('"methods" must be a list of method names');
  }
  if (c.notes !== undefined && typeof c.notes !== 'string') problems.push('"notes" must be a string');
  if (c.peer !== undefined && (!Array.isArray(c.peer) || c.peer.some((p) => typeof p !== 'string' || p.trim() === '')))
    problems.push('"peer" must be a list of non-empty test ids');
  return problems;
}

/** The problems of one case, each a sentence without the case's name. */
function caseProblems(c: unknown): string[] {
  if (!isRecord(c)) return ['is not an object'];
  const problems: string[] = [];
  if (typeof c.id !== 'string' || !KEBAB_RE.test(c.id))
    problems.push(`"id" must be kebab-case (a-z, 0-9, single hyphens), got ${JSON.stringify(c.id)}`);
  if (typeof c.name !== 'string' || c.name.trim() === '') problems.push('"name" must be a non-empty string');
  problems.push(...rfcProblems(c.rfc));
  if (!(LEVELS as readonly unknown[]).includes(c.level))
    problems.push(`"level" must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(c.level)}`);
  problems.push(...requestProblems(c.request), ...acceptProblems(c.accept), ...optionalProblems(c));
  return problems;
}

/** How a problem names its case: by id, or by its place in its file (from 1) when it has none. */
function caseLabel(c: unknown, index: number): string {
  return isRecord(c) && typeof c.id === 'string' && c.id !== '' ? c.id : `#${index + 1} (without an id)`;
}

/** Checks cases (with their files); throws a CaseError listing every problem, by case id and file. */
export function validateCases(loaded: ReadonlyArray<{ case: unknown; file: string }>): void {
  const problems: string[] = [];
  const firstFile = new Map<string, string>();
  const casesOfFile = new Map<string, number>();
  for (const { case: c, file } of loaded) {
    const index = casesOfFile.get(file) ?? 0;
    casesOfFile.set(file, index + 1);
    const label = caseLabel(c, index);
    for (const p of caseProblems(c)) problems.push(`case ${label} in ${file}: ${p}`);
    if (isRecord(c) && typeof c.id === 'string') {
      const prev = firstFile.get(c.id);
      if (prev !== undefined) problems.push(`case ${c.id} in ${file}: the id is already used in ${prev}`);
      else firstFile.set(c.id, file);
    }
  }
  if (problems.length > 0) throw new CaseError(problems);
}

function isCaseFileName(name: string): boolean {
  if (name.endsWith('.d.ts') || /\.test\.[tj]s$/.test(name)) return false;
  return name.endsWith('.ts') || name.endsWith('.js');
}

/**
 * The case files of a folder, in name order: every .ts file (TypeScript, as a user writes them)
 * and every .js file (as the package ships its own, built), except tests and type declarations.
 */
async function caseFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return entries
    .filter((e) => e.isFile() && isCaseFileName(e.name))
    .map((e) => join(dir, e.name))
    .sort();
}

function looksLikeCase(v: unknown): boolean {
  return isRecord(v) && typeof v.id === 'string' && Array.isArray(v.request) && Array.isArray(v.accept);
}

/** The cases a case file exports, or a problem naming the file; null for a module of shared builders. */
async function importCases(path: string, file: string): Promise<unknown[] | string | null> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(path);
  } catch (err) {
    return `${file} cannot be loaded: ${(err as Error).message}`;
  }
  if (mod.cases === undefined) {
    // Cases exported under another name would be silently lost.
    const misnamed = Object.entries(mod).find(([, v]) => Array.isArray(v) && v.length > 0 && v.every(looksLikeCase));
    return misnamed ? `${file} exports "${misnamed[0]}", which looks like a list of cases: export it as "cases"` : null;
  }
  if (!Array.isArray(mod.cases)) return `${file}: "cases" must be an array of CaseDefinition, got ${typeof mod.cases}`;
  return mod.cases as unknown[];
}

/** The problems of a file's cases that only the file can tell: its group's name, and cases naming a group. */
function fileProblems(
  file: string,
  group: CaseGroup | null,
  cases: readonly unknown[],
  groupFiles: Map<CaseGroup, string>,
): string[] {
  if (group === null) {
    return [
      `${file}: a case file is named after its group, kebab-case, optionally after a two-digit order prefix ("framing.ts", "03-framing.ts")`,
    ];
  }
  const problems: string[] = [];
  const earlier = groupFiles.get(group);
  if (earlier !== undefined) problems.push(`${file}: the group ${group} is already the group of ${earlier}`);
  groupFiles.set(group, file);
  cases.forEach((c, i) => {
    if (isRecord(c) && 'group' in c)
      problems.push(
        `case ${caseLabel(c, i)} in ${file}: "group" is not written in a case: the file gives it (${group})`,
      );
  });
  return problems;
}

/**
 * Imports every case file of `dir` and validates all cases together, each filed under the
 * group its file names. A file that exports no `cases` holds shared builders and is passed over.
 */
export async function loadCases(dir = CASES_DIR): Promise<CitedCase[]> {
  const read: Array<{ case: unknown; file: string; group: CaseGroup }> = [];
  const problems: string[] = [];
  const groupFiles = new Map<CaseGroup, string>();
  for (const path of await caseFiles(dir)) {
    const rel = relative(PROJECT_ROOT, path);
    const file = rel && !rel.startsWith('..') ? rel : path;
    const cases = await importCases(path, file);
    if (cases === null) continue;
    if (typeof cases === 'string') {
      problems.push(cases);
      continue;
    }
    const group = groupOfFile(path);
    problems.push(...fileProblems(file, group, cases, groupFiles));
    for (const c of cases) read.push({ case: c, file, group: group ?? '' });
  }
  if (problems.length > 0) throw new CaseError(problems);
  validateCases(read);
  return read.map(({ case: c, file, group }) => {
    const definition = c as CaseDefinition;
    return { case: { ...definition, group }, file, sections: parseRfc(definition.rfc) };
  });
}

/**
 * The groups of the project's own cases, in order, read from the names of their files (a file
 * of shared builders among them is told apart only when loaded, so it is named here by its
 * name: helpers.ts).
 */
function builtInGroups(): CaseGroup[] {
  let names: string[];
  try {
    names = readdirSync(CASES_DIR);
  } catch {
    // Without the folder there are no cases; loading them says so, not every command's start.
    return [];
  }
  const caseFileNames = names.filter((n) => isCaseFileName(n) && !/^helpers\.[tj]s$/.test(n)).sort();
  return caseFileNames.map(groupOfFile).filter((g): g is CaseGroup => g !== null);
}

/** The groups of the project's own cases, in the order reports list them. */
export const CASE_GROUPS: readonly CaseGroup[] = builtInGroups();

/** The groups of some loaded cases, in the order they are loaded (the order reports list them). */
export function caseGroups(loaded: ReadonlyArray<{ case: ConformanceCase }>): CaseGroup[] {
  return [...new Set(loaded.map((l) => l.case.group))];
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
  /** Groups; a group no loaded case is in is an error. */
  groups?: readonly string[];
}

/**
 * The cases chosen by ids and groups (a case is chosen when it matches either; with neither,
 * every case), in their loading order. Throws for an id or group that does not exist, naming
 * the nearest existing ids, or the groups loaded.
 */
export function selectCases<T extends { case: ConformanceCase }>(all: readonly T[], sel: CaseSelection): T[] {
  const ids = sel.ids ?? [];
  const groups = sel.groups ?? [];
  const known = new Set(all.map((l) => l.case.id));
  for (const id of ids) {
    if (!known.has(id)) {
      const near = [...known].filter((k) => k.includes(id) || id.includes(k) || sharedPrefix(k, id) >= 6).slice(0, 5);
      throw new Error(
        `no case with id ${JSON.stringify(id)}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`,
      );
    }
  }
  const loadedGroups = caseGroups(all);
  for (const g of groups) {
    if (!loadedGroups.includes(g)) throw new Error(`no group ${JSON.stringify(g)}; groups: ${loadedGroups.join(', ')}`);
  }
  if (ids.length === 0 && groups.length === 0) return [...all];
  return all.filter((l) => ids.includes(l.case.id) || groups.includes(l.case.group));
}

function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
