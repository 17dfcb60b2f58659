import { describe, it, expect } from 'vitest';
import { parseMatrix, matrixCells, SEED_MATRIX } from '../../lib/matrix.ts';

describe('matrix', () => {
  it('knows the seed matrix: 11 cells in 3 groups, as the seed tables have them', () => {
    const cells = matrixCells(SEED_MATRIX);
    expect(cells).toHaveLength(11);
    expect(cells.map((c) => `${c.requests}x${c.concurrency}`)).toEqual([
      '10x1', '10x5', '10x10', '50x1', '50x10', '50x30', '50x50', '100x1', '100x10', '100x50', '100x100',
    ]);
    expect(cells.map((c) => c.group)).toEqual([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  });

  it('knows tugas9 and parses N:C1,C2 groups', () => {
    expect(matrixCells(parseMatrix('tugas9')).map((c) => c.concurrency)).toEqual([1, 10, 30, 50, 100, 500, 1000]);
    expect(parseMatrix('200:1,20;400:40')).toEqual({
      name: '200:1,20;400:40',
      groups: [
        { requests: 200, concurrencies: [1, 20] },
        { requests: 400, concurrencies: [40] },
      ],
    });
  });

  it.each([
    ['big', 'expected "seed", "tugas9" or N:C1,C2'],
    ['10:1,,2', 'expected'],
    ['10:20', 'concurrency 20 is greater than the 10 requests'],
    ['0:1', 'at least 1'],
  ])('rejects %s', (text, message) => {
    expect(() => parseMatrix(text)).toThrow(message);
  });
});
