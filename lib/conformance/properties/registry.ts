/**
 * Every property, in the order runs and reports list them. A property is added here and in a
 * module of its own; nothing else needs to know of it.
 */
import { defineProperty } from './run-property.ts';
import type { GauntletProperty } from './types.ts';
import { wellFormedResponse } from './well-formed-response.ts';
import { fragmentationInvariance } from './fragmentation-invariance.ts';
import { pipeliningOrder } from './pipelining-order.ts';
import { connectionIsolation } from './connection-isolation.ts';
import { headMatchesGet } from './head-matches-get.ts';
import { echoRoundtrip } from './echo-roundtrip.ts';
import { noTraversal } from './no-traversal.ts';
import { mutationLiveness } from './mutation-liveness.ts';

export const PROPERTIES: readonly GauntletProperty[] = [
  defineProperty(wellFormedResponse),
  defineProperty(fragmentationInvariance),
  defineProperty(pipeliningOrder),
  defineProperty(connectionIsolation),
  defineProperty(headMatchesGet),
  defineProperty(echoRoundtrip),
  defineProperty(noTraversal),
  defineProperty(mutationLiveness),
];

export function propertyById(id: string): GauntletProperty | undefined {
  return PROPERTIES.find((p) => p.id === id);
}

export const PROPERTY_IDS: readonly string[] = PROPERTIES.map((p) => p.id);
