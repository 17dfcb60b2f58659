/**
 * What the servers matrix decides before a server runs: the configurations Apache httpd and
 * lighttpd are started with, what apt-get installs, which servers `--only` keeps, the options,
 * the version line, and whether the document root is readable by Apache's www-data.
 */
import { describe, expect, it } from 'vitest';
import {
  apacheConfig,
  envTimeoutMs,
  lighttpdConfig,
  quoted,
  wholeSeconds,
  type ConfigSettings,
} from '../../lib/servers-matrix/configs.ts';
import { CONFIGURED_SERVERS, parseStartArgs } from '../../lib/servers-matrix/configured-server.ts';
import { installPlan, missingServers } from '../../lib/servers-matrix/install.ts';
import { selectServers, stockServers, versionLine } from '../../lib/servers-matrix/servers.ts';
import { MatrixUsageError, parseMatrixOptions, DEFAULT_OUT } from '../../lib/servers-matrix/options.ts';
import { firstClosedFolder, othersCanEnter } from '../../lib/servers-matrix/environment.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';

const settings: ConfigSettings = {
  port: 41234,
  root: '/srv/www',
  tmp: '/tmp/gauntlet-x',
  headerTimeoutMs: 1000,
  idleTimeoutMs: 1500,
};

describe('apacheConfig', () => {
  const conf = apacheConfig(settings, '/mods');
  const lines = conf.split('\n');

  it('listens on loopback at the port, serves the root, and writes under the temporary folder', () => {
    expect(lines).toContain('Listen 127.0.0.1:41234');
    expect(lines).toContain('DocumentRoot "/srv/www"');
    expect(lines).toContain('<Directory "/srv/www">');
    expect(lines).toContain('ServerRoot "/tmp/gauntlet-x"');
    expect(lines).toContain('PidFile "/tmp/gauntlet-x/apache2.pid"');
    expect(lines).toContain('ErrorLog "/tmp/gauntlet-x/error.log"');
  });

  it('runs as www-data (Apache refuses root) with the four modules it needs and its own types', () => {
    expect(lines).toContain('User www-data');
    for (const m of ['mpm_event', 'authz_core', 'mime', 'dir'])
      expect(lines).toContain(`LoadModule ${m}_module "/mods/mod_${m}.so"`);
    expect(lines).toContain('TypesConfig /dev/null');
    expect(lines).toContain('AddType text/plain .txt');
    expect(lines).toContain('DirectoryIndex index.html');
  });

  it('takes the timeouts offered to every server: whole seconds for Timeout, ms for KeepAliveTimeout', () => {
    expect(lines).toContain('Timeout 1');
    expect(lines).toContain('KeepAliveTimeout 1500ms');
    const defaults = apacheConfig({ ...settings, headerTimeoutMs: null, idleTimeoutMs: null });
    expect(defaults).not.toMatch(/^Timeout|^KeepAliveTimeout/m);
  });
});

describe('lighttpdConfig', () => {
  const lines = lighttpdConfig(settings).split('\n');

  it('binds loopback at the port, serves the root, and writes its pid under the temporary folder', () => {
    expect(lines).toContain('server.bind = "127.0.0.1"');
    expect(lines).toContain('server.port = 41234');
    expect(lines).toContain('server.document-root = "/srv/www"');
    expect(lines).toContain('server.pid-file = "/tmp/gauntlet-x/lighttpd.pid"');
    expect(lines).toContain('server.modules = ()');
    expect(lines).toContain('index-file.names = ( "index.html" )');
    expect(lines).toContain('    ".png" => "image/png",');
  });

  it('takes the timeouts in whole seconds, rounded up', () => {
    expect(lines).toContain('server.max-read-idle = 1');
    expect(lines).toContain('server.max-keep-alive-idle = 2');
  });
});

describe('configuration checks', () => {
  it('refuses a port out of range, a relative path, and a path a quoted string cannot hold', () => {
    expect(() => apacheConfig({ ...settings, port: 0 })).toThrow('port must be 1-65535, got 0');
    expect(() => lighttpdConfig({ ...settings, root: 'www' })).toThrow('root must be an absolute path, got "www"');
    expect(() => quoted('/a"b')).toThrow('cannot hold');
    expect(wholeSeconds(1)).toBe(1);
    expect(wholeSeconds(2001)).toBe(3);
    expect(envTimeoutMs('250')).toBe(250);
    expect(envTimeoutMs('1s')).toBeNull();
    expect(envTimeoutMs(undefined)).toBeNull();
  });

  it('starts Apache with -X and lighttpd with -D, each on its own configuration file', () => {
    expect(CONFIGURED_SERVERS.apache2.args('/t/apache2.conf')).toEqual(['-X', '-f', '/t/apache2.conf']);
    expect(CONFIGURED_SERVERS.lighttpd.args('/t/lighttpd.conf')).toEqual(['-D', '-f', '/t/lighttpd.conf']);
  });

  it('reads PORT and ROOT from a start script, naming what is wrong', () => {
    expect(parseStartArgs(['8080', DEFAULT_DOC_ROOT]).port).toBe(8080);
    expect(() => parseStartArgs(['8080'])).toThrow('usage: start.ts PORT ROOT');
    expect(() => parseStartArgs(['80x', DEFAULT_DOC_ROOT])).toThrow('PORT must be 1-65535, got 80x');
    expect(() => parseStartArgs(['80', '/no/such/root'])).toThrow('ROOT /no/such/root does not exist');
  });
});

describe('installPlan', () => {
  const servers = stockServers({
    GAUNTLET_NGINX: '/x/nginx',
    GAUNTLET_APACHE2: '/x/apache2',
    GAUNTLET_LIGHTTPD: '/x/lighttpd',
  });
  const missing = missingServers(servers, (p) => p === '/x/lighttpd');

  it('finds the servers whose binary is missing; the others need none', () => {
    expect(missing.map((s) => s.name)).toEqual(['nginx', 'apache2']);
  });

  it('installs the missing packages as root', () => {
    expect(installPlan(missing, { isRoot: true, noInstall: false })).toEqual({
      packages: ['nginx-light', 'apache2'],
      messages: [],
    });
  });

  it('names the package instead, when not root or with --no-install', () => {
    const plan = installPlan(missing, { isRoot: false, noInstall: false });
    expect(plan.packages).toEqual([]);
    expect(plan.messages[0]).toBe(
      'nginx: /x/nginx not installed, and apt-get needs root: install it with apt-get install nginx-light',
    );
    expect(installPlan(missing, { isRoot: true, noInstall: true }).messages[1]).toContain(
      'not installed (--no-install): install it with apt-get install apache2',
    );
    expect(installPlan([], { isRoot: false, noInstall: false })).toEqual({ packages: [], messages: [] });
  });
});

describe('servers and options', () => {
  it('keeps the servers --only names, in column order, and refuses a name it does not know', () => {
    const all = stockServers();
    expect(selectServers(all, ['node-http', 'nginx']).map((s) => s.name)).toEqual(['nginx', 'node-http']);
    expect(selectServers(all, null)).toHaveLength(all.length);
    expect(() => selectServers(all, ['ngnix'])).toThrow(MatrixUsageError);
  });

  it('parses the options, --only by commas or repeated', () => {
    expect(parseMatrixOptions([])).toEqual({
      only: null,
      out: DEFAULT_OUT,
      noInstall: false,
      allowUnexplained: false,
      help: false,
    });
    const o = parseMatrixOptions([
      '--only',
      'nginx,apache2',
      '--only',
      'lighttpd',
      '--out',
      'x.md',
      '--no-install',
      '--allow-unexplained',
    ]);
    expect(o).toMatchObject({
      only: ['nginx', 'apache2', 'lighttpd'],
      out: 'x.md',
      noInstall: true,
      allowUnexplained: true,
    });
    expect(() => parseMatrixOptions(['--bogus'])).toThrow(MatrixUsageError);
    expect(() => parseMatrixOptions(['--only', 'a,,b'])).toThrow('--only: an empty server name');
  });

  it('takes the version from the first line, without the label', () => {
    expect(versionLine('nginx version: nginx/1.22.1\n')).toBe('nginx/1.22.1');
    expect(versionLine('Server version: Apache/2.4.71 (Debian)\nServer built: x\n')).toBe('Apache/2.4.71 (Debian)');
    expect(versionLine('\nPython 3.11.7\n')).toBe('Python 3.11.7');
  });

  it('finds the first folder up to / that others cannot enter', () => {
    expect(othersCanEnter(0o755)).toBe(true);
    expect(othersCanEnter(0o750)).toBe(false);
    const modes: Record<string, number> = { '/a/b/c': 0o755, '/a/b': 0o700, '/a': 0o755, '/': 0o755 };
    expect(firstClosedFolder('/a/b/c', (p) => modes[p] ?? 0)).toBe('/a/b');
    expect(firstClosedFolder('/a', (p) => modes[p] ?? 0)).toBeNull();
  });
});
