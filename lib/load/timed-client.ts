/**
 * Duration and rate cells, in both modes: C connections (timed-slots.ts), one request at a time
 * each, sending either for a time (a closed loop: a connection sends its next request as soon as
 * its last one ended) or on a schedule (the open model: request k is due at start + k / rate,
 * wherever a connection is free).
 *
 * The open model measures as wrk2 does: a request's latency runs from its intended time, not
 * from when it was written. A server that stalls holds every connection, the requests due in the
 * meantime wait for one, and each of them counts the whole wait: the stall shows in the
 * percentiles in proportion to the time it lasted, where a closed loop would have sent nothing
 * while it waited and timed one request per connection (coordinated omission).
 *
 * Cheap timers: one interval ticks every millisecond and hands out every request that came due
 * since the last tick, so a rate of 10,000 per second costs a thousand timer callbacks a second,
 * not ten thousand. A connection that frees up takes a request already due at once.
 *
 * Timeouts count and the cell goes on (a duration or a rate is a span of time, which a slow
 * server must not cut short): a request in flight longer than the timeout fails as 'timeout' and
 * its connection is dropped; a request still waiting for a connection one timeout after its
 * intended time fails as 'timeout' without being sent. A failed connect stops the cell as in the
 * other modes, unless keepGoing. The cell ends when the schedule (or the duration) is over and
 * no request is in flight, so it lasts at most the duration plus one timeout.
 */
import type { CellSpec, CellStop } from '../types.ts';
import type { CellInput, FailureKind, RequestRecord } from './ab-figures.ts';
import { cellTransport, resolveHost } from './ab-client.ts';
import {
  abortError,
  cellStop,
  DEFAULT_TIMEOUT_MS,
  progressReporter,
  type RunOptions,
  type Settle,
  type StopCause,
} from './common.ts';
import type { CellTarget, HandshakeTally } from './tls.ts';
import { ConnectionSlot, type SlotOwner, type TimedSlot } from './timed-slots.ts';
import { scheduleOf, type Schedule } from './schedule.ts';

const TICK_MS = 1;
/** How often requests in flight are checked against the timeout, ns. */
const SWEEP_NS = 10_000_000n;

export async function runTimedClient(target: CellTarget, cell: CellSpec, opts: RunOptions = {}): Promise<CellInput> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const address = await resolveHost(target.host);
  if (signal?.aborted) throw abortError(signal);
  return new Promise<CellInput>((resolve, reject) => {
    new TimedRun(target, cell, opts, address, { resolve, reject }).start();
  });
}

class TimedRun implements SlotOwner {
  private readonly records: RequestRecord[] = [];
  private readonly slots: TimedSlot[] = [];
  private readonly schedule: Schedule;
  private readonly timeoutMs: number;
  private readonly timeoutNs: bigint;
  private readonly keepGoing: boolean;
  private readonly progress: (done: number, final?: boolean) => void;
  private t0 = 0n;
  private lastEnd = 0n;
  private lastSweep = 0n;
  /** Requests handed out (sent, or failed unsent): the next one's index. */
  private next = 0;
  private sent = 0;
  private maxSendDelayNs = 0n;
  private serverSoftware: string | null = null;
  serverCaptured = false;
  private stopped: CellStop | undefined;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  /** The handshakes of a cell over TLS. */
  private readonly handshakes: HandshakeTally | undefined;

  constructor(
    private readonly target: CellTarget,
    private readonly cell: CellSpec,
    private readonly opts: RunOptions,
    address: string,
    private readonly settle: Settle,
  ) {
    this.schedule = scheduleOf(cell);
    this.timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.timeoutNs = BigInt(Math.round(this.timeoutMs * 1e6));
    this.keepGoing = opts.keepGoing ?? false;
    this.progress = progressReporter(this.schedule.total ?? 0, opts.onProgress, {
      records: this.records,
      onLive: opts.onLive,
    });
    // One cycle for all the connections: request i, in the order requests are sent, goes to path i mod n.
    const transport = cellTransport(target, address);
    this.handshakes = transport.handshakes;
    for (let i = 0; i < cell.concurrency; i++) {
      this.slots.push(new ConnectionSlot(this, transport, target.mode === 'keepalive'));
    }
    // HEAD: every response ends with its head (response-scan.ts).
    for (const slot of this.slots) slot.scanner.headOnly = target.shape?.method === 'HEAD';
  }

  start(): void {
    this.opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.t0 = process.hrtime.bigint();
    this.lastEnd = this.t0;
    this.lastSweep = this.t0;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.tick();
  }

  serverSeen(server: string | null): void {
    this.serverCaptured = true;
    this.serverSoftware = server;
  }

  /** A slot's request ended: it is recorded, then the slot takes the next request due. */
  ended(slot: TimedSlot, failure: FailureKind | null, cause?: StopCause): void {
    if (this.settled) return;
    this.record(slot.startNs, failure, slot.scanner.status, slot.scanner.headerBytes, slot.scanner.bodyBytes);
    if (cause && !this.keepGoing) {
      this.stopped = cellStop(cause, this.records.length, this.next, this.records.length);
      this.done();
      return;
    }
    this.dispatch(process.hrtime.bigint());
  }

  private record(
    startNs: bigint,
    failure: FailureKind | null,
    status: number | null,
    headerBytes: number,
    bodyBytes: number,
  ): void {
    const end = process.hrtime.bigint();
    this.records.push({
      startNs: Number(startNs - this.t0),
      endNs: Number(end - this.t0),
      status,
      headerBytes,
      bodyBytes,
      failure,
    });
    this.lastEnd = end;
    this.progress(this.records.length);
  }

  private tick(): void {
    if (this.settled) return;
    const now = process.hrtime.bigint();
    if (now - this.lastSweep >= SWEEP_NS) {
      this.lastSweep = now;
      this.sweepTimeouts(now);
      if (this.settled) return;
    }
    this.dispatch(now);
  }

  /** Hands the requests due by `now` to free slots; ends the cell once nothing is left to do. */
  private dispatch(now: bigint): void {
    const elapsed = now - this.t0;
    const due = this.schedule.dueBy(elapsed);
    this.failStale(due, elapsed);
    for (const slot of this.slots) {
      if (this.settled || this.next >= due) break;
      if (slot.busy) continue;
      const intended = this.t0 + this.schedule.startOf(this.next, elapsed);
      this.next++;
      this.sent++;
      const delay = now - intended;
      if (delay > this.maxSendDelayNs) this.maxSendDelayNs = delay;
      slot.send(intended);
    }
    if (!this.settled && this.schedule.over(this.next, elapsed) && !this.slots.some((s) => s.busy)) this.done();
  }

  /** Requests still waiting for a connection one timeout after their time fail, unsent. */
  private failStale(due: number, elapsedNs: bigint): void {
    while (this.next < due && elapsedNs - this.schedule.startOf(this.next, elapsedNs) > this.timeoutNs) {
      this.record(this.t0 + this.schedule.startOf(this.next, elapsedNs), 'timeout', null, 0, 0);
      this.next++;
    }
  }

  /** A request in flight past the timeout fails and its connection is dropped; the cell goes on. */
  private sweepTimeouts(now: bigint): void {
    for (const slot of this.slots) {
      if (!slot.busy || now - slot.sentNs <= this.timeoutNs) continue;
      slot.drop();
      slot.busy = false;
      const { headerBytes, bodyBytes, status } = slot.scanner;
      this.record(slot.startNs, 'timeout', status, headerBytes, bodyBytes);
    }
  }

  private cleanup(): void {
    this.settled = true;
    clearInterval(this.timer);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    for (const slot of this.slots) slot.drop();
  }

  private done(): void {
    if (this.settled) return;
    this.cleanup();
    this.progress(this.records.length, true);
    const { schedule, cell } = this;
    const input: CellInput = {
      mode: this.target.mode,
      path: this.target.path,
      concurrency: cell.concurrency,
      requested: schedule.total ?? this.next,
      startNs: 0,
      endNs: Number(this.lastEnd - this.t0),
      records: this.records,
      serverSoftware: this.serverSoftware,
    };
    if (cell.durationS !== undefined) input.durationS = cell.durationS;
    if (this.handshakes) input.tls = this.handshakes.summary();
    if (cell.rate !== undefined) {
      input.open = {
        targetRate: cell.rate,
        scheduledS: schedule.scheduledS,
        scheduled: schedule.total ?? this.next,
        sent: this.sent,
        maxSendDelayMs: Number(this.maxSendDelayNs) / 1e6,
      };
    }
    if (this.stopped) input.stopped = this.stopped;
    this.settle.resolve(input);
  }

  private readonly onAbort = (): void => {
    if (this.settled) return;
    this.cleanup();
    this.settle.reject(abortError(this.opts.signal!));
  };
}
