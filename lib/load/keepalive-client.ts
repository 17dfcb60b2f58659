/**
 * Keep-alive mode: autocannon (v8, programmatic) with `amount: N, connections: C`, timed by the
 * engine itself.
 *
 * What is measured, and how it departs from `ab -k -n N -c C`:
 * - Request: `GET {path} HTTP/1.1`, autocannon's hard-coded `Connection: keep-alive`, then ab's
 *   headers in ab's order (Host without ":80", User-Agent: ApacheBench/2.3, Accept: *\/*).
 *   ab -k sends HTTP/1.0 with `Connection: Keep-Alive`; autocannon cannot send another version.
 * - Time taken: process.hrtime.bigint() from just before autocannon starts its clients (they
 *   connect at once) to the last response or error it reports. autocannon's own `duration` is
 *   taken on its sample tick and rounded, so it is not used.
 * - Per request: the `response` event of each client gives the status, the bytes read while that
 *   request was the one in flight (header and body, as ab's totalread) and the time from just
 *   before the request was written to the end of its response, in fractional milliseconds from
 *   process.hrtime (so microseconds are kept; autocannon's own latency histogram records whole
 *   milliseconds, and loopback latencies under 1 ms record there as 0). The first request of a
 *   connection includes the connect, like ab's first keep-alive request.
 * - Body bytes: the sum of the `body` events of the response, that is the decoded body. ab counts
 *   the raw bytes after the header, so for a chunked response HTML transferred here leaves out
 *   the chunk framing (ab -k does not keep a chunked response alive anyway: it reads it to close).
 * - Connections: C, each kept open; autocannon reconnects when the server closes one. A request
 *   in flight when its connection ends without error is lost without trace in autocannon (it
 *   sends a new one on the new connection and never reports the lost one); this includes every
 *   response delimited by closing the connection, which autocannon never completes. Such requests
 *   are recorded as 'truncated' (Receive failures), counted as N minus every request reported.
 *   ab -k would have read a close-delimited response to the end and counted it as good.
 * - Errors: a connection error (`connError`) is one request lost: 'connect' when connect() failed,
 *   'reset' otherwise (Receive, Exceptions and the Length rule, as ab -r counts a receive error).
 *   Bytes of a response cut short by the error are not reported by autocannon and not counted.
 *   A timeout (LoadTarget.timeoutMs, autocannon's `timeout`) is 'timeout' (Exceptions). autocannon
 *   refuses a timeout under 1 s, so shorter ones are raised to 1 s in this mode.
 * - Length rule and non-2xx: computed by ab-figures from the records, as for the close mode.
 * - Server Software: first word of the Server header of the first response parsed.
 */
import autocannon from 'autocannon';
import { isIPv6 } from 'node:net';
import type { CellSpec, LoadTarget } from '../types.ts';
import type { CellInput, RequestRecord } from './ab-figures.ts';
import { abHeaders } from './ab-request.ts';
import { resolveHost } from './close-client.ts';
import { abortError, DEFAULT_TIMEOUT_MS, progressReporter, type RunOptions } from './common.ts';

/**
 * autocannon checks its stop flag only on its sample tick (default 1000 ms): a short tick lets the
 * run end, and an abort take effect, within a few milliseconds.
 */
const SAMPLE_INTERVAL_MS = 5;

/** What the `headers` event really carries (http-parser-js's info object, not node's headers). */
interface ParserInfo {
  headers?: unknown;
}

/** ab's Server Software from a flat [name, value, name, value...] header list. */
function serverToken(info: ParserInfo): string | null {
  const list = info.headers;
  if (!Array.isArray(list)) return null;
  for (let i = 0; i + 1 < list.length; i += 2) {
    if (String(list[i]).toLowerCase() === 'server') {
      const m = /^[^\x00-\x20]*/.exec(String(list[i + 1]));
      return m ? m[0] : '';
    }
  }
  return null;
}

export async function runKeepAliveClient(
  target: LoadTarget,
  cell: CellSpec,
  opts: RunOptions = {},
): Promise<CellInput> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const address = await resolveHost(target.host);
  if (signal?.aborted) throw abortError(signal);

  const total = cell.requests;
  const timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const progress = progressReporter(total, opts.onProgress);
  const urlHost = isIPv6(address) ? `[${address}]` : address;
  const headers = Object.fromEntries(abHeaders(target.host, target.port));

  const records: RequestRecord[] = [];
  let t0 = 0n;
  let lastEnd = 0n;
  let serverSoftware: string | null = null;
  let serverCaptured = false;

  const record = (r: RequestRecord, end: bigint): void => {
    records.push(r);
    lastEnd = end;
    progress(records.length);
  };

  const setupClient = (client: autocannon.Client): void => {
    let bodyBytes = 0;
    client.on('headers', (info: unknown) => {
      bodyBytes = 0;
      if (!serverCaptured) {
        serverCaptured = true;
        serverSoftware = serverToken(info as ParserInfo);
      }
    });
    client.on('body', (body: Buffer) => {
      bodyBytes += body.length;
    });
    client.on('response', (statusCode: number, resBytes: number, responseTime: number) => {
      const end = process.hrtime.bigint();
      const endNs = Number(end - t0);
      record(
        {
          startNs: endNs - responseTime * 1e6,
          endNs,
          status: statusCode,
          headerBytes: resBytes - bodyBytes,
          bodyBytes,
          failure: null,
        },
        end,
      );
    });
    const failed = (failure: 'connect' | 'reset' | 'timeout'): void => {
      const end = process.hrtime.bigint();
      const endNs = Number(end - t0);
      record({ startNs: endNs, endNs, status: null, headerBytes: 0, bodyBytes: 0, failure }, end);
    };
    // Events the typings leave out: a connection error, and a request that timed out.
    const emitter = client as unknown as NodeJS.EventEmitter;
    emitter.on('connError', (err: NodeJS.ErrnoException) => failed(err?.syscall === 'connect' ? 'connect' : 'reset'));
    emitter.on('timeout', () => failed('timeout'));
  };

  return new Promise<CellInput>((resolve, reject) => {
    let aborted = false;
    let settled = false;
    let instance: autocannon.Instance | undefined;
    const onAbort = (): void => {
      aborted = true;
      // Clients are destroyed on autocannon's next sample tick, then the callback below rejects.
      instance?.stop();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    const finished = (err: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (aborted) {
        reject(abortError(signal!));
        return;
      }
      if (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const lost = Math.max(0, total - records.length);
      const endNs = Number(lastEnd - t0);
      for (let i = 0; i < lost; i++) {
        records.push({ startNs: endNs, endNs, status: null, headerBytes: 0, bodyBytes: 0, failure: 'truncated' });
      }
      progress(records.length, true);
      resolve({
        mode: 'keepalive',
        path: target.path,
        concurrency: cell.concurrency,
        requested: total,
        startNs: 0,
        endNs,
        records,
        serverSoftware,
      });
    };

    t0 = process.hrtime.bigint();
    lastEnd = t0;
    instance = autocannon(
      {
        url: `http://${urlHost}:${target.port}${target.path}`,
        method: 'GET',
        headers,
        connections: cell.concurrency,
        amount: total,
        pipelining: 1,
        timeout: Math.max(1, timeoutMs / 1000),
        sampleInt: SAMPLE_INTERVAL_MS,
        setupClient,
      },
      finished,
    );
    if (aborted) instance.stop();
  });
}
