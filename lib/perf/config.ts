/**
 * The threshold file of `gauntlet gate` (gauntlet.config.ts by default): claims about servers,
 * stated as text, without writing vitest code.
 *
 *   import { defineConfig } from './lib/perf/config.ts';
 *   export default defineConfig({
 *     matrix: 'seed',
 *     claims: ['python-async >= python-threaded at every c', 'failed == 0', 'node-async: p(99) < 20ms at c=1'],
 *   });
 */
import { existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { importModule } from '../import-module.ts';
import type { LoadMode, Matrix } from '../types.ts';
import { MatrixError, checkMatrixObject, parseMatrix } from '../matrix.ts';
import { parseClaim, type Claim, ClaimSyntaxError } from './claims.ts';
import { DEFAULT_ALPHA, DEFAULT_CONFIDENCE, DEFAULT_TOLERANCE } from './decide.ts';
import { SAMPLER_DEFAULTS, SERVER_WARMUP_MS } from './sampler.ts';
import type { BaselineSettings } from './types.ts';
import { RUNTIMES, parseCpus, parseMemoryMb, type Runtime } from '../runtime.ts';
import type { RequestShape } from '../load/ab-request.ts';
import { resolveRequestConfig, type GateRequestConfig } from './config-request.ts';
import type { LoadEngine } from '../locust/engine.ts';

export interface ClaimObject {
  claim: string;
  /** A tolerance for this comparison only (a fraction: 0.1 is 10%). */
  tolerance?: number;
}

export interface GateConfig {
  /**
   * Servers to start: names of servers/ folders or "NAME[:MODEL:LANGUAGE]=COMMAND" (as --server),
   * or servers already running, `{ url: "[NAME[:MODEL:LANGUAGE]=]http://HOST:PORT/PATH" }` (as --url).
   * Default: the servers the claims name, or every server of servers/ when they name none.
   */
  servers?: Array<string | { url: string }>;
  /** Load modes (default close, ab's default). */
  mode?: LoadMode | LoadMode[];
  /** seed (default), tugas9, or "N:C1,C2;M:C3", a group of a duration written "10s:C1,C2". */
  matrix?: string | Matrix;
  /** Request path (default /, or a URL server's own path). */
  path?: string;
  /** The request's method, headers, body and paths, as bench's flags (lib/perf/config-request.ts). */
  request?: GateRequestConfig;
  /** Document root given to the servers (default fixtures/www). */
  root?: string;
  /** Differences smaller than this fraction are noise (default 0.1). */
  tolerance?: number;
  /** Significance level of the rank tests (default 0.05). */
  alpha?: number;
  /** Confidence of the intervals (default 0.95). */
  confidence?: number;
  claims: Array<string | ClaimObject>;
  sampling?: {
    /** Rounds always taken per cell (default 10). */
    minRounds?: number;
    /** Rounds at most per cell (default 200). */
    maxRounds?: number;
    /** No new round after this many seconds on a cell (default 10). */
    maxTimeS?: number;
    /** Shortest sample, ms: shorter runs of a cell are batched (default 50). */
    minSampleMs?: number;
    /** Seconds of load each server gets before its first cell, in each mode (default 3). */
    warmupS?: number;
  };
  /** Measure a failing comparison once more before it fails (default true). */
  remeasure?: boolean;
  /**
   * Pin the servers to one set of cores and the load generator to the others (default true;
   * nothing is pinned with one core or without taskset).
   */
  pin?: boolean;
  /** Regression checks against a stored baseline; false to turn them off. */
  baseline?:
    | false
    | {
        /** The baseline file, relative to the config file (default perf/baseline.json). */
        file?: string;
        /** Runs kept per server, mode and cell (default 5). */
        keep?: number;
        /** A significant regression beyond this fraction is an alert (default: the tolerance). */
        alert?: number;
        /** A regression estimated beyond this fraction fails the gate (default 0.25). */
        fail?: number;
      };
  /** A Slack-compatible webhook, its URL read from an environment variable. */
  webhook?: {
    /** The variable holding the URL (default GAUNTLET_WEBHOOK_URL). */
    env?: string;
    /** When to post: when there are alerts (default) or after every gate. */
    on?: 'alerts' | 'always';
  };
  /** Seconds before a request counts as failed (default 30, as ab -s). */
  timeoutS?: number;
  /**
   * Where the servers run: "process" (default) or "container" (each server's image built from the
   * Dockerfile its server.json names). The yardstick always runs as a process. --runtime overrides it.
   */
  runtime?: Runtime;
  /** Container CPU limit in CPUs, for example 1 or 0.5 (over the manifests'); --cpus overrides it. */
  cpus?: number;
  /** Container memory limit as docker takes it, for example "512m" or "1g" (over the manifests'); --memory overrides it. */
  memory?: string;
}

/** Identity, for type checking and completion in a config file. */
export function defineConfig(config: GateConfig): GateConfig {
  return config;
}

export const DEFAULT_CONFIG_FILE = 'gauntlet.config.ts';
/** Where a gate looks for its configuration when none is named, in this order. */
export const CONFIG_FILE_NAMES = [
  DEFAULT_CONFIG_FILE,
  'gauntlet.config.mts',
  'gauntlet.config.mjs',
  'gauntlet.config.js',
  'gauntlet.config.json',
];

/** The configuration file of a folder, if it has one. */
export function findConfigFile(dir = process.cwd()): string | null {
  for (const name of CONFIG_FILE_NAMES) {
    const file = resolve(dir, name);
    if (existsSync(file)) return file;
  }
  return null;
}
export const DEFAULT_BASELINE_FILE = 'perf/baseline.json';
export const DEFAULT_BASELINE_KEEP = 5;
export const DEFAULT_FAIL_THRESHOLD = 0.25;
export const DEFAULT_WEBHOOK_ENV = 'GAUNTLET_WEBHOOK_URL';

/** A configuration that cannot be used, naming the file and the field at fault. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | null,
    detail: string,
  ) {
    super(field ? `${file}: ${field} ${detail}` : `${file}: ${detail}`);
    this.name = 'ConfigError';
  }
}

/** The configuration with every default filled in and every claim parsed. */
export interface ResolvedConfig {
  file: string | null;
  /** Where relative paths of the configuration start. */
  baseDir: string;
  servers: Array<string | { url: string }> | null;
  modes: LoadMode[];
  matrix: Matrix;
  path: string;
  /** Whether the file gave `path` (or `request.paths`): if not, each URL server is sent its URL's own path. */
  pathGiven?: boolean;
  /** How the request departs from ab's GET; absent: ab's request. */
  shape?: RequestShape;
  root: string | null;
  tolerance: number;
  alpha: number;
  confidence: number;
  claims: Claim[];
  sampling: { minRounds: number; maxRounds: number; maxTimeMs: number; minSampleMs: number; warmupMs: number };
  remeasure: boolean;
  pin: boolean;
  baseline: BaselineSettings | null;
  webhook: { env: string; on: 'alerts' | 'always' };
  timeoutMs: number;
  runtime: Runtime;
  /** Container CPU limit, or null for the manifests' own. */
  cpus: number | null;
  /** Container memory limit in MiB, or null for the manifests' own. */
  memoryMb: number | null;
  /** The load engine (`--engine`); absent: the built-in one. */
  engine?: LoadEngine;
}

const KNOWN = new Set([
  'servers',
  'mode',
  'matrix',
  'path',
  'request',
  'root',
  'tolerance',
  'alpha',
  'confidence',
  'claims',
  'sampling',
  'remeasure',
  'pin',
  'baseline',
  'webhook',
  'timeoutS',
  'runtime',
  'cpus',
  'memory',
]);

/** A value as written: JSON would show Infinity and NaN as null. */
function shown(v: unknown): string {
  return typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
}

function fraction(file: string, field: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    throw new ConfigError(file, field, `must be a number from ${lo} to ${hi}, got ${shown(v)}`);
  }
  return v;
}

function positiveInt(file: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new ConfigError(file, field, `must be a whole number of at least 1, got ${shown(v)}`);
  }
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type RawConfig = Record<string, unknown>;

/** The tolerance, the significance level and the confidence of the intervals. */
function resolveStatistics(raw: RawConfig, where: string): Pick<ResolvedConfig, 'tolerance' | 'alpha' | 'confidence'> {
  const tolerance =
    raw.tolerance === undefined ? DEFAULT_TOLERANCE : fraction(where, 'tolerance', raw.tolerance, 0, 0.9);
  const alpha = raw.alpha === undefined ? DEFAULT_ALPHA : fraction(where, 'alpha', raw.alpha, 0.0001, 0.5);
  const confidence =
    raw.confidence === undefined ? DEFAULT_CONFIDENCE : fraction(where, 'confidence', raw.confidence, 0.5, 0.9999);
  return { tolerance, alpha, confidence };
}

/** A server of the file: a non-empty string (as --server), or `{ url }` with a non-empty string (as --url). */
function isServerValue(value: unknown): value is string | { url: string } {
  if (typeof value === 'string') return value.trim() !== '';
  return (
    isObject(value) && Object.keys(value).join() === 'url' && typeof value.url === 'string' && value.url.trim() !== ''
  );
}

function resolveServers(raw: RawConfig, where: string): Array<string | { url: string }> | null {
  if (raw.servers === undefined) return null;
  if (!Array.isArray(raw.servers) || !raw.servers.every(isServerValue)) {
    throw new ConfigError(
      where,
      'servers',
      'must be an array of server names or "NAME=COMMAND" strings, or { url: "http://HOST:PORT/" } objects',
    );
  }
  return raw.servers;
}

function resolveModes(raw: RawConfig, where: string): LoadMode[] {
  const modeList: unknown[] = raw.mode === undefined ? ['close'] : Array.isArray(raw.mode) ? raw.mode : [raw.mode];
  const modes: LoadMode[] = [];
  for (const m of modeList) {
    if (m !== 'close' && m !== 'keepalive')
      throw new ConfigError(where, 'mode', `takes "close" or "keepalive", got ${JSON.stringify(m)}`);
    if (!modes.includes(m)) modes.push(m);
  }
  if (modes.length === 0) throw new ConfigError(where, 'mode', 'names no mode');
  return modes;
}

function resolveMatrix(raw: RawConfig, where: string): Matrix {
  if (raw.matrix === undefined) return parseMatrix('seed');
  if (typeof raw.matrix === 'string') {
    try {
      return parseMatrix(raw.matrix);
    } catch (err) {
      if (err instanceof MatrixError)
        throw new ConfigError(where, 'matrix', `${JSON.stringify(raw.matrix)}: ${err.detail}`);
      throw err;
    }
  }
  if (isObject(raw.matrix)) {
    // An object gets the checks of the text form: a cell of 0 requests or of Infinity connections cannot be measured.
    try {
      return checkMatrixObject(raw.matrix);
    } catch (err) {
      throw new ConfigError(where, 'matrix', (err as Error).message);
    }
  }
  throw new ConfigError(where, 'matrix', 'must be "seed", "tugas9", "N:C1,C2,..." or a Matrix object');
}

/** The document root. */
function resolveRoot(raw: RawConfig, where: string, baseDir: string): string | null {
  const root = raw.root === undefined ? null : typeof raw.root === 'string' ? resolve(baseDir, raw.root) : null;
  if (raw.root !== undefined && root === null) throw new ConfigError(where, 'root', 'must be a path');
  return root;
}

function resolveClaims(raw: RawConfig, where: string): Claim[] {
  if (!Array.isArray(raw.claims))
    throw new ConfigError(where, 'claims', 'must be an array of claims such as "a >= b at every c"');
  return (raw.claims as unknown[]).map((c, i) => {
    try {
      if (typeof c === 'string') return parseClaim(c);
      if (isObject(c) && typeof c.claim === 'string') {
        const tol =
          c.tolerance === undefined ? undefined : fraction(where, `claims[${i}].tolerance`, c.tolerance, 0, 0.9);
        return parseClaim(c.claim, tol === undefined ? {} : { tolerance: tol });
      }
    } catch (err) {
      if (err instanceof ClaimSyntaxError) throw new ConfigError(where, `claims[${i}]`, err.message);
      throw err;
    }
    throw new ConfigError(where, `claims[${i}]`, 'must be a string or { claim: string, tolerance?: number }');
  });
}

const SAMPLING_KEYS = ['minRounds', 'maxRounds', 'maxTimeS', 'minSampleMs', 'warmupS'];

function resolveSampling(raw: RawConfig, where: string): ResolvedConfig['sampling'] {
  const s = raw.sampling === undefined ? {} : raw.sampling;
  if (!isObject(s)) throw new ConfigError(where, 'sampling', 'must be an object');
  for (const key of Object.keys(s)) {
    if (!SAMPLING_KEYS.includes(key))
      throw new ConfigError(where, `sampling.${key}`, `is not a known field (known: ${SAMPLING_KEYS.join(', ')})`);
  }
  const sampling = {
    minRounds:
      s.minRounds === undefined ? SAMPLER_DEFAULTS.minRounds : positiveInt(where, 'sampling.minRounds', s.minRounds),
    maxRounds:
      s.maxRounds === undefined ? SAMPLER_DEFAULTS.maxRounds : positiveInt(where, 'sampling.maxRounds', s.maxRounds),
    maxTimeMs:
      s.maxTimeS === undefined
        ? SAMPLER_DEFAULTS.maxTimeMs
        : fraction(where, 'sampling.maxTimeS', s.maxTimeS, 0, 3600) * 1000,
    minSampleMs:
      s.minSampleMs === undefined
        ? SAMPLER_DEFAULTS.minSampleMs
        : fraction(where, 'sampling.minSampleMs', s.minSampleMs, 0, 60_000),
    warmupMs:
      s.warmupS === undefined ? SERVER_WARMUP_MS : fraction(where, 'sampling.warmupS', s.warmupS, 0, 600) * 1000,
  };
  if (sampling.maxRounds < sampling.minRounds)
    throw new ConfigError(where, 'sampling.maxRounds', 'is below sampling.minRounds');
  return sampling;
}

function resolveBaseline(raw: RawConfig, where: string, baseDir: string, tolerance: number): BaselineSettings | null {
  if (raw.baseline === false) return null;
  const b = raw.baseline === undefined ? {} : raw.baseline;
  if (!isObject(b)) throw new ConfigError(where, 'baseline', 'must be an object or false');
  if (b.file !== undefined && typeof b.file !== 'string')
    throw new ConfigError(where, 'baseline.file', 'must be a path');
  const alert = b.alert === undefined ? tolerance : fraction(where, 'baseline.alert', b.alert, 0, 0.9);
  const fail =
    b.fail === undefined ? Math.max(DEFAULT_FAIL_THRESHOLD, alert) : fraction(where, 'baseline.fail', b.fail, 0, 0.99);
  if (fail < alert) throw new ConfigError(where, 'baseline.fail', `must not be below baseline.alert (${alert})`);
  return {
    file: resolve(baseDir, b.file ?? DEFAULT_BASELINE_FILE),
    keep: b.keep === undefined ? DEFAULT_BASELINE_KEEP : positiveInt(where, 'baseline.keep', b.keep),
    alert,
    fail,
  };
}

function resolveWebhook(raw: RawConfig, where: string): ResolvedConfig['webhook'] {
  const w = raw.webhook === undefined ? {} : raw.webhook;
  if (!isObject(w)) throw new ConfigError(where, 'webhook', 'must be an object');
  if (w.env !== undefined && (typeof w.env !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(w.env))) {
    throw new ConfigError(where, 'webhook.env', 'must be the name of an environment variable');
  }
  if (w.on !== undefined && w.on !== 'alerts' && w.on !== 'always')
    throw new ConfigError(where, 'webhook.on', 'takes "alerts" or "always"');
  return { env: w.env ?? DEFAULT_WEBHOOK_ENV, on: w.on ?? 'alerts' };
}

/** The request timeout, the second look, and pinning. */
function resolveRunControls(raw: RawConfig, where: string): Pick<ResolvedConfig, 'timeoutMs' | 'remeasure' | 'pin'> {
  const timeoutS = raw.timeoutS === undefined ? 30 : fraction(where, 'timeoutS', raw.timeoutS, 0.001, 3600);
  const remeasure = raw.remeasure === undefined ? true : raw.remeasure;
  if (typeof remeasure !== 'boolean') throw new ConfigError(where, 'remeasure', 'must be true or false');
  const pin = raw.pin === undefined ? true : raw.pin;
  if (typeof pin !== 'boolean') throw new ConfigError(where, 'pin', 'must be true or false');
  return { timeoutMs: Math.round(timeoutS * 1000), remeasure, pin };
}

/** Where the servers run, and the containers' limits. */
function resolveRuntime(raw: RawConfig, where: string): Pick<ResolvedConfig, 'runtime' | 'cpus' | 'memoryMb'> {
  // Limits are kept whatever the runtime: they apply whenever the servers run in containers,
  // which --runtime container may choose for a file that leaves the runtime at process.
  const runtime = raw.runtime === undefined ? 'process' : raw.runtime;
  if (typeof runtime !== 'string' || !(RUNTIMES as readonly string[]).includes(runtime)) {
    throw new ConfigError(
      where,
      'runtime',
      `takes ${RUNTIMES.map((r) => `"${r}"`).join(' or ')}, got ${JSON.stringify(runtime)}`,
    );
  }
  let cpus: number | null = null;
  if (raw.cpus !== undefined) {
    if (typeof raw.cpus !== 'number')
      throw new ConfigError(
        where,
        'cpus',
        `must be a positive number of CPUs such as 1 or 0.5, got ${JSON.stringify(raw.cpus)}`,
      );
    try {
      cpus = parseCpus(String(raw.cpus));
    } catch (err) {
      throw new ConfigError(where, 'cpus', (err as Error).message.replace(/^cpus /, ''));
    }
  }
  let memoryMb: number | null = null;
  if (raw.memory !== undefined) {
    if (typeof raw.memory !== 'string')
      throw new ConfigError(
        where,
        'memory',
        `must be a size such as "512m" or "1g", got ${JSON.stringify(raw.memory)}`,
      );
    try {
      memoryMb = parseMemoryMb(raw.memory);
    } catch (err) {
      throw new ConfigError(where, 'memory', (err as Error).message.replace(/^memory /, ''));
    }
  }
  return { runtime: runtime as Runtime, cpus, memoryMb };
}

/** Validates a configuration object and fills in the defaults; fields are checked in the order they are listed here. */
export function resolveConfig(raw: unknown, file: string | null, baseDir = process.cwd()): ResolvedConfig {
  const where = file ?? 'configuration';
  if (!isObject(raw))
    throw new ConfigError(where, null, 'must export an object (export default defineConfig({ ... }))');
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) throw new ConfigError(where, key, `is not a known field (known: ${[...KNOWN].join(', ')})`);
  }
  const statistics = resolveStatistics(raw, where);
  const servers = resolveServers(raw, where);
  const modes = resolveModes(raw, where);
  const matrix = resolveMatrix(raw, where);
  // The path goes into the request line: a space, CR or LF there would change the request itself.
  const request = resolveRequestConfig(raw, baseDir, (field, detail) => new ConfigError(where, field, detail));
  const root = resolveRoot(raw, where, baseDir);
  const claims = resolveClaims(raw, where);
  const sampling = resolveSampling(raw, where);
  const baseline = resolveBaseline(raw, where, baseDir, statistics.tolerance);
  const webhook = resolveWebhook(raw, where);
  const { timeoutMs, remeasure, pin } = resolveRunControls(raw, where);
  const { runtime, cpus, memoryMb } = resolveRuntime(raw, where);
  return {
    file,
    baseDir,
    servers,
    modes,
    matrix,
    ...request,
    root,
    ...statistics,
    claims,
    sampling,
    remeasure,
    pin,
    baseline,
    webhook,
    timeoutMs,
    runtime,
    cpus,
    memoryMb,
  };
}

/**
 * Loads a configuration module (TypeScript or JavaScript, default export) or a JSON file. A module
 * is loaded as an ES module: a .ts or .js file in a package with "type": "module" (as this one),
 * or a .mts or .mjs file anywhere.
 */
export async function loadConfigFile(file: string): Promise<ResolvedConfig> {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new ConfigError(file, null, 'does not exist');
  let raw: unknown;
  try {
    if (abs.endsWith('.json')) {
      const { readFile } = await import('node:fs/promises');
      raw = JSON.parse(await readFile(abs, 'utf8'));
    } else {
      const mod = (await importModule(abs)) as { default?: unknown; config?: unknown };
      raw = mod.default ?? mod.config;
    }
  } catch (err) {
    throw new ConfigError(file, null, `cannot be loaded: ${(err as Error).message}`);
  }
  return resolveConfig(raw, abs, dirname(abs));
}
