#!/usr/bin/env node
// The layout rules ESLint cannot state (docs/architecture.md, "Rules of the tree"):
//   1. lib/ has no import cycle (type-only imports included: a cycle of types still ties the
//      modules' order of reading together);
//   2. nothing in lib/ reads spec/: the shipped harness must not depend on its own tests.
// Exits 1 naming every cycle and every offending line; 0 when the tree keeps both rules.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';

const root = fileURLToPath(new URL('..', import.meta.url));
const lib = join(root, 'lib');
const problems = [];

const graph = await madge(lib, {
  fileExtensions: ['ts'],
  tsConfig: join(root, 'tsconfig.json'),
  detectiveOptions: { ts: { skipTypeImports: false } },
});
for (const cycle of graph.circular()) problems.push(`import cycle: ${cycle.map((f) => `lib/${f}`).join(' -> ')}`);

// A path into the test tree, as a module specifier or a path segment in a string.
const SPEC_PATH = /(['"`]|\.\.\/)spec\/|['"`]spec['"`]/;
function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) yield path;
  }
}
for (const file of files(lib)) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '').trim();
      if (code.startsWith('*') || code.startsWith('/*')) return;
      if (SPEC_PATH.test(code)) problems.push(`${relative(root, file)}:${i + 1}: reads the test tree: ${line.trim()}`);
    });
}

if (problems.length > 0) {
  console.error(`layout: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(
  `layout: ${graph.obj() ? Object.keys(graph.obj()).length : 0} modules in lib/, no import cycle, nothing reads spec/`,
);
