/**
 * The servers of the matrix, in column order: stock servers nobody here wrote (nginx, Apache
 * httpd, lighttpd, Python's http.server, node:http), then the reference servers of servers/.
 * Each is a manifest (fixtures/nginx, fixtures/real-servers/NAME, servers/NAME) plus what the
 * matrix needs besides: the binary that must be installed, the Debian package that provides it,
 * and the command that prints its version.
 */
import { join } from 'node:path';
import { MANIFEST_FILE } from '../manifest.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { MatrixUsageError } from './options.ts';

/** A server of the matrix, before its manifest is read. */
export interface MatrixServer {
  /** The column's name (the manifest's name). */
  name: string;
  /** The manifest that starts it. */
  manifest: string;
  /** A binary it needs, checked before anything starts; absent for the reference servers. */
  binary?: string;
  /** The Debian package of `binary`, installed with apt-get when missing (and allowed). */
  aptPackage?: string;
  /** The command line whose first line of output names the version. */
  versionCommand: readonly string[];
}

const REAL_SERVERS_DIR = join(PROJECT_ROOT, 'fixtures', 'real-servers');

function realServer(name: string): string {
  return join(REAL_SERVERS_DIR, name, MANIFEST_FILE);
}

/** The stock servers, in column order. Paths can be changed as the start scripts allow. */
export function stockServers(env: NodeJS.ProcessEnv = process.env): MatrixServer[] {
  const nginx = env.GAUNTLET_NGINX ?? '/usr/sbin/nginx';
  const apache2 = env.GAUNTLET_APACHE2 ?? '/usr/sbin/apache2';
  const lighttpd = env.GAUNTLET_LIGHTTPD ?? '/usr/sbin/lighttpd';
  return [
    {
      name: 'nginx',
      manifest: join(PROJECT_ROOT, 'fixtures', 'nginx', MANIFEST_FILE),
      binary: nginx,
      aptPackage: 'nginx-light',
      versionCommand: [nginx, '-v'],
    },
    {
      name: 'apache2',
      manifest: realServer('apache2'),
      binary: apache2,
      aptPackage: 'apache2',
      versionCommand: [apache2, '-v'],
    },
    {
      name: 'lighttpd',
      manifest: realServer('lighttpd'),
      binary: lighttpd,
      aptPackage: 'lighttpd',
      versionCommand: [lighttpd, '-v'],
    },
    { name: 'http-server', manifest: realServer('http-server'), versionCommand: ['python3', '--version'] },
    { name: 'node-http', manifest: realServer('node-http'), versionCommand: [process.execPath, '--version'] },
  ];
}

/** A reference server of servers/: its version is the runtime it runs on, the code is this commit's. */
export function referenceServer(name: string, dir: string, language: string): MatrixServer {
  const runtime = language === 'python' ? ['python3', '--version'] : [process.execPath, '--version'];
  return { name, manifest: join(dir, MANIFEST_FILE), versionCommand: runtime };
}

/**
 * The servers `--only` keeps, in column order; throws naming a name that is none of them, so
 * that a typo is not a silently empty table.
 */
export function selectServers(all: readonly MatrixServer[], only: readonly string[] | null): MatrixServer[] {
  if (only === null) return [...all];
  const known = all.map((s) => s.name);
  const unknown = only.filter((n) => !known.includes(n));
  if (unknown.length > 0)
    throw new MatrixUsageError(`--only: no server named ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return all.filter((s) => only.includes(s.name));
}

/** The first line of a version command's output, without the label some servers put before it. */
export function versionLine(output: string): string {
  const line = output.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.replace(/^(?:Server version|nginx version):\s*/, '').trim();
}
