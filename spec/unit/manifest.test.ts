import { describe, it, expect } from 'vitest';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseManifest,
  readManifest,
  loadAllServers,
  loadServer,
  parseServerFlag,
  ManifestError,
  ServerFlagError,
} from '../../lib/manifest.ts';

const good = { name: 'mine', model: 'threaded', language: 'python', command: 'python3 s.py {port} {root}' };

async function serversDir(manifests: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gauntlet-servers-'));
  for (const [folder, text] of Object.entries(manifests)) {
    await mkdir(join(dir, folder));
    await writeFile(join(dir, folder, 'server.json'), text);
  }
  return dir;
}

describe('manifest', () => {
  it('accepts a complete manifest', () => {
    expect(parseManifest({ ...good, env: { A: '1' }, readyPath: '/health' }, 'f.json')).toEqual({
      ...good,
      env: { A: '1' },
      readyPath: '/health',
    });
  });

  it.each([
    [{ ...good, name: undefined }, 'f.json: field "name" is missing'],
    [{ ...good, model: 3 }, 'f.json: field "model" must be a string, got a number'],
    [{ ...good, port: 0 }, 'f.json: field "port" must be a whole number from 1 to 65535, got 0'],
    [{ ...good, name: 'My Server' }, 'f.json: field "name" must be lower-case'],
    [{ ...good, env: { A: 1 } }, 'f.json: field "env.A" must be a string'],
    [{ ...good, readyTimeoutMs: -5 }, 'f.json: field "readyTimeoutMs" must be a positive whole number'],
    [{ ...good, comand: 'x' }, 'f.json: field "comand" is not a known field'],
    [[good], 'f.json: must hold a JSON object, got an array'],
  ])('rejects %j naming the file and the field', (data, message) => {
    expect(() => parseManifest(data, 'f.json')).toThrow(ManifestError);
    expect(() => parseManifest(data, 'f.json')).toThrow(message);
  });

  it('reads a container section, with defaults for context and root', () => {
    const m = parseManifest(
      { ...good, container: { dockerfile: 'Dockerfile', command: ['python3', 's.py', '{port}', '{root}'], cpus: 0.5 } },
      'f.json',
    );
    expect(m.container).toEqual({
      dockerfile: 'Dockerfile',
      context: '.',
      command: ['python3', 's.py', '{port}', '{root}'],
      root: '/srv/www',
      cpus: 0.5,
    });
  });

  it('reads the container sections of the reference servers', async () => {
    for (const name of ['python-threaded', 'python-async', 'node-async', 'node-threaded']) {
      const spec = await loadServer(name);
      expect(spec.container?.command.join(' '), name).toContain('{port}');
      expect(spec.container?.baseImage, name).toMatch(/^(node|python)$/);
    }
  });

  it.each([
    [{ ...good, container: 'Dockerfile' }, 'f.json: field "container" must be an object'],
    [{ ...good, container: { dockerfile: 'Dockerfile' } }, 'f.json: field "container.command" is missing'],
    [
      { ...good, container: { command: 'python3 s.py {port}' } },
      'f.json: field "container.command" must be a non-empty array of strings',
    ],
    [
      { ...good, container: { command: ['python3', 's.py', '8080'] } },
      'f.json: field "container.command" must contain {port}',
    ],
    [
      { ...good, container: { command: ['{port}'], root: 'www' } },
      'f.json: field "container.root" must be an absolute path',
    ],
    [
      { ...good, container: { command: ['{port}'], cpus: 0 } },
      'f.json: field "container.cpus" must be a positive number',
    ],
    [
      { ...good, container: { command: ['{port}'], memoryMb: 2 } },
      'f.json: field "container.memoryMb" must be a whole number of MiB, at least 6',
    ],
    [
      { ...good, container: { command: ['{port}'], image: 'x' } },
      'f.json: field "container.image" is not a known field',
    ],
  ])('rejects the container section %j naming the field', (data, message) => {
    expect(() => parseManifest(data, 'f.json')).toThrow(message);
  });

  it('names the file when its JSON is malformed', async () => {
    const dir = await serversDir({ broken: '{ "name": "broken", ' });
    await expect(readManifest(join(dir, 'broken', 'server.json'))).rejects.toThrow(
      `${join(dir, 'broken', 'server.json')}: is not valid JSON`,
    );
  });

  it('loads every server folder, skipping folders that start with _', async () => {
    const dir = await serversDir({
      b: JSON.stringify({ ...good, name: 'b' }),
      a: JSON.stringify({ ...good, name: 'a' }),
    });
    await mkdir(join(dir, '_common'));
    const specs = await loadAllServers(dir);
    expect(specs.map((s) => s.name)).toEqual(['a', 'b']);
    expect(specs[0]!.cwd).toBe(join(dir, 'a'));
  });

  it('refuses two servers with the same name', async () => {
    const dir = await serversDir({ a: JSON.stringify(good), b: JSON.stringify(good) });
    await expect(loadAllServers(dir)).rejects.toThrow('field "name" "mine" is already used by');
  });

  it('says which servers exist when a name is unknown', async () => {
    const dir = await serversDir({ a: JSON.stringify({ ...good, name: 'a' }) });
    await mkdir(join(dir, '_common'));
    const err = await loadServer('nope', dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerFlagError);
    expect((err as ServerFlagError).detail).toBe(
      `no server named "nope" in ${dir} (known servers: a); an ad-hoc server is NAME=COMMAND, with {port} in the command`,
    );
  });

  it.each(['constructor', '__proto__', '_common', '.', '..', ''])(
    'does not take %j, which is no server folder, for a server',
    async (name) => {
      const dir = await serversDir({ a: JSON.stringify({ ...good, name: 'a' }) });
      await mkdir(join(dir, '_common'));
      await writeFile(join(dir, '_common', 'server.json'), JSON.stringify({ ...good, name: 'common' }));
      await expect(loadServer(name, dir)).rejects.toBeInstanceOf(ServerFlagError);
    },
  );

  it('names the path when a server path leads nowhere', async () => {
    const err = await loadServer('./no/such/server', '/nonexistent').catch((e: unknown) => e);
    expect((err as ServerFlagError).detail).toBe(
      `there is no server folder or server.json at ${join(process.cwd(), 'no/such/server')}`,
    );
  });

  it("names the manifest file and the field when a named server's manifest is wrong", async () => {
    const dir = await serversDir({ bad: JSON.stringify({ ...good, name: 'bad', port: 70000 }) });
    const err = await loadServer('bad', dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).message).toBe(
      `${join(dir, 'bad', 'server.json')}: field "port" must be a whole number from 1 to 65535, got 70000`,
    );
  });

  it('parses --server NAME=COMMAND and NAME:MODEL:LANGUAGE=COMMAND', async () => {
    const s = await parseServerFlag('mine=python3 server_thread_http.py {port} {root}', '/nonexistent', '/home/me');
    expect(s).toMatchObject({ name: 'mine', model: 'unknown', language: 'unknown', cwd: '/home/me' });
    expect(s.command).toBe('python3 server_thread_http.py {port} {root}');
    const t = await parseServerFlag('mine:async:python=python3 a.py {port}', '/nonexistent');
    expect(t).toMatchObject({ name: 'mine', model: 'async', language: 'python' });
  });

  it.each([
    ['mine@0=python3 a.py', 'the port after "@" must be a whole number from 1 to 65535, got "0"'],
    ['=python3 a.py {port}', `the name must be lower-case letters, digits, '.', '_' or '-', got ""`],
    ['My=python3 a.py {port}', `the name must be lower-case letters, digits, '.', '_' or '-', got "My"`],
    ['mine=', 'the command is empty: write NAME=COMMAND'],
    ['a:b:c:d=python3 a.py {port}', 'takes at most NAME:MODEL:LANGUAGE before "="'],
  ])('refuses --server %j, saying why', async (value, detail) => {
    const err = await parseServerFlag(value, '/nonexistent').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerFlagError);
    expect((err as ServerFlagError).detail).toBe(detail);
    expect((err as ServerFlagError).message).toBe(`--server ${JSON.stringify(value)}: ${detail}`);
  });
});
