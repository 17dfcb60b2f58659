/**
 * Cases that send the same bytes are judged on one exchange: the server sees the request once,
 * and each case still gets its own verdict from its own outcomes and check.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { runCases, scheduleCases, type CaseTarget } from '../../lib/conformance/runner.ts';
import { exchangeKey, SharedExchanges, sharedSets } from '../../lib/conformance/runner/shared-exchanges.ts';
import { loadCases } from '../../lib/conformance/registry.ts';
import type { ConformanceCase, Exchange } from '../../lib/conformance/types.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';

const open: Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A server answering every request head with 200 and closing; it counts its connections. */
async function counting(): Promise<{ target: CaseTarget; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let seen = '';
    socket.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      if (seen.includes('\r\n\r\n')) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    });
  });
  const close = server.close.bind(server);
  server.close = (cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  open.push(server);
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    target: { host: '127.0.0.1', port, root: DEFAULT_DOC_ROOT, capabilities: [], name: 'counting' },
    connections: () => connections,
  };
}

function getCase(id: string, path: string, extra: Partial<ConformanceCase> = {}): ConformanceCase {
  return {
    id,
    name: `GET ${path}`,
    rfc: 'RFC 9110 §9.3.1',
    level: 'MUST',
    group: 'methods',
    request: [{ data: `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n` }],
    accept: [{ kind: 'status', min: 200, max: 200 }],
    timeoutMs: 1000,
    ...extra,
  };
}

const SET = [
  getCase('a-ok', '/a'),
  // Same bytes, another requirement: it fails on the same exchange the others pass on.
  getCase('a-wants-404', '/a', { accept: [{ kind: 'status', min: 404, max: 404 }] }),
  getCase('a-has-date', '/a', {
    check: ({ exchange }) => (exchange.responses[0]?.headers.length ? null : 'no fields'),
  }),
  getCase('b-ok', '/b'),
  // The same bytes written in two parts are another exchange.
  getCase('a-in-parts', '/a', {
    request: [{ data: 'GET /a HTTP/1.1\r\n' }, { data: 'Host: localhost\r\nConnection: close\r\n\r\n', delayMs: 10 }],
  }),
];

describe('cases that send the same bytes share one exchange', () => {
  it('runCases: one connection per distinct exchange, one verdict per case', async () => {
    const s = await counting();
    const results = await runCases(SET, s.target, { concurrency: 8 });
    expect(results.map((r) => [r.caseId, r.verdict])).toEqual([
      ['a-ok', 'pass'],
      ['a-wants-404', 'fail'],
      ['a-has-date', 'pass'],
      ['b-ok', 'pass'],
      ['a-in-parts', 'pass'],
    ]);
    expect(s.connections()).toBe(3);
    // The cases of a set are judged on the very same observation.
    expect(results[1]!.exchange!.received).toEqual(results[0]!.exchange!.received);
  });

  it('scheduleCases does the same, with the cases of a set far apart in the queue', async () => {
    const s = await counting();
    const ordered = [SET[0]!, SET[3]!, SET[4]!, SET[1]!, SET[2]!];
    const results = await Promise.all([...scheduleCases(ordered, s.target, 1).values()]);
    expect(results.map((r) => r.verdict)).toEqual(['pass', 'pass', 'pass', 'fail', 'pass']);
    expect(s.connections()).toBe(3);
  });

  it('an exchange is performed once per set and let go after the last case of the set', async () => {
    const shared = new SharedExchanges(SET);
    let performed = 0;
    const perform = (): Promise<Exchange> => {
      performed += 1;
      return Promise.resolve({ responses: [] } as unknown as Exchange);
    };
    const first = await shared.exchangeFor(SET[0]!, perform);
    expect(await shared.exchangeFor(SET[1]!, perform)).toBe(first);
    expect(await shared.exchangeFor(SET[2]!, perform)).toBe(first);
    expect(performed).toBe(1);
    // The set is spent: a case sending those bytes again (a retry alone) makes its own.
    expect(await shared.exchangeFor(SET[0]!, perform)).not.toBe(first);
    expect(performed).toBe(2);
  });

  it('the key tells apart the bytes, the pauses, the time limit and the methods', () => {
    const a = SET[0]!;
    expect(exchangeKey(a)).toBe(exchangeKey(getCase('other-id', '/a')));
    expect(exchangeKey(a)).not.toBe(exchangeKey(SET[4]!));
    expect(exchangeKey(a)).not.toBe(exchangeKey({ ...a, timeoutMs: 2000 }));
    expect(exchangeKey(a)).not.toBe(exchangeKey({ ...a, methods: ['HEAD'] }));
    const paused = { ...SET[4]!, request: SET[4]!.request.map((p) => ({ ...p, delayMs: 20 })) };
    expect(exchangeKey(SET[4]!)).not.toBe(exchangeKey(paused));
  });

  it('the built-in cases that send the same bytes are each a different requirement', async () => {
    const cases = (await loadCases()).map((l) => l.case);
    for (const ids of sharedSets(cases)) {
      const set = ids.map((id) => cases.find((c) => c.id === id)!);
      // A set of cases judged on one exchange must not judge it the same way twice: two cases
      // with the same outcomes, the same check function and the same level are one case.
      for (const [i, a] of set.entries())
        for (const b of set.slice(i + 1)) {
          const same =
            JSON.stringify(a.accept) === JSON.stringify(b.accept) && a.check === b.check && a.level === b.level;
          expect(same, `${a.id} and ${b.id} judge the same exchange the same way`).toBe(false);
        }
    }
  });
});
