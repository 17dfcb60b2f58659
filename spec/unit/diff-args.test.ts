/**
 * `gauntlet diff`'s command line (lib/cli/diff-args.ts): every bad value a usage error naming the
 * flag and the value, thrown before a server starts; the seed from --seed or GAUNTLET_SEED; the
 * quirks file by default, by flag, or none; and the exit code of a run from its verdict.
 */
import { describe, it, expect } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../lib/cli/args.ts';
import { parseDiffArgs, parseQuirksFlag, parseSeed } from '../../lib/cli/diff-args.ts';
import { diffExitCode } from '../../lib/cli/diff-command.ts';
import { newDiffRun } from '../../lib/diff/record.ts';
import { machineInfo } from '../../lib/machine.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';

const TWO = ['--server', 'python-threaded', '--server', 'node-async'];

describe('parseDiffArgs: usage errors name the flag and the value', () => {
  it.each<[string[], string]>([
    [
      ['--server', 'python-threaded'],
      'diff compares servers: give at least two (--server NAME, --url URL), got only python-threaded',
    ],
    [[...TWO, '--requests', '0'], '--requests "0": must be at least 1'],
    [[...TWO, '--requests', 'many'], '--requests "many": is not a whole number of at least 1'],
    [[...TWO, '--requests', '1000000'], '--requests "1000000": must be at most 100000'],
    [[...TWO, '--time-limit', '0'], '--time-limit "0": is below 1 s'],
    [[...TWO, '--seed', '1.5'], '--seed "1.5": is not a whole number'],
    [[...TWO, '--shrink-path', 'a:b'], '--shrink-path "a:b": is not a fast-check path such as 12:0:3'],
    [[...TWO, '--quirks', 'no-such-file.json'], '--quirks "no-such-file.json": cannot be read (ENOENT)'],
    [[...TWO, '--frobnicate'], 'unknown flag --frobnicate'],
  ])('%j', async (argv, message) => {
    const parsed = parseDiffArgs(argv, {});
    await expect(parsed).rejects.toThrow(UsageError);
    await expect(parsed).rejects.toThrow(message);
  });

  it('takes two servers, the budget, the seed and the project quirks file', async () => {
    const args = await parseDiffArgs([...TWO, '--requests', '20', '--seed', '12', '--time-limit', '2.5'], {});
    expect(args.servers.map((s) => s.name)).toEqual(['python-threaded', 'node-async']);
    expect(args).toMatchObject({ requests: 20, seed: 12, timeLimitMs: 2500, help: false });
    expect(args.quirksFile).toBe(join(PROJECT_ROOT, 'gauntlet.quirks.json'));
  });
});

describe('parseSeed', () => {
  it('prefers --seed, then GAUNTLET_SEED', () => {
    expect(parseSeed('5', { GAUNTLET_SEED: '9' })).toBe(5);
    expect(parseSeed(undefined, { GAUNTLET_SEED: '9' })).toBe(9);
    expect(() => parseSeed(undefined, { GAUNTLET_SEED: 'x' })).toThrow('GAUNTLET_SEED must be a whole number');
  });
});

describe('parseQuirksFlag', () => {
  it('reads none for "none", and nothing when the default file is absent', async () => {
    expect(await parseQuirksFlag('none')).toEqual({ quirks: [], quirksFile: null });
    const empty = await mkdtemp(join(tmpdir(), 'gauntlet-diff-args-'));
    expect(await parseQuirksFlag(undefined, empty)).toEqual({ quirks: [], quirksFile: null });
  });

  it('names every problem of a bad file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-diff-args-'));
    await writeFile(join(dir, 'q.json'), JSON.stringify({ quirks: [{ servers: '*', field: 'colour', why: 'x' }] }));
    const parsed = parseQuirksFlag('q.json', dir);
    await expect(parsed).rejects.toThrow('quirks[0].field must be one of');
    await expect(parseQuirksFlag('q.json', dir)).rejects.toThrow('quirks[0].why must say why');
  });
});

describe('diffExitCode', () => {
  const run = () =>
    newDiffRun({ version: '0', machine: machineInfo(), seed: 1, budget: 1, quirksFile: null, replay: '' });
  it.each<[string, Partial<ReturnType<typeof run>>, number]>([
    ['agree', { verdict: 'agree', status: 'complete' }, 0],
    ['disagree', { verdict: 'disagree', status: 'complete' }, 1],
    ['a server did not start', { verdict: 'error', status: 'complete' }, 1],
    ['a disagreement found before Ctrl-C', { verdict: 'disagree', status: 'interrupted' }, 1],
    ['interrupted, nothing found', { verdict: 'agree', status: 'interrupted' }, 130],
  ])('%s', (_name, fields, code) => expect(diffExitCode({ ...run(), ...fields })).toBe(code));
});
