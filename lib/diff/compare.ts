/**
 * The comparison of what several servers understood of one request: pure, records in, the
 * differences no quirk accepts out. Two servers differ on a field when its texts differ; the
 * difference is accepted when a quirk names both servers (or "*") and that field and matches
 * the request. A field with any pair of servers differing unaccepted is a disagreement, reported
 * with every server's value of it.
 */
import { acceptingQuirk, type Quirk, type RequestFacts } from './quirks.ts';
import { FIELDS, type Field, type Understood } from './understood.ts';

export interface ServerUnderstanding {
  server: string;
  understood: Understood;
}

/** A field the servers disagree on, and what each said. */
export interface FieldDifference {
  field: Field;
  /** Each server's value, in the order the servers were given. */
  values: Array<{ server: string; value: string }>;
}

export interface Comparison {
  /** The fields differing beyond the quirks; empty when the servers agree. */
  differences: FieldDifference[];
  /** The quirks that accepted a difference for this request, each once. */
  accepted: Quirk[];
}

/** Compares what the servers understood of one request, applying the quirks. Pure. */
export function compareUnderstandings(
  list: readonly ServerUnderstanding[],
  facts: RequestFacts,
  quirks: readonly Quirk[],
): Comparison {
  const differences: FieldDifference[] = [];
  const accepted = new Set<Quirk>();
  for (const field of FIELDS) {
    let unaccepted = false;
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.understood[field] === b.understood[field]) continue;
        const quirk = acceptingQuirk(
          quirks,
          field,
          { server: a.server, understood: a.understood },
          { server: b.server, understood: b.understood },
          facts,
        );
        if (quirk) accepted.add(quirk);
        else unaccepted = true;
      }
    }
    if (unaccepted)
      differences.push({ field, values: list.map((s) => ({ server: s.server, value: s.understood[field] })) });
  }
  return { differences, accepted: [...accepted] };
}

/** The differences in words, one line per field: `status: python-async 4xx | node-async 2xx`. */
export function describeDifferences(differences: readonly FieldDifference[]): string[] {
  return differences.map(
    (d) => `${d.field}: ${d.values.map((v) => `${v.server} ${JSON.stringify(v.value)}`).join(' | ')}`,
  );
}
