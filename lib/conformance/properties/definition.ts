/**
 * How one property is written: the generated values it tries against a server, and the check of
 * one value through real exchanges. The runner (run-property.ts) turns a definition into a
 * GauntletProperty that searches and shrinks.
 */
import type fc from 'fast-check';
import type { Capability, Level } from '../types.ts';
import type { Probe } from './probe.ts';
import type { PropertyTarget } from './types.ts';

export interface PropertyDef<T> {
  id: string;
  name: string;
  rfc: string;
  /** MUST: a failure fails the check; SHOULD: it warns. */
  level: Level;
  needs?: Capability[];
  /** Why it matters, and the sentence of the RFC it rests on. */
  notes: string;
  arbitrary(target: PropertyTarget): fc.Arbitrary<T>;
  /** The value as a failure shows it (the request or requests). */
  show(value: T): string;
  /** Runs the exchanges for one value; null when the property holds for it, else what went wrong. */
  check(value: T, probe: Probe): Promise<string | null>;
}
