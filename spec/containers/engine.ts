/**
 * Whether the container specs can run here. Without a container engine they are skipped, and the
 * skipped test's title says why and how to enable them: never failed, never silently passed.
 */
import { containerEngineStatus } from '../../lib/container/engine.ts';

export const engine = await containerEngineStatus();

/** The title of the one test that stands for a file's skipped container specs. */
export const skippedTitle = engine.available
  ? ''
  : // The reason says what is missing and how to start an engine (ContainerEngineError).
    `container specs skipped: ${engine.reason.split('\n')[0]}`;

if (!engine.available) console.warn(skippedTitle);
