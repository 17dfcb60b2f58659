import { join } from 'node:path';
import { parseBenchArgs, BENCH_USAGE } from './args.ts';
import { progressReporter } from './progress.ts';
import { runBench } from '../bench.ts';
import { killAllNow } from '../launcher.ts';
import { ResultsStore, timestampName } from '../results-store.ts';
import { REPORTS_DIR } from '../paths.ts';
import { writeReportFiles, renderTerminalReport } from '../report/files.ts';

/**
 * `gauntlet bench`: the main job. Exit codes: 0 all measured; 1 a server failed to start or
 * crashed (the others were still measured); 2 usage; 130 interrupted (what was measured is kept).
 */
export async function benchCommand(argv: string[]): Promise<number> {
  const args = await parseBenchArgs(argv);
  if (args.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  const store = await ResultsStore.create(args.out ?? join(REPORTS_DIR, timestampName(new Date())));
  process.stderr.write(
    `gauntlet bench: ${args.servers.length} server(s), matrix ${args.matrix.name}, mode ${args.mode}, path ${args.path}\n` +
      `  writing to ${store.dir}\n`,
  );

  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write(`\n${signal}: stopping the server and writing what was measured (again to quit at once)\n`);
      abort.abort();
    } else {
      killAllNow();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const results = await runBench(
      {
        servers: args.servers,
        matrix: args.matrix,
        mode: args.mode,
        path: args.path,
        root: args.root,
        warmup: args.warmup,
        timeoutMs: args.timeoutMs,
        store,
        signal: abort.signal,
      },
      progressReporter(),
    );
    process.stdout.write(`\n${renderTerminalReport(results, { color: Boolean(process.stdout.isTTY) })}\n`);
    const files = await writeReportFiles(store, results);
    process.stderr.write(`\nreports: ${[store.resultsFile, ...files].join(', ')}\n`);
    if (results.status === 'interrupted') return 130;
    return results.servers.some((s) => s.error) ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
