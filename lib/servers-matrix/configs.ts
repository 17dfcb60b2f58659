/**
 * The minimal configurations the real servers of the matrix run with (Apache httpd, lighttpd):
 * static files from the document root on 127.0.0.1, with what the server writes (pid file,
 * Apache's error log) in a throw-away folder; lighttpd's errors go to stderr. Pure: the text of a configuration from its settings, so that it
 * can be checked without starting anything. Nothing here changes how a server parses HTTP: the
 * results are those of a stock server serving files.
 */

/** What every configuration is made from. */
export interface ConfigSettings {
  /** The loopback port to listen on. */
  port: number;
  /** The document root, an absolute path. */
  root: string;
  /** The folder the server may write into (pid file, logs), an absolute path. */
  tmp: string;
  /** How long a request's head may take, ms (GAUNTLET_HEADER_TIMEOUT_MS), or null for the server's default. */
  headerTimeoutMs: number | null;
  /** How long an idle kept-alive connection is held, ms (GAUNTLET_IDLE_TIMEOUT_MS), or null for the default. */
  idleTimeoutMs: number | null;
}

/** The content types of the fixture files, so that no configuration depends on /etc. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  js: 'text/javascript',
  mjs: 'text/javascript',
  json: 'application/json',
  txt: 'text/plain',
  png: 'image/png',
  svg: 'image/svg+xml',
  bin: 'application/octet-stream',
};

/** A value for a configuration file's double quotes; a quote or a newline in a path would end it early. */
export function quoted(value: string): string {
  if (/["\n\r\\]/.test(value))
    throw new RangeError(`a path for a server configuration cannot hold ", \\ or a newline: ${JSON.stringify(value)}`);
  return `"${value}"`;
}

function checkSettings(s: ConfigSettings): void {
  if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535)
    throw new RangeError(`port must be 1-65535, got ${s.port}`);
  for (const [key, path] of [
    ['root', s.root],
    ['tmp', s.tmp],
  ] as const) {
    if (!path.startsWith('/')) throw new RangeError(`${key} must be an absolute path, got ${JSON.stringify(path)}`);
  }
}

/** Whole seconds for a server that counts in seconds: at least 1, rounded up. */
export function wholeSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Apache's modules: the event MPM, Require (authz_core), content types (mime), index.html (dir). */
const APACHE_MODULES = ['mpm_event', 'authz_core', 'mime', 'dir'];

/** Apache's error log, in the throw-away folder. */
export const APACHE_ERROR_LOG = 'error.log';

/** The folder Debian installs Apache's modules in. */
export const APACHE_MODULES_DIR = '/usr/lib/apache2/modules';

/**
 * apache2.conf for `apache2 -X -f FILE`. Apache refuses to serve as root, so it switches to
 * www-data (only when started as root; the document root and its parents must then be readable
 * by others).
 */
export function apacheConfig(s: ConfigSettings, modulesDir = APACHE_MODULES_DIR): string {
  checkSettings(s);
  const types = Object.entries(MIME_TYPES).map(([ext, type]) => `AddType ${type} .${ext}`);
  return [
    '# Written by Gauntlet for one run: a stock Apache httpd serving static files.',
    `ServerRoot ${quoted(s.tmp)}`,
    'ServerName localhost',
    `Listen 127.0.0.1:${s.port}`,
    `PidFile ${quoted(`${s.tmp}/apache2.pid`)}`,
    // Not /dev/stderr: the launcher's stderr is a socket, which Apache cannot open by name. The
    // start script copies this file to its stderr when Apache exits.
    `ErrorLog ${quoted(`${s.tmp}/${APACHE_ERROR_LOG}`)}`,
    'LogLevel error',
    'User www-data',
    'Group www-data',
    ...APACHE_MODULES.map((m) => `LoadModule ${m}_module ${quoted(`${modulesDir}/mod_${m}.so`)}`),
    // The types map of its own (AddType below) rather than /etc/mime.types.
    'TypesConfig /dev/null',
    ...types,
    // The timeouts every server under test is offered: Timeout counts whole seconds,
    // KeepAliveTimeout takes ms.
    ...(s.headerTimeoutMs === null ? [] : [`Timeout ${wholeSeconds(s.headerTimeoutMs)}`]),
    'KeepAlive On',
    ...(s.idleTimeoutMs === null ? [] : [`KeepAliveTimeout ${s.idleTimeoutMs}ms`]),
    `DocumentRoot ${quoted(s.root)}`,
    'DirectoryIndex index.html',
    '<Directory />',
    '    Require all denied',
    '</Directory>',
    `<Directory ${quoted(s.root)}>`,
    '    Require all granted',
    '</Directory>',
    '',
  ].join('\n');
}

/** lighttpd.conf for `lighttpd -D -f FILE`: no module beyond the built-in static file handler. */
export function lighttpdConfig(s: ConfigSettings): string {
  checkSettings(s);
  const types = Object.entries(MIME_TYPES).map(([ext, type]) => `    ".${ext}" => "${type}",`);
  return [
    '# Written by Gauntlet for one run: a stock lighttpd serving static files.',
    `server.document-root = ${quoted(s.root)}`,
    'server.bind = "127.0.0.1"',
    `server.port = ${s.port}`,
    'server.modules = ()',
    `server.pid-file = ${quoted(`${s.tmp}/lighttpd.pid`)}`,
    'index-file.names = ( "index.html" )',
    'mimetype.assign = (',
    ...types,
    ')',
    // lighttpd counts its timeouts in whole seconds.
    ...(s.headerTimeoutMs === null ? [] : [`server.max-read-idle = ${wholeSeconds(s.headerTimeoutMs)}`]),
    ...(s.idleTimeoutMs === null ? [] : [`server.max-keep-alive-idle = ${wholeSeconds(s.idleTimeoutMs)}`]),
    '',
  ].join('\n');
}

/** A timeout from the environment, ms: a whole number, or null when unset or not one. */
export function envTimeoutMs(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value)) return null;
  return Number(value);
}
