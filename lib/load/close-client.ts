/**
 * ab's default mode: C slots, each making one new TCP connection per request, writing ab's
 * request, reading to EOF (a request ends at EOF, as in ab without -k).
 *
 * Kept from ab (support/ab.c, 2.4):
 * - Only slot 0 connects at first; the other C - 1 slots start when the first complete response
 *   header arrives (ab's `requests_initialized`, set in read_connection() once a header was read,
 *   to find a working address first). With a slow first response this shows in the time taken,
 *   as it does with ab.
 * - A slot that finishes a request starts the next one at once (close_connection() calls
 *   start_connect()), until N requests have been started.
 * - A request's time runs from just before connect to EOF (c->start to c->done, taken before the
 *   socket is closed); the cell's time from just before the first connect to the last end.
 * - The cell stops at its first failed connect and at its first timeout, as ab stops (without
 *   -r, a refused connect is fatal; its -s timeout ends the run), unless RunOptions.keepGoing.
 * Changed from ab, so that a failing server cannot make a cell last N x timeout or lie:
 * - A request is complete only when its response was received whole (response-scan.ts follows
 *   the framing); a response found bad while reading (oversized head, overrun, malformed
 *   framing) ends its request at once, which bounds an endless head or an overlong body.
 * - The other C - 1 slots also start when the first request ends without a header (ab would have
 *   stopped there, or with -r waited for a header that may never come): with keepGoing, a server
 *   that never answers then costs about ceil(N / C) x timeout, not N x timeout.
 * - The timeout is per request (ab's is an inactivity timeout of its whole poll loop).
 *
 * Hot path: one connection and one small record per request; reads land in a buffer shared by
 * all connections (see transport.ts), so no chunk is allocated or concatenated. Only a header split
 * over several reads is copied, into the slot's own 8 KB buffer (as ab's cbuff); bodies are
 * counted, never kept, so memory stays flat whatever the server sends.
 */
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { CellSpec, CellStop, LoadTarget } from '../types.ts';
import type { CellInput, FailureKind, RequestRecord } from './ab-figures.ts';
import { abRequestBytes } from './ab-request.ts';
import { ResponseScanner } from './response-scan.ts';
import { createTransport, type ConnOwner, type TransportKind } from './transport.ts';
import { abortError, cellStop, DEFAULT_TIMEOUT_MS, progressReporter, type RunOptions, type StopCause } from './common.ts';

interface Slot extends ConnOwner {
  startNs: bigint;
  /** The slot's current request, 1-based in start order. */
  request: number;
  connected: boolean;
  scanner: ResponseScanner;
  open: () => void;
}

export interface CloseClientOptions extends RunOptions {
  /** Force a transport (tests compare both); by default the fastest available. */
  transport?: TransportKind;
}

/** Resolves a host name once, as ab does, so that no request pays for a lookup. */
export async function resolveHost(host: string): Promise<string> {
  if (isIP(host)) return host;
  return (await lookup(host)).address;
}

export async function runCloseClient(
  target: LoadTarget,
  cell: CellSpec,
  opts: CloseClientOptions = {},
): Promise<CellInput> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const address = await resolveHost(target.host);
  if (signal?.aborted) throw abortError(signal);

  const total = cell.requests;
  const concurrency = cell.concurrency;
  const keepGoing = opts.keepGoing ?? false;
  const timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeoutNs = BigInt(Math.round(timeoutMs * 1e6));
  const transport = createTransport(
    address,
    target.port,
    abRequestBytes(target.host, target.port, target.path),
    opts.transport,
  );
  const progress = progressReporter(total, opts.onProgress);

  return new Promise<CellInput>((resolve, reject) => {
    const records: RequestRecord[] = [];
    const slots: Slot[] = [];
    let t0 = 0n;
    let lastEnd = 0n;
    let started = 0;
    let finished = 0;
    let othersStarted = concurrency === 1;
    let serverSoftware: string | null = null;
    let serverCaptured = false;
    let settled = false;
    let stopped: CellStop | undefined;

    const startOthers = (): void => {
      if (othersStarted) return;
      othersStarted = true;
      for (let i = 1; i < slots.length; i++) startRequest(slots[i]!);
    };

    const finish = (slot: Slot, failure: FailureKind | null, cause?: StopCause): void => {
      const end = process.hrtime.bigint();
      transport.close(slot.conn);
      slot.conn = null;
      const sc = slot.scanner;
      records.push({
        startNs: Number(slot.startNs - t0),
        endNs: Number(end - t0),
        status: sc.status,
        headerBytes: sc.headerBytes,
        bodyBytes: sc.bodyBytes,
        failure,
      });
      lastEnd = end;
      finished++;
      if (cause && !keepGoing && finished < total) {
        stopped = cellStop(cause, slot.request, total, finished);
        done();
        return;
      }
      if (finished === total) {
        done();
        return;
      }
      progress(finished);
      startOthers();
      startRequest(slot);
    };

    const startRequest = (slot: Slot): void => {
      if (settled || started >= total) return;
      started++;
      slot.request = started;
      slot.connected = false;
      slot.scanner.reset();
      slot.scanner.captureServer = !serverCaptured;
      slot.startNs = process.hrtime.bigint();
      slot.open();
    };

    const makeSlot = (): Slot => {
      const slot: Slot = {
        conn: null,
        startNs: 0n,
        request: 0,
        connected: false,
        scanner: new ResponseScanner(),
        open: () => {},
        onData(buf, n) {
          const sc = slot.scanner;
          const gotHeader = sc.push(buf, n);
          if (gotHeader) {
            if (sc.captureServer && !serverCaptured) {
              serverCaptured = true;
              serverSoftware = sc.server;
            }
            startOthers();
          }
          if (sc.failure !== null) finish(slot, sc.failure);
        },
        onEnd() {
          finish(slot, slot.scanner.endAtEof());
        },
        onError(failure, code) {
          if (failure === 'connect') finish(slot, 'connect', { kind: 'connect', code });
          else finish(slot, 'reset');
        },
        onConnect() {
          slot.connected = true;
        },
      };
      slot.open = transport.opener(slot);
      return slot;
    };

    const timedOut = (slot: Slot): void => {
      const bytes = slot.scanner.bytesRead;
      const phase = !slot.connected ? 'connecting' : bytes === 0 ? 'waiting' : 'reading';
      finish(slot, 'timeout', { kind: 'timeout', timeoutMs, phase, bytes });
    };

    const sweep = setInterval(
      () => {
        const now = process.hrtime.bigint();
        for (const slot of slots) {
          if (settled) return;
          if (slot.conn !== null && now - slot.startNs > timeoutNs) timedOut(slot);
        }
      },
      Math.max(5, Math.min(250, Math.floor(timeoutMs / 10))),
    );

    const cleanup = (): void => {
      settled = true;
      clearInterval(sweep);
      signal?.removeEventListener('abort', onAbort);
      for (const slot of slots) {
        if (slot.conn !== null) {
          transport.close(slot.conn);
          slot.conn = null;
        }
      }
    };

    const done = (): void => {
      if (settled) return;
      cleanup();
      progress(finished, true);
      const input: CellInput = {
        mode: 'close',
        path: target.path,
        concurrency,
        requested: total,
        startNs: 0,
        endNs: Number(lastEnd - t0),
        records,
        serverSoftware,
      };
      if (stopped) input.stopped = stopped;
      resolve(input);
    };

    const onAbort = (): void => {
      if (settled) return;
      cleanup();
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    for (let i = 0; i < concurrency; i++) slots.push(makeSlot());
    t0 = process.hrtime.bigint();
    lastEnd = t0;
    startRequest(slots[0]!);
  });
}
