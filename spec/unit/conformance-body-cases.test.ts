/**
 * The cases about request bodies, judged on data: without echo by what follows the body (the
 * request pipelined after it answered as itself, or never answered after a malformed body), with
 * echo by the case's own outcomes and the echoed bytes as well. The runner passes the server's
 * capabilities in the check's context; these tests pass them by hand.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaseDefinition, CheckContext, Exchange, ParsedResponse } from '../../lib/conformance/types.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import {
  OK,
  answeredAlone,
  bodyCase,
  bodyIncomplete,
  bodyRefused,
  file,
  followUpsAnswered,
  inOrder,
  one,
  post,
  rejected,
  rejectedAndClosed,
} from '../../lib/conformance/cases/helpers.ts';

const STYLE = readFileSync(join(DEFAULT_DOC_ROOT, 'style.css'));

function response(
  status: number,
  body: Uint8Array | string = '',
  headers: Array<[string, string]> = [],
): ParsedResponse {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  return { version: '1.1', status, reason: '', headers, body: bytes, framing: 'content-length', start: 0, end: 0 };
}

function exchangeOf(responses: ParsedResponse[], closedBy: Exchange['closedBy'] = 'server'): Exchange {
  return {
    sent: new Uint8Array(0),
    received: new Uint8Array(0),
    responses,
    interim: [],
    trailingGarbage: 0,
    closedBy,
    reset: false,
    closeAfterMs: closedBy === 'server' ? 5 : null,
  };
}

function ctx(responses: ParsedResponse[], capabilities: string[] = [], closedBy?: Exchange['closedBy']): CheckContext {
  return { exchange: exchangeOf(responses, closedBy), root: DEFAULT_DOC_ROOT, capabilities };
}

/** A valid body echoed, then style.css pipelined after it: the shape of chunked-basic. */
const valid: CaseDefinition = bodyCase(
  {
    id: 'test-valid',
    name: 'A body, then a request',
    rfc: 'RFC 9112 §6.3',
    level: 'MUST',
    request: one(post('/echo', 'hello')),
    accept: OK,
    check: inOrder([{ status: 200, body: { text: 'hello' } }, file(200, 'style.css')]),
  },
  followUpsAnswered([file(200, 'style.css')]),
);

/** A malformed body, then a probe: the shape of the chunked malformed cases. */
const malformed: CaseDefinition = bodyCase(
  {
    id: 'test-malformed',
    name: 'A malformed body',
    rfc: 'RFC 9112 §7.1',
    level: 'MUST',
    request: one(post('/echo', 'hello')),
    accept: rejected,
    check: rejectedAndClosed,
  },
  bodyRefused,
);

describe('a valid body on a server without echo', () => {
  it('passes when the request after the body is answered as itself, whatever the POST got', () => {
    for (const status of [200, 404, 405, 413]) {
      expect(valid.check?.(ctx([response(status), response(200, STYLE)])), String(status)).toBeNull();
    }
  });

  it('fails when the request after the body is answered with anything else', () => {
    expect(valid.check?.(ctx([response(405), response(400)]))).toBe('the second response should be 200 but was 400');
    expect(valid.check?.(ctx([response(405), response(200, 'hello')]))).toMatch(/second response's body should be/);
  });

  it('fails when the request after the body is not answered and the POST did not announce a close', () => {
    expect(valid.check?.(ctx([response(405)]))).toMatch(/only 1 of 2 requests were answered/);
    expect(valid.check?.(ctx([response(405, '', [['Connection', 'close']])]))).toBeNull();
  });

  it('holds the POST to the outcomes of the judgement without echo, though the runner accepted the union', () => {
    expect(valid.check?.(ctx([]))).toMatch(/^expected 2xx-5xx; got no response/);
  });

  it('fails a 400 to the well-formed request', () => {
    expect(valid.check?.(ctx([response(400)]))).toMatch(/well-formed request with a body was answered 400/);
  });

  it('lets the runner accept any status for the POST, and still the outcomes of the case with echo', () => {
    expect(valid.accept).toEqual([...OK, { kind: 'status', min: 200, max: 599 }]);
    expect(valid.wants).toEqual(['echo']);
  });
});

describe('a valid body on a server with echo', () => {
  it('holds the server to the echoed bytes and the outcomes of the case', () => {
    expect(valid.check?.(ctx([response(200, 'hello'), response(200, STYLE)], ['echo']))).toBeNull();
    expect(valid.check?.(ctx([response(200, 'hell'), response(200, STYLE)], ['echo']))).toMatch(
      /first response's body should be "hello"/,
    );
    expect(valid.check?.(ctx([response(405), response(200, STYLE)], ['echo']))).toMatch(/^expected 200; got 405/);
  });
});

describe('a malformed body', () => {
  it('without echo: any answer to the POST, nothing after it, and a close', () => {
    expect(malformed.check?.(ctx([response(404)]))).toBeNull();
    expect(malformed.check?.(ctx([]))).toBeNull();
    expect(malformed.check?.(ctx([response(404), response(200, STYLE)]))).toMatch(/2 responses came back/);
    expect(malformed.check?.(ctx([response(404), response(400)]))).toMatch(/2 responses came back/);
    expect(malformed.check?.(ctx([response(404)], [], 'client-timeout'))).toMatch(/left it open/);
  });

  it('with echo: rejected as the case says', () => {
    expect(malformed.check?.(ctx([response(400)], ['echo']))).toBeNull();
    expect(malformed.check?.(ctx([response(404)], ['echo']))).toMatch(/^expected 400 or close; got 404/);
  });
});

describe('the other judgements without echo', () => {
  it('a body alone: one answer, not a 400 unless the case may refuse it', () => {
    expect(answeredAlone().check(ctx([response(405)]))).toBeNull();
    expect(answeredAlone().check(ctx([response(400)]))).toMatch(/answered 400/);
    expect(answeredAlone({ mayRefuse: true }).check(ctx([response(400)]))).toBeNull();
    expect(answeredAlone().check(ctx([response(405), response(400)]))).toMatch(/2 responses came back/);
  });

  it('an incomplete body: an answer from the head, a wait or a close, but never a second answer', () => {
    expect(bodyIncomplete.accept.map((o) => o.kind)).toEqual(['status', 'close', 'timeout']);
    expect(bodyIncomplete.check(ctx([response(404)], [], 'client-timeout'))).toBeNull();
    expect(bodyIncomplete.check(ctx([response(404), response(400)]))).toMatch(/2 responses came back/);
  });
});
