/**
 * The conformance case set itself: every group has a file of cases, ids are stable and unique,
 * every case says what it requires and where, and every request part has bytes to send. Also
 * the loader's own rules: the group comes from the file's name, `rfc` parses into sections,
 * and every problem of a case folder names the file and the case.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../lib/conformance/types.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import {
  CASES_DIR,
  CASE_GROUPS,
  CaseError,
  caseGroups,
  groupOfFile,
  loadCases,
  parseRfc,
  selectCases,
} from '../../lib/conformance/registry.ts';
import { partBytes, requestBytes } from '../../lib/conformance/raw-client.ts';

const files = readdirSync(CASES_DIR)
  .filter((f) => f.endsWith('.ts') && f !== 'helpers.ts')
  .sort();

const loaded = await loadCases();
const all = loaded.map((l) => l.case);

function validOutcome(o: Outcome): boolean {
  if (o.kind === 'status')
    return Number.isInteger(o.min) && Number.isInteger(o.max) && o.min >= 100 && o.max <= 599 && o.min <= o.max;
  return o.kind === 'close' || o.kind === 'timeout' || o.kind === 'http2-frame';
}

describe('conformance cases', () => {
  it('has one file per group, each exporting its cases, groups in the order of the files', () => {
    expect(files.map((f) => basename(f, '.ts'))).toEqual(CASE_GROUPS);
    expect(caseGroups(loaded)).toEqual(CASE_GROUPS);
    for (const group of CASE_GROUPS) expect(all.filter((c) => c.group === group).length, group).toBeGreaterThan(0);
  });

  it('holds at least 150 cases', () => {
    expect(all.length).toBeGreaterThanOrEqual(150);
  });

  it('gives every case a unique kebab-case id prefixed by its group', () => {
    const seen = new Set<string>();
    for (const c of all) {
      expect(c.id, c.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(
        c.id.startsWith(`${c.group}-`) || (c.group === 'expect-continue' && c.id.startsWith('expect-')),
        c.id,
      ).toBe(true);
      expect(seen.has(c.id), `duplicate id ${c.id}`).toBe(false);
      seen.add(c.id);
    }
  });

  it('files every case under the group its file is named after', () => {
    for (const l of loaded) expect(l.case.group, l.case.id).toBe(basename(l.file, '.ts'));
  });

  it('parses the rfc of every case into the sections it cites', () => {
    for (const l of loaded) {
      expect(l.sections.length, l.case.id).toBeGreaterThan(0);
      expect(
        l.sections.map((s) => `RFC ${s.rfc} ${/^\d/.test(s.section) ? '§' : 'Appendix '}${s.section}`).join('; '),
        l.case.id,
      ).toBe(l.case.rfc);
    }
  });

  it('states requirement, reference, level and accepted outcomes for every case', () => {
    for (const c of all) {
      expect(c.name.trim().length, c.id).toBeGreaterThan(10);
      expect(c.rfc, c.id).toMatch(/^RFC \d{4} §[\d.A-Z]+/);
      expect(['MUST', 'SHOULD', 'security', 'informational'], c.id).toContain(c.level);
      expect(c.accept.length, c.id).toBeGreaterThan(0);
      for (const o of c.accept) expect(validOutcome(o), `${c.id}: ${JSON.stringify(o)}`).toBe(true);
      if (c.timeoutMs !== undefined) expect(c.timeoutMs, c.id).toBeGreaterThan(0);
    }
  });

  it('gives every case at least one request part, and every part bytes to send', () => {
    for (const c of all) {
      expect(c.request.length, c.id).toBeGreaterThan(0);
      for (const part of c.request) {
        expect(partBytes(part).length, c.id).toBeGreaterThan(0);
        if (part.delayMs !== undefined) expect(part.delayMs, c.id).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('keeps string requests to one byte per char', () => {
    for (const c of all) {
      for (const part of c.request) {
        if (typeof part.data === 'string')
          expect(
            [...part.data].some((ch) => ch.charCodeAt(0) > 0xff),
            c.id,
          ).toBe(false);
      }
    }
  });

  it('accepts only outcomes a case can observe within its time limit', () => {
    for (const c of all) {
      const waits = c.request.reduce((n, p) => n + (p.delayMs ?? 0), 0);
      // A case whose parts are spread over more time than a generous run allows is a slow suite.
      expect(waits, c.id).toBeLessThan(10_000);
      expect(requestBytes(c.request).length, c.id).toBeLessThan(4 * 1024 * 1024);
    }
  });

  it('marks cases that read /echo with the echo capability', () => {
    for (const c of all) {
      const body = Buffer.from(requestBytes(c.request)).toString('latin1');
      const expectsEcho =
        c.accept.every((o) => o.kind === 'status' && o.min >= 200 && o.max <= 299) && /^POST \/echo /m.test(body);
      if (expectsEcho) expect([...(c.needs ?? []), ...(c.wants ?? [])], c.id).toContain('echo');
    }
  });

  it('skips only the cases about the echo resource itself on a server without echo', () => {
    // Every other case about a request body proves its framing by what follows it, and wants echo.
    expect(all.filter((c) => c.needs?.includes('echo')).map((c) => c.id)).toEqual([
      'methods-post-echo',
      'methods-get-echo-not-allowed',
    ]);
    expect(all.filter((c) => c.wants?.includes('echo')).length).toBeGreaterThanOrEqual(55);
  });

  it('runs every check without throwing on an empty exchange', () => {
    const empty = {
      sent: new Uint8Array(0),
      received: new Uint8Array(0),
      responses: [],
      interim: [],
      trailingGarbage: 0,
      closedBy: 'server' as const,
      reset: false,
      closeAfterMs: 1,
      timeline: [],
    };
    for (const c of all) {
      if (!c.check) continue;
      expect(() => c.check?.({ exchange: empty, root: DEFAULT_DOC_ROOT }), c.id).not.toThrow();
      expect(() => c.check?.({ exchange: empty, root: DEFAULT_DOC_ROOT, capabilities: ['echo'] }), c.id).not.toThrow();
    }
  });
});

describe('parseRfc', () => {
  const good: Array<[string, Array<{ rfc: number; section: string }>]> = [
    ['RFC 9112 §6.1', [{ rfc: 9112, section: '6.1' }]],
    ['RFC 9112 §3', [{ rfc: 9112, section: '3' }]],
    ['RFC 9110 §15.5.14', [{ rfc: 9110, section: '15.5.14' }]],
    [
      'RFC 9112 §6.3; RFC 9110 §15.5.9',
      [
        { rfc: 9112, section: '6.3' },
        { rfc: 9110, section: '15.5.9' },
      ],
    ],
    [
      'RFC 9112 §9.3; RFC 9112 Appendix C.2.2',
      [
        { rfc: 9112, section: '9.3' },
        { rfc: 9112, section: 'C.2.2' },
      ],
    ],
    ['RFC 3986 §5.2.4', [{ rfc: 3986, section: '5.2.4' }]],
  ];
  it.each(good)('parses %j', (value, sections) => {
    expect(parseRfc(value)).toEqual(sections);
  });

  const bad: Array<[string, string]> = [
    ['', '""'],
    ['RFC 9112', '"RFC 9112"'],
    ['RFC9112 §6.1', '"RFC9112 §6.1"'],
    ['rfc 9112 §6.1', '"rfc 9112 §6.1"'],
    ['RFC 9112 §', '"RFC 9112 §"'],
    ['RFC 9112 §6.1.', '"RFC 9112 §6.1."'],
    ['RFC 9112 §6.1, RFC 9110 §5.5', '"RFC 9112 §6.1, RFC 9110 §5.5"'],
    ['RFC 9112 §6.1;', '""'],
    ['RFC 9112 section 6.1', '"RFC 9112 section 6.1"'],
    ['RFC 9112 Appendix c', '"RFC 9112 Appendix c"'],
  ];
  it.each(bad)('refuses %j, naming the bad piece %s', (value, piece) => {
    expect(() => parseRfc(value)).toThrow(RangeError);
    expect(() => parseRfc(value)).toThrow(`${piece} in ${JSON.stringify(value)} is not one`);
  });
});

describe('case folders', () => {
  const base = {
    name: 'A case',
    rfc: 'RFC 9112 §3',
    level: 'MUST',
    request: [{ data: 'GET / HTTP/1.1\r\n\r\n' }],
    accept: [{ kind: 'status', min: 400, max: 400 }],
  };

  async function folder(files: Record<string, unknown[] | string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-case-folder-'));
    // Outside the project, a .ts file is an ES module only when its package says so.
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
    for (const [name, content] of Object.entries(files)) {
      await writeFile(
        join(dir, name),
        typeof content === 'string' ? content : `export const cases = ${JSON.stringify(content)};\n`,
      );
    }
    return dir;
  }

  async function problems(dir: string): Promise<string[]> {
    try {
      await loadCases(dir);
    } catch (err) {
      if (err instanceof CaseError) return err.problems;
      throw err;
    }
    return [];
  }

  it('takes each group from its file name, in the order of the files', async () => {
    const dir = await folder({
      '02-zeta.ts': [{ ...base, id: 'zeta-one' }],
      '01-alpha-beta.ts': [
        { ...base, id: 'alpha-one' },
        { ...base, id: 'alpha-two' },
      ],
      'omega.ts': [{ ...base, id: 'omega-one' }],
    });
    const cases = await loadCases(dir);
    expect(cases.map((l) => [l.case.id, l.case.group])).toEqual([
      ['alpha-one', 'alpha-beta'],
      ['alpha-two', 'alpha-beta'],
      ['zeta-one', 'zeta'],
      ['omega-one', 'omega'],
    ]);
    expect(caseGroups(cases)).toEqual(['alpha-beta', 'zeta', 'omega']);
    expect(cases[0]!.sections).toEqual([{ rfc: 9112, section: '3' }]);
    expect(selectCases(cases, { groups: ['zeta'] }).map((l) => l.case.id)).toEqual(['zeta-one']);
    expect(() => selectCases(cases, { groups: ['framing'] })).toThrow(
      'no group "framing"; groups: alpha-beta, zeta, omega',
    );
  });

  it('refuses a capability it does not know in needs or wants', async () => {
    const dir = await folder({
      'one.ts': [
        { ...base, id: 'one-wants', wants: ['gzip'] },
        { ...base, id: 'one-needs', needs: 'echo' },
        { ...base, id: 'one-fine', wants: ['echo'] },
      ],
    });
    expect(await problems(dir)).toEqual([
      `case one-wants in ${join(dir, 'one.ts')}: "wants" has "gzip", not one of echo`,
      `case one-needs in ${join(dir, 'one.ts')}: "needs" must be a list of capabilities`,
    ]);
  });

  it('names the file and the case of every problem', async () => {
    const dir = await folder({
      'one.ts': [
        { ...base, id: 'dup' },
        { ...base, id: 'bad-level', level: 'MAY' },
        { ...base, id: 'bad-rfc', rfc: 'RFC 9112 6.1' },
      ],
      'two.ts': [{ ...base, id: 'dup' }, { ...base }, { ...base, id: 'grouped', group: 'one' }],
    });
    expect(await problems(dir)).toEqual([
      `case grouped in ${join(dir, 'two.ts')}: "group" is not written in a case: the file gives it (two)`,
    ]);
    // Problems of the files come first: the cases are checked once the files are right.
    const fixed = await folder({
      'one.ts': [
        { ...base, id: 'dup' },
        { ...base, id: 'bad-level', level: 'MAY' },
        { ...base, id: 'bad-rfc', rfc: 'RFC 9112 6.1' },
      ],
      'two.ts': [{ ...base, id: 'dup' }, { ...base }],
    });
    const later = await problems(fixed);
    expect(later).toEqual([
      `case bad-level in ${join(fixed, 'one.ts')}: "level" must be one of MUST, SHOULD, security, informational, got "MAY"`,
      `case bad-rfc in ${join(fixed, 'one.ts')}: "rfc" must be sections such as "RFC 9112 §6.1" or "RFC 9112 Appendix C.2.2", separated by "; ": "RFC 9112 6.1" in "RFC 9112 6.1" is not one`,
      `case dup in ${join(fixed, 'two.ts')}: the id is already used in ${join(fixed, 'one.ts')}`,
      `case #2 (without an id) in ${join(fixed, 'two.ts')}: "id" must be kebab-case (a-z, 0-9, single hyphens), got undefined`,
    ]);
  });

  it('refuses a file name that is no group, and two files of one group', async () => {
    const dir = await folder({
      'Bad_Name.ts': [{ ...base, id: 'a' }],
      '01-same.ts': [{ ...base, id: 'b' }],
      'same.ts': [{ ...base, id: 'c' }],
    });
    expect(await problems(dir)).toEqual([
      `${join(dir, 'Bad_Name.ts')}: a case file is named after its group, kebab-case, optionally after a two-digit order prefix ("framing.ts", "03-framing.ts")`,
      `${join(dir, 'same.ts')}: the group same is already the group of ${join(dir, '01-same.ts')}`,
    ]);
  });

  it('reads the group of a file name', () => {
    expect(groupOfFile('/x/framing.ts')).toBe('framing');
    expect(groupOfFile('03-framing.ts')).toBe('framing');
    expect(groupOfFile('03-header-fields.ts')).toBe('header-fields');
    expect(groupOfFile('Framing.ts')).toBeNull();
    expect(groupOfFile('03-.ts')).toBeNull();
  });
});
