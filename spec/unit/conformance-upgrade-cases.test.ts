/**
 * The checks of the group upgrade whose situation no reference server meets (a TRACE reflected
 * with 200, a switch to h2c, a CONNECT tunnel), judged on made-up exchanges: each can fail, and
 * passes or is `n/a` where it should.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cases } from '../../lib/conformance/cases/upgrade.ts';
import type { CaseDefinition, Exchange, NotApplicable } from '../../lib/conformance/types.ts';
import { observedOutcome, outcomeMatches } from '../../lib/conformance/runner/outcomes.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import { exchangeFrom, latin1Bytes } from './helpers/made-exchange.ts';

const bytes = latin1Bytes;

/** An exchange of the TRACE (or GET) a case sends, from the bytes the server sent. */
function exchangeOf(received: string | Uint8Array, closedBy: Exchange['closedBy'] = 'server'): Exchange {
  return exchangeFrom(received, { closedBy, methods: ['TRACE', 'GET'] });
}

function caseById(id: string): CaseDefinition {
  const found = cases.find((c) => c.id === id);
  if (!found) throw new Error(`no case ${id}`);
  return found;
}

function judge(
  id: string,
  received: string | Uint8Array,
  closedBy: Exchange['closedBy'] = 'server',
): string | null | NotApplicable {
  const c = caseById(id);
  if (!c.check) throw new Error(`${id} has no check`);
  return c.check({ exchange: exchangeOf(received, closedBy), root: DEFAULT_DOC_ROOT, capabilities: [] });
}

/** Whether the case accepts the first answer of `received`, as the runner decides it. */
function accepts(id: string, received: string, closedBy: Exchange['closedBy'] = 'server'): boolean {
  const ex = exchangeOf(received, closedBy);
  return caseById(id).accept.some((o) => outcomeMatches(o, observedOutcome(ex)));
}

/** A 200 message/http response reflecting `head`. */
function reflected(head: string): string {
  return `HTTP/1.1 200 OK\r\nContent-Type: message/http\r\nContent-Length: ${head.length}\r\nConnection: close\r\n\r\n${head}`;
}

describe('upgrade-trace-excludes-credentials', () => {
  const id = 'upgrade-trace-excludes-credentials';

  it('fails a reflection that carries the Authorization and Cookie sent', () => {
    const request = Buffer.concat(caseById(id).request.map((p) => bytes(p.data))).toString('latin1');
    const verdict = judge(id, reflected(request));
    expect(typeof verdict).toBe('string');
    expect(verdict).toMatch(/sensitive request fields/);
  });

  it('passes a reflection without the sensitive fields', () => {
    expect(judge(id, reflected('TRACE /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'))).toBeNull();
  });

  it('is n/a when TRACE is refused', () => {
    const verdict = judge(id, 'HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\nContent-Length: 0\r\n\r\n');
    expect(verdict).toHaveProperty('notApplicable');
    expect((verdict as NotApplicable).notApplicable).toMatch(/405/);
  });
});

describe('upgrade-h2c-ignored-or-switched', () => {
  const id = 'upgrade-h2c-ignored-or-switched';
  const switching = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n';

  it('passes a 101 followed by an HTTP/2 SETTINGS frame', () => {
    const settings = Uint8Array.from([0, 0, 0, 0x04, 0, 0, 0, 0, 0]);
    expect(judge(id, Buffer.concat([bytes(switching), settings]))).toBeNull();
  });

  it('fails a 101 followed by HTTP/1.1', () => {
    const verdict = judge(id, `${switching}HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n`);
    expect(verdict).toMatch(/not an HTTP\/2 SETTINGS frame/);
  });

  it('fails a 101 that names another protocol', () => {
    const verdict = judge(id, switching.replace('h2c', 'websocket') + '\0\0\0\x04\0\0\0\0\0');
    expect(verdict).toMatch(/not h2c/);
  });
});

describe('upgrade-connect-refused', () => {
  it('fails a CONNECT answered 2xx', () => {
    const verdict = judge('upgrade-connect-refused', 'HTTP/1.1 200 Connection Established\r\n\r\n');
    expect(verdict).toMatch(/opened a tunnel/);
  });

  it('passes a refusal that leaves the connection to the next request', () => {
    const style = readFileSync(join(DEFAULT_DOC_ROOT, 'style.css'), 'latin1');
    const verdict = judge(
      'upgrade-connect-refused',
      'HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\nContent-Length: 0\r\n\r\n' +
        `HTTP/1.1 200 OK\r\nContent-Length: ${style.length}\r\n\r\n${style}`,
    );
    expect(verdict).toBeNull();
  });

  it('fails a refusal after which the next request is answered with the wrong bytes', () => {
    const verdict = judge(
      'upgrade-connect-refused',
      'HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\nContent-Length: 0\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
    );
    expect(verdict).toMatch(/second response's body/);
  });

  const refusal = 'HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\nContent-Length: 0\r\n\r\n';

  it('passes a refusal after which the server closes', () => {
    expect(judge('upgrade-connect-refused', refusal, 'server')).toBeNull();
  });

  it('fails a refusal after which the connection stays open and the next request is never answered', () => {
    expect(judge('upgrade-connect-refused', refusal, 'client-timeout')).toMatch(/swallowed/);
  });
});

describe('the cases of "MUST NOT switch"', () => {
  const NOT_SWITCHED = [
    'upgrade-unknown-protocol-ignored',
    'upgrade-several-unknown-protocols-ignored',
    'upgrade-without-connection-option',
  ];
  const forbidden = 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n';
  const switched = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: gauntlet/1\r\n\r\n';

  it.each(NOT_SWITCHED)('%s accepts a 4xx, which does not switch, and refuses a 101', (id) => {
    expect(accepts(id, forbidden)).toBe(true);
    expect(judge(id, forbidden)).toBeNull();
    expect(accepts(id, switched)).toBe(false);
  });

  it.each(NOT_SWITCHED)('%s fails a 200 that is not the file', (id) => {
    expect(judge(id, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno')).toMatch(/body should be/);
  });

  it('upgrade-websocket-without-connection-option accepts a 4xx but no close without a response', () => {
    const id = 'upgrade-websocket-without-connection-option';
    expect(accepts(id, 'HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n')).toBe(true);
    expect(accepts(id, '')).toBe(false);
  });
});
