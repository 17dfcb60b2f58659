/**
 * What the measuring commands say on stderr while they run: stdout is kept for the report
 * itself, so that it can be piped. On a terminal a line is rewritten as work completes;
 * elsewhere (CI logs), or with NO_COLOR set (no escape code at all, color.ts), each step gets its
 * own line, so that logs stay readable.
 */
import { observationOf } from '../url-server.ts';
import type { BenchEvents } from '../bench.ts';
import type { GateEvents } from '../perf/gate.ts';
import type { CellResult, RuntimeInfo } from '../types.ts';
import { describeRuntime } from '../report/run-info.ts';
import type { ServerSpec } from '../types.ts';
import type { CaseResult, ServerDeath } from '../conformance/types.ts';
import type { RunningServer } from '../launcher.ts';
import type { CheckEvents } from '../conformance/check-run.ts';
import { countVerdicts, countsLine } from '../conformance/summary.ts';
import { propertyCountsLine, type PropertyRecord } from '../conformance/properties/record.ts';
import { sanitizeTerminal } from '../report/format.ts';
import { cellLabel } from '../report/format.ts';
import { rewritesLines } from './color.ts';
import type { LiveFigures } from '../load/live.ts';
import type { CellSpec } from '../types.ts';

/**
 * "(pid N) as a process" for a server Gauntlet started; "already running" for one given by URL,
 * with the pid of the process found to own its socket when there is one.
 */
export function processClause(server: RunningServer): string {
  const seen = observationOf(server);
  if (!seen) return `(pid ${server.pid}) ${runtimeClause(server.runtime)}`;
  return seen.observed ? `(pid ${seen.pid}), already running` : 'already running';
}

/** "as a process", or "in a container, 1 CPU, 512 MiB, base ..., built in 3.2 s": after "is up at URL (pid N)". */
export function runtimeClause(runtime: RuntimeInfo | undefined): string {
  return runtime?.kind === 'container' ? `in a ${describeRuntime(runtime)}` : 'as a process';
}

/** Seconds into a cell of a count after which its live figures are shown: shorter cells end first. */
export const LIVE_AFTER_S = 2;

/** Whether a look at a cell under way is shown: always in a cell of a duration, after LIVE_AFTER_S in the others. */
export function showsLive(cell: Pick<CellSpec, 'durationS'>, figures: Pick<LiveFigures, 'elapsedS'>): boolean {
  return cell.durationS !== undefined || figures.elapsedS >= LIVE_AFTER_S;
}

/** "12 s: 8123 req/s, p99 1.23 ms so far" (and the failures so far, when there are any). */
export function liveLine(f: LiveFigures): string {
  const p99 = f.p99Us === null ? 'no request complete yet' : `p99 ${(f.p99Us / 1000).toFixed(2)} ms so far`;
  const failed = f.failed > 0 ? `, ${f.failed} failed` : '';
  return `${Math.floor(f.elapsedS)} s: ${Math.round(f.requestsPerSecond)} req/s, ${p99}${failed}`;
}

/** A line cut to fit `columns` characters (a terminal's width; unknown: left whole). */
export function fitTo(line: string, columns: number | undefined): string {
  return columns !== undefined && columns > 1 && line.length >= columns ? line.slice(0, columns - 1) : line;
}

/**
 * Progress of a bench run on stderr: on a terminal one line rewritten as requests complete,
 * elsewhere (CI logs) one line per cell, so that logs stay readable. A long cell also shows,
 * every second, its requests per second and its p99 so far: on a terminal at the end of the
 * rewritten line, elsewhere as a line of its own.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): BenchEvents {
  const tty = rewritesLines(stream);
  let prefix = '';
  let lastDraw = 0;
  let cellNow: CellSpec | null = null;
  let doneText = '';
  let live = '';
  const clear = () => {
    if (tty) stream.write('\r\x1b[2K');
  };
  // Cut to the terminal's width: a line that wraps can no longer be rewritten in place.
  const draw = () => stream.write(`\r\x1b[2K${fitTo(`${prefix}${doneText}${live}`, stream.columns)}`);
  return {
    serverStarting(spec, index, count) {
      stream.write(`[${index + 1}/${count}] starting ${spec.name} (${spec.model}, ${spec.language})\n`);
    },
    serverReady(server) {
      stream.write(`      ${server.name} is up at ${server.url} ${processClause(server)}\n`);
    },
    serverFailed(spec, message) {
      clear();
      stream.write(`      ${spec.name} FAILED: ${message}\n`);
    },
    cellStarted(spec, cell, index, count, round) {
      const run = round && round.count > 1 ? ` (run ${round.index + 1}/${round.count})` : '';
      const size = cell.durationS !== undefined ? `${cell.durationS} s` : `${cell.requests} requests`;
      const rate = cell.rate !== undefined ? ` at ${cell.rate}/s` : '';
      prefix = `      ${spec.name} cell ${index + 1}/${count}: ${size} x ${cell.concurrency} concurrent${rate}${run}`;
      cellNow = cell;
      doneText = '';
      live = '';
      if (tty) draw();
    },
    cellProgress(done, total) {
      const now = Date.now();
      if (!tty || (now - lastDraw < 100 && done < total)) return;
      lastDraw = now;
      doneText = `  ${total > 0 ? `${done}/${total}` : done}`;
      draw();
    },
    cellLive(figures) {
      if (!cellNow || !showsLive(cellNow, figures)) return;
      if (!tty) {
        stream.write(`${prefix}  ${liveLine(figures)}\n`);
        return;
      }
      live = `  ${liveLine(figures)}`;
      draw();
    },
    cellDone(record) {
      clear();
      const r = record.result;
      const failed = r.failedRequests > 0 ? `, ${r.failedRequests} FAILED` : ', 0 failed';
      const non2xx = r.non2xx > 0 ? `, ${r.non2xx} non-2xx` : '';
      stream.write(
        `${prefix}: ${r.requestsPerSecond.toFixed(2)} req/s in ${r.timeTakenS.toFixed(3)} s${failed}${non2xx}${tailOf(r)}\n`,
      );
      if (r.omission) stream.write(`      ${r.omission.note}\n`);
    },
    serverStopped(spec, exit) {
      stream.write(`      ${spec.name} stopped (${exit})\n`);
    },
  };
}

/** A cell's tail percentiles and, in the open model, the rates it reached against its target. */
function tailOf(r: CellResult): string {
  const p = r.percentilesUs;
  const tail = p ? `, p99 ${(p.p99 / 1000).toFixed(2)} ms, p99.9 ${(p.p99_9 / 1000).toFixed(2)} ms` : '';
  const o = r.open;
  if (!o) return tail;
  return `${tail}; target ${o.targetRate}/s, sent ${o.achievedRate.toFixed(1)}/s, completed ${o.completedRate.toFixed(1)}/s`;
}

/** Progress on stderr: one line per server and per measured cell. */
export function gateProgress(stream: NodeJS.WriteStream = process.stderr): GateEvents {
  const tty = rewritesLines(stream);
  let prefix = '';
  return {
    serverStarting: (name) => stream.write(`starting ${name}\n`),
    serverReady: (server) => stream.write(`  ${server.name} is up at ${server.url} ${processClause(server)}\n`),
    serverFailed: (name, message) => stream.write(`  ${name} FAILED: ${message}\n`),
    cellStarted: (mode, cell, sides, attempt) => {
      prefix = `${mode} ${cellLabel(cell)}: ${sides.join(' vs ')}${attempt > 0 ? ' (measured once more)' : ''}`;
      if (tty) stream.write(`\r\x1b[2K${prefix}  warming up`);
    },
    round: (m) => {
      if (tty) stream.write(`\r\x1b[2K${prefix}  round ${m.rounds}, ${(m.elapsedMs / 1000).toFixed(1)} s`);
    },
    cellDone: (m, failing) => {
      if (tty) stream.write('\r\x1b[2K');
      const batch = m.sides[0]?.batch ?? 1;
      stream.write(
        `${prefix}  ${m.rounds} rounds${batch > 1 ? ` x ${batch} runs` : ''}, ${(m.elapsedMs / 1000).toFixed(1)} s (${m.stoppedBy})` +
          (failing.length ? `; failing: ${failing.join('; ')}` : '') +
          '\n',
      );
    },
  };
}

/** What a check reports while it goes, on stderr (also used by `gauntlet bench`). */
export function checkProgress(stream: NodeJS.WriteStream): CheckEvents {
  const tty = rewritesLines(stream);
  let lastDraw = 0;
  return {
    starting(spec: ServerSpec, i: number, n: number) {
      stream.write(`[${i + 1}/${n}] ${spec.url ? 'attaching to' : 'starting'} ${sanitizeTerminal(spec.name)}\n`);
    },
    ready(server: RunningServer, cases: number) {
      stream.write(`      up at ${server.url} ${processClause(server)}; ${cases} case${cases === 1 ? '' : 's'}\n`);
    },
    result(_r: CaseResult, done: number, total: number) {
      const now = Date.now();
      if (!tty || (now - lastDraw < 100 && done < total)) return;
      lastDraw = now;
      stream.write(`\r\x1b[2K      ${done}/${total}`);
    },
    finished(name: string, results: CaseResult[], ms: number) {
      if (tty) stream.write('\r\x1b[2K');
      stream.write(
        `      ${sanitizeTerminal(name)}: ${countsLine(countVerdicts(results))} (${(ms / 1000).toFixed(1)} s)\n`,
      );
    },
    failed(name: string, message: string) {
      if (tty) stream.write('\r\x1b[2K');
      stream.write(`      ${sanitizeTerminal(name)} FAILED: ${sanitizeTerminal(message)}\n`);
    },
    exited(name: string, death: ServerDeath, server: RunningServer) {
      if (tty) stream.write('\r\x1b[2K');
      const during = death.caseId
        ? ` during ${death.caseId}`
        : death.inFlight.length > 0
          ? ` with ${death.inFlight.length} case(s) in flight`
          : '';
      const then = death.restarted
        ? `restarted at ${server.url} (pid ${server.pid})`
        : `not restarted: ${death.notRestartedBecause ?? ''}`;
      stream.write(
        `      ${sanitizeTerminal(name)} exited (${death.exit})${sanitizeTerminal(during)}; ${sanitizeTerminal(then)}\n`,
      );
    },
    propertiesStarting(name: string, count: number) {
      stream.write(`      ${count} propert${count === 1 ? 'y' : 'ies'} against ${sanitizeTerminal(name)}\n`);
    },
    propertiesFinished(name: string, records: PropertyRecord[], ms: number) {
      stream.write(
        `      ${sanitizeTerminal(name)}: properties ${propertyCountsLine(records)} (${(ms / 1000).toFixed(1)} s)\n`,
      );
    },
  };
}
