import { benchCommand } from './bench-command.ts';
import { checkCommand } from './check-command.ts';
import { gateCommand } from './gate-command.ts';
import { baselineCommand } from './baseline-command.ts';
import { UsageError } from './args.ts';

export const USAGE = `usage: gauntlet <command> [options]

commands:
  bench    measure servers over a matrix of requests x concurrency, as ApacheBench does (npm start)
  check    run the HTTP/1.1 conformance cases against servers: a grid, JUnit XML, JSON and HTML
  gate     check perf claims soundly (gauntlet.config.ts): interleaved, repeated, significance and tolerance
  baseline save or show the baseline that gates compare each server with (regression alerts)
  help     this text

Run "gauntlet <command> --help" for a command's options.`;

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'bench':
        return await benchCommand(rest);
      case 'check':
        return await checkCommand(rest);
      case 'gate':
        return await gateCommand(rest);
      case 'baseline':
        return await baselineCommand(rest);
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
      const usage =
        command === 'bench' ? (await import('./args.ts')).BENCH_USAGE : command === 'check' ? (await import('./check-command.ts')).CHECK_USAGE : USAGE;
      const perfUsage =
        command === 'gate' ? (await import('./gate-command.ts')).GATE_USAGE : command === 'baseline' ? (await import('./baseline-command.ts')).BASELINE_USAGE : null;
      process.stderr.write(`gauntlet: ${err.message}\n\n${perfUsage ?? usage}\n`);
      return 2;
    }
    process.stderr.write(`gauntlet: ${(err as Error).message}\n`);
    return 1;
  }
}
