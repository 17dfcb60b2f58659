/**
 * The explanations of the servers matrix held to the results: a failure without an entry is
 * unexplained; an entry for a case that does not exist, a server the matrix does not have, or a
 * case its server no longer fails is stale; a server that did not run leaves its entries alone.
 * The data file itself is checked here too: its shape, and that every entry names a case and a
 * server that exist.
 */
import { describe, expect, it } from 'vitest';
import { auditDeviations } from '../../lib/servers-matrix/audit.ts';
import { DEVIATIONS_FILE, loadDeviations, parseDeviations } from '../../lib/servers-matrix/deviations.ts';
import { stockServers } from '../../lib/servers-matrix/servers.ts';
import { loadAllServers } from '../../lib/manifest.ts';
import { REFERENCE_SERVERS_DIR } from '../../lib/paths.ts';
import { loadCases } from '../../lib/conformance/registry.ts';
import type { CaseInfo, CaseResult, Verdict } from '../../lib/conformance/types.ts';

const cases: CaseInfo[] = [
  { id: 'a-1', name: 'A', rfc: 'RFC 9112 §6.3', level: 'MUST', group: 'a' },
  { id: 'a-2', name: 'B', rfc: 'RFC 9112 §6.3', level: 'MUST', group: 'a' },
  { id: 'a-3', name: 'C', rfc: 'RFC 9112 §6.3', level: 'SHOULD', group: 'a' },
];

function result(server: string, caseId: string, verdict: Verdict): CaseResult {
  return { server, caseId, verdict, reason: `${verdict} reason`, exchange: null, durationMs: 1 };
}

describe('auditDeviations', () => {
  const results = [
    result('x', 'a-1', 'fail'),
    result('x', 'a-2', 'pass'),
    result('x', 'a-3', 'warn'),
    result('y', 'a-1', 'fail'),
  ];
  const servers = { known: ['x', 'y', 'z'], ran: ['x', 'y'] };

  it('finds the failures without an explanation, and only failures', () => {
    const audit = auditDeviations(cases, results, [{ server: 'x', caseId: 'a-1', why: 'w' }], servers);
    expect(audit.unexplained).toEqual([{ server: 'y', caseId: 'a-1', level: 'MUST', reason: 'fail reason' }]);
    expect([...audit.explained.values()]).toEqual([{ server: 'x', caseId: 'a-1', why: 'w' }]);
    expect(audit.stale).toEqual([]);
  });

  it('flags as stale an entry for a case that no longer fails, that does not exist, or of an unknown server', () => {
    const audit = auditDeviations(
      cases,
      results,
      [
        { server: 'x', caseId: 'a-1', why: 'w' },
        { server: 'y', caseId: 'a-1', why: 'w' },
        { server: 'x', caseId: 'a-2', why: 'passes now' },
        { server: 'x', caseId: 'a-3', why: 'a warn' },
        { server: 'x', caseId: 'a-9', why: 'gone' },
        { server: 'w', caseId: 'a-1', why: 'nobody' },
      ],
      servers,
    );
    expect(audit.unexplained).toEqual([]);
    expect(audit.stale.map((s) => `${s.deviation.server} ${s.deviation.caseId}: ${s.problem}`)).toEqual([
      'x a-2: x now passes it',
      'x a-3: x now gets "warn" for it, not a fail',
      'x a-9: no case has this id (renamed or removed?)',
      'w a-1: no server of the matrix is named w',
    ]);
  });

  it('leaves alone the entries of a server that did not run (not started, or not chosen with --only)', () => {
    const audit = auditDeviations(cases, results, [{ server: 'z', caseId: 'a-2', why: 'w' }], servers);
    expect(audit.stale).toEqual([]);
  });

  it('flags an entry of a server that ran but has no result for the case', () => {
    const audit = auditDeviations(cases, [result('x', 'a-1', 'fail')], [{ server: 'x', caseId: 'a-2', why: 'w' }], {
      known: ['x'],
      ran: ['x'],
    });
    expect(audit.stale.map((s) => s.problem)).toEqual(['x has no result for it']);
  });
});

describe('parseDeviations', () => {
  it('accepts a list of { server, caseId, why }', () => {
    expect(parseDeviations([{ server: 'x', caseId: 'a-1', why: 'w' }], 'f.json')).toEqual([
      { server: 'x', caseId: 'a-1', why: 'w' },
    ]);
  });

  it('names the file and every problem: not a list, a missing or empty field, an unknown field, a pair twice', () => {
    expect(() => parseDeviations({}, 'f.json')).toThrow('f.json: must hold a JSON list');
    let message = '';
    try {
      parseDeviations(
        [{ server: 'x', caseId: 'a-1' }, { server: 'x', caseId: 'a-1', why: ' ', extra: 1 }, 3],
        'f.json',
      );
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('f.json is not valid');
    expect(message).toContain('entry 0: "why" must be a non-empty string');
    expect(message).toContain('entry 1: "extra" is not a known field');
    expect(message).toContain('entry 1: "why" must be a non-empty string');
    expect(message).toContain('entry 2 must be an object');
    expect(() =>
      parseDeviations(
        [
          { server: 'x', caseId: 'a-1', why: 'w' },
          { server: 'x', caseId: 'a-1', why: 'v' },
        ],
        'f.json',
      ),
    ).toThrow('entry 1: x a-1 is already explained by entry 0');
  });
});

describe('docs/servers-deviations.json', () => {
  it('is valid, and every entry names a server of the matrix and a case that exists', async () => {
    const deviations = await loadDeviations(DEVIATIONS_FILE);
    const ids = new Set((await loadCases()).map((l) => l.case.id));
    const names = new Set([
      ...stockServers().map((s) => s.name),
      ...(await loadAllServers(REFERENCE_SERVERS_DIR)).map((s) => s.name),
    ]);
    const problems = deviations.flatMap((d) => [
      ...(ids.has(d.caseId) ? [] : [`${d.server} ${d.caseId}: no such case`]),
      ...(names.has(d.server) ? [] : [`${d.server} ${d.caseId}: no such server`]),
    ]);
    expect(problems).toEqual([]);
  });
});
