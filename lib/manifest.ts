/**
 * Reads and checks server manifests (servers/<name>/server.json) and `--server` values, turning
 * them into the ServerSpec the launchers start: every mistake is reported with its file and field
 * before anything is started.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve, basename } from 'node:path';
import type { ContainerManifest, ServerManifest, ServerSpec } from './types.ts';
import { SERVERS_DIR } from './paths.ts';
import { parseServerUrl } from './url-server.ts';

export const MANIFEST_FILE = 'server.json';

/** A manifest that cannot be used, naming the file and the field at fault. */
export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | null,
    detail: string,
  ) {
    super(field ? `${file}: field "${field}" ${detail}` : `${file}: ${detail}`);
    this.name = 'ManifestError';
  }
}

/**
 * A `--server` value that names no usable server: `detail` says why, without the value, so that
 * a caller can say where the value was written (a flag, a configuration file's field).
 */
export class ServerFlagError extends Error {
  constructor(
    readonly value: string,
    readonly detail: string,
  ) {
    super(`--server ${JSON.stringify(value)}: ${detail}`);
    this.name = 'ServerFlagError';
  }
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;
const KNOWN_FIELDS = new Set([
  'name',
  'model',
  'language',
  'command',
  'port',
  'url',
  'env',
  'description',
  'readyPath',
  'readyTimeoutMs',
  'capabilities',
  'container',
]);

const CONTAINER_FIELDS = new Set(['dockerfile', 'context', 'command', 'root', 'baseImage', 'cpus', 'memoryMb']);

const CAPABILITY_RE = /^[a-z0-9][a-z0-9-]*$/;

function requireString(obj: Record<string, unknown>, field: string, file: string): string {
  const v = obj[field];
  if (v === undefined) throw new ManifestError(file, field, 'is missing');
  if (typeof v !== 'string') throw new ManifestError(file, field, `must be a string, got ${typeOf(v)}`);
  if (v.trim() === '') throw new ManifestError(file, field, 'must not be empty');
  return v;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/** A TCP port a server may listen on: a whole number from 1 to 65535; null for anything else. */
export function validPort(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : null;
}

/**
 * A manifest's "port": the port a command that has it written in listens on (a course's server
 * binding 10002), or the one given as `{port}`. Without it and without `{port}`, the port is
 * found from the sockets the server listens on.
 */
function manifestPort(obj: Record<string, unknown>, file: string): number {
  if (obj.url !== undefined) throw new ManifestError(file, 'port', 'is for a command Gauntlet starts, not a "url"');
  const port = typeof obj.port === 'number' ? validPort(obj.port) : null;
  if (port === null) {
    throw new ManifestError(file, 'port', `must be a whole number from 1 to 65535, got ${JSON.stringify(obj.port)}`);
  }
  return port;
}

/** A manifest's "url" (a server already running), which replaces its "command". */
function manifestUrl(obj: Record<string, unknown>, file: string): string {
  if (obj.command !== undefined)
    throw new ManifestError(
      file,
      'url',
      'and "command" are both given: a server is either started (command) or already running (url)',
    );
  const url = requireString(obj, 'url', file);
  try {
    parseServerUrl(url);
  } catch (err) {
    throw new ManifestError(file, 'url', (err as Error).message);
  }
  return url;
}

/** Validates parsed JSON as a manifest. */
export function parseManifest(data: unknown, file: string): ServerManifest {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ManifestError(file, null, `must hold a JSON object, got ${typeOf(data)}`);
  }
  const obj = data as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!KNOWN_FIELDS.has(key)) {
      throw new ManifestError(file, key, `is not a known field (known: ${[...KNOWN_FIELDS].join(', ')})`);
    }
  }
  const name = requireString(obj, 'name', file);
  if (!NAME_RE.test(name)) {
    throw new ManifestError(
      file,
      'name',
      `must be lower-case letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`,
    );
  }
  const manifest: ServerManifest = {
    name,
    model: requireString(obj, 'model', file),
    language: requireString(obj, 'language', file),
    command: obj.url === undefined ? requireString(obj, 'command', file) : '',
  };
  if (obj.url !== undefined) manifest.url = manifestUrl(obj, file);
  if (obj.port !== undefined) manifest.port = manifestPort(obj, file);
  if (obj.description !== undefined) manifest.description = requireString(obj, 'description', file);
  if (obj.env !== undefined) {
    const env = obj.env;
    if (typeof env !== 'object' || env === null || Array.isArray(env)) {
      throw new ManifestError(file, 'env', `must be an object of strings, got ${typeOf(env)}`);
    }
    for (const [k, v] of Object.entries(env)) {
      if (typeof v !== 'string') throw new ManifestError(file, `env.${k}`, `must be a string, got ${typeOf(v)}`);
    }
    manifest.env = env as Record<string, string>;
  }
  if (obj.readyPath !== undefined) {
    const p = requireString(obj, 'readyPath', file);
    if (!p.startsWith('/')) throw new ManifestError(file, 'readyPath', 'must start with /');
    manifest.readyPath = p;
  }
  if (obj.readyTimeoutMs !== undefined) {
    const t = obj.readyTimeoutMs;
    if (typeof t !== 'number' || !Number.isInteger(t) || t <= 0) {
      throw new ManifestError(
        file,
        'readyTimeoutMs',
        `must be a positive whole number of milliseconds, got ${JSON.stringify(t)}`,
      );
    }
    manifest.readyTimeoutMs = t;
  }
  if (obj.capabilities !== undefined) {
    const caps = obj.capabilities;
    if (!Array.isArray(caps)) {
      throw new ManifestError(
        file,
        'capabilities',
        `must be an array of strings such as ["echo"], got ${typeOf(caps)}`,
      );
    }
    for (const [i, c] of caps.entries()) {
      if (typeof c !== 'string' || !CAPABILITY_RE.test(c)) {
        throw new ManifestError(
          file,
          `capabilities[${i}]`,
          `must be a lower-case name such as "echo", got ${JSON.stringify(c)}`,
        );
      }
    }
    manifest.capabilities = [...new Set(caps as string[])];
  }
  if (obj.container !== undefined) manifest.container = parseContainer(obj.container, file);
  return manifest;
}

/** Validates the `container` section of a manifest. */
function parseContainer(data: unknown, file: string): ContainerManifest {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ManifestError(
      file,
      'container',
      `must be an object such as {"dockerfile": "Dockerfile", "command": [...]}, got ${typeOf(data)}`,
    );
  }
  const obj = data as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!CONTAINER_FIELDS.has(key)) {
      throw new ManifestError(
        file,
        `container.${key}`,
        `is not a known field (known: ${[...CONTAINER_FIELDS].join(', ')})`,
      );
    }
  }
  const str = (field: string, fallback?: string): string => {
    const v = obj[field];
    if (v === undefined && fallback !== undefined) return fallback;
    if (v === undefined) throw new ManifestError(file, `container.${field}`, 'is missing');
    if (typeof v !== 'string' || v.trim() === '') {
      throw new ManifestError(file, `container.${field}`, `must be a non-empty string, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const command = obj.command;
  if (command === undefined) throw new ManifestError(file, 'container.command', 'is missing');
  if (!Array.isArray(command) || command.length === 0 || command.some((a) => typeof a !== 'string')) {
    throw new ManifestError(
      file,
      'container.command',
      `must be a non-empty array of strings (the argv run in the container), got ${JSON.stringify(command)}`,
    );
  }
  if (!command.some((a: string) => a.includes('{port}'))) {
    throw new ManifestError(
      file,
      'container.command',
      'must contain {port}: the container shares the host network and the server listens on a free port Gauntlet picks',
    );
  }
  const container: ContainerManifest = {
    dockerfile: str('dockerfile', 'Dockerfile'),
    context: str('context', '.'),
    command: command as string[],
    root: str('root', '/srv/www'),
  };
  if (!container.root.startsWith('/')) {
    throw new ManifestError(
      file,
      'container.root',
      `must be an absolute path in the container, got ${JSON.stringify(container.root)}`,
    );
  }
  if (obj.baseImage !== undefined) container.baseImage = str('baseImage');
  if (obj.cpus !== undefined) {
    const c = obj.cpus;
    if (typeof c !== 'number' || !(c > 0))
      throw new ManifestError(file, 'container.cpus', `must be a positive number of CPUs, got ${JSON.stringify(c)}`);
    container.cpus = c;
  }
  if (obj.memoryMb !== undefined) {
    const m = obj.memoryMb;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 6) {
      throw new ManifestError(
        file,
        'container.memoryMb',
        `must be a whole number of MiB, at least 6, got ${JSON.stringify(m)}`,
      );
    }
    container.memoryMb = m;
  }
  return container;
}

/** Reads and validates one manifest file. */
export async function readManifest(file: string): Promise<ServerSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ManifestError(file, null, `cannot be read: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(file, null, `is not valid JSON: ${(err as Error).message}`);
  }
  const manifest = parseManifest(data, file);
  return { ...manifest, cwd: resolve(file, '..'), source: file };
}

/**
 * Loads a server by name (a folder of servers/) or by a path to its folder or manifest.
 * A name that is not a server folder, or a path to nothing, is a ServerFlagError; a manifest
 * that is there but wrong is a ManifestError naming the file and the field.
 */
export async function loadServer(nameOrPath: string, serversDir = SERVERS_DIR): Promise<ServerSpec> {
  if (nameOrPath.trim() === '')
    throw new ServerFlagError(nameOrPath, 'is empty: name a server of servers/, or write NAME=COMMAND');
  if (nameOrPath.includes('/')) {
    const path = resolve(nameOrPath);
    const st = await stat(path).catch(() => null);
    if (st?.isDirectory()) return readManifest(join(path, MANIFEST_FILE));
    if (st?.isFile()) return readManifest(path);
    throw new ServerFlagError(nameOrPath, `there is no server folder or ${MANIFEST_FILE} at ${path}`);
  }
  // Only the folders that hold servers: not "." or "..", nor the folders of shared code ("_...").
  const dirs = await listServerDirs(serversDir);
  const dir = dirs.find((d) => basename(d) === nameOrPath);
  if (dir) return readManifest(join(dir, MANIFEST_FILE));
  const known = dirs.map((d) => basename(d));
  throw new ServerFlagError(
    nameOrPath,
    `no server named "${nameOrPath}" in ${serversDir} (known servers: ${known.join(', ') || 'none'}); ` +
      'an ad-hoc server is NAME=COMMAND, with {port} in the command',
  );
}

/** The folders of servers/ that hold a server: every folder not starting with '_' or '.'. */
async function listServerDirs(serversDir: string): Promise<string[]> {
  const entries = await readdir(serversDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('_') && !e.name.startsWith('.'))
    .map((e) => join(serversDir, e.name))
    .sort();
}

/** Loads every server in servers/, sorted by name. A folder without a valid manifest is an error. */
export async function loadAllServers(serversDir = SERVERS_DIR): Promise<ServerSpec[]> {
  const dirs = await listServerDirs(serversDir);
  const specs = await Promise.all(dirs.map((d) => readManifest(join(d, MANIFEST_FILE))));
  const seen = new Map<string, string>();
  for (const s of specs) {
    const prev = seen.get(s.name);
    if (prev) throw new ManifestError(s.source, 'name', `"${s.name}" is already used by ${prev}`);
    seen.set(s.name, s.source);
  }
  return specs.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Parses a `--server` flag: either a server's name (or folder) or `NAME=COMMAND` for any command
 * (with `{port}` and `{root}` filled in where it has them), so a server runs without a manifest.
 * `NAME:MODEL:LANGUAGE=COMMAND` also states the concurrency model and language, which lets the
 * comparison pair it with another server. `NAME@PORT=COMMAND` (or `NAME:MODEL:LANGUAGE@PORT=...`)
 * states the port of a command that has it written in, as a manifest's "port" does: one flag per
 * server, where a single `--port` could not serve several. The command runs in `cwd`, the folder
 * Gauntlet was started from, so that `python3 server.py` works as typed.
 */
export async function parseServerFlag(
  value: string,
  serversDir = SERVERS_DIR,
  cwd = process.cwd(),
): Promise<ServerSpec> {
  const eq = value.indexOf('=');
  if (eq < 0) return loadServer(value, serversDir);
  const [head, portText] = splitAtPort(value.slice(0, eq).trim());
  const command = value.slice(eq + 1).trim();
  const source = `--server ${JSON.stringify(value)}`;
  const [name = '', model = 'unknown', language = 'unknown', ...rest] = head.split(':');
  if (rest.length > 0) throw new ServerFlagError(value, 'takes at most NAME:MODEL:LANGUAGE before "="');
  if (!NAME_RE.test(name)) {
    throw new ServerFlagError(
      value,
      `the name must be lower-case letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`,
    );
  }
  if (command === '') throw new ServerFlagError(value, 'the command is empty: write NAME=COMMAND');
  if (portText === null) return { name, model, language, command, cwd, source };
  const port = validPort(portText);
  if (port === null) {
    throw new ServerFlagError(
      value,
      `the port after "@" must be a whole number from 1 to 65535, got ${JSON.stringify(portText)}`,
    );
  }
  return { name, model, language, command, port, cwd, source };
}

/** `NAME:MODEL:LANGUAGE@PORT` into the part before "@" and the port's text (null without "@"). */
function splitAtPort(head: string): [string, string | null] {
  const at = head.lastIndexOf('@');
  return at < 0 ? [head, null] : [head.slice(0, at), head.slice(at + 1).trim()];
}
