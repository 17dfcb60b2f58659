/**
 * The comparison of understandings (lib/diff/compare.ts) and the quirks that accept differences
 * (lib/diff/quirks.ts): which pairs differ, which quirk covers them, and how a quirks file is
 * checked entry by entry.
 */
import { describe, it, expect } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareUnderstandings, describeDifferences } from '../../lib/diff/compare.ts';
import {
  loadQuirks,
  parseQuirks,
  quirkMatches,
  QuirksError,
  refusalsAgree,
  refusedIt,
  type Quirk,
  type RequestFacts,
} from '../../lib/diff/quirks.ts';
import type { Understood } from '../../lib/diff/understood.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';

const SAME: Understood = {
  responses: '2 (whole, whole)',
  status: '2xx 2xx',
  body: '#1 5 bytes 2cf24dba5fb0; #2 115 bytes 7a07bbcd1692',
  connection: 'closed by the server',
  alive: '2xx',
};
const REFUSED_CLOSED: Understood = { ...SAME, responses: '1 (whole)', status: '4xx', body: 'no 2xx body' };
const REFUSED_501: Understood = { ...REFUSED_CLOSED, status: '5xx' };
const REFUSED_GOES_ON: Understood = { ...SAME, status: '4xx 2xx', body: '#2 115 bytes 7a07bbcd1692' };

const FACTS: RequestFacts = {
  method: 'POST',
  text: 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n',
  mutated: true,
  split: false,
};

const refusedQuirk: Quirk = {
  servers: ['a', 'b'],
  fields: ['responses', 'status', 'body'],
  when: { refused: true },
  why: 'both refused the request',
};
const statusQuirk: Quirk = {
  servers: '*',
  fields: ['status'],
  when: { matches: '\\r\\ntransfer-encoding: identity' },
  values: ['4xx', '5xx'],
  why: '400 and 501 both refuse an unknown coding',
};

function cmp(a: Understood, b: Understood, quirks: Quirk[], facts = FACTS) {
  return compareUnderstandings(
    [
      { server: 'a', understood: a },
      { server: 'b', understood: b },
    ],
    facts,
    quirks,
  );
}

describe('compareUnderstandings', () => {
  it.each<[string, Understood, Understood, Quirk[], string[]]>([
    ['the same understanding agrees', SAME, SAME, [], []],
    ['a different status class disagrees', SAME, { ...SAME, status: '2xx 4xx' }, [], ['status']],
    ['several fields are each reported', SAME, REFUSED_CLOSED, [], ['responses', 'status', 'body']],
    [
      'both refused: a quirk for the pair accepts close against read-on',
      REFUSED_CLOSED,
      REFUSED_GOES_ON,
      [refusedQuirk],
      [],
    ],
    [
      'one refused, one acted: the refused quirk does not apply',
      SAME,
      REFUSED_CLOSED,
      [refusedQuirk],
      ['responses', 'status', 'body'],
    ],
    ['values: 4xx against 5xx is accepted', REFUSED_CLOSED, REFUSED_501, [statusQuirk], []],
    ['values: 2xx against 4xx is not', SAME, { ...SAME, status: '4xx 2xx' }, [statusQuirk], ['status']],
  ])('%s', (_name, a, b, quirks, fields) => {
    expect(cmp(a, b, quirks).differences.map((d) => d.field)).toEqual(fields);
  });

  it('a quirk naming other servers accepts nothing between these', () => {
    const other: Quirk = { ...refusedQuirk, servers: ['a', 'c'] };
    expect(cmp(REFUSED_CLOSED, REFUSED_GOES_ON, [other]).differences).not.toEqual([]);
  });

  it('names the quirks that accepted, and every server value of a field in disagreement', () => {
    expect(cmp(REFUSED_CLOSED, REFUSED_501, [statusQuirk]).accepted).toEqual([statusQuirk]);
    const [d] = cmp(SAME, { ...SAME, alive: 'no answer (closed)' }, []).differences;
    expect(describeDifferences([d!])).toEqual(['alive: a "2xx" | b "no answer (closed)"']);
  });
});

describe('quirkMatches: the predicate on the request', () => {
  it.each<[string, Quirk['when'], boolean]>([
    ['no condition holds always', {}, true],
    ['method in the list', { method: ['POST', 'PUT'] }, true],
    ['method not in the list', { method: ['GET'] }, false],
    ['matches, regardless of case', { matches: 'TRANSFER-ENCODING' }, true],
    ['does not match', { matches: 'content-length' }, false],
    ['excludes what is absent', { excludes: 'content-length' }, true],
    ['excludes what is there', { excludes: 'transfer-encoding' }, false],
    ['mutated', { mutated: true }, true],
    ['split', { split: true }, false],
  ])('%s', (_name, when, holds) => expect(quirkMatches(when, FACTS)).toBe(holds));
});

describe('parseQuirks: every entry checked, every problem named', () => {
  const good = { servers: '*', field: 'status', when: { refused: true }, why: 'both refused the request' };
  it.each<[string, unknown, string]>([
    ['not an object with quirks', [], 'must be an object with a list "quirks"'],
    ['an unknown field', { quirks: [{ ...good, field: 'colour' }] }, 'quirks[0].field must be one of'],
    ['an unknown key', { quirks: [good, { ...good, server: 'a' }] }, 'quirks[1] has an unknown key "server"'],
    ['servers neither * nor names', { quirks: [{ ...good, servers: [] }] }, 'quirks[0].servers must be "*"'],
    ['no reason', { quirks: [{ ...good, why: '' }] }, 'quirks[0].why must say why'],
    [
      'a bad regular expression',
      { quirks: [{ ...good, when: { matches: '(' } }] },
      'quirks[0].when.matches is not a regular expression',
    ],
    [
      'an unknown condition',
      { quirks: [{ ...good, when: { host: 'x' } }] },
      'quirks[0].when has an unknown key "host"',
    ],
    ['values with one value', { quirks: [{ ...good, values: ['4xx'] }] }, 'quirks[0].values must list at least two'],
  ])('%s', (_name, data, problem) => {
    expect(() => parseQuirks(data, 'q.json')).toThrow(QuirksError);
    expect(() => parseQuirks(data, 'q.json')).toThrow(problem);
  });

  it('takes a field or a list of fields', () => {
    const [one, two] = parseQuirks({ quirks: [good, { ...good, field: ['status', 'body'] }] }, 'q.json');
    expect(one!.fields).toEqual(['status']);
    expect(two!.fields).toEqual(['status', 'body']);
  });

  it('loads the project quirks file, and names a missing or broken file', async () => {
    const quirks = await loadQuirks(join(PROJECT_ROOT, 'gauntlet.quirks.json'));
    expect(quirks.length).toBeGreaterThan(0);
    for (const q of quirks) expect(q.why.length).toBeGreaterThan(40);
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-quirks-'));
    await expect(loadQuirks(join(dir, 'missing.json'))).rejects.toThrow('cannot be read (ENOENT)');
    await writeFile(join(dir, 'bad.json'), '{');
    await expect(loadQuirks(join(dir, 'bad.json'))).rejects.toThrow('is not JSON');
  });
});

describe('refused: refusals only, and exactly one when the probe was answered', () => {
  it.each<[string, string, string, boolean]>([
    ['a refusal, then a close', '4xx', '1 (whole)', true],
    ['a refusal, then the probe answered', '5xx 2xx', '2 (whole, whole)', true],
    ['a refusal, then what a declared body left of the probe refused', '4xx 4xx', '2 (whole, whole)', true],
    [
      'a refusal, then the rest of its bytes refused as a request, then the probe: a desync',
      '4xx 4xx 2xx',
      '3 (whole, whole, whole)',
      false,
    ],
    ['a refusal, then a request inside it answered, then the probe', '4xx 2xx 2xx', '3 (whole, whole, whole)', false],
    ['a refusal whose page is longer than its framing', '4xx', '1 (whole) + bytes that are no response', false],
    ['a refusal cut short', '4xx', '1 (cut short)', false],
    ['an answer', '2xx 2xx', '2 (whole, whole)', false],
  ])('%s (%s)', (_name, status, responses, refused) => {
    const other: Understood = { ...REFUSED_CLOSED, connection: 'left open (silence)' };
    const a = { server: 'a', understood: { ...REFUSED_CLOSED, status, responses } };
    const b = { server: 'b', understood: other };
    expect(refusedIt(a.understood)).toBe(refused);
    expect(quirkMatches({ refused: true }, FACTS, a, b)).toBe(refused);
  });

  it.each<[string, string, string, boolean]>([
    ['one closed, one answered the probe', '4xx', '4xx 2xx', true],
    ['one closed, one refused what was left of the probe', '4xx', '4xx 4xx', true],
    ['one answered the probe after one refusal, the other refused again: a desync', '4xx 2xx', '4xx 4xx', false],
    ['the same refusals', '4xx 4xx', '5xx 4xx', true],
  ])('refusalsAgree: %s (%s against %s)', (_name, a, b, agree) => {
    const u = (status: string): Understood => ({ ...REFUSED_CLOSED, status });
    expect(refusalsAgree(u(a), u(b))).toBe(agree);
    expect(refusalsAgree(u(b), u(a))).toBe(agree);
  });

  it('accepts no refusal more: a server that read a request inside the refused one disagrees', () => {
    const desync: Understood = { ...REFUSED_GOES_ON, responses: '3 (whole, whole, whole)', status: '4xx 4xx 2xx' };
    const { differences } = cmp(REFUSED_GOES_ON, desync, [refusedQuirk]);
    expect(differences.map((d) => d.field)).toEqual(['responses', 'status']);
    // Close against read-on after one refusal stays accepted: the counts differ by the probe's answer only.
    expect(cmp(REFUSED_CLOSED, REFUSED_GOES_ON, [refusedQuirk]).differences).toEqual([]);
  });
});
