/**
 * The conformance client over TLS: a set of cases from several groups, each run with runCase
 * against node-async in plain TCP and against node-async over TLS, must get the same verdicts.
 * runCase reaches a server through raw-client's `exchange`, which is wrapped here to add the TLS
 * options while the TLS server is the target.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClientTls, ExchangeOptions } from '../../lib/conformance/raw-client.ts';
import { exchange } from '../../lib/conformance/raw-client.ts';
import { loadCases } from '../../lib/conformance/registry.ts';
import { CONFORMANCE_ENV } from '../../lib/conformance/runner.ts';
import { runCase, type CaseTarget } from '../../lib/conformance/runner/case.ts';
import type { ConformanceCase, Verdict } from '../../lib/conformance/types.ts';
import { makeSelfSignedCert, startTlsNodeAsync, type SelfSignedCert, type TlsServer } from '../helpers/tls.ts';

/** The TLS options `exchange` adds, by port: only the TLS server's exchanges get them. */
const wire = vi.hoisted(() => ({ tlsByPort: new Map<number, ClientTls>() }));

vi.mock('../../lib/conformance/raw-client.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lib/conformance/raw-client.ts')>();
  return {
    ...original,
    exchange: (host: string, port: number, parts: Parameters<typeof original.exchange>[2], opts: ExchangeOptions) => {
      const tls = wire.tlsByPort.get(port);
      return original.exchange(host, port, parts, tls ? { tls, ...opts } : opts);
    },
  };
});

const CASE_IDS = [
  'methods-get-file',
  'methods-get-missing-404',
  'host-with-port',
  'request-line-empty-line-before',
  'request-line-lf-only-line-ends',
  'chunked-bytewise',
  'framing-cl-body-then-next-request',
  'framing-cl-repeated-lines-differing',
  'framing-te-and-cl-processed-by-te',
  'framing-split-bytewise',
  'smuggling-cl-te',
  'connection-close-mid-pipeline',
  'persistence-pipeline-10-all-answered',
  'expect-continue-echo',
  'path-traversal-trailing-dot-dot',
];

let cert: SelfSignedCert;
let plain: TlsServer;
let secure: TlsServer;
let cases: ConformanceCase[];

beforeAll(async () => {
  cert = await makeSelfSignedCert();
  [plain, secure] = await Promise.all([
    startTlsNodeAsync(null, CONFORMANCE_ENV),
    startTlsNodeAsync(cert, CONFORMANCE_ENV),
  ]);
  wire.tlsByPort.set(secure.port, { insecure: true });
  const all = (await loadCases()).map((l) => l.case);
  cases = CASE_IDS.map((id) => {
    const found = all.find((c) => c.id === id);
    if (!found) throw new Error(`no case ${id}`);
    return found;
  });
});

afterAll(async () => {
  await Promise.all([plain?.stop(), secure?.stop()]);
  await cert?.remove();
});

function caseTarget(server: TlsServer): CaseTarget {
  return { host: server.host, port: server.port, root: server.root, capabilities: ['echo'] };
}

describe('conformance cases over TLS', () => {
  it('get the verdicts they get over plain TCP', async () => {
    const verdicts = async (server: TlsServer): Promise<Record<string, Verdict>> => {
      const results = await Promise.all(cases.map((c) => runCase(c, caseTarget(server))));
      return Object.fromEntries(results.map((r) => [r.caseId, r.verdict]));
    };
    const [overTcp, overTls] = await Promise.all([verdicts(plain), verdicts(secure)]);
    expect(Object.keys(overTls)).toHaveLength(CASE_IDS.length);
    expect(overTls).toEqual(overTcp);
    expect(Object.values(overTls).filter((v) => v === 'pass').length).toBeGreaterThan(CASE_IDS.length / 2);
  });

  it('writes the case bytes inside TLS: a plain exchange with the TLS server gets no HTTP back', async () => {
    const request = [{ data: 'GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' }];
    const overTls = await exchange(secure.host, secure.port, request, { timeoutMs: 2_000, tls: { insecure: true } });
    expect(overTls.responses[0]?.status).toBe(200);
    expect(Buffer.from(overTls.received).toString('latin1')).toContain('plain text file');
    wire.tlsByPort.delete(secure.port);
    try {
      const plainBytes = await exchange(secure.host, secure.port, request, { timeoutMs: 2_000 });
      expect(plainBytes.responses.filter((r) => r.status === 200)).toHaveLength(0);
    } finally {
      wire.tlsByPort.set(secure.port, { insecure: true });
    }
  });

  it('refuses a self-signed certificate unless insecure, as a harness error naming the problem', async () => {
    const request = [{ data: 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n' }];
    const refused = await exchange(secure.host, secure.port, request, { timeoutMs: 2_000, tls: { insecure: false } });
    expect(refused.connectFailure).toBeUndefined();
    expect(refused.harnessError).toMatch(
      /^the TLS handshake with 127\.0\.0\.1:\d+ failed: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\); --insecure accepts/,
    );
    expect(refused.sent).toHaveLength(0);
  });
});
