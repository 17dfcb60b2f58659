/**
 * A new group is one new case file: `gauntlet check --cases DIR` against a reference server,
 * with a folder holding a single file the project has never seen (teapot.ts, its cases written
 * without a group). The group comes from the file's name, and check.json and the grid must name
 * it and each of its cases with their verdicts; a loader that passed the file over, or filed
 * its cases elsewhere, fails here.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonCheckRun } from '../../lib/report/json/check-json.ts';
import { runInProcess } from '../unit/helpers/cli-in-process.ts';

/** The cases of the new group: one each for a pass, a SHOULD miss (warn) and an informational finding. */
const TEAPOT_CASES = [
  {
    id: 'teapot-root-answered',
    name: 'GET / is answered with 200',
    rfc: 'RFC 9110 §9.3.1',
    level: 'MUST',
    request: [{ data: 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' }],
    accept: [{ kind: 'status', min: 200, max: 200 }],
  },
  {
    id: 'teapot-brews-coffee',
    name: 'A request for coffee is refused with 418',
    rfc: 'RFC 9110 §15.5.19',
    level: 'SHOULD',
    request: [{ data: 'GET /coffee HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' }],
    accept: [{ kind: 'status', min: 418, max: 418 }],
  },
  {
    id: 'teapot-short-and-stout',
    name: 'A teapot says so in its status line',
    rfc: 'RFC 9110 §15.5.19; RFC 9112 §4',
    level: 'informational',
    request: [{ data: 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' }],
    accept: [{ kind: 'status', min: 418, max: 418 }],
  },
];

const EXPECTED = [
  ['teapot-root-answered', 'pass'],
  ['teapot-brews-coffee', 'warn'],
  ['teapot-short-and-stout', 'info'],
] as const;

let casesDir = '';
beforeAll(async () => {
  casesDir = await mkdtemp(join(tmpdir(), 'gauntlet-teapot-cases-'));
  // Outside the project, a .ts file is an ES module only when its package says so.
  await writeFile(join(casesDir, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(casesDir, 'teapot.ts'), `export const cases = ${JSON.stringify(TEAPOT_CASES, null, 2)};\n`);
});

describe('a group of cases the project does not have', () => {
  it('is run by check --cases, and named in check.json and the grid with each case and its verdict', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gauntlet-teapot-check-'));
    const run = await runInProcess([
      'check',
      '--cases',
      casesDir,
      '--server',
      'python-async',
      '--out',
      out,
      // Only the cases are the subject here: the properties are left out.
      '--properties',
      'none',
    ]);
    expect(run.code, run.stderr).toBe(0);

    const json = JSON.parse(await readFile(join(out, 'check.json'), 'utf8')) as JsonCheckRun;
    expect(json.cases.map((c) => [c.id, c.group])).toEqual(EXPECTED.map(([id]) => [id, 'teapot']));
    expect(json.cases.map((c) => c.file)).toEqual(EXPECTED.map(() => join(casesDir, 'teapot.ts')));
    expect(json.results.map((r) => [r.caseId, r.server, r.verdict])).toEqual(
      EXPECTED.map(([id, verdict]) => [id, 'python-async', verdict]),
    );

    const grid = run.stdout.split('\n');
    const heading = grid.indexOf('[teapot]');
    expect(heading, run.stdout).toBeGreaterThan(0);
    const rows = grid.slice(heading + 1, heading + 1 + EXPECTED.length);
    expect(rows).toHaveLength(EXPECTED.length);
    EXPECTED.forEach(([id, verdict], i) =>
      expect(rows[i], run.stdout).toMatch(new RegExp(`^${id}\\s+(MUST|SHOULD|info)\\s+${verdict}$`)),
    );
    expect(run.stdout).toContain('python-async: 1 pass, 1 warn, 0 fail, 1 info, 0 skip, 0 harness-error');
  });
});
