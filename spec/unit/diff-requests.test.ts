/**
 * The requests of a differential run (lib/diff/edits.ts, lib/diff/generator.ts): each edit does
 * what it says on bytes, a request without changes is the well-formed one, and the writes
 * always add up to the bytes; the probe rides on the last write.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { applyEdits, framingLineText, insertLines, type ByteEdit } from '../../lib/diff/edits.ts';
import { buildRequest, diffRequests, IF_NONE_MATCH_ANY, withFieldLine } from '../../lib/diff/generator.ts';
import { PROBE_REQUEST, withProbe } from '../../lib/diff/send.ts';
import { request } from '../../lib/conformance/arbitraries/http-message.ts';
import { partBytes } from '../../lib/conformance/raw-client.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const CHUNKED = 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n';

describe('applyEdits', () => {
  it.each<[string, ByteEdit, string]>([
    ['delete a byte', { kind: 'delete-byte', at: 1 }, 'PST / HTTP/1.1'],
    ['double a byte (offset modulo the length)', { kind: 'duplicate-byte', at: CHUNKED.length }, 'PPOST'],
    ['a CRLF into a bare LF', { kind: 'crlf', nth: 5, to: 'LF' }, '1\r\na\n0\r\n'],
    ['a CRLF into a bare CR', { kind: 'crlf', nth: 0, to: 'CR' }, 'HTTP/1.1\rHost'],
    ['a CRLF removed', { kind: 'crlf', nth: 1, to: 'none' }, 'Host: xTransfer'],
    ['a CRLF doubled: the head ends early', { kind: 'crlf', nth: 1, to: 'twice' }, 'Host: x\r\n\r\nTransfer'],
    ['case swapped', { kind: 'case', at: 0, length: 4 }, 'post / HTTP'],
  ])('%s', (_name, edit, want) => {
    const out = applyEdits(bytes(CHUNKED), [edit]);
    expect(text(out.bytes)).toContain(want);
    expect(out.applied).toHaveLength(1);
  });

  it('a CRLF edit on bytes without one changes nothing and says nothing', () => {
    expect(applyEdits(bytes('abc'), [{ kind: 'crlf', nth: 0, to: 'LF' }])).toEqual({
      bytes: bytes('abc'),
      applied: [],
    });
  });
});

describe('insertLines and buildRequest', () => {
  const req = fc.sample(request({ body: 'always', framings: ['content-length'] }), { seed: 1, numRuns: 1 })[0]!;

  it('inserts a framing line after the request line, with the body length filled in', () => {
    const applied: string[] = [];
    const out = insertLines(req, [{ field: 'cl-body+1', after: 0 }], applied);
    expect(out.lines[1]).toBe(framingLineText('cl-body+1', req.framedBody.length));
    expect(out.lines[0]).toBe(req.lines[0]);
    expect(applied).toHaveLength(1);
  });

  it.each<[Parameters<typeof framingLineText>[0], number, string]>([
    ['cl-body-signed', 5, 'Content-Length: +5'],
    ['cl-body-hex', 10, 'Content-Length: 0xa'],
    ['te-xchunked', 3, 'Transfer-Encoding: xchunked'],
    ['expect-continue', 3, 'Expect: 100-continue'],
  ])('the line %s for a %i-byte body is %s', (field, length, want) => {
    expect(framingLineText(field, length)).toBe(want);
  });

  it('withFieldLine puts a field right after the request line and rebuilds the bytes', () => {
    const out = withFieldLine(req, IF_NONE_MATCH_ANY);
    expect(out.lines).toEqual([req.lines[0], IF_NONE_MATCH_ANY, ...req.lines.slice(1)]);
    expect(text(out.bytes)).toBe(`${[...out.lines, ''].join('\r\n')}\r\n${text(req.framedBody)}`);
  });

  it('without changes, the bytes are the well-formed request', () => {
    const built = buildRequest(req, [], [], []);
    expect(text(built.bytes)).toBe(text(req.bytes));
    expect(built.applied).toEqual([]);
  });
});

describe('diffRequests', () => {
  it('writes add up to the bytes, and the probe follows in the last write', () => {
    fc.assert(
      fc.property(diffRequests({ root: DEFAULT_DOC_ROOT }), (r) => {
        const joined = Buffer.concat(r.parts.map(partBytes));
        expect(text(joined)).toBe(text(r.bytes));
        const probed = withProbe(r.parts);
        expect(probed).toHaveLength(r.parts.length);
        expect(text(partBytes(probed[probed.length - 1]!)).endsWith(PROBE_REQUEST)).toBe(true);
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it('generates well-formed requests, changed ones, split ones, HEAD and echoes', () => {
    const sample = fc.sample(diffRequests({ root: DEFAULT_DOC_ROOT }), { seed: 3, numRuns: 300 });
    expect(sample.some((r) => r.applied.length === 0)).toBe(true);
    expect(sample.some((r) => r.applied.length > 0)).toBe(true);
    expect(sample.some((r) => r.parts.length > 1)).toBe(true);
    expect(sample.some((r) => r.original.method === 'HEAD')).toBe(true);
    expect(sample.some((r) => r.original.target === '/echo')).toBe(true);
  });

  it('generates the shapes framing faults hide behind: conditional GETs, content on HEAD, odd framing values', () => {
    const sample = fc.sample(diffRequests({ root: DEFAULT_DOC_ROOT }), { seed: 3, numRuns: 1000 });
    const has = (test: (r: (typeof sample)[number]) => boolean) => sample.filter(test).length;
    const conditional = sample.filter((r) => r.original.lines.includes(IF_NONE_MATCH_ANY));
    expect(conditional.length).toBeGreaterThan(20);
    // Only GET and HEAD of a file are conditional: for other methods the answer is the server's choice.
    expect(conditional.every((r) => ['GET', 'HEAD'].includes(r.original.method))).toBe(true);
    expect(has((r) => r.original.method === 'HEAD' && r.original.body.length > 0)).toBeGreaterThan(10);
    expect(has((r) => r.original.method === 'OPTIONS' && r.original.body.length > 0)).toBeGreaterThan(5);
    for (const line of [
      'Content-Length: +',
      'Content-Length: 0x',
      'Transfer-Encoding: xchunked',
      'Expect: 100-continue',
    ])
      expect(
        has((r) => text(r.bytes).includes(line)),
        line,
      ).toBeGreaterThan(5);
  });
});
