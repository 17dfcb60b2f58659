/**
 * Checks of the groups conditional-requests and ranges judged on made-up exchanges, for the
 * situations the reference servers never show: a 200 without Date, a 304 or 206 that drops a
 * field, an HTTP/1.0 server that closes after the first of a pipelined pair, a false If-Match
 * answered with another 4xx than 412, a server that ignores Range.
 */
import { describe, expect, it } from 'vitest';
import { cases as conditionalCases } from '../../lib/conformance/cases/conditional-requests.ts';
import { cases as rangeCases } from '../../lib/conformance/cases/ranges.ts';
import { observedOutcome, outcomeMatches } from '../../lib/conformance/runner/outcomes.ts';
import type { CaseDefinition, Exchange, NotApplicable } from '../../lib/conformance/types.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import { exchangeFrom } from './helpers/made-exchange.ts';

const DATE = 'Date: Mon, 07 Dec 2026 03:00:00 GMT\r\n';
const ETAG = 'ETag: "22-5f0"\r\n';

function exchangeOf(received: string): Exchange {
  return exchangeFrom(received, { methods: ['GET'] });
}

function caseById(id: string): CaseDefinition {
  const found = [...conditionalCases, ...rangeCases].find((c) => c.id === id);
  if (!found) throw new Error(`no case ${id}`);
  return found;
}

function judge(id: string, received: string): string | null | NotApplicable {
  const c = caseById(id);
  if (!c.check) throw new Error(`${id} has no check`);
  return c.check({ exchange: exchangeOf(received), root: DEFAULT_DOC_ROOT, capabilities: [] });
}

function accepts(id: string, received: string): boolean {
  const ex = exchangeOf(received);
  return caseById(id).accept.some((o) => outcomeMatches(o, observedOutcome(ex)));
}

/** A response with the given status, extra field lines and body. */
function response(status: number, fields: string, body = '', version = '1.1'): string {
  return `HTTP/${version} ${status} X\r\n${fields}Content-Length: ${body.length}\r\n\r\n${body}`;
}

describe('conditional-requests-304-keeps-fields', () => {
  const id = 'conditional-requests-304-keeps-fields';

  it('asks no Date of the 304 when the 200 had none', () => {
    expect(judge(id, response(200, ETAG, 'x') + response(304, ETAG))).toBeNull();
  });

  it('fails a 304 without the Date the 200 had', () => {
    expect(judge(id, response(200, DATE + ETAG, 'x') + response(304, ETAG))).toMatch(/date .* the 304 has none/);
  });

  it('fails a 304 with another ETag than the 200', () => {
    expect(judge(id, response(200, DATE + ETAG, 'x') + response(304, `${DATE}ETag: "other"\r\n`))).toMatch(/etag/);
  });

  it('fails when there is no 200 to compare with', () => {
    expect(judge(id, response(404, DATE) + response(304, DATE))).toMatch(/no 200 to compare/);
  });
});

describe('ranges-206-keeps-fields', () => {
  const id = 'ranges-206-keeps-fields';
  const cr = 'Content-Range: bytes 0-9/34\r\n';

  it('asks no Date of the 206 when the 200 had none', () => {
    expect(judge(id, response(200, ETAG, 'x') + response(206, ETAG + cr, '0123456789'))).toBeNull();
  });

  it('fails a 206 without the Date the 200 had', () => {
    expect(judge(id, response(200, DATE + ETAG, 'x') + response(206, ETAG + cr, '0123456789'))).toMatch(
      /date .* the 206 has none/,
    );
  });
});

describe('conditional-requests-if-match-weak-412 (a pipelined pair)', () => {
  const id = 'conditional-requests-if-match-weak-412';
  const tag = /"([^"]+)"/.exec(Buffer.from(caseById(id).request[0]!.data).toString('latin1'))![1]!;
  const first = response(200, `ETag: "${tag}"\r\n`, 'x');

  it('passes a 412 and any other 4xx: the GET was not performed', () => {
    expect(judge(id, first + response(412, ''))).toBeNull();
    expect(judge(id, first + response(403, ''))).toBeNull();
  });

  it('fails a 200: the GET was performed', () => {
    expect(judge(id, first + response(200, '', 'x'))).toMatch(/answer was 200/);
  });

  it('is n/a when an HTTP/1.0 server closed after the first', () => {
    const verdict = judge(id, response(200, `ETag: "${tag}"\r\n`, 'x', '1.0'));
    expect(verdict).toHaveProperty('notApplicable');
  });
});

describe('the false If-Match and If-Unmodified-Since cases', () => {
  it.each(['conditional-requests-if-match-mismatch-412', 'conditional-requests-ius-past-412'])(
    '%s accepts any 4xx and refuses the file',
    (id) => {
      expect(accepts(id, response(412, ''))).toBe(true);
      expect(accepts(id, response(409, ''))).toBe(true);
      expect(accepts(id, response(200, '', 'x'))).toBe(false);
    },
  );
});

describe('the 416 cases judge only a server that supports Range', () => {
  it.each(['ranges-unsatisfiable-416', 'ranges-first-pos-at-length-416'])('%s', (id) => {
    const partial = response(206, 'Content-Range: bytes 0-9/34\r\n', '0123456789');
    expect(judge(id, partial + response(416, 'Content-Range: bytes */34\r\n'))).toBeNull();
    expect(judge(id, partial + response(200, '', 'x'.repeat(34)))).toMatch(/not 416/);
    const ignored = judge(id, response(200, '', 'x'.repeat(34)) + response(200, '', 'x'.repeat(34)));
    expect(ignored).toHaveProperty('notApplicable');
  });
});
