/**
 * Accepted differences: the quirks file (gauntlet.quirks.json, or `--quirks FILE`). Each entry
 * names the servers it is about (or "*"), the fields of the understanding that may differ
 * (optionally only between some values), a predicate on the request, and why the difference is
 * harmless. A difference on a field between two servers is accepted when an entry names both,
 * that field, and matches the request; any other difference is a disagreement. Loading checks every entry and names each problem with
 * its entry, so that a typo cannot silently accept everything or nothing.
 */
import { readFile } from 'node:fs/promises';
import { FIELDS, type Field, type Understood } from './understood.ts';

/** What a quirk's predicate looks at: the request as it was generated and sent. */
export interface RequestFacts {
  /** The method of the well-formed request it started as. */
  method: string;
  /** The bytes sent, as latin1 text (one character per byte). */
  text: string;
  /** Some change (line, mutation, edit) was applied to the well-formed request. */
  mutated: boolean;
  /** The bytes went out in more than one write. */
  split: boolean;
}

/** When a quirk applies: every condition given must hold. */
export interface QuirkWhen {
  /** The original request's method is one of these. */
  method?: string[];
  /**
   * The bytes sent match this regular expression: latin1 text, matched regardless of case (field
   * names are case-insensitive) and with `.` matching line ends too.
   */
  matches?: string;
  /** The bytes sent do not match this regular expression (matched as `matches` is). */
  excludes?: string;
  mutated?: boolean;
  split?: boolean;
  /**
   * Both servers refused the request and did no more than answer the probe after it: neither acted
   * on the request, and neither read part of it as another request (refusedIt, refusalsAgree).
   */
  refused?: boolean;
}

export interface Quirk {
  servers: '*' | string[];
  /** The fields it accepts differences on (a file may give one field as a string). */
  fields: Field[];
  when: QuirkWhen;
  /** When given, the difference is accepted only between two of these values of the field. */
  values?: string[];
  /** Why the difference is harmless: shown with every difference it accepts. */
  why: string;
}

/** A quirks file that cannot be used: which file, and every problem found. */
export class QuirksError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'QuirksError';
  }
}

const WHEN_KEYS = ['method', 'matches', 'excludes', 'mutated', 'split', 'refused'];
const QUIRK_KEYS = ['servers', 'field', 'when', 'values', 'why'];
/** How `matches` is matched: regardless of case, `.` matching line ends. */
const MATCH_FLAGS = 'is';

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s !== '');
}

function whenProblems(when: unknown, at: string): string[] {
  if (typeof when !== 'object' || when === null || Array.isArray(when)) return [`${at}.when must be an object`];
  const w = when as Record<string, unknown>;
  const problems = Object.keys(w)
    .filter((k) => !WHEN_KEYS.includes(k))
    .map((k) => `${at}.when has an unknown key "${k}" (keys: ${WHEN_KEYS.join(', ')})`);
  if (w.method !== undefined && !isStringList(w.method)) problems.push(`${at}.when.method must be a list of methods`);
  for (const k of ['matches', 'excludes']) {
    const pattern = w[k];
    if (pattern === undefined) continue;
    if (typeof pattern !== 'string') problems.push(`${at}.when.${k} must be a regular expression`);
    else {
      try {
        new RegExp(pattern, MATCH_FLAGS);
      } catch (err) {
        problems.push(`${at}.when.${k} is not a regular expression: ${(err as Error).message}`);
      }
    }
  }
  for (const k of ['mutated', 'split', 'refused'])
    if (w[k] !== undefined && typeof w[k] !== 'boolean') problems.push(`${at}.when.${k} must be true or false`);
  return problems;
}

/** The problems of one entry, each naming it (`quirks[2].field ...`); none when it is sound. */
export function quirkProblems(entry: unknown, index: number): string[] {
  const at = `quirks[${index}]`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return [`${at} must be an object`];
  const q = entry as Record<string, unknown>;
  const problems = Object.keys(q)
    .filter((k) => !QUIRK_KEYS.includes(k))
    .map((k) => `${at} has an unknown key "${k}" (keys: ${QUIRK_KEYS.join(', ')})`);
  if (q.servers !== '*' && !isStringList(q.servers))
    problems.push(`${at}.servers must be "*" or a list of server names`);
  const fields: unknown[] = Array.isArray(q.field) ? q.field : [q.field];
  if (fields.length === 0 || !fields.every((f) => typeof f === 'string' && (FIELDS as readonly string[]).includes(f)))
    problems.push(`${at}.field must be one of ${FIELDS.join(', ')}, or a list of them`);
  problems.push(...whenProblems(q.when ?? {}, at));
  if (q.values !== undefined && !(isStringList(q.values) && q.values.length >= 2))
    problems.push(`${at}.values must list at least two values of the field`);
  if (typeof q.why !== 'string' || q.why.trim().length < 10)
    problems.push(`${at}.why must say why the difference is harmless`);
  return problems;
}

/** Quirks from a parsed file; throws QuirksError naming `file` and every problem. */
export function parseQuirks(data: unknown, file: string): Quirk[] {
  const list = (data as { quirks?: unknown } | null)?.quirks;
  if (typeof data !== 'object' || data === null || !Array.isArray(list))
    throw new QuirksError(file, ['must be an object with a list "quirks"']);
  const problems = list.flatMap((entry, i) => quirkProblems(entry, i));
  if (problems.length > 0) throw new QuirksError(file, problems);
  return list.map((entry) => {
    const q = entry as Omit<Quirk, 'fields'> & { field: Field | Field[] };
    return {
      servers: q.servers,
      fields: Array.isArray(q.field) ? q.field : [q.field],
      when: q.when ?? {},
      ...(q.values && { values: q.values }),
      why: q.why,
    };
  });
}

/** The quirks of a file; a missing file or bad JSON is a QuirksError too. */
export async function loadQuirks(file: string): Promise<Quirk[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new QuirksError(file, [`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new QuirksError(file, [`is not JSON: ${(err as Error).message}`]);
  }
  return parseQuirks(data, file);
}

/** The refusals (4xx, 5xx) a status text starts with, and whether a 2xx (the probe's answer) ends it. */
function refusalShape(understood: Understood): { refusals: number; probeAnswered: boolean } | null {
  const m = /^([45]xx(?: [45]xx)*)( 2xx)?$/.exec(understood.status);
  if (!m) return null;
  return { refusals: m[1]!.split(' ').length, probeAnswered: m[2] !== undefined };
}

/**
 * Whether a server refused the request: 4xx or 5xx responses only, every one whole and nothing
 * after them that parses as no response (an error page longer than its framing), then either the
 * probe's 2xx or nothing. When the probe was answered there must be exactly one refusal: the
 * probe arrived intact, so a refusal between the two is the rest of the refused request read as
 * another request, a desync. Without the probe's answer, further refusals can be sound: a body
 * the request declared longer than the bytes sent takes in the probe's first bytes, and what is
 * left of the probe is refused (see refusalsAgree for the pair).
 */
export function refusedIt(understood: Understood): boolean {
  const shape = refusalShape(understood);
  if (!shape || (shape.probeAnswered && shape.refusals > 1)) return false;
  return /^\d+ \(whole(, whole)*\)$/.test(understood.responses);
}

/**
 * Whether two refusals may differ in the number of responses: by the probe's answer (one server
 * closed after refusing, the other read on), or, when neither answered the probe, by refusals of
 * what was left of it. A server that answered the probe after one refusal shows where the request
 * ended: then the other may not have refused more. Pure.
 */
export function refusalsAgree(a: Understood, b: Understood): boolean {
  const sa = refusalShape(a);
  const sb = refusalShape(b);
  if (!sa || !sb) return false;
  return sa.refusals === sb.refusals || (!sa.probeAnswered && !sb.probeAnswered);
}

/** Whether a quirk's predicate holds for a request (and, for `refused`, for what both servers did). Pure. */
export function quirkMatches(when: QuirkWhen, facts: RequestFacts, a?: Side, b?: Side): boolean {
  if (when.refused !== undefined) {
    const both =
      a !== undefined &&
      b !== undefined &&
      refusedIt(a.understood) &&
      refusedIt(b.understood) &&
      refusalsAgree(a.understood, b.understood);
    if (both !== when.refused) return false;
  }
  if (when.method && !when.method.includes(facts.method)) return false;
  if (when.matches !== undefined && !new RegExp(when.matches, MATCH_FLAGS).test(facts.text)) return false;
  if (when.excludes !== undefined && new RegExp(when.excludes, MATCH_FLAGS).test(facts.text)) return false;
  if (when.mutated !== undefined && when.mutated !== facts.mutated) return false;
  if (when.split !== undefined && when.split !== facts.split) return false;
  return true;
}

/** One server of a difference: its name and what it understood. */
export interface Side {
  server: string;
  understood: Understood;
}

/** Whether a quirk accepts this difference: its field, both servers, both values (if it lists them), the request. Pure. */
export function quirkAccepts(q: Quirk, field: Field, a: Side, b: Side, facts: RequestFacts): boolean {
  if (!q.fields.includes(field)) return false;
  if (q.servers !== '*' && !(q.servers.includes(a.server) && q.servers.includes(b.server))) return false;
  if (q.values && !(q.values.includes(a.understood[field]) && q.values.includes(b.understood[field]))) return false;
  return quirkMatches(q.when, facts, a, b);
}

/** The quirk that accepts a difference on `field` between two servers for this request, if any. Pure. */
export function acceptingQuirk(
  quirks: readonly Quirk[],
  field: Field,
  a: Side,
  b: Side,
  facts: RequestFacts,
): Quirk | null {
  return quirks.find((q) => quirkAccepts(q, field, a, b, facts)) ?? null;
}
