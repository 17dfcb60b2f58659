import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVERS_DIR } from '../../lib/paths.ts';
import type { CaseResult, CheckRun, ConformanceCase, Exchange } from '../../lib/conformance/types.ts';
import { parseResponses } from '../../lib/conformance/response-parser.ts';
import {
  escapeBytes,
  escapedLines,
  renderWireLog,
  printfReplay,
  gauntletReplay,
  serverFlagFor,
  shellQuote,
} from '../../lib/conformance/wire-log.ts';
import { renderJunit } from '../../lib/report/junit/check-junit.ts';
import { escapeXml } from '../../lib/report/junit/xml.ts';
import { renderGrid } from '../../lib/report/terminal/check-grid.ts';
import { renderCheckJson, type JsonCheckRun } from '../../lib/report/json/check-json.ts';
import { conformanceSection } from '../../lib/report/html/conformance-section.ts';
import { renderCheckHtml } from '../../lib/report/html/check-report.ts';
import { CaseError, loadCases, selectCases, validateCases } from '../../lib/conformance/registry.ts';
import { runFailed } from '../../lib/conformance/summary.ts';
import { TEST_MACHINE } from '../helpers/test-machine.ts';

const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

function fakeExchange(sent: string, received: string, extra: Partial<Exchange> = {}): Exchange {
  const r = bytes(received);
  const parsed = parseResponses(r, { ended: true });
  return {
    sent: bytes(sent),
    received: r,
    responses: parsed.responses,
    interim: parsed.interim,
    trailingGarbage: parsed.trailingGarbage,
    closedBy: 'server',
    reset: false,
    closeAfterMs: 3.2,
    peer: { host: '127.0.0.1', port: 4000 },
    timeline: [
      { atMs: 0, direction: 'sent', offset: 0, length: sent.length },
      { atMs: 1.5, direction: 'received', offset: 0, length: r.length },
    ],
    ...extra,
  };
}

function sampleRun(): CheckRun {
  const bad = fakeExchange('GET / HTTP/1.1\r\n\x00\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  const result = (
    server: string,
    caseId: string,
    verdict: CaseResult['verdict'],
    reason = '',
    ex: Exchange | null = bad,
  ): CaseResult => ({
    caseId,
    server,
    verdict,
    reason,
    exchange: ex,
    durationMs: 3,
  });
  return {
    tool: 'gauntlet',
    command: 'check',
    schemaVersion: 1,
    machine: TEST_MACHINE,
    version: '0.1.0',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:05.000Z',
    status: 'complete',
    cases: [
      {
        id: 'nul-in-head',
        name: 'A NUL in the head is rejected',
        rfc: 'RFC 9110 §5.5',
        level: 'MUST',
        group: 'header-fields',
        printfReplay: printfReplay([{ data: 'GET / HTTP/1.1\r\n\x00\r\n\r\n' }]),
      },
      { id: 'date-sent', name: 'Date is sent', rfc: 'RFC 9110 §6.6.1', level: 'SHOULD', group: 'responses' },
      { id: 'echo-works', name: 'Echo', rfc: 'RFC 9110 §9.3.3', level: 'MUST', group: 'methods' },
    ],
    servers: [
      {
        name: 'good',
        command: 'good {port}',
        source: 'servers/good/server.json',
        capabilities: ['echo'],
        serverFlag: '--server good',
      },
      {
        name: 'bad<&>',
        command: 'bad {port}',
        source: '--server "bad=bad {port}"',
        capabilities: [],
        serverFlag: "--server 'bad=bad {port}'",
      },
      {
        name: 'dead',
        command: 'dead {port}',
        source: 'servers/dead/server.json',
        capabilities: [],
        serverFlag: '--server dead',
        error:
          'did not start: server "dead" exited before it was ready (exit code 3)\n--- last output ---\nboom\x1b[31m',
      },
    ],
    results: [
      result('good', 'nul-in-head', 'pass', '', null),
      result('good', 'date-sent', 'pass', '', null),
      result('good', 'echo-works', 'pass', '', null),
      result('bad<&>', 'nul-in-head', 'fail', 'expected 400 or close; got 200 OK\x07 after 2 ms, connection left open'),
      result('bad<&>', 'date-sent', 'warn', 'no Date field'),
      result('bad<&>', 'echo-works', 'skip', 'needs echo, which bad does not declare', null),
    ],
  };
}

describe('wire log', () => {
  it('escapes every byte outside printable ASCII and doubles backslashes', () => {
    expect(escapeBytes(bytes('a\r\n\t\\\x00\x7f\xff'))).toBe('a\\r\\n\\t\\\\\\x00\\x7f\\xff');
    expect(escapedLines(bytes('ab\r\ncd'))).toEqual(['ab\\r\\n', 'cd']);
    expect(escapedLines(bytes('x'.repeat(250)), 100).map((l) => l.length)).toEqual([100, 100, 50]);
  });

  it('shows writes and reads with their times, and who closed', () => {
    const log = renderWireLog(
      fakeExchange('GET / HTTP/1.1\r\n\r\n', 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'),
    );
    expect(log).toContain('connection to 127.0.0.1:4000');
    expect(log).toMatch(/\+0\.0 ms\s+> sent 18 bytes\n\s+GET \/ HTTP\/1\.1\\r\\n\n\s+\\r\\n/);
    expect(log).toMatch(/\+1\.5 ms\s+< received 47 bytes\n\s+HTTP\/1\.1 400 Bad Request\\r\\n/);
    expect(log).toContain('the server closed the connection after 3 ms (FIN)');
    expect(log).toContain('1 response (400 Bad Request)');
    const reset = renderWireLog(fakeExchange('x', '', { reset: true, unsent: 5 }));
    expect(reset).toContain('5 bytes of the request not sent');
    expect(reset).toContain('the connection was reset after 3 ms (RST)');
    expect(
      renderWireLog(fakeExchange('x', '', { closedBy: 'client-timeout', closeAfterMs: null }), { timeoutMs: 2000 }),
    ).toContain('the client gave up after 2000 ms of silence');
  });

  it('shortens big blocks, keeping their start and end', () => {
    const body = 'A'.repeat(5000) + 'THE-END';
    const log = renderWireLog(
      fakeExchange(
        'GET /large.bin HTTP/1.1\r\n\r\n',
        `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ),
      { maxBlockBytes: 400 },
    );
    expect(log).toMatch(/\.\.\. \d+ bytes not shown \.\.\./);
    expect(log).toContain('THE-END');
    expect(log.length).toBeLessThan(1200);
  });

  it('writes a printf line that reproduces the exact bytes, with the pauses between parts', () => {
    const parts = [{ data: "GET /%41 HTTP/1.1\r\nX: '\\\x00\xff\t\r\n" }, { data: '\r\n', delayMs: 250 }];
    const line = printfReplay(parts, '127.0.0.1', 0)!;
    expect(line).toContain('sleep 0.25');
    expect(line).toMatch(/\| nc 127\.0\.0\.1 "\$PORT"$/);
    const out = execFileSync('sh', ['-c', line.replace(/ \| nc .*$/, '').replace('sleep 0.25', 'true')]);
    expect(out.equals(Buffer.from(parts.map((p) => p.data).join(''), 'latin1'))).toBe(true);
    expect(printfReplay([{ data: 'x'.repeat(100_000) }])).toBeNull();
  });

  it('replays through gauntlet with the flag that selects the server', () => {
    expect(gauntletReplay('--server python-async', 'te-and-cl')).toBe(
      'npx gauntlet check --server python-async --case te-and-cl',
    );
    expect(serverFlagFor({ name: 'mine', command: 'x {port}', source: '--server "mine=./srv {port}"' })).toBe(
      "--server 'mine=./srv {port}'",
    );
    expect(
      serverFlagFor({ name: 'node-async', command: 'x', source: join(SERVERS_DIR, 'node-async', 'server.json') }),
    ).toBe('--server node-async');
    // A manifest outside servers/ is named by its folder, which loadServer resolves as a path.
    const elsewhere = join(process.cwd(), 'fixtures', 'broken', 'head-with-body');
    expect(serverFlagFor({ name: 'broken-head-with-body', command: 'x', source: join(elsewhere, 'server.json') })).toBe(
      '--server fixtures/broken/head-with-body',
    );
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});

describe('JUnit XML', () => {
  it('escapes markup, and writes characters XML 1.0 cannot hold as visible escapes', () => {
    expect(escapeXml('a<b>&"c"\x00\x1b\ufffe')).toBe('a&lt;b&gt;&amp;"c"\\x00\\x1b\\ufffe');
    expect(escapeXml('"\'\n', true)).toBe('&quot;&apos;&#xA;');
  });

  it('has a suite per server, a failure per MUST miss, skipped per skip, and the wire log of each non-pass', () => {
    const xml = renderJunit(sampleRun());
    expect(xml).toContain('<testsuite name="good" tests="3" failures="0" errors="0" skipped="0"');
    expect(xml).toContain('<testsuite name="bad&lt;&amp;&gt;" tests="3" failures="1" errors="0" skipped="1"');
    expect(xml).toContain('<testsuite name="dead" tests="1" failures="1"');
    expect(xml).toMatch(/<failure message="expected 400 or close; got 200 OK\\x07 after 2 ms[^"]*" type="MUST">/);
    expect(xml).toContain('<skipped message="needs echo, which bad does not declare"/>');
    expect(xml).toContain('GET / HTTP/1.1\\r\\n');
    expect(xml).toContain('\\x00\\r\\n');
    expect(xml).toContain("replay: npx gauntlet check --server 'bad=bad {port}' --case nul-in-head");
    expect(xml).toContain('WARN (SHOULD, RFC 9110 §6.6.1): no Date field');
    // eslint-disable-next-line no-control-regex
    expect(xml).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
  });

  it('is well-formed XML', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-junit-'));
    const file = join(dir, 'check.junit.xml');
    await writeFile(file, renderJunit(sampleRun()));
    const out = execFileSync('python3', [
      '-c',
      'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); print(len(r.findall("testsuite")), len(list(r.iter("testcase"))))',
      file,
    ]).toString();
    expect(out.trim()).toBe('3 7');
  });
});

describe('grid, JSON and HTML', () => {
  it('prints a grid of cases by servers with a summary line per server', () => {
    const grid = renderGrid(sampleRun());
    const lines = grid.split('\n');
    expect(lines[0]).toMatch(/^case\s+level\s+good\s+bad<&>\s+dead$/);
    expect(grid).toMatch(/nul-in-head\s+MUST\s+pass\s+FAIL\s+down/);
    expect(grid).toMatch(/echo-works\s+MUST\s+pass\s+skip\s+down/);
    expect(grid).toContain('good: 3 pass, 0 warn, 0 fail, 0 info, 0 skip, 0 harness-error');
    expect(grid).toContain('bad<&>: 0 pass, 1 warn, 1 fail, 0 info, 1 skip, 0 harness-error');
    expect(grid).toContain('dead: 0 pass');
    expect(grid).toContain('FAILED: did not start');
    expect(grid).toContain('replay: npx gauntlet check --server');
    // No raw escape sequence from the data reaches the terminal.
    expect(grid).not.toContain('\x1b');
    expect(renderGrid(sampleRun(), { color: true })).toContain('\x1b[1;31mFAIL');
  });

  it('names a security case security in the grid, JUnit, check.json and the HTML', () => {
    const run = sampleRun();
    run.cases = run.cases.map((c) => (c.id === 'nul-in-head' ? { ...c, level: 'security' } : c));
    expect(renderGrid(run)).toMatch(/nul-in-head\s+security\s+pass\s+FAIL\s+down/);
    expect(renderJunit(run)).toContain('type="security"');
    const json = JSON.parse(renderCheckJson(run)) as JsonCheckRun;
    expect(json.cases.find((c) => c.id === 'nul-in-head')?.level).toBe('security');
    expect(renderCheckHtml(run)).toContain('>security<');
  });

  it('writes raw bytes as base64 and escaped text for every non-pass, and none for a pass', () => {
    const json = JSON.parse(renderCheckJson(sampleRun())) as JsonCheckRun;
    const fail = json.results.find((r) => r.verdict === 'fail')!;
    expect(Buffer.from(fail.exchange!.sentBase64!, 'base64').toString('latin1')).toBe('GET / HTTP/1.1\r\n\x00\r\n\r\n');
    expect(fail.exchange!.sentText).toBe('GET / HTTP/1.1\\r\\n\\x00\\r\\n\\r\\n');
    expect(fail.exchange!.responses[0]).toMatchObject({ status: 200, bodyLength: 2, framing: 'content-length' });
    expect(fail.wireLog).toContain('> sent 21 bytes');
    expect(fail.replay).toContain('--case nul-in-head');
    expect(fail.printfReplay).toContain("printf 'GET / HTTP/1.1\\r\\n\\000\\r\\n\\r\\n'");
    const pass = json.results.find((r) => r.verdict === 'pass')!;
    expect(pass.wireLog).toBeUndefined();
    expect(json.servers[2]!.error).toContain('did not start');
  });

  it('renders a colour-coded grid with an expandable wire log per non-pass, escaping the data', () => {
    const section = conformanceSection(sampleRun());
    expect(section.id).toBe('conformance');
    expect(section.body).toContain('<th style="border:1px solid #999;padding:3px 8px;">bad&lt;&amp;&gt;</th>');
    expect(section.body).toMatch(
      /<details id="r-bad--nul-in-head">\n<summary><span style="[^"]*">FAIL<\/span> bad&lt;&amp;&gt; nul-in-head: expected 400 or close/,
    );
    expect(section.body).toContain('<a href="#r-bad--nul-in-head"');
    expect(section.body).toContain('GET / HTTP/1.1\\r\\n');
    expect(section.body).toContain('npx gauntlet check --server &#39;bad=bad {port}&#39; --case nul-in-head');
    expect(section.body).not.toContain('<&>');
    const page = renderCheckHtml(sampleRun());
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain('<section id="conformance">');
  });

  it('counts a MUST miss or a server that failed as a failed run', () => {
    const run = sampleRun();
    run.servers = run.servers.filter((s) => !s.error);
    run.results = run.results.filter((r) => r.verdict !== 'fail');
    expect(runFailed(run)).toBe(false);
  });
});

describe('registry', () => {
  const good: ConformanceCase = {
    id: 'a-case',
    name: 'A case',
    rfc: 'RFC 9112 §3',
    level: 'MUST',
    group: 'request-line',
    request: [{ data: 'GET / HTTP/1.1\r\n\r\n' }],
    accept: [{ kind: 'status', min: 400, max: 400 }],
  };

  it('names the case id and the file of every problem', () => {
    const bad = {
      ...good,
      id: 'Bad_Id',
      name: '',
      accept: [],
      request: [{ data: 'caf\u00e9\u2603' }],
    } as unknown as ConformanceCase;
    let error: CaseError | undefined;
    try {
      validateCases([
        { case: good, file: 'one.ts' },
        { case: bad, file: 'two.ts' },
        { case: { ...good, accept: [{ kind: 'status', min: 500, max: 400 }] }, file: 'three.ts' },
      ]);
    } catch (err) {
      error = err as CaseError;
    }
    expect(error).toBeInstanceOf(CaseError);
    const text = error!.message;
    expect(text).toContain('case Bad_Id in two.ts: "id" must be kebab-case');
    expect(text).toContain('case Bad_Id in two.ts: "name" must be a non-empty string');
    expect(text).toContain('case Bad_Id in two.ts: "accept" must list at least one outcome');
    expect(text).toContain('case Bad_Id in two.ts: request part 0 has "☃", which is not one byte');
    expect(text).toContain('case a-case in three.ts: the id is already used in one.ts');
    expect(text).toContain('case a-case in three.ts: accept[0] status range');
  });

  it('loads every case file of a folder, passes over helper modules, and catches misnamed exports', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-cases-'));
    // A case file is named after its group, which its cases do not repeat.
    const definition: Partial<ConformanceCase> = { ...good };
    delete definition.group;
    await writeFile(join(dir, '01-request-line.ts'), `export const cases = ${JSON.stringify([definition])};\n`);
    await writeFile(
      join(dir, '02-framing.ts'),
      `export const cases = ${JSON.stringify([{ ...definition, id: 'b-case' }])};\n`,
    );
    await writeFile(
      join(dir, 'helpers.ts'),
      `export const CRLF = '\\r\\n';\nexport function f(): number { return 1; }\n`,
    );
    await writeFile(join(dir, 'notes.test.ts'), `throw new Error('a test file is not a case file');\n`);
    const loaded = await loadCases(dir);
    expect(loaded.map((l) => [l.case.id, l.case.group, l.file])).toEqual([
      ['a-case', 'request-line', join(dir, '01-request-line.ts')],
      ['b-case', 'framing', join(dir, '02-framing.ts')],
    ]);
    expect(selectCases(loaded, { groups: ['framing'] }).map((l) => l.case.id)).toEqual(['b-case']);
    expect(selectCases(loaded, { ids: ['a-case'], groups: ['framing'] })).toHaveLength(2);
    expect(() => selectCases(loaded, { ids: ['a-cas'] })).toThrow('no case with id "a-cas" (did you mean a-case?)');
    expect(() => selectCases(loaded, { groups: ['nope'] })).toThrow('no group "nope"');

    await writeFile(
      join(dir, '03-host.ts'),
      `export const myCases = ${JSON.stringify([{ ...definition, id: 'c-case' }])};\n`,
    );
    await expect(loadCases(dir)).rejects.toThrow(
      `03-host.ts exports "myCases", which looks like a list of cases: export it as "cases"`,
    );
  });

  it('loads the project cases without a problem', async () => {
    const loaded = await loadCases();
    expect(new Set(loaded.map((l) => l.case.id)).size).toBe(loaded.length);
  });
});
