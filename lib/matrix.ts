/**
 * The matrices of (requests x concurrency) cells: the named ones (seed, tugas9) and the text
 * form `N:C1,C2,...;M:C3` of `--matrix` and of the configuration file. A matrix is user input:
 * everything here that cannot be measured is refused with the reason, before anything starts.
 */
import type { Matrix, MatrixGroup, CellSpec } from './types.ts';

/** The seed's matrix: the three groups of its tables. */
export const SEED_MATRIX: Matrix = {
  name: 'seed',
  groups: [
    { requests: 10, concurrencies: [1, 5, 10] },
    { requests: 50, concurrencies: [1, 10, 30, 50] },
    { requests: 100, concurrencies: [1, 10, 50, 100] },
  ],
};

/** The follow-up assignment's matrix: 1000 requests up to 1000 concurrent connections. */
export const TUGAS9_MATRIX: Matrix = {
  name: 'tugas9',
  groups: [{ requests: 1000, concurrencies: [1, 10, 30, 50, 100, 500, 1000] }],
};

/**
 * The named matrices. A Map, not an object literal: a lookup in an object finds what its
 * prototype holds too, and `--matrix constructor` would have "found" Object's constructor.
 */
const NAMED: ReadonlyMap<string, Matrix> = new Map([
  ['seed', SEED_MATRIX],
  ['tugas9', TUGAS9_MATRIX],
]);

/** ab's own limits: MAX_CONCURRENCY in ab.c, and its request count is a C int. */
export const MAX_CONCURRENCY = 20_000;
export const MAX_REQUESTS = 2_147_483_647;

/** What `--matrix` takes, for messages. */
export const MATRIX_FORMS = 'seed, tugas9, or N:C1,C2,... (N requests, or a duration such as 10s)';

/** The longest duration of a cell, seconds: an hour is plenty, and keeps timers in range. */
export const MAX_DURATION_S = 3600;

/**
 * A duration such as "10s", "500ms", "2m" or "1.5s", in seconds; null when the text is not one.
 * A bare number is not a duration here: in a matrix it is a number of requests.
 */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) return null;
  const value = Number(m[1]);
  return m[2] === 'ms' ? value / 1000 : m[2] === 'm' ? value * 60 : value;
}

/** A matrix that cannot be used: `detail` says why, without saying where it was written. */
export class MatrixError extends Error {
  constructor(
    readonly text: string,
    readonly detail: string,
  ) {
    super(`--matrix ${JSON.stringify(text)}: ${detail}`);
    this.name = 'MatrixError';
  }
}

/**
 * Parses `--matrix`: a name (seed, tugas9) or groups `N:C1,C2,...` separated by `;`
 * (for example `1000:1,10,100` or `100:1,10;1000:10,100`). Throws a MatrixError.
 */
export function parseMatrix(text: string): Matrix {
  const named = NAMED.get(text);
  if (named) return named;
  // Without a colon it was meant as a name: say which names exist rather than how groups look.
  if (!text.includes(':')) throw new MatrixError(text, `unknown matrix (${MATRIX_FORMS})`);
  const groups: MatrixGroup[] = text.split(';').map((part) => parseGroup(part.trim(), text));
  return { name: text, groups };
}

function parseGroup(part: string, whole: string): MatrixGroup {
  const m = /^(\d+|\d+(?:\.\d+)?(?:ms|s|m)):(\d+(?:,\d+)*)$/.exec(part);
  if (!m) {
    throw new MatrixError(
      whole,
      `group ${JSON.stringify(part)} is not N:C1,C2,... (whole numbers, or a duration such as 10s for N; groups separated by ";")`,
    );
  }
  const concurrencies = m[2]!.split(',').map(Number);
  const durationS = parseDuration(m[1]!);
  const group: MatrixGroup =
    durationS === null ? { requests: Number(m[1]), concurrencies } : { requests: 0, concurrencies, durationS };
  const problem = groupProblem(group);
  if (problem) throw new MatrixError(whole, `group ${JSON.stringify(part)}: ${problem}`);
  return group;
}

/** Why a group cannot be measured, or null when it can. */
function groupProblem(group: MatrixGroup): string | null {
  const { requests, concurrencies, durationS } = group;
  if (durationS !== undefined) return durationProblem(durationS, concurrencies);
  if (!Number.isInteger(requests) || requests < 1)
    return `the number of requests must be a whole number of at least 1, got ${requests}`;
  if (requests > MAX_REQUESTS) return `${requests} requests is above ${MAX_REQUESTS}, the most ab takes`;
  if (concurrencies.length === 0) return 'names no concurrency';
  for (const c of concurrencies) {
    if (!Number.isInteger(c) || c < 1) return `concurrency must be a whole number of at least 1, got ${c}`;
    if (c > MAX_CONCURRENCY) return `concurrency ${c} is above ${MAX_CONCURRENCY}, the most ab takes`;
    // ab refuses this too: "Cannot use concurrency level greater than total number of requests".
    if (c > requests) return `concurrency ${c} is greater than the ${requests} requests of its group`;
  }
  return null;
}

/** Why a group of a duration cannot be measured, or null. */
function durationProblem(durationS: number, concurrencies: readonly number[]): string | null {
  if (typeof durationS !== 'number' || !(durationS > 0)) return `the duration must be above 0 s, got ${durationS}`;
  if (durationS > MAX_DURATION_S)
    return `a duration of ${durationS} s is above ${MAX_DURATION_S} s, the most a cell takes`;
  if (concurrencies.length === 0) return 'names no concurrency';
  for (const c of concurrencies) {
    if (!Number.isInteger(c) || c < 1) return `concurrency must be a whole number of at least 1, got ${c}`;
    if (c > MAX_CONCURRENCY) return `concurrency ${c} is above ${MAX_CONCURRENCY}, the most ab takes`;
  }
  return null;
}

/**
 * Checks a matrix given as an object (a configuration file may hold one), with the same rules
 * as the text form. Throws a plain Error whose message says what is wrong, for the caller to
 * place (the file and the field).
 */
export function checkMatrixObject(value: unknown): Matrix {
  const obj = value as Partial<Matrix> | null;
  if (typeof obj !== 'object' || obj === null || !Array.isArray(obj.groups) || obj.groups.length === 0) {
    throw new Error(
      'must be a matrix object such as { name: "mine", groups: [{ requests: 100, concurrencies: [1, 10] }] }',
    );
  }
  if (typeof obj.name !== 'string' || obj.name.trim() === '') throw new Error('needs a name (a non-empty string)');
  obj.groups.forEach((g: unknown, i) => {
    const group = g as Partial<MatrixGroup> | null;
    if (
      typeof group !== 'object' ||
      group === null ||
      typeof group.requests !== 'number' ||
      !Array.isArray(group.concurrencies)
    ) {
      throw new Error(`groups[${i}] must be { requests: N, concurrencies: [C1, C2, ...] }`);
    }
    if (group.concurrencies.some((c) => typeof c !== 'number'))
      throw new Error(`groups[${i}].concurrencies must hold numbers`);
    const problem = groupProblem(group as MatrixGroup);
    if (problem) throw new Error(`groups[${i}]: ${problem}`);
  });
  return obj as Matrix;
}

/**
 * Every cell of a matrix in table order, with its group index; with `rate`, every cell is an
 * open-model cell at that rate (requests per second in all).
 */
export function matrixCells(matrix: Matrix, rate?: number): Array<CellSpec & { group: number }> {
  return matrix.groups.flatMap((g, group) =>
    g.concurrencies.map((concurrency) => ({
      requests: g.requests,
      concurrency,
      group,
      ...(g.durationS !== undefined && { durationS: g.durationS }),
      ...(rate !== undefined && { rate }),
    })),
  );
}
