/**
 * npm run servers:matrix -- [--only NAME[,NAME]] [--out FILE] [--no-install] [--allow-unexplained]
 *
 * Writes docs/servers.md: every conformance case against stock servers and the reference
 * servers, with the explanation of each failure from docs/servers-deviations.json
 * (lib/servers-matrix/). Exit 1 when a failure has no explanation or an explanation no failure,
 * 2 on a bad argument.
 */
import { MatrixUsageError, parseMatrixOptions, USAGE, type MatrixOptions } from '../lib/servers-matrix/options.ts';
import { serversMatrix } from '../lib/servers-matrix/matrix.ts';

let opts: MatrixOptions;
try {
  opts = parseMatrixOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`servers:matrix: ${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
try {
  process.exitCode = await serversMatrix(opts, (line) => process.stdout.write(`${line}\n`));
} catch (err) {
  if (!(err instanceof MatrixUsageError)) throw err;
  process.stderr.write(`servers:matrix: ${err.message}\n`);
  process.exitCode = 2;
}
