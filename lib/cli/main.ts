import { benchCommand } from './bench-command.ts';
import { UsageError } from './args.ts';

export const USAGE = `usage: gauntlet <command> [options]

commands:
  bench    measure servers over a matrix of requests x concurrency, as ApacheBench does (npm start)
  help     this text

Run "gauntlet <command> --help" for a command's options.`;

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'bench':
        return await benchCommand(rest);
      case undefined:
      case 'help':
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`gauntlet: ${err.message}\n\n${command === 'bench' ? (await import('./args.ts')).BENCH_USAGE : USAGE}\n`);
      return 2;
    }
    process.stderr.write(`gauntlet: ${(err as Error).message}\n`);
    return 1;
  }
}
