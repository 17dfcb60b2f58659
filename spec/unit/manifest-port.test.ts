/**
 * The port of a server that has it written in its command: a manifest's "port" and
 * `--server NAME@PORT=COMMAND`, good forms and bad; and a command without {port}, which is
 * allowed (its port is then found from what it listens on).
 */
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { ManifestError, ServerFlagError, parseManifest, parseServerFlag, readManifest } from '../../lib/manifest.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';

const good = { name: 'mine', model: 'threaded', language: 'python', command: 'python3 server_thread_http.py' };
const FIXTURE = join(PROJECT_ROOT, 'fixtures', 'fixed-port');

describe('a manifest without {port}', () => {
  it('is valid, with or without a "port"', () => {
    expect(parseManifest(good, 'f.json')).toEqual(good);
    expect(parseManifest({ ...good, port: 10002 }, 'f.json')).toEqual({ ...good, port: 10002 });
    expect(parseManifest({ ...good, command: 'python3 s.py {port}', port: 8080 }, 'f.json').port).toBe(8080);
  });

  it.each([0, 65536, -1, 80.5, '10002', null, [10002]])('refuses "port": %j, naming the field', (port) => {
    expect(() => parseManifest({ ...good, port }, 'f.json')).toThrow(
      new ManifestError('f.json', 'port', `must be a whole number from 1 to 65535, got ${JSON.stringify(port)}`),
    );
  });

  it('keeps requiring {port} in a container command, with its message', () => {
    expect(() => parseManifest({ ...good, container: { command: ['python3', 's.py'] } }, 'f.json')).toThrow(
      'f.json: field "container.command" must contain {port}',
    );
  });

  it('runs in its own folder: the fixture, discovered and stated', async () => {
    const discovered = await readManifest(join(FIXTURE, 'server.json'));
    expect(discovered).toMatchObject({ name: 'fixed-port', cwd: FIXTURE, command: 'python3 server_thread_http.py' });
    expect(discovered.port).toBeUndefined();
    const stated = await readManifest(join(FIXTURE, 'stated-port.json'));
    expect(stated).toMatchObject({ name: 'fixed-port-stated', cwd: FIXTURE, port: 10002 });
  });
});

describe('--server NAME@PORT=COMMAND', () => {
  it.each([
    ['web=python3 server_thread_http.py', { name: 'web', model: 'unknown', language: 'unknown' }],
    ['web@10002=python3 server_thread_http.py', { name: 'web', port: 10002 }],
    ['web:threaded:python@10002=python3 s.py', { name: 'web', model: 'threaded', language: 'python', port: 10002 }],
    ['web:threaded@1=python3 s.py', { name: 'web', model: 'threaded', port: 1 }],
    ['web@65535=python3 s.py --mail a@b', { port: 65535, command: 'python3 s.py --mail a@b' }],
  ])('%s', async (value, expected) => {
    const s = await parseServerFlag(value, '/nonexistent', '/home/me');
    expect(s).toMatchObject({ ...expected, cwd: '/home/me', source: `--server ${JSON.stringify(value)}` });
    if (!('port' in expected)) expect(s.port).toBeUndefined();
  });

  it('runs in the folder Gauntlet was started from', async () => {
    expect((await parseServerFlag('web@10002=python3 server_thread_http.py')).cwd).toBe(process.cwd());
  });

  it.each([
    ['web@0=python3 s.py', '"0"'],
    ['web@65536=python3 s.py', '"65536"'],
    ['web@http=python3 s.py', '"http"'],
    ['web@=python3 s.py', '""'],
    ['web@-1=python3 s.py', '"-1"'],
    ['web@10002.5=python3 s.py', '"10002.5"'],
  ])('refuses %s, naming the port', async (value, port) => {
    await expect(parseServerFlag(value, '/nonexistent')).rejects.toThrow(
      new ServerFlagError(value, `the port after "@" must be a whole number from 1 to 65535, got ${port}`),
    );
  });

  it('refuses more than NAME:MODEL:LANGUAGE before the port', async () => {
    await expect(parseServerFlag('a:b:c:d@80=x', '/nonexistent')).rejects.toThrow(
      'takes at most NAME:MODEL:LANGUAGE before "="',
    );
  });
});
