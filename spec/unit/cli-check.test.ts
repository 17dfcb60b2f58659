import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import type { JsonCheckRun } from '../../lib/report/json/check-json.ts';
import { parseCheckArgs, parsePropertyFlags } from '../../lib/cli/check-command.ts';
import { PROPERTIES } from '../../lib/conformance/properties/registry.ts';
import { runCli } from './helpers/cli-child.ts';

const TINY = join(PROJECT_ROOT, 'fixtures', 'launch', 'tiny_server.py');
/** http.server answers any GET with 200, Host or not: it misses the MUST of RFC 9112 §3.2. */
const tiny = (name: string, args = '') => `${name}=python3 -u ${TINY} {port} ${args}`.trim();

/** Cases of our own, so that the test does not depend on the project's case files; a file's name is its cases' group. */
const CASES_BY_GROUP = {
  host: [
    {
      id: 'missing-host-rejected',
      name: 'An HTTP/1.1 request without Host is rejected with 400',
      rfc: 'RFC 9112 §3.2',
      level: 'MUST',
      request: [{ data: 'GET / HTTP/1.1\r\n\r\n' }],
      accept: [{ kind: 'status', min: 400, max: 400 }],
    },
  ],
  responses: [
    {
      id: 'get-root',
      name: 'GET / is answered with 200',
      rfc: 'RFC 9110 §9.3.1',
      level: 'MUST',
      request: [{ data: 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' }],
      accept: [{ kind: 'status', min: 200, max: 200 }],
    },
  ],
  methods: [
    {
      id: 'echo-answers',
      name: 'POST /echo answers the body',
      rfc: 'RFC 9110 §9.3.3',
      level: 'MUST',
      needs: ['echo'],
      request: [{ data: 'POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi' }],
      accept: [{ kind: 'status', min: 200, max: 200 }],
    },
  ],
};

let casesDir = '';
beforeAll(async () => {
  casesDir = await mkdtemp(join(tmpdir(), 'gauntlet-check-cases-'));
  // Outside the project, a .ts file is an ES module only when its package says so.
  await writeFile(join(casesDir, 'package.json'), '{ "type": "module" }\n');
  for (const [group, cases] of Object.entries(CASES_BY_GROUP)) {
    await writeFile(join(casesDir, `${group}.ts`), `export const cases = ${JSON.stringify(cases, null, 2)};\n`);
  }
});

describe('gauntlet check', () => {
  it('runs the cases on each server, prints the grid, writes the three reports and exits 1 on a MUST miss', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gauntlet-check-'));
    const run = await runCli([
      'check',
      '--cases',
      casesDir,
      '--server',
      tiny('tiny'),
      '--server',
      'python-async',
      '--properties',
      'none',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/missing-host-rejected\s+MUST\s+FAIL\s+pass/);
    expect(run.stdout).toMatch(/get-root\s+MUST\s+pass\s+pass/);
    expect(run.stdout).toMatch(/echo-answers\s+MUST\s+skip\s+pass/);
    expect(run.stdout).toContain('tiny: 1 pass, 0 warn, 1 fail, 0 info, 1 skip, 0 harness-error');
    expect(run.stdout).toContain('python-async: 3 pass, 0 warn, 0 fail');
    expect(run.stdout).toMatch(
      /FAIL tiny missing-host-rejected \(MUST, RFC 9112 §3\.2\): expected 400; got 200 OK after \d+ ms/,
    );
    expect(run.stdout).toContain(
      `replay: npx gauntlet check --server 'tiny=python3 -u ${TINY} {port}' --case missing-host-rejected`,
    );

    const json = JSON.parse(await readFile(join(out, 'check.json'), 'utf8')) as JsonCheckRun;
    expect(json.results).toHaveLength(6);
    const fail = json.results.find((r) => r.verdict === 'fail')!;
    expect(Buffer.from(fail.exchange!.sentBase64!, 'base64').toString('latin1')).toBe('GET / HTTP/1.1\r\n\r\n');
    expect(fail.exchange!.receivedText).toMatch(/^HTTP\/1\.0 200 OK\\r\\n/);
    expect(json.servers.map((s) => [s.name, s.capabilities])).toEqual([
      ['tiny', []],
      ['python-async', ['echo']],
    ]);
    const junit = await readFile(join(out, 'check.junit.xml'), 'utf8');
    expect(junit).toContain('<testsuite name="tiny" tests="3" failures="1" errors="0" skipped="1"');
    const html = await readFile(join(out, 'check.html'), 'utf8');
    expect(html).toContain('<details id="r-tiny--missing-host-rejected">');
  });

  it('exits 0 when no MUST requirement is missed, and runs only the cases asked for', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gauntlet-check-'));
    const run = await runCli([
      'check',
      '--cases',
      casesDir,
      '--server',
      tiny('tiny'),
      '--case',
      'get-root',
      '--group',
      'methods',
      '--properties',
      'none',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('tiny: 1 pass, 0 warn, 0 fail, 0 info, 1 skip, 0 harness-error');
    expect(run.stdout).not.toContain('missing-host-rejected');
  });

  it('reports a server that does not start as a failure and still checks the others', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gauntlet-check-'));
    const run = await runCli([
      'check',
      '--cases',
      casesDir,
      '--server',
      tiny('broken', '--exit-code 3'),
      '--server',
      'python-async',
      '--case',
      'get-root',
      '--properties',
      'none',
      '--out',
      out,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/broken FAILED: server "broken" exited before it was ready \(exit code 3\)/);
    expect(run.stdout).toMatch(/get-root\s+MUST\s+down\s+pass/);
    expect(run.stdout).toContain('refusing to start (asked to fail)');
    const junit = await readFile(join(out, 'check.junit.xml'), 'utf8');
    expect(junit).toContain('<testsuite name="broken" tests="1" failures="1"');
  });

  it('refuses unknown cases and groups with the usage, exit code 2', async () => {
    const unknownCase = await runCli(['check', '--cases', casesDir, '--server', tiny('tiny'), '--case', 'get-rot']);
    expect(unknownCase.code).toBe(2);
    expect(unknownCase.stderr).toBe(
      'gauntlet check: --case "get-rot": no case has this id (did you mean get-root?)\nRun "gauntlet check --help" for its options.\n',
    );
    const unknownGroup = await runCli(['check', '--group', 'nope']);
    expect(unknownGroup.code).toBe(2);
    expect(unknownGroup.stderr.split('\n')[0]).toMatch(
      /^gauntlet check: --group "nope": is not a group; groups: [a-z-]+(, [a-z-]+)+$/,
    );
  });

  it('runs the quick properties after the cases by default, prints the seed, and reports them', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gauntlet-check-'));
    const started = Date.now();
    const run = await runCli(['check', '--cases', casesDir, '--server', 'python-async', '--seed', '42', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.match(/properties: seed 42; GAUNTLET_SEED=42 replays/g)).toHaveLength(1);
    expect(run.stdout).toMatch(/\[properties\]\nprop-well-formed-response\s+MUST\s+pass/);
    expect(run.stdout).toContain(
      'python-async: 3 pass, 0 warn, 0 fail, 0 info, 0 skip, 0 harness-error; properties 8 pass, 0 fail',
    );
    const json = JSON.parse(await readFile(join(out, 'check.json'), 'utf8')) as JsonCheckRun;
    expect(json.servers[0]!.properties!.map((p) => [p.id, p.verdict, p.seed])).toContainEqual([
      'prop-no-traversal',
      'pass',
      42,
    ]);
    const junit = await readFile(join(out, 'check.junit.xml'), 'utf8');
    expect(junit).toContain('<testsuite name="python-async" tests="11" failures="0"');
    // quick stays cheap: starting Node, the server, three cases and the properties.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('runs only the properties --property names, and no cases', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gauntlet-check-'));
    const run = await runCli([
      'check',
      '--cases',
      casesDir,
      '--server',
      'python-async',
      '--property',
      'prop-no-traversal',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('gauntlet check: 0 case(s), 1 property (quick), 1 server(s)');
    const json = JSON.parse(await readFile(join(out, 'check.json'), 'utf8')) as JsonCheckRun;
    expect(json.results).toEqual([]);
    expect(json.servers[0]!.properties!.map((p) => p.id)).toEqual(['prop-no-traversal']);
  });

  it('takes --concurrency for --jobs with one warning', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gauntlet-check-'));
    const run = await runCli([
      'check',
      '--cases',
      casesDir,
      '--server',
      tiny('tiny'),
      '--case',
      'get-root',
      '--concurrency',
      '2',
      '--properties',
      'none',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.split('\n').filter((l) => l.includes('--concurrency'))).toEqual([
      'check: --concurrency is now --jobs (cases run at once); --concurrency will be removed',
    ]);
  });

  it('prints its options', async () => {
    const run = await runCli(['check', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--jobs N');
    expect(run.stdout).toContain('--properties MODE');
    expect(run.stdout).toContain('(default lib/conformance/cases)');
    expect(run.stdout).toContain('GAUNTLET_HEADER_TIMEOUT_MS=1000');
    const main = await runCli(['help']);
    expect(main.stdout).toMatch(/check\s+run the HTTP\/1\.1 conformance cases/);
  });
});

describe('gauntlet check: --jobs and the property flags', () => {
  it('reads --jobs, and --concurrency as its old name, 8 by default', async () => {
    const base = ['--server', tiny('tiny'), '--properties', 'none'];
    expect((await parseCheckArgs(base)).concurrency).toBe(8);
    expect((await parseCheckArgs([...base, '--jobs', '3'])).concurrency).toBe(3);
    const alias = await parseCheckArgs([...base, '--concurrency', '5']);
    expect([alias.concurrency, alias.concurrencyAlias]).toEqual([5, true]);
    await expect(parseCheckArgs([...base, '--jobs', '2', '--concurrency', '2'])).rejects.toThrow(
      '--concurrency "2": is the old name of --jobs: give --jobs only',
    );
  });

  it('runs every property in quick mode by default, with the seed of --seed, else GAUNTLET_SEED', () => {
    const quick = parsePropertyFlags({ properties: 'quick', seed: '-12' });
    expect([quick.properties, quick.propertyList.length, quick.propertiesChosen, quick.seed]).toEqual([
      'quick',
      PROPERTIES.length,
      false,
      -12,
    ]);
    expect(
      parsePropertyFlags({ properties: 'full', property: ['prop-no-traversal'], seed: '3', 'shrink-path': '4:0:2' }),
    ).toMatchObject({
      properties: 'full',
      propertiesChosen: true,
      seed: 3,
      shrinkPath: '4:0:2',
    });
    expect(parsePropertyFlags({ properties: 'none' })).toEqual({
      properties: 'none',
      propertyList: [],
      propertiesChosen: false,
      seed: null,
    });
  });

  it.each([
    [{ properties: 'some' }, '--properties "some": is not a mode; modes: none, quick, full'],
    [
      { properties: 'quick', property: ['prop-nope'] },
      `--property "prop-nope": no property has this id; properties: ${PROPERTIES.map((p) => p.id).join(', ')}`,
    ],
    [
      { properties: 'none', property: ['prop-no-traversal'] },
      '--property "prop-no-traversal": runs a property, and --properties is none',
    ],
    [{ properties: 'quick', seed: '1.5' }, '--seed "1.5": is not a whole number'],
    [{ properties: 'quick', seed: 'x' }, '--seed "x": is not a whole number'],
    [
      { properties: 'quick', property: ['prop-no-traversal'], 'shrink-path': '1:a' },
      '--shrink-path "1:a": is not a fast-check path such as 12:0:3',
    ],
    [
      { properties: 'quick', 'shrink-path': '1:2' },
      '--shrink-path "1:2": replays one property: give exactly one --property',
    ],
  ])('refuses %j', (flags, message) => {
    expect(() => parsePropertyFlags(flags)).toThrow(message);
  });

  it('refuses a GAUNTLET_SEED that is not a whole number as a usage error', () => {
    expect(() => parsePropertyFlags({ properties: 'quick' }, { GAUNTLET_SEED: 'abc' })).toThrow(
      'GAUNTLET_SEED must be a whole number, got "abc"',
    );
  });
});
