/**
 * The perf gate of this repository (`npx gauntlet gate`, and the CI workflow): the claims about the
 * reference servers that the measurements of docs/perf-gates.md support, over the seed matrix,
 * with a new TCP connection per request as the seed's ab runs had.
 *
 * The seed's conclusion, "async is faster", holds for the node pair at every level (1.20x-1.71x).
 * For the python pair it does not hold at concurrency 1, where the threaded server is about 1.35x
 * faster (python-async at 0.71x-0.77x of python-threaded), nor clearly at 5 and 10 (0.88x-1.08x);
 * it holds from 30 on (0.99x-1.16x on this matrix). The claims below say exactly that, each with
 * room for the noise of this machine.
 */
import { defineConfig } from './lib/perf/config.ts';

export default defineConfig({
  servers: ['python-async', 'python-threaded', 'node-async', 'node-threaded'],
  mode: 'close',
  matrix: 'seed',
  tolerance: 0.1,
  claims: [
    'node-async > node-threaded at every c',
    'python-threaded > python-async at c=1',
    'python-async >= 0.8 * python-threaded at c=5,10',
    'python-async >= python-threaded at c>=30',
    'failed == 0',
    'non2xx == 0',
  ],
  baseline: { file: 'perf/baseline.json' },
});
