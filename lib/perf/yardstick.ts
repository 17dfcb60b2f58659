import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerSpec } from '../types.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The yardstick server (yardstick-server.ts) as a server the launcher can start. */
export function yardstickSpec(): ServerSpec {
  return {
    name: 'yardstick',
    model: 'async',
    language: 'typescript',
    description: 'a trivial server measured next to the others, whose figures are expressed relative to it',
    command: 'node --import tsx yardstick-server.ts {port}',
    cwd: HERE,
    source: join(HERE, 'yardstick-server.ts'),
  };
}
