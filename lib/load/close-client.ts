/**
 * ab's default mode: C slots, each making one new TCP connection per request, writing ab's
 * request, reading to EOF (a request is done at EOF, as in ab without -k).
 *
 * Kept from ab (support/ab.c, 2.4):
 * - Only slot 0 connects at first; the other C - 1 slots start when the first complete response
 *   header arrives (ab's `requests_initialized`, which exists to find a working address first).
 *   With a slow first response this shows in the time taken, as it does with ab.
 * - A slot that finishes a request starts the next one at once (close_connection() calls
 *   start_connect()), until N requests have been started.
 * - A request's time runs from just before connect to EOF (c->start to c->done, taken before the
 *   socket is closed); the cell's time from just before the first connect to the last completion.
 * Not kept (see ab-figures.ts for the accounting): failed connects are not retried, the client
 * never stops at the first receive error (ab -r), and the timeout is per request.
 *
 * Hot path: one connection and one small record per request; reads land in a buffer shared by
 * all connections (see transport.ts), so no chunk is allocated or concatenated. Only a header split
 * over several reads is copied, into the slot's own 8 KB buffer (as ab's cbuff).
 */
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { CellSpec, LoadTarget } from '../types.ts';
import type { CellInput, FailureKind, RequestRecord } from './ab-figures.ts';
import { abRequestBytes } from './ab-request.ts';
import { ResponseScanner } from './response-scan.ts';
import { createTransport, type ConnOwner, type TransportKind } from './transport.ts';
import { abortError, DEFAULT_TIMEOUT_MS, progressReporter, type RunOptions } from './common.ts';

interface Slot extends ConnOwner {
  startNs: bigint;
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

    const finish = (slot: Slot, failure: FailureKind | null): void => {
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
      if (finished === total) {
        done();
        return;
      }
      progress(finished);
      startRequest(slot);
    };

    const startRequest = (slot: Slot): void => {
      if (settled || started >= total) return;
      started++;
      slot.scanner.reset();
      slot.scanner.captureServer = !serverCaptured;
      slot.startNs = process.hrtime.bigint();
      slot.open();
    };

    const makeSlot = (): Slot => {
      const slot: Slot = {
        conn: null,
        startNs: 0n,
        scanner: new ResponseScanner(),
        open: () => {},
        onData(buf, n) {
          const sc = slot.scanner;
          if (!sc.push(buf, n)) return;
          if (sc.captureServer && !serverCaptured) {
            serverCaptured = true;
            serverSoftware = sc.server;
          }
          if (!othersStarted) {
            othersStarted = true;
            for (let i = 1; i < slots.length; i++) startRequest(slots[i]!);
          }
        },
        onEnd() {
          finish(slot, null);
        },
        onError(failure) {
          finish(slot, failure);
        },
      };
      slot.open = transport.opener(slot);
      return slot;
    };

    const sweep = setInterval(
      () => {
        const now = process.hrtime.bigint();
        for (const slot of slots) {
          if (slot.conn !== null && now - slot.startNs > timeoutNs) finish(slot, 'timeout');
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
      resolve({
        mode: 'close',
        path: target.path,
        concurrency,
        requested: total,
        startNs: 0,
        endNs: Number(lastEnd - t0),
        records,
        serverSoftware,
      });
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
