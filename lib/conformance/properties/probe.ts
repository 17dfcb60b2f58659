/**
 * The exchanges of one run of a property, and the wire log a failure shows of them. A run's
 * exchanges end together when the run's time is up, so that no connection outlives the run.
 */
import { exchange, unreachable, type ClientTls, type ExchangeOptions } from '../raw-client.ts';
import { renderWireLog } from '../wire-log.ts';
import type { Exchange, RequestPart } from '../types.ts';
import type { PropertyTarget } from './types.ts';

export interface Logged {
  label: string;
  exchange: Exchange;
  timeoutMs: number;
}

/**
 * The exchanges of one run, kept for the wire log of a failure. Each is bounded by its own
 * deadline, and all of them end when the run's time is up (`callOff`), so that a run that
 * outlasts RUN_LIMIT_MS leaves no connection behind.
 */
export class Probe {
  readonly logged: Logged[] = [];
  /** The first exchange of the run could not even connect: the server was gone before this value was tried. */
  goneAtStart = false;
  private started = 0;
  private readonly calls = new AbortController();
  private readonly signal: AbortSignal;
  /** `stop` (the check's own signal) also ends the run's exchanges. */
  constructor(
    /** With `tls`, the server talks TLS and every exchange of the run goes over it. */
    readonly target: PropertyTarget & { tls?: ClientTls },
    stop?: AbortSignal,
  ) {
    this.signal = stop ? AbortSignal.any([this.calls.signal, stop]) : this.calls.signal;
  }

  /** Ends every exchange of the run still under way, and any started later. */
  callOff(): void {
    this.calls.abort();
  }

  get authority(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  async send(label: string, parts: readonly RequestPart[], opts: ExchangeOptions): Promise<Exchange> {
    const first = this.started++ === 0;
    const tls = this.target.tls;
    const ex = await exchange(this.target.host, this.target.port, parts, {
      ...opts,
      signal: this.signal,
      ...(tls && { tls }),
    });
    if (first && unreachable(ex)) this.goneAtStart = true;
    this.logged.push({ label, exchange: ex, timeoutMs: opts.timeoutMs });
    return ex;
  }
}

/** Longest wire log kept in a report, lines; a request written one byte at a time is mostly its writes. */
export const MAX_LOG_LINES = 160;

export function clipLines(text: string, max = MAX_LOG_LINES): string {
  const lines = text.split('\n');
  if (lines.length <= max) return text;
  const head = Math.floor(max * 0.7);
  const tail = max - head;
  return [
    ...lines.slice(0, head),
    `... ${lines.length - head - tail} lines not shown ...`,
    ...lines.slice(lines.length - tail),
  ].join('\n');
}

export function wireLogs(logged: readonly Logged[]): string {
  return logged
    .map((l) => `--- ${l.label} ---\n${clipLines(renderWireLog(l.exchange, { timeoutMs: l.timeoutMs }))}`)
    .join('\n');
}
