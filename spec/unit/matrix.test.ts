import { describe, it, expect } from 'vitest';
import { parseMatrix, matrixCells, checkMatrixObject, MatrixError, SEED_MATRIX } from '../../lib/matrix.ts';

describe('matrix', () => {
  it('knows the seed matrix: 11 cells in 3 groups, as the seed tables have them', () => {
    const cells = matrixCells(SEED_MATRIX);
    expect(cells).toHaveLength(11);
    expect(cells.map((c) => `${c.requests}x${c.concurrency}`)).toEqual([
      '10x1',
      '10x5',
      '10x10',
      '50x1',
      '50x10',
      '50x30',
      '50x50',
      '100x1',
      '100x10',
      '100x50',
      '100x100',
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
    ['big', 'unknown matrix (seed, tugas9, or N:C1,C2,... (N requests, or a duration such as 10s))'],
    ['', 'unknown matrix (seed, tugas9, or N:C1,C2,... (N requests, or a duration such as 10s))'],
    [
      '10:1,,2',
      'group "10:1,,2" is not N:C1,C2,... (whole numbers, or a duration such as 10s for N; groups separated by ";")',
    ],
    ['10:1;', 'group "" is not N:C1,C2,... (whole numbers, or a duration such as 10s for N; groups separated by ";")'],
    [
      '10:-1',
      'group "10:-1" is not N:C1,C2,... (whole numbers, or a duration such as 10s for N; groups separated by ";")',
    ],
    [
      '10:1.5',
      'group "10:1.5" is not N:C1,C2,... (whole numbers, or a duration such as 10s for N; groups separated by ";")',
    ],
    ['10:20', 'group "10:20": concurrency 20 is greater than the 10 requests of its group'],
    ['0:1', 'group "0:1": the number of requests must be a whole number of at least 1, got 0'],
    ['10:0', 'group "10:0": concurrency must be a whole number of at least 1, got 0'],
    ['30000:25000', 'group "30000:25000": concurrency 25000 is above 20000, the most ab takes'],
    ['99999999999:1', 'group "99999999999:1": 99999999999 requests is above 2147483647, the most ab takes'],
  ])('rejects %j, saying why', (text, detail) => {
    let caught: unknown;
    try {
      parseMatrix(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MatrixError);
    expect((caught as MatrixError).detail).toBe(detail);
    expect((caught as MatrixError).message).toBe(`--matrix ${JSON.stringify(text)}: ${detail}`);
  });

  // Named matrices were looked up in an object literal, which "found" what Object.prototype holds.
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])(
    'does not take %j, a name on the prototype of objects, for a matrix',
    (name) => {
      expect(() => parseMatrix(name)).toThrow(
        new MatrixError(name, 'unknown matrix (seed, tugas9, or N:C1,C2,... (N requests, or a duration such as 10s))'),
      );
    },
  );

  it('checks a matrix object (from a configuration file) by the same rules', () => {
    const ok = { name: 'mine', groups: [{ requests: 100, concurrencies: [1, 10] }] };
    expect(checkMatrixObject(ok)).toBe(ok);
    expect(() => checkMatrixObject({ name: 'm', groups: [] })).toThrow(/^must be a matrix object such as/);
    expect(() => checkMatrixObject({ groups: [{ requests: 1, concurrencies: [1] }] })).toThrow(
      'needs a name (a non-empty string)',
    );
    expect(() => checkMatrixObject({ name: 'm', groups: [{ requests: 10, concurrencies: [0] }] })).toThrow(
      'groups[0]: concurrency must be a whole number of at least 1, got 0',
    );
    expect(() => checkMatrixObject({ name: 'm', groups: [{ requests: Infinity, concurrencies: [1] }] })).toThrow(
      'groups[0]: the number of requests must be a whole number of at least 1, got Infinity',
    );
    expect(() => checkMatrixObject({ name: 'm', groups: [{ requests: 10, concurrencies: [1, 2.5] }] })).toThrow(
      'groups[0]: concurrency must be a whole number of at least 1, got 2.5',
    );
    expect(() => checkMatrixObject({ name: 'm', groups: [{ requests: 10, concurrencies: ['1'] }] })).toThrow(
      'groups[0].concurrencies must hold numbers',
    );
    expect(() => checkMatrixObject({ name: 'm', groups: [{ requests: 10 }] })).toThrow(
      'groups[0] must be { requests: N, concurrencies: [C1, C2, ...] }',
    );
  });
});
