/**
 * The command line of the commands (bench here; check, gate and baseline beside their commands)
 * and what they share: the flags parser, the number and path checks, the servers and runtime
 * options. A command line that is wrong in any way is a UsageError, thrown before anything is
 * started or written: the CLI prints its one line, naming the flag and the value, and exits 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import type { LoadMode, Matrix, ServerSpec } from '../types.ts';
import { MatrixError, parseMatrix } from '../matrix.ts';
import { ManifestError, ServerFlagError, loadAllServers, parseServerFlag } from '../manifest.ts';
import { SERVERS_DIR, serversDirFor } from '../paths.ts';
import { RUNTIMES, parseCpus, parseMemoryMb, type Runtime } from '../runtime.ts';
import { describeCpus, describeMemory } from '../report/run-info.ts';
import { UrlValueError, urlServerSpec } from '../url-server.ts';
import { describeServerValue, type ServerValue } from './url-flag.ts';

/** A mistake in the command line: printed on one line with a hint to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--flag "value": detail`, the one shape of a bad value, so that the value is always quoted. */
export function flagError(flag: string, value: string, detail: string): UsageError {
  return new UsageError(`${flag} ${JSON.stringify(value)}: ${detail}`);
}

/** The options of a command, as parseArgs takes them. */
export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** A value that is another flag (`--out`, `-h`), not a negative number such as -1. */
function looksLikeFlag(value: string): boolean {
  return /^--?[A-Za-z]/.test(value);
}

/** Edit distance, for "did you mean": flags are short, so the quadratic table is nothing. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** " (did you mean --timeout?)" for a flag two edits away from a known one, else "". */
function suggestion(name: string, options: FlagOptions): string {
  const near = Object.keys(options)
    .map((known) => ({ known, d: distance(name, known) }))
    .filter((k) => k.d <= 2)
    .sort((a, b) => a.d - b.d)[0];
  return near ? ` (did you mean --${near.known}?)` : '';
}

/**
 * parseArgs, with every mistake a UsageError that names the flag and the value: an unknown flag,
 * a flag without its value (or followed by another flag where its value should be), a value
 * given to a switch, a flag that takes one value given twice, a stray argument. Node's own
 * messages are about its API ("To specify a positional argument starting with a '-'...").
 */
export function parseFlags<const O extends FlagOptions>(argv: readonly string[], options: O) {
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const normalized: string[] = [];
  const given = new Map<string, string>();
  for (const t of tokens) {
    if (t.kind === 'option-terminator')
      throw new UsageError('unexpected argument "--": every option is a flag such as --name VALUE');
    if (t.kind === 'positional')
      throw new UsageError(
        `unexpected argument ${JSON.stringify(t.value)}: every option is a flag such as --name VALUE`,
      );
    const spec = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (!spec) throw new UsageError(`unknown flag ${t.rawName}${suggestion(t.name, options)}`);
    const flag = `--${t.name}`;
    if (spec.type === 'boolean') {
      if (t.value !== undefined) throw new UsageError(`${flag} takes no value, got ${JSON.stringify(argv[t.index])}`);
      normalized.push(flag);
      continue;
    }
    if (t.value === undefined) throw new UsageError(`${flag} needs a value`);
    if (!t.inlineValue && looksLikeFlag(t.value)) {
      throw new UsageError(
        `${flag} needs a value, and the next argument is the flag ${t.value} (write ${flag}=VALUE for a value that starts with -)`,
      );
    }
    const previous = given.get(t.name);
    if (previous !== undefined && !spec.multiple) {
      throw new UsageError(
        `${flag} is given twice (${JSON.stringify(previous)}, then ${JSON.stringify(t.value)}): it takes one value`,
      );
    }
    given.set(t.name, t.value);
    // Inline, so that the strict parse below does not take a value such as "-1" for a flag.
    normalized.push(`${flag}=${t.value}`);
  }
  return parseArgs({ args: normalized, options, strict: true, allowPositionals: false }).values;
}

/** A whole number from `min` to `max`, from a flag's text. */
export function wholeNumber(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text)) throw flagError(flag, text, `is not a whole number${min >= 1 ? ` of at least ${min}` : ''}`);
  const n = Number(text);
  if (n < min) throw flagError(flag, text, `must be at least ${min}`);
  if (n > max) throw flagError(flag, text, `must be at most ${max}`);
  return n;
}

/**
 * A number of seconds from `minS` to `maxS`, from a flag's text: plain decimals only, so that
 * "Infinity", "1e3", "0x10" and "" (which Number() reads as 0) are refused with the value named.
 */
export function seconds(flag: string, text: string, minS: number, maxS: number, belowWhy = ''): number {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) throw flagError(flag, text, 'is not a number of seconds such as 30 or 2.5');
  const s = Number(text);
  if (s < minS) throw flagError(flag, text, `is below ${minS} s, the least it takes${belowWhy}`);
  if (s > maxS) throw flagError(flag, text, `is above ${maxS} s, the most it takes`);
  return s;
}

/** The longest per-request timeout, s: timers take at most 2^31-1 ms, and an hour is plenty. */
export const MAX_TIMEOUT_S = 3600;

/** The most --rounds: every run of every cell is kept in results.json and in memory. */
export const MAX_BENCH_ROUNDS = 1000;

/** The help text of the `--server` flag, shared by the commands that start servers. */
export const SERVER_OPTION_HELP = `  --server NAME          a server of servers/ (repeatable; default: every server there)
  --server "NAME=CMD"    any command, run from this folder, {port} and {root} filled in where
                         it has them; without {port} its port is found from what it listens on.
                         NAME:MODEL:LANGUAGE=CMD also states its concurrency model and language,
                         so it can be compared; NAME@PORT=CMD states the port the command listens
                         on (checked free before the start)`;

/** The help text of the runtime options, shared by the commands that start servers. */
export const RUNTIME_OPTION_HELP = `  --runtime process|container
                         where the servers run: process (default), or container: each server's
                         image is built from the Dockerfile its server.json names ("container"
                         section) and runs on the host's network; needs a container engine
  --cpus N               container CPU limit, for example 1 or 0.5 (default: the manifest's
                         container.cpus, else none); only with --runtime container
  --memory SIZE          container memory limit, for example 512m or 1g (default: the
                         manifest's container.memoryMb, else none); only with --runtime container`;

/** The runtime options, to spread into the options of parseArgs. No defaults: given or not matters. */
export const RUNTIME_OPTIONS = {
  runtime: { type: 'string' },
  cpus: { type: 'string' },
  memory: { type: 'string' },
} as const;

/** The runtime options as parseArgs returns them. */
export interface RuntimeFlags {
  runtime?: string | undefined;
  cpus?: string | undefined;
  memory?: string | undefined;
}

/** Where servers run, and a container's limits when given (else the manifest's apply). */
export interface RuntimeSelection {
  runtime: Runtime;
  cpus?: number;
  memoryMb?: number;
}

function isRuntime(value: string): value is Runtime {
  return (RUNTIMES as readonly string[]).includes(value);
}

/** A container limit parsed by runtime.ts, whose messages start `cpus "0"`: restated as flagError. */
function limit(flag: string, text: string, parse: (text: string) => number): number {
  try {
    return parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const prefix = `${flag.slice(2)} "${text}" `;
    throw flagError(flag, text, message.startsWith(prefix) ? message.slice(prefix.length) : message);
  }
}

/** An ad-hoc `--server NAME=CMD` server (its source is the flag itself). */
function isAdHoc(spec: ServerSpec): boolean {
  return spec.source.startsWith('--server ');
}

/**
 * The runtime options, checked against the servers they apply to. `fallback` holds what a
 * configuration file chose; a flag given on the command line wins over it.
 */
export function parseRuntimeOptions(
  flags: RuntimeFlags,
  servers: readonly ServerSpec[],
  fallback: Partial<RuntimeSelection> = {},
): RuntimeSelection {
  const runtimeText = flags.runtime ?? fallback.runtime ?? 'process';
  if (!isRuntime(runtimeText)) throw flagError('--runtime', runtimeText, `takes ${RUNTIMES.join(' or ')}`);
  const runtime: Runtime = runtimeText;
  if (runtime !== 'container') {
    const given = [flags.cpus !== undefined ? '--cpus' : null, flags.memory !== undefined ? '--memory' : null].filter(
      Boolean,
    );
    // A limit that would silently not apply is a mistake worth stopping for: processes get no limits.
    if (given.length > 0) {
      const what = given.length > 1 ? 'are container limits' : 'is a container limit';
      throw new UsageError(
        `${given.join(' and ')} ${what}, and servers run as processes here: add --runtime container`,
      );
    }
    return { runtime };
  }
  const selection: RuntimeSelection = { runtime };
  const cpus = flags.cpus !== undefined ? limit('--cpus', flags.cpus, parseCpus) : fallback.cpus;
  const memoryMb = flags.memory !== undefined ? limit('--memory', flags.memory, parseMemoryMb) : fallback.memoryMb;
  if (cpus !== undefined) selection.cpus = cpus;
  if (memoryMb !== undefined) selection.memoryMb = memoryMb;
  // A URL server runs already, wherever it runs: nothing of it is started in a container.
  const without = servers.filter((s) => !s.container && s.url === undefined);
  if (without.length > 0) {
    const names = without.map((s) => (isAdHoc(s) ? `${s.name} (${s.source})` : s.name));
    throw new UsageError(
      `in a container (--runtime container) each server runs from the "container" section of its server.json ` +
        `(a Dockerfile and the command to run), and ${without.length === 1 ? 'this server has' : 'these servers have'} none: ${names.join(', ')}. ` +
        'Ad-hoc --server NAME=CMD servers have no Dockerfile, so they run only as processes (--runtime process).',
    );
  }
  return selection;
}

/** "process", "container", or "container, 1 CPU and 512 MiB each": for a command's first line. */
export function describeRuntimeSelection(selection: RuntimeSelection): string {
  if (selection.runtime !== 'container') return selection.runtime;
  const limits = [
    selection.cpus !== undefined ? describeCpus(selection.cpus) : null,
    selection.memoryMb !== undefined ? describeMemory(selection.memoryMb) : null,
  ].filter((l): l is string => l !== null);
  // Without limits on the command line each server has its manifest's, shown when it starts.
  return limits.length ? `container, ${limits.join(' and ')} each` : 'container';
}

/**
 * With --runtime container, whether a container engine answers: null when one does (or none is
 * needed), else the message to print before exiting with code 2, which says how to start one.
 * The engine module (and testcontainers with it) is loaded only when containers are asked for.
 */
export async function containerEngineProblem(runtime: Runtime): Promise<string | null> {
  if (runtime !== 'container') return null;
  const { containerEngineStatus } = await import('../container/engine.ts');
  const status = await containerEngineStatus();
  return status.available ? null : status.reason;
}

/** `--mode`: close or keepalive. */
export function parseMode(flag: string, text: string): LoadMode {
  if (text !== 'close' && text !== 'keepalive') throw flagError(flag, text, 'takes close or keepalive');
  return text;
}

/** `--matrix M`, a MatrixError restated with the flag. */
export function matrixFlag(text: string): Matrix {
  try {
    return parseMatrix(text);
  } catch (err) {
    if (err instanceof MatrixError) throw flagError('--matrix', text, err.detail);
    throw err;
  }
}

/**
 * `--path PATH`: what goes between the method and the version of the request line, so a space
 * or a control character (CR, LF) would change the request itself, or add headers to it.
 */
export function requestPath(text: string): string {
  if (!text.startsWith('/')) throw flagError('--path', text, 'must start with /');
  if (!/^[\x21-\x7e]+$/.test(text))
    throw flagError(
      '--path',
      text,
      'must be visible ASCII characters, without spaces or control characters (percent-encode them)',
    );
  return text;
}

/** `--root DIR` (or another folder flag) as an absolute path to an existing folder. */
export function resolveRoot(value: string, flag = '--root'): string {
  // resolve("") is the working folder: an empty value is a mistake, not a choice of it.
  if (value.trim() === '') throw flagError(flag, value, 'is empty: name a folder');
  const root = resolve(value);
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw flagError(flag, value, 'is not a folder');
  return root;
}

/** `--out DIR` as an absolute path; it may not exist yet, but it must not be a file. */
export function resolveOut(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.trim() === '') throw flagError('--out', value, 'is empty: name a folder');
  const out = resolve(value);
  const st = statSync(out, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw flagError('--out', value, 'is a file, not a folder');
  return out;
}

/** Where a server value was written, for messages: a flag by default, or a configuration field. */
export type ServerOrigin = (value: ServerValue, index: number) => string;

/** A server value that names no usable server, or a broken manifest, as a UsageError saying where. */
function serverProblem(err: unknown, where: string): unknown {
  if (err instanceof ServerFlagError || err instanceof UrlValueError) return new UsageError(`${where}: ${err.detail}`);
  if (err instanceof ManifestError) return new UsageError(`${where}: ${err.message}`);
  return err;
}

/** Without --server and without servers/ in the current directory: what to name instead. */
const NO_SERVERS_FOLDER =
  `no servers/ folder in ${process.cwd()}: name the servers to run, --server NAME (a reference server ` +
  'such as python-async), --server DIR (a folder with a server.json), --server "NAME=CMD" (any command; ' +
  '{port} where it takes its port) or --url URL (a server already running)';

/**
 * The servers named by `--server` values (every server of servers/ without any), each named
 * once. An unknown name, an ad-hoc value that is malformed or a manifest that is wrong is a
 * UsageError naming the value (and the manifest file and field).
 */
export async function resolveServers(
  values: readonly ServerValue[] | undefined,
  origin: ServerOrigin = describeServerValue,
): Promise<ServerSpec[]> {
  let servers: ServerSpec[];
  if (values?.length) {
    servers = [];
    // One at a time, so that the first bad value is the one reported, whatever the disk's timing.
    for (const [i, value] of values.entries()) {
      try {
        servers.push(
          typeof value === 'string' ? await parseServerFlag(value, serversDirFor(value)) : urlServerSpec(value.url),
        );
      } catch (err) {
        throw serverProblem(err, origin(value, i));
      }
    }
  } else {
    // Outside a project with servers/ (Gauntlet installed as a package), nothing says what to run.
    if (!existsSync(SERVERS_DIR)) throw new UsageError(NO_SERVERS_FOLDER);
    try {
      servers = await loadAllServers();
    } catch (err) {
      // A manifest of servers/ that is wrong: its message names the file and the field.
      if (err instanceof ManifestError) throw new UsageError(err.message);
      throw err;
    }
  }
  if (servers.length === 0) throw new UsageError('no servers: add a folder to servers/ or pass --server');
  const names = new Map<string, number>();
  for (const [i, s] of servers.entries()) {
    const first = names.get(s.name);
    if (first !== undefined && values?.length) {
      throw new UsageError(
        `${origin(values[i]!, i)}: names the server "${s.name}" a second time (first: ${typeof values[first] === 'string' ? JSON.stringify(values[first]) : origin(values[first]!, first)})`,
      );
    }
    if (first !== undefined) throw new UsageError(`server "${s.name}" is named twice`);
    names.set(s.name, i);
  }
  return servers;
}
