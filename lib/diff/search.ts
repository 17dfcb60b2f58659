/**
 * The search of a differential run: the property "every server understands every request the
 * same, beyond the quirks", checked by fast-check over the generated requests against servers
 * already running. The first disagreement is shrunk to a minimal request; the evidence of the
 * last failing run (the shrunk one) is kept with every server's wire log. Searching stops at the
 * budget of requests or the time limit; shrinking has its own time box. A run never throws.
 */
import fc from 'fast-check';
import { renderWireLog } from '../conformance/wire-log.ts';
import { diffRequests, type DiffRequest } from './generator.ts';
import { sendTo, type DiffTarget, type Sent } from './send.ts';
import { SILENCE_ALIVE, SILENCE_CONNECTION, understood } from './understood.ts';
import { compareUnderstandings, type Comparison, type ServerUnderstanding } from './compare.ts';
import type { Quirk, RequestFacts } from './quirks.ts';
import { timeBox } from '../conformance/properties/time-box.ts';

export interface SearchOptions {
  root: string;
  seed: number;
  /** Most requests to send. */
  requests: number;
  /** Stop trying new requests after this long, ms. */
  timeLimitMs: number;
  /** Stop shrinking this long after the first disagreement, ms. */
  shrinkTimeMs: number;
  /** Replay this fast-check path only. */
  path?: string;
  quirks: readonly Quirk[];
  signal?: AbortSignal;
  /** Called after every `progressEvery` requests. */
  onProgress?: (done: number) => void;
  progressEvery?: number;
}

/** A disagreement as the search last saw it: the request, the comparison, and what each server did. */
export interface Evidence {
  request: DiffRequest;
  comparison: Comparison;
  understood: ServerUnderstanding[];
  wireLogs: string[];
}

export interface SearchOutcome {
  requests: number;
  evidence: Evidence | null;
  path: string | null;
  numShrinks: number;
  /** Requests on which a quirk accepted a difference, by quirk. */
  accepted: Map<Quirk, number>;
  /** A server that could no longer be reached: the search stopped comparing. */
  gone: string | null;
  /** The search itself failed (a fault of the harness): why. */
  error: string | null;
  timedOut: boolean;
  interrupted: boolean;
}

/** What a quirk's predicate sees of a request. */
export function requestFacts(req: DiffRequest): RequestFacts {
  return {
    method: req.original.method,
    text: Buffer.from(req.bytes).toString('latin1'),
    mutated: req.applied.length > 0,
    split: req.parts.length > 1,
  };
}

function wireLogOf(sent: Sent): string {
  return [
    '--- the request, then the probe, on one connection ---',
    renderWireLog(sent.exchange, { timeoutMs: sent.timeoutMs }),
    '--- then GET / on a fresh connection ---',
    renderWireLog(sent.fresh),
  ].join('\n');
}

/** Whether some server's understanding rests on a silence: a connection left open, or no answer to the fresh GET /. Pure. */
export function restsOnSilence(list: readonly ServerUnderstanding[]): boolean {
  return list.some((s) => s.understood.connection === SILENCE_CONNECTION || s.understood.alive === SILENCE_ALIVE);
}

/** The search's state while fast-check calls `tryValue`. */
class DiffSearch {
  evidence: Evidence | null = null;
  tried = 0;
  gone: string | null = null;
  readonly accepted = new Map<Quirk, number>();
  private failed = false;

  constructor(
    private readonly targets: readonly DiffTarget[],
    private readonly opts: SearchOptions,
  ) {}

  /**
   * The request to every server at once. A connection not accepted within the silence limit on
   * a busy machine is not yet a server gone: the request goes to every server once more, so that
   * all of them are compared on the same attempt, and only a second refusal counts.
   */
  private async sendToAll(req: DiffRequest): Promise<Sent[]> {
    const once = () => Promise.all(this.targets.map((t) => sendTo(t, req, this.opts.signal)));
    const first = await once();
    if (!first.some((s) => s.exchange.connectFailure !== undefined) || this.opts.signal?.aborted) return first;
    await new Promise((r) => setTimeout(r, 200));
    return once();
  }

  private compare(req: DiffRequest, sent: readonly Sent[]): { list: ServerUnderstanding[]; comparison: Comparison } {
    const list = sent.map((s, i) => ({
      server: this.targets[i]!.name,
      understood: understood(s.exchange, s.fresh, req.original.method),
    }));
    return { list, comparison: compareUnderstandings(list, requestFacts(req), this.opts.quirks) };
  }

  async tryValue(req: DiffRequest): Promise<boolean> {
    // Once a server is gone, nothing later says anything about it: such runs pass, so that
    // shrinking keeps the request that took it down.
    if (this.gone !== null || this.opts.signal?.aborted) return true;
    let sent = await this.sendToAll(req);
    if (this.opts.signal?.aborted) return true;
    const lost = sent.findIndex((s) => s.exchange.connectFailure !== undefined);
    if (lost >= 0) {
      this.gone = `${this.targets[lost]!.name}: ${sent[lost]!.exchange.connectFailure ?? ''}`;
      return true;
    }
    let { list, comparison } = this.compare(req, sent);
    if (comparison.differences.length > 0 && restsOnSilence(list)) {
      // A server silent for SILENCE_MS on a loaded machine may be slow, not waiting: a
      // disagreement in which some server fell silent is sent once more, and stands only if the
      // servers disagree again. One that does not depend on timing is reported at once.
      sent = await this.sendToAll(req);
      if (this.opts.signal?.aborted) return true;
      if (sent.some((s) => s.exchange.connectFailure !== undefined)) return true;
      ({ list, comparison } = this.compare(req, sent));
    }
    if (!this.failed) {
      this.tried += 1;
      for (const q of comparison.accepted) this.accepted.set(q, (this.accepted.get(q) ?? 0) + 1);
      const every = this.opts.progressEvery ?? 100;
      if (this.tried % every === 0) this.opts.onProgress?.(this.tried);
    }
    if (comparison.differences.length === 0) return true;
    this.failed = true;
    this.evidence = { request: req, comparison, understood: list, wireLogs: sent.map(wireLogOf) };
    return false;
  }
}

/** Searches for a request the servers disagree on, and shrinks the first one found. */
export async function searchDisagreement(targets: readonly DiffTarget[], opts: SearchOptions): Promise<SearchOutcome> {
  const search = new DiffSearch(targets, opts);
  const details = await fc.check(
    fc.asyncProperty(diffRequests({ root: opts.root }), (req) => search.tryValue(req)),
    {
      seed: opts.seed,
      numRuns: opts.requests,
      ...(opts.path ? { path: opts.path, endOnFailure: true } : {}),
      plugins: [timeBox(opts.timeLimitMs, opts.shrinkTimeMs, opts.signal)],
    },
  );
  const evidence = details.failed ? search.evidence : null;
  return {
    requests: search.tried,
    evidence,
    error:
      details.failed && !evidence
        ? `the search failed: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`
        : null,
    path: details.failed ? (details.counterexamplePath ?? null) : null,
    numShrinks: details.numShrinks,
    accepted: search.accepted,
    gone: search.gone,
    // The time box interrupts fast-check: before any failure, that is the time limit (or Ctrl-C).
    timedOut: !details.failed && details.interrupted && !opts.signal?.aborted,
    interrupted: opts.signal?.aborted ?? false,
  };
}
