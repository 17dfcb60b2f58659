/**
 * What a run does when the server it started exits: the cases in flight are suspects. Alone, a
 * suspect is the case that killed the server; several are run again one at a time after a
 * restart, and the one that kills it again is named. When none does, the exit stays on all of
 * them, named honestly as cases in flight when it happened.
 */
import type { CaseResult, ServerDeath } from '../types.ts';

/** How a server that exited during a run is described. */
export interface ServerExit {
  /** "exit code 1", "killed by SIGSEGV" */
  exit: string;
  /** Its last lines of output. */
  outputTail: string;
}

/** A server the run started itself, so that it can tell when it exits and start it again. */
export interface ServerWatch {
  /** Settles when the server now running exits. */
  exited(): Promise<ServerExit>;
  /** Starts the server again after an exit: where it now listens, or why it could not start. */
  restart(): Promise<{ host: string; port: number } | { error: string }>;
}

/**
 * The line of a dying server's output that says why: the last one naming an error or a panic
 * (runtimes print a version or a stack after it), else the last line.
 */
export function tellingLine(tail: string): string {
  const lines = tail
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (
    [...lines].reverse().find((l) => /\w*(Error|Exception)\b|panic|fatal|Traceback/i.test(l) && !/^at /.test(l)) ??
    lines.at(-1) ??
    ''
  );
}

/** The reason of the case that made the server exit. */
export function killerReason(exit: ServerExit): string {
  const said = tellingLine(exit.outputTail);
  return `the server exited during this case (${exit.exit})${said ? `; its last output: ${said}` : ''}`;
}

/** A result that looks as if the server went away during it: worth a moment's wait for news of an exit. */
export function looksGone(r: CaseResult): boolean {
  const ex = r.exchange;
  if (!ex) return false;
  if (ex.connectFailure || ex.reset) return true;
  if (ex.closedBy === 'server' && ex.responses.length === 0) return true;
  return Boolean(r.aliveExchange && (r.aliveExchange.connectFailure || r.aliveExchange.reset));
}

/** The suspects of one exit, by their index in the run's cases. */
interface Suspects {
  death: ServerDeath;
  exit: ServerExit;
  /** What each got in flight when the server exited. */
  earlier: Map<number, CaseResult>;
  /** Those not yet run again alone. */
  waiting: Set<number>;
  /** What each got running alone. */
  replayed: Map<number, CaseResult>;
}

/** A suspect's first result, failed with the exit it was in flight for (how many others were, and what the server said). */
function inFlightAtExitResult(g: Suspects, i: number, alone?: CaseResult): CaseResult {
  const r = g.earlier.get(i)!;
  const others = g.earlier.size - 1;
  const said = tellingLine(g.exit.outputTail);
  const then = alone
    ? `; run alone afterwards, it ${alone.verdict === 'pass' ? 'passed' : `got: ${alone.reason}`}`
    : '';
  return {
    ...r,
    verdict: 'fail',
    reason: `the server exited (${g.exit.exit}) while this case and ${others} other${others === 1 ? ' was' : 's were'} in flight${said ? `; its last output: ${said}` : ''}${then}`,
  };
}

/** The suspects of every exit whose cases are still being run again alone. */
export class SuspectGroups {
  private readonly groups: Suspects[] = [];

  /** `emit` gives a case its final result. */
  constructor(private readonly emit: (i: number, r: CaseResult) => void) {}

  /** Several cases were in flight at an exit: each is to be run again alone. */
  open(death: ServerDeath, exit: ServerExit, earlier: Map<number, CaseResult>): void {
    this.groups.push({ death, exit, earlier, waiting: new Set(earlier.keys()), replayed: new Map() });
  }

  /** A suspect's result running alone; false when it was no suspect waiting for that. */
  replayed(i: number, r: CaseResult): boolean {
    const group = this.groups.find((g) => g.waiting.has(i));
    if (!group) return false;
    group.waiting.delete(i);
    group.replayed.set(i, r);
    this.close(group);
    return true;
  }

  /** A suspect found to kill the server on its own: its group waits for it no more. */
  found(i: number): void {
    for (const g of this.groups) {
      if (!g.waiting.delete(i)) continue;
      this.close(g);
      break;
    }
  }

  /** The result of a suspect that will not run alone after all, or undefined when it is no suspect. */
  abandoned(i: number): CaseResult | undefined {
    const group = this.groups.find((g) => g.waiting.has(i));
    return group ? inFlightAtExitResult(group, i) : undefined;
  }

  /** The run gives up: the suspects that ran alone get their results. */
  closeAll(): void {
    for (const g of this.groups.splice(0)) this.emitReplayed(g);
  }

  /**
   * Once every suspect of an exit has run alone: when one of them was found to kill the
   * server, the others keep their results of running alone; when none was, the exit stays on
   * all of them.
   */
  private close(g: Suspects): void {
    if (g.waiting.size > 0) return;
    this.groups.splice(this.groups.indexOf(g), 1);
    this.emitReplayed(g);
  }

  private emitReplayed(g: Suspects): void {
    for (const [i, alone] of g.replayed)
      this.emit(i, g.death.caseId !== undefined ? alone : inFlightAtExitResult(g, i, alone));
  }
}
