/**
 * How two shapes of an output (scripts/golden-shapes.ts) differ, field by field, and how those
 * differences are held against the list of expected ones: each expected difference is matched
 * by output, kind and path (a path also covers the fields under it, so that `machine` stands for
 * `machine.cores` too), and both ways count: a difference nobody listed, and a listed one that
 * does not happen.
 */
import { isDeepStrictEqual } from 'node:util';
import type { GoldenOutput, GoldenShape } from '../../scripts/golden-shapes.ts';

/** added / removed: a field path; types: its JSON types; value: a value that must not change. */
export type DifferenceKind = 'added' | 'removed' | 'types' | 'value';

export interface Difference {
  output: GoldenOutput;
  kind: DifferenceKind;
  path: string;
  /** What it was and what it is, for the message. */
  detail: string;
}

export interface ExpectedDifference {
  output: GoldenOutput;
  kind: DifferenceKind;
  /** The field path (or value key); covers the paths under it. */
  path: string;
  reason: string;
  /**
   * Set while the change is written down but not yet made: the difference must then NOT occur;
   * once the change lands the test says so, and the entry loses this mark.
   */
  pending?: string;
}

/** Fields whose presence or types depend on what happened in the run, not on the code. */
export interface RunDependentField {
  output: GoldenOutput;
  path: string;
  reason: string;
}

function covers(prefix: string, path: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[]`);
}

/** Leaf-wise differences of two values, keyed `a.b.c`; arrays compare whole. */
function valueDifferences(output: GoldenOutput, path: string, before: unknown, now: unknown): Difference[] {
  if (isDeepStrictEqual(before, now)) return [];
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isRecord(before) && isRecord(now)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].sort();
    return keys.flatMap((k) => valueDifferences(output, path ? `${path}.${k}` : k, before[k], now[k]));
  }
  return [{ output, kind: 'value', path, detail: `${JSON.stringify(before)} -> ${JSON.stringify(now)}` }];
}

/** Every difference between the recorded shape and today's, run-dependent fields left out. */
export function shapeDifferences(
  output: GoldenOutput,
  before: GoldenShape,
  now: GoldenShape,
  runDependent: readonly RunDependentField[],
): Difference[] {
  const ignored = (path: string) => runDependent.some((f) => f.output === output && covers(f.path, path));
  const differences: Difference[] = [];
  const paths = [...new Set([...Object.keys(before.fields), ...Object.keys(now.fields)])].sort();
  for (const path of paths.filter((p) => !ignored(p))) {
    const was = before.fields[path];
    const is = now.fields[path];
    if (!was) differences.push({ output, kind: 'added', path, detail: `now ${is!.join('|')}` });
    else if (!is) differences.push({ output, kind: 'removed', path, detail: `was ${was.join('|')}` });
    else if (was.join('|') !== is.join('|'))
      differences.push({ output, kind: 'types', path, detail: `${was.join('|')} -> ${is.join('|')}` });
  }
  differences.push(...valueDifferences(output, '', before.values, now.values).filter((d) => !ignored(d.path)));
  return differences;
}

/** What the list says about the differences found: the ones nobody expected, and the entries that do not hold. */
export interface Reconciliation {
  unexpected: Difference[];
  /** Expected (not pending) and not found. */
  missing: ExpectedDifference[];
  /** Pending, yet found: the change has landed, and the entry should lose its pending mark. */
  landed: ExpectedDifference[];
}

export function reconcile(
  found: readonly Difference[],
  expected: readonly ExpectedDifference[],
  outputs: readonly GoldenOutput[],
): Reconciliation {
  const matches = (e: ExpectedDifference, d: Difference) =>
    e.output === d.output && e.kind === d.kind && covers(e.path, d.path);
  const relevant = expected.filter((e) => outputs.includes(e.output));
  return {
    unexpected: found.filter((d) => !relevant.some((e) => !e.pending && matches(e, d))),
    missing: relevant.filter((e) => !e.pending && !found.some((d) => matches(e, d))),
    landed: relevant.filter((e) => e.pending && found.some((d) => matches(e, d))),
  };
}

/** The list as a table for the test's output, each entry with whether it occurred. */
export function describeExpected(expected: readonly ExpectedDifference[], found: readonly Difference[]): string {
  return expected
    .map((e) => {
      const occurs = found.some((d) => d.output === e.output && d.kind === e.kind && covers(e.path, d.path));
      const state = e.pending ? `pending (${e.pending})${occurs ? ', but occurs' : ''}` : occurs ? 'occurs' : 'MISSING';
      return `  ${e.output} ${e.kind} ${e.path}: ${e.reason} [${state}]`;
    })
    .join('\n');
}
