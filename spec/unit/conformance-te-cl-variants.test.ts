/**
 * The generated group te-cl-variants: its ids are unique and stable (a snapshot of how many cases
 * each table makes, and a few ids), none of its cases sends what another loaded case already
 * sends (same bytes, same delays, same time limit), every case's quote carries its level's
 * keyword, and the decision of table 1 (which rule a byte at a position falls under) holds.
 */
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../lib/conformance/registry.ts';
import { DEFAULT_CASE_TIMEOUT_MS } from '../../lib/conformance/runner/case.ts';
import type { ConformanceCase } from '../../lib/conformance/types.ts';
import {
  CL_VALUES,
  TE_BYTES,
  TE_POSITIONS,
  TE_VALUES,
  cases,
  lengthCases,
  teByteCases,
  teReading,
  teValueCases,
} from '../../lib/conformance/cases/te-cl-variants.ts';

const loaded = (await loadCases()).map((l) => l.case);
const generated = loaded.filter((c) => c.group === 'te-cl-variants');

/** What a case puts on the wire, with when and how long it waits: two equal keys send the same exchange. */
function wireKey(c: ConformanceCase): string {
  const parts = c.request.map((p) => ({
    data: typeof p.data === 'string' ? p.data : Buffer.from(p.data).toString('latin1'),
    delayMs: p.delayMs ?? 0,
  }));
  return JSON.stringify({ parts, timeoutMs: c.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS });
}

describe('te-cl-variants', () => {
  it('makes the same number of cases per table', () => {
    expect({
      teBytes: teByteCases().length,
      teValues: teValueCases().length,
      lengths: lengthCases().length,
    }).toEqual({ teBytes: 90, teValues: 14, lengths: 19 });
    // Every position with every byte, but for SP after the colon: the ordinary spelling.
    expect(Object.keys(TE_POSITIONS).length * TE_BYTES.length).toBe(91);
    expect(TE_VALUES.length + CL_VALUES.length).toBe(33);
    expect(generated.length).toBe(cases.length);
  });

  it('keeps the group under 150 cases, so that a full run stays fast', () => {
    expect(cases.length).toBeLessThan(150);
  });

  it('gives stable ids that name the position and the byte in hex', () => {
    const ids = new Set(cases.map((c) => c.id));
    expect(ids.size).toBe(cases.length);
    for (const id of [
      'te-cl-variants-te-after-colon-0b',
      'te-cl-variants-te-before-name-00',
      'te-cl-variants-te-after-value-ff',
      'te-cl-variants-te-value-trailing-comma',
      'te-cl-variants-cl-minus-zero',
    ]) {
      expect(ids.has(id), id).toBe(true);
    }
  });

  it('sends nothing another loaded case already sends', () => {
    const others = new Map<string, string>();
    for (const c of loaded) if (c.group !== 'te-cl-variants') others.set(wireKey(c), c.id);
    const duplicates = generated
      .filter((c) => others.has(wireKey(c)))
      .map((c) => `${c.id} = ${others.get(wireKey(c))}`);
    expect(duplicates).toEqual([]);
    const own = new Map<string, string>();
    const twins = generated.filter((c) => {
      const seen = own.get(wireKey(c));
      own.set(wireKey(c), c.id);
      return seen !== undefined;
    });
    expect(twins.map((c) => c.id)).toEqual([]);
  });

  it("quotes its level's keyword in every case", () => {
    const missing = generated.filter((c) => {
      if (c.level === 'MUST') return !/"[^"]*\bMUST\b[^"]*"/.test(c.notes ?? '');
      if (c.level === 'SHOULD') return !/"[^"]*\b(SHOULD|RECOMMENDED)\b[^"]*"/.test(c.notes ?? '');
      return true;
    });
    expect(missing.map((c) => `${c.id} (${c.level})`)).toEqual([]);
  });

  it('never accepts a close without a response where the quoted MUST says to respond with 400', () => {
    // RFC 9112 §6.3: "the server MUST respond with the 400 (Bad Request) status code and then
    // close the connection" (a coding that is not chunked, an invalid Content-Length).
    const mustRespond = generated.filter(
      (c) => c.level === 'MUST' && /MUST respond with (the )?(a )?400/.test(c.notes ?? ''),
    );
    expect(mustRespond.length).toBeGreaterThanOrEqual(55);
    const withClose = mustRespond.filter((c) => c.accept.some((o) => o.kind === 'close')).map((c) => c.id);
    expect(withClose).toEqual([]);
  });

  it('reads optional whitespace in the value as optional, and whitespace elsewhere as an error', () => {
    expect(teReading('after-colon', 0x20)).toBe('chunked');
    expect(teReading('before-value', 0x09)).toBe('chunked');
    expect(teReading('after-value', 0x20)).toBe('chunked');
    expect(teReading('in-value', 0x20)).toBe('coding-refused');
    expect(teReading('after-name', 0x20)).toBe('space-before-colon');
    expect(teReading('before-name', 0x09)).toBe('obs-fold');
    expect(teReading('in-name', 0x20)).toBe('bad-name');
  });

  it('lets NUL and CR at an end of the value be replaced by SP, and nothing else', () => {
    expect(teReading('after-value', 0x00)).toBe('chunked-or-refused');
    expect(teReading('after-colon', 0x0d)).toBe('chunked-or-refused');
    expect(teReading('in-value', 0x00)).toBe('coding-refused');
    expect(teReading('after-value', 0x0b)).toBe('coding-refused');
    expect(teReading('before-value', 0xa0)).toBe('coding-refused');
    expect(teReading('after-name', 0x0d)).toBe('bad-name');
  });
});
