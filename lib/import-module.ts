/**
 * Imports a module a user wrote (a folder of case files, a configuration file), TypeScript
 * included. From the sources, Gauntlet runs under tsx or vitest, which load TypeScript already;
 * the built package runs on plain Node, which does not, so tsx (a dependency of the package) is
 * registered the first time a TypeScript file is imported, and only then: a run that loads no
 * TypeScript never pays for it.
 */
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/** Whether this module is itself compiled JavaScript, so that nothing loads TypeScript yet. */
const RUNNING_BUILT = import.meta.url.endsWith('.js');

let typescriptLoader: Promise<void> | null = null;

/** Registers tsx's loader once; a missing tsx is said in words a user can act on. */
function registerTypeScript(): Promise<void> {
  typescriptLoader ??= import('tsx/esm/api').then(
    ({ register }) => void register(),
    (err: unknown) => {
      throw new Error(`loading TypeScript needs tsx (npm install tsx): ${(err as Error).message}`);
    },
  );
  return typescriptLoader;
}

/** Imports the module at `path` (absolute), registering a TypeScript loader first when it is needed. */
export async function importModule(path: string): Promise<Record<string, unknown>> {
  if (RUNNING_BUILT && TYPESCRIPT_EXTENSIONS.has(extname(path))) await registerTypeScript();
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}
