/**
 * Runs several properties against one server, a few at a time: each property's search is
 * mostly waiting on the server, so overlapping them shortens a server's share without
 * changing any verdict.
 */
import { PROPERTIES } from './registry.ts';
import { PROPERTIES_AT_ONCE } from './settings.ts';
import type { GauntletProperty, PropertyResult, PropertySettings, PropertyTarget } from './types.ts';

/**
 * Starts every property against one server, `concurrency` at a time, and returns each
 * property's result by id as soon as it is scheduled (await the ones you need).
 */
export function scheduleProperties(
  target: PropertyTarget,
  properties: readonly GauntletProperty[] = PROPERTIES,
  concurrency = 2,
  settings?: PropertySettings,
): Map<string, Promise<PropertyResult>> {
  const resolvers = new Map<string, (r: PropertyResult) => void>();
  const results = new Map<string, Promise<PropertyResult>>();
  for (const p of properties) results.set(p.id, new Promise((resolve) => resolvers.set(p.id, resolve)));
  const queue = [...properties];
  const worker = async () => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      const result = settings?.signal?.aborted ? notStarted(p, settings) : await p.run(target, settings);
      resolvers.get(p.id)!(result);
    }
  };
  for (let i = 0; i < Math.max(1, concurrency); i++) void worker();
  return results;
}

/** The result of a property the check was interrupted before it started. */
function notStarted(p: GauntletProperty, settings: PropertySettings): PropertyResult {
  return {
    id: p.id,
    name: p.name,
    rfc: p.rfc,
    level: p.level,
    verdict: 'skip',
    seed: settings.seed,
    numRuns: 0,
    reason: 'not run: the check was interrupted before it started',
    replay: '',
    durationMs: 0,
  };
}

/** Every given property against one server, PROPERTIES_AT_ONCE at a time; results in the properties' order. */
export async function runProperties(
  target: PropertyTarget,
  properties: readonly GauntletProperty[],
  settings: PropertySettings,
): Promise<PropertyResult[]> {
  const scheduled = scheduleProperties(target, properties, PROPERTIES_AT_ONCE, settings);
  return Promise.all(properties.map((p) => scheduled.get(p.id)!));
}
