/**
 * The run envelope's readers: a file is known by its command, and files written before the
 * envelope (no command; a gate's `kind: 'gate'`) are still known, so that `gauntlet baseline
 * save --from` keeps reading gates recorded by earlier versions.
 */
import { describe, it, expect } from 'vitest';
import { SCHEMA_VERSION, runCommandOf, runEnvelope } from '../../lib/envelope.ts';
import { gauntletVersion, machineInfo } from '../../lib/machine.ts';

describe('the run envelope', () => {
  it('starts a run: schema version, command, running, no server yet', () => {
    const envelope = runEnvelope<never, 'gate'>(
      'gate',
      { version: gauntletVersion(), machine: machineInfo() },
      new Date(0),
    );
    expect(envelope).toMatchObject({
      schemaVersion: SCHEMA_VERSION,
      tool: 'gauntlet',
      command: 'gate',
      startedAt: '1970-01-01T00:00:00.000Z',
      finishedAt: null,
      status: 'running',
      servers: [],
    });
  });

  it.each([
    [{ tool: 'gauntlet', schemaVersion: 1, command: 'bench', cells: [] }, 'bench'],
    [{ tool: 'gauntlet', schemaVersion: 1, command: 'gate', measurements: [] }, 'gate'],
    [{ tool: 'gauntlet', command: 'check', results: [] }, 'check'],
    [{ tool: 'gauntlet', kind: 'gate', measurements: [] }, 'gate'],
    [{ tool: 'gauntlet', cells: [], matrix: {} }, 'bench'],
    [{ tool: 'gauntlet', results: [] }, 'check'],
    [{ tool: 'gauntlet', command: 'baseline' }, null],
    [{ tool: 'gauntlet', kind: 'baseline', entries: {} }, null],
    [{ tool: 'other', command: 'bench' }, null],
    [[], null],
    [null, null],
  ])('knows %j as %s', (data, command) => {
    expect(runCommandOf(data)).toBe(command);
  });
});
