/**
 * A run of cases against one server: a few at a time, with what only a whole run can see.
 *
 * - a case whose connection the server refused or did not accept is run again on its own,
 *   with nothing else in flight, before its failure stands;
 * - after `probeAfterUnanswered` unanswered cases in a row, GET / is sent with nothing else in
 *   flight; if it gets no response either, the server has stopped answering, and the cases
 *   not yet run get `not-run` with that reason;
 * - with a `watch`, an exit of the server makes the cases then in flight suspects (exits.ts);
 *   the server is restarted (at most `maxRestarts` times); when it cannot be, the cases left
 *   get `not-run`: the server is down;
 * - against a server that runs already and cannot be restarted (`attached`, a server given by
 *   URL), a refused connection makes the probe due at once: when the probe gets no answer, the
 *   cases refused meanwhile and those not yet run get `not-run`, the server stopped answering.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { CaseDefinition, CaseResult, ServerDeath } from '../types.ts';
import { compactExchange, requestBytes } from '../raw-client.ts';
import { errorText, runCase, targetName, type CaseTarget } from './case.ts';
import { killerReason, looksGone, SuspectGroups, type ServerExit, type ServerWatch } from './exits.ts';
import { probeAnswering, unanswered } from './probes.ts';
import { requestMethods } from './request-methods.ts';
import { SharedExchanges } from './shared-exchanges.ts';

export interface RunCasesOptions {
  /** How many cases run at once (default 8); each case is its own connection. */
  concurrency?: number;
  /** Stops starting new cases; the ones started finish. */
  signal?: AbortSignal;
  /** Called as each case finishes (in completion order). */
  onResult?: (result: CaseResult, done: number, total: number) => void;
  /**
   * Unanswered cases in a row after which the server is probed on its own (default
   * UNANSWERED_BEFORE_PROBE; 0 never probes). A probe that gets no response stops the run.
   */
  probeAfterUnanswered?: number;
  /** Watches a server the caller started: its exits are found, it is restarted, the case that killed it named. */
  watch?: ServerWatch;
  /** Most restarts of a watched server (default MAX_RESTARTS); after that it is down. */
  maxRestarts?: number;
  /** Called when a watched server has exited, once the run has dealt with it (restarted it or not). */
  onExit?: (death: ServerDeath) => void;
  /** The server runs already and is never restarted: a refused connection is probed at once. */
  attached?: boolean;
}

/** What a run of cases against one server found, beyond the verdicts. */
export interface CasesRun {
  /** In the order of the cases; cases not started because of `signal` are left out. */
  results: CaseResult[];
  /** Each exit of a watched server. */
  deaths: ServerDeath[];
  /** Why the run stopped early, when the server stopped answering. */
  stoppedAnswering?: string;
}

/** Unanswered cases in a row before the server is probed. */
export const UNANSWERED_BEFORE_PROBE = 4;
/** Most restarts of a server that keeps exiting. */
export const MAX_RESTARTS = 5;
/** How long a result that looks like the server went away waits for news of its exit, ms. */
const EXIT_NOTICE_MS = 300;

/**
 * What the results of one run keep of the bytes servers sent: each keeps what it received (up
 * to RECEIVE_KEEP_BYTES) until the run has kept this much, and COMPACT_KEEP_BYTES after. A
 * healthy server stays far below (its biggest responses are a few hundred KiB in all); one
 * that floods every case cannot make a run hold hundreds of MiB. Verdicts are decided on the
 * whole exchange before it is kept, so these bound memory, never what a case can judge.
 */
export const RUN_RETAIN_BYTES = 4 * 1024 * 1024;
export const COMPACT_KEEP_BYTES = 8 * 1024;

/** How a case is run: in the pool, or alone (a refused case tried again, or a suspect of an exit). */
type RunKind = 'normal' | 'retry' | 'suspect';

/** A case waiting to run alone, with what it got the first time. */
interface Solo {
  i: number;
  kind: 'retry' | 'suspect';
  earlier: CaseResult;
}

function notRun(c: CaseDefinition, server: string, why: string): CaseResult {
  return { caseId: c.id, server, verdict: 'not-run', reason: `not run: ${why}`, exchange: null, durationMs: 0 };
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** A promise the run's loop waits on, settled whenever something it waits for happens. */
class Wakeup {
  wake: () => void = () => {};
  woken: Promise<void> = Promise.resolve();

  constructor() {
    this.next();
  }

  next(): void {
    this.woken = new Promise<void>((r) => (this.wake = r));
  }
}

/** The state of one run; `run()` is its loop. Cases are known by their index in `cases`. */
class CaseRun {
  private readonly concurrency: number;
  private readonly probeAfter: number;
  private readonly maxRestarts: number;
  private readonly server: string;
  private target: CaseTarget;
  private readonly results: Array<CaseResult | undefined>;
  private readonly deaths: ServerDeath[] = [];
  private done = 0;
  private retained = 0;
  private readonly suspects = new SuspectGroups((i, r) => this.emit(i, r));
  private readonly queue: number[];
  private readonly solos: Solo[] = [];
  /** Cases an attached server refused, held until the probe says whether it is gone. */
  private readonly refused: Solo[] = [];
  /** Cases started and not yet settled; those still exchanging count against the concurrency. */
  private readonly pending = new Map<number, Promise<void>>();
  private readonly exchanging = new Set<number>();
  /** Results of cases in flight when the server exited, held until the exit is dealt with. */
  private readonly heldAtExit = new Map<number, CaseResult>();
  private inFlightAtExit: number[] = [];
  private exit: ServerExit | null = null;
  private unansweredRun = 0;
  private probeDue = false;
  private stopped: string | null = null;
  private restarts = 0;
  /** Results held a moment for news of an exit: no case starts while there are any. */
  private wary = 0;
  private readonly wakeup = new Wakeup();
  /** Cases that send the same bytes are judged on one exchange, in the pool; alone, each makes its own. */
  private readonly shared: SharedExchanges;
  private exitNews: Promise<ServerExit> = new Promise(() => {});

  constructor(
    private readonly cases: readonly CaseDefinition[],
    first: CaseTarget,
    private readonly opts: RunCasesOptions,
  ) {
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 8));
    this.probeAfter = Math.max(0, Math.floor(opts.probeAfterUnanswered ?? UNANSWERED_BEFORE_PROBE));
    this.maxRestarts = opts.maxRestarts ?? MAX_RESTARTS;
    this.server = targetName(first);
    this.target = { ...first, name: this.server };
    this.results = new Array<CaseResult | undefined>(cases.length);
    this.queue = cases.map((_, i) => i);
    this.shared = new SharedExchanges(cases);
    this.watchExit();
  }

  /** The result as kept: its exchanges compacted once the run has kept RUN_RETAIN_BYTES. */
  private keep(i: number, r: CaseResult): CaseResult {
    const c = this.cases[i]!;
    const limit = this.retained >= RUN_RETAIN_BYTES ? COMPACT_KEEP_BYTES : Number.MAX_SAFE_INTEGER;
    const out = { ...r };
    if (r.exchange)
      out.exchange = compactExchange(r.exchange, limit, c.methods ?? requestMethods(requestBytes(c.request)));
    if (r.aliveExchange) out.aliveExchange = compactExchange(r.aliveExchange, limit, ['GET']);
    this.retained += (out.exchange?.received.length ?? 0) + (out.aliveExchange?.received.length ?? 0);
    return out;
  }

  private emit(i: number, given: CaseResult): void {
    const r = this.keep(i, given);
    const counted = this.results[i] === undefined;
    this.results[i] = r;
    if (counted) this.done += 1;
    this.opts.onResult?.(r, this.done, this.cases.length);
  }

  private watchExit(): void {
    if (!this.opts.watch) return;
    const watching = this.opts.watch.exited();
    this.exitNews = watching;
    void watching.then((e) => {
      if (this.exitNews !== watching) return;
      this.exit = e;
      this.inFlightAtExit = [...this.pending.keys()];
      this.wakeup.wake();
    });
  }

  /** Waits for news of an exit, at most EXIT_NOTICE_MS. */
  private async noticeExit(): Promise<void> {
    await Promise.race([this.exitNews, delay(EXIT_NOTICE_MS)]);
  }

  private settleResult(i: number, r: CaseResult, kind: RunKind): void {
    // A case in flight at the exit that saw the server go is a suspect; one answered in full is not.
    if (this.exit && this.inFlightAtExit.includes(i) && looksGone(r)) {
      this.heldAtExit.set(i, r);
      return;
    }
    if (unanswered(r)) this.unansweredRun += 1;
    else this.unansweredRun = 0;
    // An answer before the probe is made says what the probe would: the server answers.
    this.probeDue = this.probeAfter > 0 && this.unansweredRun >= this.probeAfter;
    if (kind === 'normal' && r.exchange?.connectFailure) {
      const held = { i, kind: 'retry' as const, earlier: r };
      if (this.opts.attached) {
        this.refused.push(held);
        this.probeDue = true;
      } else this.solos.push(held);
      return;
    }
    if (kind === 'suspect' && this.suspects.replayed(i, r)) return;
    if (kind === 'retry' && r.exchange?.connectFailure) {
      this.emit(i, { ...r, reason: `${r.reason}; the same when tried again alone` });
      return;
    }
    this.emit(i, r);
  }

  private async runOne(i: number, kind: RunKind, at: CaseTarget): Promise<void> {
    const c = this.cases[i]!;
    let r: CaseResult;
    try {
      r = await runCase(c, at, kind === 'normal' ? (sc, perform) => this.shared.exchangeFor(sc, perform) : undefined);
    } catch (err) {
      // runCase turns every problem into a verdict; anything left is a fault of the harness.
      r = {
        caseId: c.id,
        server: this.server,
        verdict: 'harness-error',
        reason: `the harness failed running the case: ${errorText(err)}`,
        exchange: null,
        durationMs: 0,
      };
    }
    this.exchanging.delete(i);
    // News of an exit comes a moment after the server's sockets close: a result that looks as
    // if the server went away is held that long, and no case starts meanwhile, so that the
    // suspects of an exit are the cases that were in flight, not the ones refused after it.
    const wait = this.opts.watch && !this.exit && looksGone(r);
    if (wait) this.wary += 1;
    this.wakeup.wake();
    if (wait) {
      await this.noticeExit();
      this.wary -= 1;
    }
    this.settleResult(i, r, kind);
  }

  private start(i: number, kind: RunKind): Promise<void> {
    this.exchanging.add(i);
    const work = this.runOne(i, kind, this.target).finally(() => {
      this.pending.delete(i);
      this.wakeup.wake();
    });
    this.pending.set(i, work);
    return work;
  }

  private giveUp(why: string): void {
    this.stopped ??= why;
    for (const s of this.refused.splice(0)) this.emit(s.i, notRun(this.cases[s.i]!, this.server, why));
    for (const s of this.solos.splice(0)) {
      if (s.kind === 'retry') this.emit(s.i, { ...s.earlier, reason: `${s.earlier.reason}; not tried again: ${why}` });
      else this.emit(s.i, this.suspects.abandoned(s.i) ?? notRun(this.cases[s.i]!, this.server, why));
    }
    this.suspects.closeAll();
    for (const i of this.queue.splice(0)) this.emit(i, notRun(this.cases[i]!, this.server, why));
  }

  /** The suspects of an exit: a lone one is the case that did it; several are run again alone. */
  private judgeSuspects(e: ServerExit, death: ServerDeath, suspects: number[]): void {
    if (suspects.length === 1) {
      const i = suspects[0]!;
      const killer = this.cases[i]!.id;
      death.caseId = killer;
      // Found by running the suspects of an earlier exit one at a time: that exit was its doing too.
      for (const d of this.deaths) if (d.caseId === undefined && d.inFlight.includes(killer)) d.caseId = killer;
      this.emit(i, { ...this.heldAtExit.get(i)!, verdict: 'fail', reason: killerReason(e) });
      this.suspects.found(i);
    } else if (suspects.length > 1) {
      // Run each again alone, first of all, to find the one that kills the server.
      this.suspects.open(death, e, new Map(suspects.map((i) => [i, this.heldAtExit.get(i)!])));
      this.solos.unshift(...suspects.map((i) => ({ i, kind: 'suspect' as const, earlier: this.heldAtExit.get(i)! })));
    }
  }

  /** An exit: name the case that did it (or queue the suspects), and start the server again. */
  private async afterExit(e: ServerExit): Promise<void> {
    await Promise.all(this.pending.values());
    const suspects = this.inFlightAtExit.filter((i) => this.heldAtExit.has(i));
    this.exit = null;
    this.inFlightAtExit = [];
    const death: ServerDeath = {
      exit: e.exit,
      outputTail: e.outputTail,
      inFlight: suspects.map((i) => this.cases[i]!.id),
      restarted: false,
    };
    this.deaths.push(death);
    this.judgeSuspects(e, death, suspects);
    this.heldAtExit.clear();
    if (this.restarts >= this.maxRestarts) {
      death.notRestartedBecause = `it exited ${this.deaths.length} times; restarted at most ${this.maxRestarts} times`;
      this.opts.onExit?.(death);
      return this.giveUp(`the server is down: ${death.notRestartedBecause}`);
    }
    this.restarts += 1;
    const again = await this.opts.watch!.restart();
    if ('error' in again) {
      death.notRestartedBecause = `it did not start again: ${firstLine(again.error)}`;
      this.opts.onExit?.(death);
      return this.giveUp(`the server is down (${e.exit}); ${death.notRestartedBecause}`);
    }
    death.restarted = true;
    this.target = { ...this.target, host: again.host, port: again.port };
    this.unansweredRun = 0;
    this.watchExit();
    this.opts.onExit?.(death);
  }

  /** The stop-answering probe, made with nothing else in flight. */
  private async probe(): Promise<void> {
    this.probeDue = false;
    const inARow = this.unansweredRun;
    const seen = this.refused.length > 0 ? 'a connection was refused' : `${inARow} cases in a row got no answer`;
    const problem = await probeAnswering(this.target);
    if (problem !== null && this.opts.watch && !this.exit) await this.noticeExit();
    // Refused while the server answers: tried again alone, as any refused case.
    if (this.exit || problem === null) this.solos.push(...this.refused.splice(0));
    if (this.exit) return;
    if (problem === null) this.unansweredRun = 0;
    else this.giveUp(`the server stopped answering: ${seen}, then GET / on a fresh connection ${problem}`);
  }

  /** Nothing new starts, no probe either; the cases tried once keep what they got. */
  private abort(): void {
    this.queue.length = 0;
    this.probeDue = false;
    for (const s of [...this.refused.splice(0), ...this.solos.splice(0)]) this.emit(s.i, s.earlier);
  }

  /** One turn of the loop: false once every case is settled. */
  private async step(): Promise<boolean> {
    this.wakeup.next();
    if (this.exit) {
      await this.afterExit(this.exit);
      return true;
    }
    if (this.opts.signal?.aborted && !this.stopped) this.abort();
    if (this.stopped) this.giveUp(this.stopped);
    const idle = this.pending.size === 0;
    const solo = this.solos[0];
    // The probe and a case run alone wait until nothing else is in flight.
    if ((this.probeDue || solo) && !this.stopped && !idle) {
      await this.wakeup.woken;
      return true;
    }
    if (this.probeDue && !this.stopped) {
      await this.probe();
      return true;
    }
    if (solo && !this.stopped) {
      this.solos.shift();
      await this.start(solo.i, solo.kind);
      return true;
    }
    if (!this.stopped && this.queue.length > 0 && this.exchanging.size < this.concurrency && this.wary === 0) {
      void this.start(this.queue.shift()!, 'normal');
      return true;
    }
    if (idle && this.queue.length === 0 && this.solos.length === 0) return false;
    await Promise.race([this.wakeup.woken, this.exitNews.then(() => undefined)]);
    return true;
  }

  async run(): Promise<CasesRun> {
    while (await this.step());
    const stoppedAnswering =
      this.stopped && !this.deaths.some((d) => !d.restarted) ? { stoppedAnswering: this.stopped } : {};
    return {
      results: this.results.filter((r): r is CaseResult => r !== undefined),
      deaths: this.deaths,
      ...stoppedAnswering,
    };
  }
}

/**
 * Runs cases against one server, a few at a time, and resolves with their results in the
 * order of `cases`, and what happened to the server on the way (see the top of this file).
 */
export function runCasesDetailed(
  cases: readonly CaseDefinition[],
  first: CaseTarget,
  opts: RunCasesOptions = {},
): Promise<CasesRun> {
  return new CaseRun(cases, first, opts).run();
}

/**
 * Runs cases against one server, a few at a time, and resolves with their results in the
 * order of `cases` (see runCasesDetailed for what a run does about a server that fails it).
 */
export async function runCases(
  cases: readonly CaseDefinition[],
  target: CaseTarget,
  opts: RunCasesOptions = {},
): Promise<CaseResult[]> {
  return (await runCasesDetailed(cases, target, opts)).results;
}
