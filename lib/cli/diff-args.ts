/**
 * `gauntlet diff`'s command line: the servers (as check takes them), the seed and shrink path,
 * the budget of requests and of time, the quirks file. Every value is checked before anything
 * starts; a bad one is a UsageError naming the flag (exit 2).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ServerSpec } from '../types.ts';
import type { Runtime } from '../runtime.ts';
import {
  SERVER_OPTION_HELP,
  RUNTIME_OPTION_HELP,
  RUNTIME_OPTIONS,
  MAX_TIMEOUT_S,
  parseRuntimeOptions,
  resolveRoot,
  resolveOut,
  resolveServers,
  parseFlags,
  wholeNumber,
  seconds,
  flagError,
  UsageError,
} from './args.ts';
import { URL_OPTION, URL_OPTION_HELP, serverValuesInOrder } from './url-flag.ts';
import { NO_TLS, TLS_OPTIONS, TLS_OPTION_HELP, parseTlsFlags, type TlsFlags } from './tls-flag.ts';
import { DEFAULT_DOC_ROOT } from '../paths.ts';
import { isShrinkPath, runSeed, seedProblem } from '../conformance/properties/settings.ts';
import { FIELDS, FIELD_MEANINGS } from '../diff/understood.ts';
import { QuirksError, loadQuirks, type Quirk } from '../diff/quirks.ts';
import { DEFAULT_DIFF_REQUESTS, MAX_DIFF_REQUESTS } from '../diff/run.ts';

/** The quirks file read when --quirks is not given, if the current folder has one. */
export const DEFAULT_QUIRKS_FILE = 'gauntlet.quirks.json';
const DEFAULT_TIME_LIMIT_S = '300';

export const DIFF_USAGE = `usage: gauntlet diff --server A --server B [options]

Sends the same generated requests (from the HTTP/1.1 grammar, mutated now and then: an octet
inserted, deleted or doubled, a line or a CRLF changed, a case swapped, the writes split) to
every server, each followed by a probe request on the same connection, and compares what each
understood:
${FIELDS.map((f) => `  ${f.padEnd(11)}${FIELD_MEANINGS[f]}`).join('\n')}
The first disagreement beyond the quirks file is shrunk to a minimal request and printed with
each server's wire log and the command that replays it; diff.json goes to the report folder.
Exit codes: 0 the servers agree, 1 they disagree (or one did not start or stopped answering),
2 usage error, 130 interrupted (what was found so far is reported).

options:
${SERVER_OPTION_HELP}
${URL_OPTION_HELP}
${RUNTIME_OPTION_HELP}
${TLS_OPTION_HELP}
  --requests N           the most requests to send (default ${DEFAULT_DIFF_REQUESTS}, at most ${MAX_DIFF_REQUESTS})
  --time-limit S         stop sending new requests after S seconds (default ${DEFAULT_TIME_LIMIT_S});
                         shrinking a disagreement takes up to 20 s more
  --seed S               the seed (default GAUNTLET_SEED, else a random one; printed)
  --shrink-path P        replay one shrunk request: the path a disagreement printed
  --quirks FILE          the accepted differences (default ${DEFAULT_QUIRKS_FILE} in this folder,
                         if there is one; "none" for none): a JSON {"quirks": [...]}, each entry
                         with "servers" ("*" or names), "field" (one or a list), "when" (method,
                         matches, excludes, mutated, split, refused), optionally "values", and
                         "why"
  --root DIR             the document root given to servers as {root} (default fixtures/www)
  --out DIR              the report folder (default reports/<timestamp>-diff)
  -h, --help             this text`;

export const DIFF_OPTIONS = {
  server: { type: 'string', multiple: true },
  ...URL_OPTION,
  ...RUNTIME_OPTIONS,
  ...TLS_OPTIONS,
  requests: { type: 'string', default: String(DEFAULT_DIFF_REQUESTS) },
  'time-limit': { type: 'string', default: DEFAULT_TIME_LIMIT_S },
  seed: { type: 'string' },
  'shrink-path': { type: 'string' },
  quirks: { type: 'string' },
  root: { type: 'string', default: DEFAULT_DOC_ROOT },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export interface DiffArgs extends TlsFlags {
  servers: ServerSpec[];
  requests: number;
  timeLimitMs: number;
  seed: number;
  shrinkPath?: string;
  quirks: Quirk[];
  /** The quirks file read, absolute; null for none. */
  quirksFile: string | null;
  root: string;
  out: string | null;
  runtime: Runtime;
  cpus?: number;
  memoryMb?: number;
  help: boolean;
}

/** The quirks of --quirks (or of the default file, when there is one); a bad file is a usage error. */
export async function parseQuirksFlag(
  value: string | undefined,
  cwd = process.cwd(),
): Promise<{ quirks: Quirk[]; quirksFile: string | null }> {
  if (value === 'none') return { quirks: [], quirksFile: null };
  if (value !== undefined && value.trim() === '') throw flagError('--quirks', value, 'is empty: name a file, or none');
  const file = resolve(cwd, value ?? DEFAULT_QUIRKS_FILE);
  if (value === undefined && !existsSync(file)) return { quirks: [], quirksFile: null };
  try {
    return { quirks: await loadQuirks(file), quirksFile: file };
  } catch (err) {
    if (err instanceof QuirksError) throw flagError('--quirks', value ?? DEFAULT_QUIRKS_FILE, err.problems.join('; '));
    throw err;
  }
}

/** The seed of --seed, else GAUNTLET_SEED's, else a random one. */
export function parseSeed(text: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (text !== undefined) {
    if (seedProblem(text)) throw flagError('--seed', text, 'is not a whole number');
    return Number(text);
  }
  try {
    return runSeed(env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `gauntlet diff`'s command line, every value checked before anything starts or is written. */
export async function parseDiffArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<DiffArgs> {
  const v = parseFlags(argv, DIFF_OPTIONS);
  const base = { requests: 0, timeLimitMs: 0, seed: 0, quirks: [], quirksFile: null, out: null };
  if (v.help) return { ...base, servers: [], root: v.root, runtime: 'process', ...NO_TLS, help: true };
  const requests = wholeNumber('--requests', v.requests, 1, MAX_DIFF_REQUESTS);
  const timeLimitMs = seconds('--time-limit', v['time-limit'], 1, MAX_TIMEOUT_S) * 1000;
  const seed = parseSeed(v.seed, env);
  const path = v['shrink-path'];
  if (path !== undefined && !isShrinkPath(path))
    throw flagError('--shrink-path', path, 'is not a fast-check path such as 12:0:3');
  const quirks = await parseQuirksFlag(v.quirks);
  const root = resolveRoot(v.root);
  const out = resolveOut(v.out);
  const values = serverValuesInOrder(argv, DIFF_OPTIONS);
  const servers = await resolveServers(values.length ? values : undefined);
  if (servers.length < 2)
    throw new UsageError(
      `diff compares servers: give at least two (--server NAME, --url URL), got ${servers.length === 1 ? `only ${servers[0]!.name}` : 'none'}`,
    );
  const runtime = parseRuntimeOptions(v, servers);
  return {
    servers,
    requests,
    timeLimitMs,
    seed,
    ...(path !== undefined && { shrinkPath: path }),
    ...quirks,
    root,
    out,
    ...runtime,
    ...parseTlsFlags(v, servers, runtime.runtime, (problem) => new UsageError(problem)),
    help: false,
  };
}
