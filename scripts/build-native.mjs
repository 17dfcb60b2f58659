#!/usr/bin/env node
/**
 * Builds native/epoll.c into build/epoll.node: the load engine's 'epoll' transport
 * (lib/load/epoll-transport.ts). Run by npm at install (package.json "install").
 *
 * It needs Linux, a C compiler (cc, or $CC) and node's headers (node_api.h and uv.h: node's own
 * builds install them beside the binary, in <prefix>/include/node; Debian's nodejs leaves them
 * to its libnode-dev package). Without one of them it says
 * what is missing and exits 0: the engine then runs on node's TCP handles, which are slower in
 * close mode, and `npm run bench:engine` names the transport it measured.
 *
 *   node scripts/build-native.mjs            build (skipping, with a note, when it cannot)
 *   node scripts/build-native.mjs --require  the same, but exit 1 when it cannot (CI)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(ROOT, 'native', 'epoll.c');
const OUTPUT = join(ROOT, 'build', 'epoll.node');
const required = process.argv.includes('--require');

/** Where node's headers are: beside the running node, or under the prefix it was built for. */
function headerDir() {
  const candidates = [
    process.env.GAUNTLET_NODE_HEADERS,
    resolve(dirname(process.execPath), '..', 'include', 'node'),
    process.config?.variables?.node_prefix && join(process.config.variables.node_prefix, 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'node_api.h')) && existsSync(join(d, 'uv.h'))) ?? null;
}

function skip(reason) {
  const text = `build-native: the epoll transport was not built (${reason}); the load engine will use node's TCP handles`;
  console.error(text);
  process.exit(required ? 1 : 0);
}

if (process.platform !== 'linux') skip(`epoll is Linux's, and this is ${process.platform}`);
if (!existsSync(SOURCE)) skip(`${SOURCE} is missing`);
const include = headerDir();
if (include === null)
  skip("node's headers (node_api.h, uv.h) were not found; set GAUNTLET_NODE_HEADERS to their folder");
// $CC may carry its own arguments ("ccache gcc").
const [cc, ...ccArgs] = (process.env.CC || 'cc').trim().split(/\s+/);
mkdirSync(dirname(OUTPUT), { recursive: true });
const args = [...ccArgs, '-O2', '-Wall', '-Wextra', '-shared', '-fPIC', '-I', include, '-o', OUTPUT, SOURCE];
const run = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
if (run.error)
  skip(`${cc}: ${run.error.code === 'ENOENT' ? 'no C compiler (install gcc, or set CC)' : run.error.message}`);
if (run.status !== 0) skip(`${cc} ${args.join(' ')} failed:\n${run.stderr.trim()}`);
console.error(`build-native: built ${OUTPUT}`);
