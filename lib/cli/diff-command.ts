/**
 * `gauntlet diff`: differential testing of servers. Parses the command line (diff-args.ts),
 * opens the report folder, runs lib/diff/ with Ctrl-C taken over (the first stops the search and
 * keeps what was found), prints the report on stdout and writes diff.json.
 */
import { describeRuntimeSelection } from './args.ts';
import {
  EXIT_FAILED,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
  announceReports,
  openRunStore,
  printUsage,
  refusedForEngine,
  runFolderName,
  whileInterruptible,
} from './command.ts';
import { processClause } from './progress.ts';
import { DIFF_USAGE, parseDiffArgs } from './diff-args.ts';
import { runDiff, type DiffEvents } from '../diff/run.ts';
import { renderDiffReport } from '../diff/report.ts';
import { writeDiffJson, type DiffRun } from '../diff/record.ts';

/** The line naming the seed, printed before anything runs. */
export function diffSeedLine(seed: number): string {
  return `diff: seed ${seed}; GAUNTLET_SEED=${seed} (or --seed ${seed}) replays`;
}

/** Progress on stderr: servers starting, then a line every hundred requests. */
function diffProgress(stream: NodeJS.WriteStream): DiffEvents {
  return {
    starting: (spec, i, n) => stream.write(`[${i + 1}/${n}] starting ${spec.name}\n`),
    ready: (server) => stream.write(`  ${server.name} ready at ${server.url}${processClause(server)}\n`),
    failed: (name, message) => stream.write(`  ${name}: FAILED ${message}\n`),
    searching: (servers, requests) =>
      stream.write(`sending up to ${requests} generated requests to ${servers} servers\n`),
    progress: (done, budget) => stream.write(`  ${done}/${budget} requests, no disagreement so far\n`),
  };
}

/** The exit code of a run: 0 agreed, 1 disagreed or could not compare, 130 interrupted. */
export function diffExitCode(run: DiffRun): number {
  if (run.verdict !== 'agree') return EXIT_FAILED;
  return run.status === 'interrupted' ? EXIT_INTERRUPTED : EXIT_OK;
}

/**
 * `gauntlet diff`. Exit codes: 0 the servers agree on every request sent; 1 a disagreement
 * beyond the quirks, or a server that did not start or stopped answering; 2 usage; 130
 * interrupted with no disagreement found (one found before Ctrl-C is still 1).
 */
export async function diffCommand(argv: string[]): Promise<number> {
  const args = await parseDiffArgs(argv);
  if (args.help) return printUsage(DIFF_USAGE);
  if (await refusedForEngine('gauntlet diff', args.runtime)) return EXIT_USAGE;
  const store = await openRunStore({
    label: 'gauntlet diff',
    out: args.out,
    defaultName: runFolderName('', '-diff'),
    summary: `${args.servers.map((s) => s.name).join(' vs ')}, up to ${args.requests} requests, ${describeRuntimeSelection(args)}${args.tls ? ', over TLS' : ''}${args.quirksFile ? `, quirks from ${args.quirksFile}` : ''}`,
  });
  process.stderr.write(`${diffSeedLine(args.seed)}\n`);
  const run = await whileInterruptible('stopping the search and reporting what was found', (signal) =>
    runDiff(
      {
        servers: args.servers,
        root: args.root,
        seed: args.seed,
        requests: args.requests,
        timeLimitMs: args.timeLimitMs,
        ...(args.shrinkPath !== undefined && { path: args.shrinkPath }),
        quirks: args.quirks,
        quirksFile: args.quirksFile,
        signal,
        runtime: args.runtime,
        cpus: args.cpus,
        memoryMb: args.memoryMb,
        tls: args.tls,
        insecure: args.insecure,
      },
      diffProgress(process.stderr),
    ),
  );
  process.stdout.write(`\n${renderDiffReport(run)}\n`);
  announceReports([await writeDiffJson(store, run)]);
  return diffExitCode(run);
}
