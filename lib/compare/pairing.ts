/**
 * Which servers are compared: every two of one language whose concurrency models differ, and
 * why each other server is left unpaired. A model or language that says nothing ("unknown",
 * "ad-hoc") pairs with nothing, so that no comparison claims to be about a concurrency model.
 */
import type { ServerRecord } from '../types.ts';
import type { ServerRef, UnpairedServer } from './types.ts';

/** Models that say nothing about how a server handles concurrency: never paired. */
const UNKNOWN_MODELS = new Set(['', 'unknown', 'ad-hoc', 'adhoc', 'other', 'n/a', 'none', '?']);

function norm(text: string): string {
  return text.trim().toLowerCase();
}

/** The name, model and language the comparison keeps of a server. */
export function serverRef(server: ServerRecord): ServerRef {
  return { name: server.name, model: server.model, language: server.language };
}

export function isKnownModel(model: string): boolean {
  return !UNKNOWN_MODELS.has(norm(model));
}

/**
 * Every pair of servers with the same language and different known models, in the
 * order the run lists the servers (a before b).
 */
export function concurrencyPairs(servers: ServerRecord[]): [ServerRecord, ServerRecord][] {
  const pairs: [ServerRecord, ServerRecord][] = [];
  servers.forEach((a, i) => {
    for (const b of servers.slice(i + 1)) {
      if (!isKnownModel(a.model) || !isKnownModel(b.model) || !isKnownModel(a.language)) continue;
      if (norm(a.language) !== norm(b.language) || norm(a.model) === norm(b.model)) continue;
      pairs.push([a, b]);
    }
  });
  return pairs;
}

/** The servers of the run that are in no pair, each with the reason. */
export function unpairedServers(servers: ServerRecord[], paired: ReadonlySet<string>): UnpairedServer[] {
  return servers
    .filter((server) => !paired.has(server.name))
    .map((server): UnpairedServer => ({
      ...serverRef(server),
      reason: !isKnownModel(server.model)
        ? 'its concurrency model is unknown'
        : !isKnownModel(server.language)
          ? 'its language is unknown'
          : `no other ${server.language} server with a different model`,
    }));
}
