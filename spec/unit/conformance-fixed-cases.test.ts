/**
 * Two cases judged on exchanges built by hand: framing-cl-leading-zeros, whose "010" is ten in
 * decimal and eight in octal, so that a server reading Content-Length with strtol base 0 frames
 * the wrong number of bytes; and liveness-http2-preface, which a server that speaks HTTP/2 with
 * prior knowledge passes by answering with its own SETTINGS frame (RFC 9113 §3.4).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cases as framingCases } from '../../lib/conformance/cases/framing.ts';
import { cases as livenessCases } from '../../lib/conformance/cases/liveness.ts';
import { requestBytes } from '../../lib/conformance/raw-client.ts';
import { observedOutcome, outcomeMatches, startsWithHttp2Frame } from '../../lib/conformance/runner/outcomes.ts';
import type { CaseDefinition, CheckContext, Exchange, ParsedResponse } from '../../lib/conformance/types.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';

const STYLE = readFileSync(join(DEFAULT_DOC_ROOT, 'style.css'));

function caseById(list: readonly CaseDefinition[], id: string): CaseDefinition {
  const found = list.find((c) => c.id === id);
  if (!found) throw new Error(`no case ${id}`);
  return found;
}

function response(status: number, body: Uint8Array | string = ''): ParsedResponse {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  return { version: '1.1', status, reason: '', headers: [], body: bytes, framing: 'content-length', start: 0, end: 0 };
}

function exchangeOf(responses: ParsedResponse[], received: Uint8Array = new Uint8Array(0)): Exchange {
  return {
    sent: new Uint8Array(0),
    received,
    responses,
    interim: [],
    trailingGarbage: responses.length === 0 ? received.length : 0,
    closedBy: received.length > 0 && responses.length === 0 ? 'client-timeout' : 'server',
    reset: false,
    closeAfterMs: 5,
  };
}

function ctx(responses: ParsedResponse[], capabilities: string[]): CheckContext {
  return { exchange: exchangeOf(responses), root: DEFAULT_DOC_ROOT, capabilities };
}

describe('framing-cl-leading-zeros', () => {
  const leadingZeros = caseById(framingCases, 'framing-cl-leading-zeros');

  it('sends "010" with a body of ten bytes', () => {
    const sent = Buffer.from(requestBytes(leadingZeros.request)).toString('latin1');
    expect(sent).toContain('Content-Length: 010\r\n');
    expect(sent).toContain('\r\n\r\nhelloworldGET /style.css HTTP/1.1\r\n');
  });

  it('passes a server that frames ten bytes, with echo or without', () => {
    expect(leadingZeros.check?.(ctx([response(200, 'helloworld'), response(200, STYLE)], ['echo']))).toBeNull();
    expect(leadingZeros.check?.(ctx([response(405), response(200, STYLE)], []))).toBeNull();
  });

  it('fails a server that reads the value as octal and frames eight bytes', () => {
    expect(leadingZeros.check?.(ctx([response(200, 'hellowor'), response(400)], ['echo']))).toMatch(
      /first response's body should be "helloworld"/,
    );
    expect(leadingZeros.check?.(ctx([response(405), response(400)], []))).toMatch(/second response should be 200/);
  });
});

/** An HTTP/2 frame header: 24-bit length, type, flags, stream id 0 (RFC 9113 §4.1). */
function frame(type: number, payloadLength: number): Uint8Array {
  return Uint8Array.from([0, 0, payloadLength, type, 0, 0, 0, 0, 0, ...new Array<number>(payloadLength).fill(0)]);
}

describe('liveness-http2-preface', () => {
  const preface = caseById(livenessCases, 'liveness-http2-preface');
  const accepted = (ex: Exchange) => preface.accept.some((o) => outcomeMatches(o, observedOutcome(ex)));

  it('accepts an HTTP/2 SETTINGS or GOAWAY frame as the answer', () => {
    expect(accepted(exchangeOf([], frame(0x4, 6)))).toBe(true);
    expect(accepted(exchangeOf([], frame(0x4, 0)))).toBe(true);
    expect(accepted(exchangeOf([], frame(0x7, 8)))).toBe(true);
  });

  it('still accepts a refusal, and still fails bytes that are neither a response nor such a frame', () => {
    expect(accepted(exchangeOf([response(505)]))).toBe(true);
    expect(accepted(exchangeOf([], frame(0x0, 4)))).toBe(false);
    expect(accepted(exchangeOf([], Buffer.from('garbage, not a frame', 'latin1')))).toBe(false);
  });

  it('reads a frame header only on stream 0 and with all nine bytes', () => {
    expect(startsWithHttp2Frame(frame(0x4, 0).subarray(0, 8))).toBe(false);
    expect(startsWithHttp2Frame(Uint8Array.from([0, 0, 0, 4, 0, 0, 0, 0, 1]))).toBe(false);
  });

  it('is the only case that accepts such a frame', () => {
    const withFrame = [...framingCases, ...livenessCases].filter((c) => c.accept.some((o) => o.kind === 'http2-frame'));
    expect(withFrame.map((c) => c.id)).toEqual(['liveness-http2-preface']);
  });
});
