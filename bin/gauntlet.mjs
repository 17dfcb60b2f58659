#!/usr/bin/env node
// The `gauntlet` command. An installed package runs its compiled JavaScript (dist/, made by
// `npm run build`) on plain Node. A checkout, which has the TypeScript sources next to this file,
// runs them through tsx, even when a build lies in dist/: a stale build would otherwise run
// instead of the code being edited and tested.
import { existsSync } from 'node:fs';

const sources = new URL('../lib/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);

let entry = built;
if (existsSync(sources) || !existsSync(built)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = sources;
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
