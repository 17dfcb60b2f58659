/**
 * The CLI's entry: which command runs, and how an error that escapes a command becomes a message
 * and an exit code (usage errors name the flag; anything else is one line, never a stack trace).
 */
import { benchCommand } from './bench-command.ts';
import { checkCommand } from './check-command.ts';
import { gateCommand } from './gate-command.ts';
import { baselineCommand } from './baseline-command.ts';
import { initCommand } from './init-command.ts';
import { diffCommand } from './diff-command.ts';
import { workerCommand } from './worker-command.ts';
import { mergeCommand } from './merge-command.ts';
import { gauntletVersion } from '../machine.ts';
import { UsageError } from './args.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './command.ts';

export const USAGE = `usage: gauntlet <command> [options]

commands:
  bench    measure servers over a matrix of requests x concurrency, as ApacheBench does (npm start)
  check    run the HTTP/1.1 conformance cases against servers: a grid, JUnit XML, JSON and HTML
  diff     send the same generated requests to several servers and report where they disagree
  merge    merge the report folders of the shards of a check or a bench (--shard i/n) into one
  gate     check perf claims soundly (gauntlet.config.ts): interleaved, repeated, significance and tolerance
  baseline save or show the baseline that gates compare each server with (regression alerts)
  worker   run Locust workers for a master started with --engine locust --locust-master HOST:PORT
  init     write a gauntlet.config.ts, a sample vitest spec and a GitHub workflow into this folder
  version  the version of gauntlet (also --version)
  help     this text

Run "gauntlet <command> --help" for a command's options. Colour: on a terminal only; NO_COLOR=1
turns it off (and every escape code), FORCE_COLOR=1 turns it on when the output is piped.`;

/** "gauntlet bench", "gauntlet baseline save": what a message of this command line starts with. */
export function commandLabel(argv: readonly string[]): string {
  const [command, sub] = argv;
  if (command === 'baseline' && (sub === 'save' || sub === 'show')) return `gauntlet baseline ${sub}`;
  return command && COMMANDS.has(command) ? `gauntlet ${command}` : 'gauntlet';
}

const COMMANDS = new Set(['bench', 'check', 'diff', 'merge', 'gate', 'baseline', 'init', 'worker']);

/**
 * A usage error as the CLI prints it: one line naming the flag and the value, then where the
 * options are described. The whole usage text would push the one line that matters off screen.
 */
export function usageMessage(argv: readonly string[], message: string): string {
  const label = commandLabel(argv);
  const hint =
    label === 'gauntlet' ? 'Run "gauntlet help" for the commands.' : `Run "${label} --help" for its options.`;
  return `${label}: ${message}\n${hint}\n`;
}

/** `gauntlet --version`: the package's version alone on stdout, for scripts to read. */
function printVersion(rest: readonly string[]): number {
  const [extra] = rest;
  if (extra !== undefined)
    throw new UsageError(`unexpected argument ${JSON.stringify(extra)}: --version takes no argument`);
  process.stdout.write(`${gauntletVersion()}\n`);
  return EXIT_OK;
}

/**
 * Runs the CLI; resolves to the process exit code: what the command returns, 2 for a usage
 * error (nothing has been started or written then), 1 for any other error.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'bench':
        return await benchCommand(rest);
      case 'check':
        return await checkCommand(rest);
      case 'diff':
        return await diffCommand(rest);
      case 'merge':
        return await mergeCommand(rest);
      case 'gate':
        return await gateCommand(rest);
      case 'baseline':
        return await baselineCommand(rest);
      case 'init':
        return await initCommand(rest);
      case 'worker':
        return await workerCommand(rest);
      case 'version':
      case '--version':
        return printVersion(rest);
      case undefined:
        process.stderr.write(`${USAGE}\n`);
        return EXIT_USAGE;
      case 'help':
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        return EXIT_OK;
      default:
        throw new UsageError(
          `unknown command ${JSON.stringify(command)}: the commands are bench, check, diff, merge, gate, baseline, init and worker`,
        );
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(usageMessage(argv, err.message));
      return EXIT_USAGE;
    }
    process.stderr.write(`${commandLabel(argv)}: ${(err as Error).message}\n`);
    return EXIT_FAILED;
  }
}
