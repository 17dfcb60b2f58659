/**
 * The coverage of Gauntlet's cases compared with Http11Probe's tests: per group, how many cases
 * and how many name a peer (an Http11Probe test of the same requirement, `peer` of a case);
 * which Http11Probe tests no case names; the totals. Pure functions over loaded cases and the
 * list of fixtures/peers/http11probe.json, and the markdown block docs/conformance.md holds
 * between two marker lines (scripts/conformance-coverage.ts reads the files and writes it).
 */
import type { CaseGroup } from './types.ts';

/** One Http11Probe test, as its sources define it. */
export interface PeerTest {
  id: string;
  /** The suite class that defines it (ComplianceSuite, SmugglingSuite, ...). */
  suite: string;
  /** Its `RfcLevel`: MUST where the test leaves the default, OughtTo as SHOULD, n/a where it rates nothing. */
  level: 'MUST' | 'SHOULD' | 'MAY' | 'n/a';
  description: string;
}

/** The list of a peer suite's tests and where it was read. */
export interface PeerList {
  repository: string;
  /** The commit the list was read at, 40 hex digits. */
  commit: string;
  tests: PeerTest[];
}

const PEER_LEVELS = ['MUST', 'SHOULD', 'MAY', 'n/a'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The peer list of a parsed JSON file; throws naming the first entry that is not a test, or a repeated id. */
export function parsePeerList(json: unknown, file: string): PeerList {
  const fail = (why: string): never => {
    throw new Error(`${file}: ${why}`);
  };
  if (!isObject(json)) return fail('must be an object { repository, commit, tests }');
  const { repository, commit, tests } = json;
  if (typeof repository !== 'string' || repository === '') fail('"repository" must be a URL');
  if (typeof commit !== 'string' || !/^[0-9a-f]{40}$/.test(commit)) fail('"commit" must be 40 hex digits');
  if (!Array.isArray(tests)) return fail('"tests" must be a list');
  const seen = new Set<string>();
  tests.forEach((t: unknown, i) => {
    if (!isObject(t)) return fail(`tests[${i}] must be an object`);
    for (const k of ['id', 'suite', 'description'])
      if (typeof t[k] !== 'string' || t[k] === '') fail(`tests[${i}] "${k}" must be a non-empty string`);
    if (!PEER_LEVELS.includes(t.level as string)) fail(`tests[${i}] "level" must be one of ${PEER_LEVELS.join(', ')}`);
    if (seen.has(t.id as string)) fail(`tests[${i}] repeats the id ${String(t.id)}`);
    seen.add(t.id as string);
  });
  return { repository: repository as string, commit: commit as string, tests: tests as PeerTest[] };
}

/** What the comparison needs of a case. */
export interface CoverageCase {
  id: string;
  group: CaseGroup;
  peer?: readonly string[];
}

export interface GroupCoverage {
  group: CaseGroup;
  cases: number;
  /** Cases naming at least one peer. */
  withPeer: number;
}

export interface Coverage {
  groups: GroupCoverage[];
  /** Peer tests no case names, in the order of the peer list. */
  unmatched: PeerTest[];
  totals: {
    ourCases: number;
    ourCasesWithPeer: number;
    theirTests: number;
    /** Peer tests named by at least one case. */
    theirTestsMatched: number;
  };
}

/** A case naming a peer id the list does not have: a typo, or a list read from an older commit. */
export class UnknownPeerError extends Error {
  constructor(readonly unknown: Array<{ caseId: string; peer: string }>) {
    super(
      `peer ids not in the Http11Probe list (fixtures/peers/http11probe.json): ${unknown
        .map((u) => `${u.peer} (case ${u.caseId})`)
        .join(', ')}`,
    );
    this.name = 'UnknownPeerError';
  }
}

/** Every `peer` id the cases name that the list does not have. */
export function unknownPeers(
  cases: readonly CoverageCase[],
  peers: readonly PeerTest[],
): Array<{ caseId: string; peer: string }> {
  const known = new Set(peers.map((p) => p.id));
  return cases.flatMap((c) => (c.peer ?? []).filter((p) => !known.has(p)).map((peer) => ({ caseId: c.id, peer })));
}

/** The comparison; throws UnknownPeerError when a case names an id the list does not have. */
export function coverage(cases: readonly CoverageCase[], peers: readonly PeerTest[]): Coverage {
  const unknown = unknownPeers(cases, peers);
  if (unknown.length > 0) throw new UnknownPeerError(unknown);
  const groups = new Map<CaseGroup, GroupCoverage>();
  const named = new Set<string>();
  for (const c of cases) {
    const row = groups.get(c.group) ?? { group: c.group, cases: 0, withPeer: 0 };
    row.cases++;
    if ((c.peer ?? []).length > 0) row.withPeer++;
    for (const p of c.peer ?? []) named.add(p);
    groups.set(c.group, row);
  }
  const rows = [...groups.values()];
  return {
    groups: rows,
    unmatched: peers.filter((p) => !named.has(p.id)),
    totals: {
      ourCases: cases.length,
      ourCasesWithPeer: rows.reduce((n, r) => n + r.withPeer, 0),
      theirTests: peers.length,
      theirTestsMatched: peers.filter((p) => named.has(p.id)).length,
    },
  };
}

/** A table cell: pipes escaped, so that a description cannot split a row. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** Where the peer list was read, for the line that says how the block was made. */
export interface PeerSource {
  repository: string;
  commit: string;
}

/** The markdown between the markers (without them): the tables and the line saying it is generated. */
export function renderCoverage(cov: Coverage, source: PeerSource, command: string): string {
  const t = cov.totals;
  const lines = [
    `_Generated by \`${command}\` from the cases' \`peer\` fields and fixtures/peers/http11probe.json`,
    `(${source.repository} at commit ${source.commit.slice(0, 12)}); edit those, not this block._`,
    '',
    `Totals: ${t.ourCases} Gauntlet cases, ${t.ourCasesWithPeer} of them with an Http11Probe peer;`,
    `${t.theirTests} Http11Probe tests, ${t.theirTestsMatched} of them matched by at least one case.`,
    '',
    '| area (group) | cases | with an Http11Probe peer |',
    '|---|--:|--:|',
    ...cov.groups.map((g) => `| ${cell(g.group)} | ${g.cases} | ${g.withPeer} |`),
    `| **total** | ${t.ourCases} | ${t.ourCasesWithPeer} |`,
    '',
    `Http11Probe tests with no Gauntlet counterpart (${cov.unmatched.length}):`,
    '',
    '| test | suite | level | what it tests |',
    '|---|---|---|---|',
    ...cov.unmatched.map((p) => `| ${cell(p.id)} | ${cell(p.suite)} | ${p.level} | ${cell(p.description)} |`),
  ];
  return lines.join('\n');
}

export const COVERAGE_START = '<!-- coverage:start -->';
export const COVERAGE_END = '<!-- coverage:end -->';

/**
 * The document with the text between its marker lines replaced by `block`; everything outside
 * them is kept byte for byte. Throws when a marker is missing, repeated or out of order.
 */
export function replaceBetweenMarkers(doc: string, block: string): string {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.trim() === COVERAGE_START);
  const end = lines.findIndex((l) => l.trim() === COVERAGE_END);
  const count = (m: string) => lines.filter((l) => l.trim() === m).length;
  if (start < 0 || end < 0 || count(COVERAGE_START) > 1 || count(COVERAGE_END) > 1 || end < start) {
    throw new Error(
      `the document must hold one line "${COVERAGE_START}" and, after it, one line "${COVERAGE_END}"; the generated block goes between them`,
    );
  }
  return [...lines.slice(0, start + 1), block, ...lines.slice(end)].join('\n');
}
