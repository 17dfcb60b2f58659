import { describe, it, expect } from 'vitest';
import { parseManifest, loadAllServers, ManifestError } from '../../lib/manifest.ts';

const good = { name: 'mine', model: 'threaded', language: 'python', command: 'python3 s.py {port} {root}' };

describe('manifest capabilities', () => {
  it('is optional, and none when absent', () => {
    expect(parseManifest(good, 'f.json').capabilities).toBeUndefined();
  });

  it('accepts a list of lower-case names, once each', () => {
    expect(parseManifest({ ...good, capabilities: ['echo', 'echo'] }, 'f.json').capabilities).toEqual(['echo']);
  });

  it.each([
    [
      { ...good, capabilities: 'echo' },
      'f.json: field "capabilities" must be an array of strings such as ["echo"], got a string',
    ],
    [
      { ...good, capabilities: ['Echo'] },
      'f.json: field "capabilities[0]" must be a lower-case name such as "echo", got "Echo"',
    ],
    [{ ...good, capabilities: ['echo', 3] }, 'f.json: field "capabilities[1]" must be a lower-case name'],
  ])('rejects %j naming the field', (data, message) => {
    expect(() => parseManifest(data, 'f.json')).toThrow(ManifestError);
    expect(() => parseManifest(data, 'f.json')).toThrow(message);
  });

  it('is declared by every reference server: they all answer POST /echo', async () => {
    for (const spec of await loadAllServers()) expect(spec.capabilities, spec.name).toEqual(['echo']);
  });
});
