/**
 * The load engine over TLS, in both modes, against node-async listening over TLS with a
 * self-signed certificate made for the test: every request completes when the certificate is
 * accepted (`insecure`), in cells of a number of requests, of a duration and of a rate, the
 * handshakes are summed up apart, and without `insecure` the
 * certificate fails every request as a failed connect that names the problem.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCell } from '../../lib/load/run-cell.ts';
import type { CellTarget } from '../../lib/load/tls.ts';
import type { LoadMode } from '../../lib/types.ts';
import { makeSelfSignedCert, startTlsNodeAsync, type SelfSignedCert, type TlsServer } from '../helpers/tls.ts';

let cert: SelfSignedCert;
let server: TlsServer;

beforeAll(async () => {
  cert = await makeSelfSignedCert();
  server = await startTlsNodeAsync(cert);
});

afterAll(async () => {
  await server?.stop();
  await cert?.remove();
});

function target(mode: LoadMode, tls: CellTarget['tls'], host = server.host): CellTarget {
  return { host, port: server.port, path: '/hello.txt', mode, tls };
}

const modes: LoadMode[] = ['close', 'keepalive'];

describe.each(modes)('%s mode over TLS', (mode) => {
  it('completes every request with an accepted certificate and sums up the handshakes', async () => {
    const r = await runCell(target(mode, { insecure: true }), { requests: 200, concurrency: 4 });
    expect(r).toMatchObject({
      mode,
      completeRequests: 200,
      failedRequests: 0,
      failed: { connect: 0, receive: 0, length: 0, exceptions: 0 },
      serverSoftware: 'gauntlet-node-async',
      statusCounts: { '200': 200 },
    });
    expect(r.documentLength).toBe(16);
    // A handshake per request in close mode, at least one per connection in keep-alive mode.
    const handshakes = r.tls?.handshakes ?? 0;
    if (mode === 'close') expect(handshakes).toBe(200);
    else expect(handshakes).toBeGreaterThanOrEqual(4);
    expect(r.tls?.failures).toEqual({});
    expect(r.tls?.handshakeMs.mean).toBeGreaterThan(0);
    expect(r.tls?.handshakeMs.p50).toBeGreaterThan(0);
    expect(r.tls?.handshakeMs.p99).toBeGreaterThanOrEqual(r.tls?.handshakeMs.p50 ?? 0);
    // The handshake is inside a request's time, as in ab's connect time.
    if (mode === 'close') expect(r.latencyUs.min / 1000).toBeGreaterThanOrEqual(r.tls?.handshakeMs.min ?? 0);
  });

  it('runs a cell of a duration, and one of a rate, over TLS with its handshakes summed up', async () => {
    const timed = await runCell(target(mode, { insecure: true }), { requests: 0, concurrency: 2, durationS: 0.5 });
    expect(timed).toMatchObject({ mode, failedRequests: 0, tls: { failures: {} } });
    expect(timed.completeRequests).toBeGreaterThan(2);
    const handshakes = timed.tls?.handshakes ?? 0;
    if (mode === 'close') expect(handshakes).toBe(timed.completeRequests);
    else expect(handshakes).toBeLessThan(timed.completeRequests);
    const paced = await runCell(target(mode, { insecure: true }), {
      requests: 0,
      concurrency: 2,
      durationS: 0.5,
      rate: 40,
    });
    expect(paced).toMatchObject({ failedRequests: 0, open: { targetRate: 40, sent: 20 } });
    const refused = await runCell(target(mode, { insecure: false }), { requests: 0, concurrency: 2, durationS: 0.5 });
    expect(refused).toMatchObject({ completeRequests: 0, stopped: { kind: 'connect' } });
  });

  it('checks the certificate of a host given by name (localhost, resolved once) too', async () => {
    const r = await runCell(target(mode, { insecure: false }, 'localhost'), { requests: 20, concurrency: 2 });
    // A self-signed certificate is not trusted, whatever names it carries.
    expect(r).toMatchObject({ completeRequests: 0, tls: { failures: { DEPTH_ZERO_SELF_SIGNED_CERT: 1 } } });
    const accepted = await runCell(target(mode, { insecure: true }, 'localhost'), { requests: 20, concurrency: 2 });
    expect(accepted.completeRequests).toBe(20);
  });

  it('verifies a trusted certificate (ca): accepted for its names, refused for another', async () => {
    const ca = readFileSync(cert.certPath);
    const trusted = await runCell(target(mode, { insecure: false, ca }), { requests: 20, concurrency: 2 });
    expect(trusted).toMatchObject({ completeRequests: 20, failedRequests: 0, tls: { failures: {} } });
    const viaName = await runCell(target(mode, { insecure: false, ca }, 'localhost'), { requests: 20, concurrency: 2 });
    expect(viaName.completeRequests).toBe(20);
    const otherName = await runCell(target(mode, { insecure: false, ca, servername: 'example.com' }), {
      requests: 20,
      concurrency: 2,
    });
    expect(otherName).toMatchObject({ completeRequests: 0, tls: { failures: { ERR_TLS_CERT_ALTNAME_INVALID: 1 } } });
    expect(otherName.stopped?.reason).toMatch(/^TLS certificate rejected: it does not name the host/);
  });

  it('fails every request on a self-signed certificate, naming the problem, unless insecure', async () => {
    const r = await runCell(target(mode, { insecure: false }), { requests: 20, concurrency: 2 }, { keepGoing: true });
    expect(r.completeRequests).toBe(0);
    expect(r.failedRequests).toBe(20);
    expect(r.failed.connect).toBe(20);
    expect(r.tls?.handshakes).toBe(0);
    expect(r.tls?.failures.DEPTH_ZERO_SELF_SIGNED_CERT).toBeGreaterThanOrEqual(20);
  });

  it('stops at the first refused certificate without keepGoing, and says why', async () => {
    const r = await runCell(target(mode, { insecure: false }), { requests: 20, concurrency: 1 });
    expect(r.completeRequests).toBe(0);
    expect(r.stopped?.kind).toBe('connect');
    expect(r.stopped?.reason).toMatch(
      /^TLS certificate rejected: self-signed \(--insecure accepts it\) \(DEPTH_ZERO_SELF_SIGNED_CERT\) at request 1 of 20/,
    );
  });
});
