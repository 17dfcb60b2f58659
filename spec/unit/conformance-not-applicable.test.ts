/**
 * The verdict `n/a`: a case whose check finds that the situation its requirement is about never
 * arose (no 304, no 405, no 100 Continue) is neither a pass nor a miss. The runner turns the
 * check's marker into the verdict, every report counts and shows it apart, it never fails a run,
 * and the cases about one status judge made-up exchanges accordingly.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type Server } from 'node:net';
import { runCase, type CaseTarget } from '../../lib/conformance/runner.ts';
import { afterPersistentFirst, notApplicable, onStatus } from '../../lib/conformance/cases/helpers.ts';
import { cases as headerFieldCases } from '../../lib/conformance/cases/header-fields.ts';
import { cases as responsesCases } from '../../lib/conformance/cases/responses.ts';
import { cases as methodsCases } from '../../lib/conformance/cases/methods.ts';
import { cases as expectCases } from '../../lib/conformance/cases/expect-continue.ts';
import { countVerdicts, countsLine, runFailed } from '../../lib/conformance/summary.ts';
import { renderGrid } from '../../lib/report/terminal/check-grid.ts';
import { renderCheckJson, type JsonCheckRun } from '../../lib/report/json/check-json.ts';
import { renderJunit } from '../../lib/report/junit/check-junit.ts';
import { conformanceSection } from '../../lib/report/html/conformance-section.ts';
import type {
  CaseDefinition,
  CaseResult,
  CheckRun,
  ConformanceCase,
  Exchange,
  NotApplicable,
} from '../../lib/conformance/types.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import { TEST_MACHINE } from '../helpers/test-machine.ts';
import { exchangeFrom } from './helpers/made-exchange.ts';

function exchangeOf(received: string, closedBy: Exchange['closedBy'] = 'server'): Exchange {
  return exchangeFrom(received, { closedBy });
}

/** What a case's check says about an exchange. */
function judge(c: CaseDefinition, received: string): string | null | NotApplicable {
  if (!c.check) throw new Error(`${c.id} has no check`);
  return c.check({ exchange: exchangeOf(received), root: DEFAULT_DOC_ROOT, capabilities: [] });
}

function caseById(id: string): CaseDefinition {
  const found = [...responsesCases, ...methodsCases, ...expectCases, ...headerFieldCases].find((c) => c.id === id);
  if (!found) throw new Error(`no case ${id}`);
  return found;
}

const OK_TEXT = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello';

// ---------------------------------------------------------------------------
// The runner
// ---------------------------------------------------------------------------

const open: Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A server on loopback that answers every request with `response` and closes. */
async function answering(response: string): Promise<CaseTarget> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end(response));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  open.push(server);
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { host: '127.0.0.1', port, root: DEFAULT_DOC_ROOT, capabilities: [], name: 'scripted' };
}

function case304(extra: Partial<ConformanceCase> = {}): ConformanceCase {
  return {
    id: 'test-304-only',
    name: 'A 304 carries no content',
    rfc: 'RFC 9110 §15.4.5',
    level: 'MUST',
    group: 'responses',
    request: [{ data: 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' }],
    accept: [
      { kind: 'status', min: 200, max: 200 },
      { kind: 'status', min: 304, max: 304 },
    ],
    check: onStatus(304, () => 'the 304 carries content'),
    timeoutMs: 500,
    ...extra,
  };
}

describe('the runner and n/a', () => {
  it("turns a check's notApplicable into the verdict n/a, with its reason", async () => {
    const target = await answering(OK_TEXT);
    const r = await runCase(case304(), target);
    expect(r.verdict).toBe('n/a');
    expect(r.reason).toBe('the server answered 200, not 304: nothing to check');
    expect(r.exchange?.responses[0]?.status).toBe(200);
  });

  it('still fails a case whose accepted outcomes were missed, before its check is asked', async () => {
    const target = await answering('HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    const r = await runCase(case304(), target);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^expected 200 or 304; /);
  });

  it('judges the response when it came: a problem is a miss, none is a pass', async () => {
    const notModified = await answering('HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n');
    expect((await runCase(case304(), notModified)).verdict).toBe('fail');
    expect((await runCase(case304({ check: onStatus(304, () => null) }), notModified)).verdict).toBe('pass');
  });

  it('fails an n/a case after which the server stopped answering', async () => {
    const target = await answering(OK_TEXT);
    const dying: ConformanceCase = case304({
      check: () => {
        for (const s of open) s.close();
        return notApplicable('nothing to check');
      },
      thenAlive: true,
    });
    const r = await runCase(dying, target);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/^the server stopped answering/);
  });
});

// ---------------------------------------------------------------------------
// Counts and reports
// ---------------------------------------------------------------------------

function sampleRun(): CheckRun {
  const result = (caseId: string, verdict: CaseResult['verdict'], reason = ''): CaseResult => ({
    caseId,
    server: 'plain',
    verdict,
    reason,
    exchange: exchangeOf(OK_TEXT),
    durationMs: 2,
  });
  return {
    tool: 'gauntlet',
    command: 'check',
    schemaVersion: 1,
    machine: TEST_MACHINE,
    version: '0.1.0',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    status: 'complete',
    cases: [
      { id: 'get-file', name: 'GET serves the file', rfc: 'RFC 9110 §9.3.1', level: 'MUST', group: 'methods' },
      { id: 'only-304', name: 'A 304 carries no content', rfc: 'RFC 9110 §15.4.5', level: 'MUST', group: 'responses' },
    ],
    servers: [
      {
        name: 'plain',
        command: 'plain {port}',
        source: '--server plain',
        capabilities: [],
        serverFlag: '--server plain',
      },
    ],
    results: [
      result('get-file', 'pass'),
      result('only-304', 'n/a', 'the server answered 200, not 304: nothing to check'),
    ],
  };
}

describe('n/a in the counts and the reports', () => {
  it('is counted apart, after the others, and only named when some result has it', () => {
    const run = sampleRun();
    const counts = countVerdicts(run.results);
    expect(counts['n/a']).toBe(1);
    expect(counts.pass).toBe(1);
    expect(countsLine(counts)).toBe('1 pass, 0 warn, 0 fail, 0 info, 0 skip, 0 harness-error, 1 n/a');
    expect(countsLine(countVerdicts(run.results.slice(0, 1)))).toBe(
      '1 pass, 0 warn, 0 fail, 0 info, 0 skip, 0 harness-error',
    );
    const withNotRun = countVerdicts([...run.results, { ...run.results[0]!, verdict: 'not-run' }]);
    expect(countsLine(withNotRun)).toBe('1 pass, 0 warn, 0 fail, 0 info, 0 skip, 0 harness-error, 1 not-run, 1 n/a');
  });

  it('never fails a run', () => {
    expect(runFailed(sampleRun())).toBe(false);
  });

  it('shows n/a in the terminal grid and its summary, not among the results to look at', () => {
    const grid = renderGrid(sampleRun());
    expect(grid).toMatch(/only-304\s+MUST\s+n\/a/);
    expect(grid).toContain('plain: 1 pass, 0 warn, 0 fail, 0 info, 0 skip, 0 harness-error, 1 n/a');
    expect(grid).not.toContain('replay:');
    expect(grid).toContain('1 case n/a (the situation tested never arose; not passes): see check.html or check.json');
  });

  it('writes n/a to check.json with its reason, without the bytes of a miss', () => {
    const json = JSON.parse(renderCheckJson(sampleRun())) as JsonCheckRun;
    const na = json.results.find((r) => r.caseId === 'only-304')!;
    expect(na.verdict).toBe('n/a');
    expect(na.reason).toBe('the server answered 200, not 304: nothing to check');
    expect(na.wireLog).toBeUndefined();
    expect(na.exchange?.responses[0]?.status).toBe(200);
  });

  it('reports n/a to JUnit as a skipped testcase with its reason, counted with the skipped', () => {
    const xml = renderJunit(sampleRun());
    expect(xml).toContain('<testsuite name="plain" tests="2" failures="0" errors="0" skipped="1"');
    expect(xml).toContain('<skipped message="the server answered 200, not 304: nothing to check"/>');
    expect(xml).toContain('<property name="not-applicable" value="1"/>');
    expect(xml).not.toContain('<system-out>');
  });

  it('shows n/a in the HTML grid with its reason, apart from the results that did not pass', () => {
    const section = conformanceSection(sampleRun());
    expect(section.body).toMatch(/title="the server answered 200, not 304: nothing to check">n\/a<\/td>/);
    expect(section.body).toContain('1 pass, 0 warn, 0 fail, 0 info, 0 skip, 0 harness-error, 1 n/a');
    expect(section.body).not.toContain('Results that did not pass');
  });
});

// ---------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------

describe('the cases about one kind of response, on made-up exchanges', () => {
  it('responses-304-no-content: n/a on a 200, judged on a 304', () => {
    const c = caseById('responses-304-no-content');
    expect(judge(c, OK_TEXT)).toEqual(notApplicable('the server answered 200, not 304: nothing to check'));
    expect(judge(c, 'HTTP/1.1 304 Not Modified\r\nETag: "a"\r\n\r\n')).toBeNull();
    expect(judge(c, 'HTTP/1.1 304 Not Modified\r\n\r\nhello')).toMatch(/^5 bytes followed the header section/);
  });

  it('responses-date-on-400: n/a when the request is taken or the connection closed, judged on a 400', () => {
    const c = caseById('responses-date-on-400');
    expect(judge(c, OK_TEXT)).toEqual(notApplicable('the server answered 200, not 400: nothing to check'));
    expect(judge(c, '')).toHaveProperty('notApplicable');
    expect(judge(c, 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')).toBe(
      'the 400 response has no Date header field',
    );
  });

  it('a case judged by the request after the first: n/a after an HTTP/1.0 answer that closes, judged after HTTP/1.1', () => {
    const c = caseById('header-fields-obs-fold-not-a-field');
    const http10 = 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello';
    expect(judge(c, http10)).toEqual(
      notApplicable(
        'the server answered the first request in HTTP/1.0 and closed, as that version does: the request after it was never read',
      ),
    );
    // An HTTP/1.1 server that closes after one answer may have read the folded line as a field.
    expect(judge(c, OK_TEXT)).toBe('expected 2 responses but got 1');
    // An HTTP/1.0 answer that keeps the connection alive is judged as any other.
    const keptAlive = afterPersistentFirst(() => 'judged');
    const ex = exchangeOf('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello');
    expect(keptAlive({ exchange: ex, root: DEFAULT_DOC_ROOT, capabilities: [] })).toBe('judged');
  });

  it('responses-204-no-content-length: n/a on any other status, judged on a 204', () => {
    const c = caseById('responses-204-no-content-length');
    expect(judge(c, 'HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\nContent-Length: 0\r\n\r\n')).toEqual(
      notApplicable('the server answered 405, not 204: nothing to check'),
    );
    expect(judge(c, 'HTTP/1.1 204 No Content\r\nAllow: GET\r\n\r\n')).toBeNull();
    expect(judge(c, 'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n')).toBe(
      'the 204 response carries Content-Length',
    );
  });

  it('expect-continue-100-has-no-content-length: n/a without a 100, judged on one', () => {
    const c = caseById('expect-continue-100-has-no-content-length');
    expect(judge(c, OK_TEXT)).toEqual(
      notApplicable('the server sent no 100 Continue (it answered 200): nothing to check'),
    );
    expect(judge(c, `HTTP/1.1 100 Continue\r\n\r\n${OK_TEXT}`)).toBeNull();
    expect(judge(c, `HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n${OK_TEXT}`)).toBe(
      'the 100 response carries Content-Length',
    );
  });

  it.each(['methods-post-to-file-405-allow', 'methods-trace-405-allow'])(
    '%s: n/a on any other answer, judged on a 405',
    (id) => {
      const c = caseById(id);
      expect(judge(c, 'HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n')).toEqual(
        notApplicable('the server answered 501, not 405: nothing to check'),
      );
      expect(judge(c, '')).toEqual(
        notApplicable('the server closed the connection without a response, not 405: nothing to check'),
      );
      expect(judge(c, 'HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\n\r\n')).toBeNull();
      expect(judge(c, 'HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n')).toBe(
        'the 405 response has no Allow header field',
      );
    },
  );

  it('keep their accepted outcomes', () => {
    expect(caseById('responses-304-no-content').accept).toHaveLength(2);
    expect(caseById('methods-trace-405-allow').accept).toEqual([
      { kind: 'status', min: 200, max: 599 },
      { kind: 'close' },
    ]);
  });
});
