/**
 * How long and how hard properties search, and with which seed.
 *
 * One seed serves every property of a run: `--seed`, else GAUNTLET_SEED, else a random one
 * chosen once per process; it is always printed, so that any run, passing or not, can be
 * repeated. Runs are time-boxed (searching, then shrinking a failure) and counted, so that every
 * property against every server stays a matter of seconds. The modes of `gauntlet check` set
 * those bounds; the GAUNTLET_* variables override them, as they do for the test suite.
 */
import type { PropertiesMode, PropertySettings } from './types.ts';

/** Bounds of the test suite's runs (spec/conformance/properties.test.ts). */
export const DEFAULT_NUM_RUNS = 40;
export const DEFAULT_PROPERTY_TIME_MS = 4_000;
export const DEFAULT_SHRINK_TIME_MS = 3_000;
/** A single run (one value, all its exchanges) that takes longer than this fails: the server hangs. */
export const RUN_LIMIT_MS = 15_000;

/** Bounds of one property against one server, without the seed. */
export type PropertyBounds = Pick<PropertySettings, 'numRuns' | 'timeMs' | 'shrinkTimeMs'>;

/**
 * The bounds of each mode of `gauntlet check`. quick is check's default (bench's conformance
 * pass runs no properties), so a passing server's properties take a few seconds in all; full
 * tries many more values.
 */
export const MODE_BOUNDS: Record<Exclude<PropertiesMode, 'none'>, PropertyBounds> = {
  quick: { numRuns: 25, timeMs: 1_000, shrinkTimeMs: 2_000 },
  full: { numRuns: 300, timeMs: 15_000, shrinkTimeMs: 5_000 },
};

/** Properties run at once against one server. */
export const PROPERTIES_AT_ONCE = 4;

const SEED_PATTERN = /^-?\d+$/;
const PATH_PATTERN = /^\d+(:\d+)*$/;

/** The random seed of this process, chosen the first time one is needed. */
let randomSeed: number | null = null;

function positiveEnv(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) <= 0)
    throw new Error(`${key} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** A seed from text, or a sentence saying why it is none: a whole number a JavaScript number holds exactly. */
export function seedProblem(text: string): string | null {
  return SEED_PATTERN.test(text) && Number.isSafeInteger(Number(text)) ? null : 'is not a whole number';
}

/** Whether text is a fast-check path such as 12:0:3. */
export function isShrinkPath(text: string): boolean {
  return PATH_PATTERN.test(text);
}

/** The seed of this run: GAUNTLET_SEED, or a random one chosen once per process. */
export function runSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GAUNTLET_SEED?.trim();
  if (raw !== undefined && raw !== '') {
    if (seedProblem(raw)) throw new Error(`GAUNTLET_SEED must be a whole number, got ${JSON.stringify(raw)}`);
    return Number(raw);
  }
  randomSeed ??= Math.floor(Math.random() * 0x7fffffff);
  return randomSeed;
}

/** The line that names a run's seed, printed once per run. */
export function seedLine(seed: number): string {
  return `properties: seed ${seed}; GAUNTLET_SEED=${seed} replays`;
}

/**
 * Settings from the environment: GAUNTLET_SEED, GAUNTLET_NUM_RUNS, GAUNTLET_PROPERTY_TIME_MS,
 * GAUNTLET_SHRINK_TIME_MS, GAUNTLET_PROPERTY_PATH, over the given bounds (the test suite's
 * by default) and seed (GAUNTLET_SEED's, or a random one, by default).
 */
export function propertySettings(
  env: NodeJS.ProcessEnv = process.env,
  bounds?: PropertyBounds,
  seed?: number,
): PropertySettings {
  const base = bounds ?? {
    numRuns: DEFAULT_NUM_RUNS,
    timeMs: DEFAULT_PROPERTY_TIME_MS,
    shrinkTimeMs: DEFAULT_SHRINK_TIME_MS,
  };
  const settings: PropertySettings = {
    seed: seed ?? runSeed(env),
    numRuns: positiveEnv(env, 'GAUNTLET_NUM_RUNS', base.numRuns),
    timeMs: positiveEnv(env, 'GAUNTLET_PROPERTY_TIME_MS', base.timeMs),
    shrinkTimeMs: positiveEnv(env, 'GAUNTLET_SHRINK_TIME_MS', base.shrinkTimeMs),
  };
  const path = env.GAUNTLET_PROPERTY_PATH?.trim();
  if (path) {
    if (!isShrinkPath(path))
      throw new Error(`GAUNTLET_PROPERTY_PATH must look like 12:0:3, got ${JSON.stringify(path)}`);
    settings.path = path;
  }
  return settings;
}

/** The settings of a mode of `gauntlet check`, with the seed and path it was given. */
export function modeSettings(
  mode: Exclude<PropertiesMode, 'none'>,
  seed: number,
  path?: string,
  env: NodeJS.ProcessEnv = process.env,
): PropertySettings {
  const settings = propertySettings(env, MODE_BOUNDS[mode], seed);
  if (path !== undefined) settings.path = path;
  if (mode !== 'quick') settings.mode = mode;
  return settings;
}
