/**
 * Names the Http11Probe peers of a case file's cases: each case file ends with one table, case id
 * to the ids of Http11Probe tests of the same requirement with equivalent bytes (fixtures/peers/
 * http11probe.json lists them). A table beside the cases, rather than a field in each, keeps
 * the cases made by a file's builders as they are.
 */
import type { CaseDefinition } from '../types.ts';

/** Sets `peer` on the cases the table names; throws naming the ids the file does not have. */
export function attachPeers(cases: readonly CaseDefinition[], peers: Readonly<Record<string, string[]>>): void {
  const byId = new Map(cases.map((c) => [c.id, c] as const));
  const unknown = Object.keys(peers).filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    throw new Error(`peers are named for cases this file does not have: ${unknown.join(', ')}`);
  }
  for (const [id, ids] of Object.entries(peers)) {
    const c = byId.get(id)!;
    c.peer = [...new Set([...(c.peer ?? []), ...ids])];
  }
}
