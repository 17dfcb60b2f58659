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

const NAMED: Record<string, Matrix> = { seed: SEED_MATRIX, tugas9: TUGAS9_MATRIX };

/**
 * Parses `--matrix`: a name (seed, tugas9) or groups `N:C1,C2,...` separated by `;`
 * (for example `1000:1,10,100` or `100:1,10;1000:10,100`).
 */
export function parseMatrix(text: string): Matrix {
  const named = NAMED[text];
  if (named) return named;
  const groups: MatrixGroup[] = text.split(';').map((part) => parseGroup(part.trim(), text));
  return { name: text, groups };
}

function parseGroup(part: string, whole: string): MatrixGroup {
  const m = /^(\d+):(\d+(?:,\d+)*)$/.exec(part);
  if (!m) {
    throw new Error(
      `--matrix ${JSON.stringify(whole)}: expected "seed", "tugas9" or N:C1,C2,... (groups separated by ";"), got ${JSON.stringify(part)}`,
    );
  }
  const requests = Number(m[1]);
  const concurrencies = m[2]!.split(',').map(Number);
  if (requests < 1) throw new Error(`--matrix ${JSON.stringify(whole)}: the number of requests must be at least 1`);
  for (const c of concurrencies) {
    if (c < 1) throw new Error(`--matrix ${JSON.stringify(whole)}: concurrency must be at least 1`);
    // ab refuses this too: "Cannot use concurrency level greater than total number of requests".
    if (c > requests) {
      throw new Error(`--matrix ${JSON.stringify(whole)}: concurrency ${c} is greater than the ${requests} requests of its group`);
    }
  }
  return { requests, concurrencies };
}

/** Every cell of a matrix in table order, with its group index. */
export function matrixCells(matrix: Matrix): Array<CellSpec & { group: number }> {
  return matrix.groups.flatMap((g, group) => g.concurrencies.map((concurrency) => ({ requests: g.requests, concurrency, group })));
}
