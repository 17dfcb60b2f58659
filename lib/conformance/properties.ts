/**
 * Properties: requirements checked on generated requests rather than on hand-written ones.
 *
 * Each property (one module of properties/) pairs an arbitrary of arbitraries/ with a check
 * that runs real exchanges against a server; fast-check searches for a request that breaks it
 * and shrinks that request to a small one. `gauntlet check` runs them after the cases, the test
 * suite runs them through the same registry and runner. This module is their public face.
 */
export type {
  GauntletProperty,
  PropertiesMode,
  PropertyResult,
  PropertySettings,
  PropertyTarget,
  PropertyVerdict,
} from './properties/types.ts';
export { PROPERTIES_MODES } from './properties/types.ts';
export {
  DEFAULT_NUM_RUNS,
  DEFAULT_PROPERTY_TIME_MS,
  DEFAULT_SHRINK_TIME_MS,
  MODE_BOUNDS,
  RUN_LIMIT_MS,
  modeSettings,
  propertySettings,
  runSeed,
  seedLine,
} from './properties/settings.ts';
export { PROPERTIES, PROPERTY_IDS, propertyById } from './properties/registry.ts';
export { runProperties, scheduleProperties } from './properties/schedule.ts';
export { propertyFailureMessage, propertyReplay } from './properties/replay.ts';
export { knownFiles } from './properties/targets.ts';
