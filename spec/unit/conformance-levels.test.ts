/**
 * A case's level is what the RFC sentence it rests on says: every case quotes that sentence in
 * its notes, a MUST case's quote says MUST and a SHOULD case's says SHOULD (or RECOMMENDED, which
 * RFC 2119 reads the same way; "ought to" is no keyword of RFC 2119, so a case resting on it is
 * informational). A requirement the RFC states without a keyword (its security considerations)
 * is `security`, and fails a run as a MUST does without claiming to be one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { LEVELS, loadCases } from '../../lib/conformance/registry.ts';
import type { Level } from '../../lib/conformance/types.ts';

const all = (await loadCases()).map((l) => l.case);

/** A double-quoted passage long enough to be a sentence or a grammar rule, not a quoted token. */
const QUOTED_PASSAGE = /"[^"]{12,}"/;

/** The keyword a quoted passage of a case of each level holds; null where the level needs none. */
const KEYWORD: Record<Level, RegExp | null> = {
  MUST: /"[^"]*\bMUST\b[^"]*"/,
  SHOULD: /"[^"]*\b(SHOULD|RECOMMENDED)\b[^"]*"/,
  security: null,
  informational: null,
};

/**
 * Cases whose keyword is in a sentence the quote points to rather than in the quote. Kept short
 * and explicit: a case added here says which sentence holds the keyword.
 */
const KEYWORD_ELSEWHERE: Readonly<Record<string, string>> = {};

describe('case levels', () => {
  it('knows four levels', () => {
    expect([...LEVELS]).toEqual(['MUST', 'SHOULD', 'security', 'informational']);
  });

  it('every case quotes the sentence it rests on', () => {
    const unquoted = all.filter((c) => !QUOTED_PASSAGE.test(c.notes ?? '')).map((c) => c.id);
    expect(unquoted).toEqual([]);
  });

  it("every MUST case's quote says MUST and every SHOULD case's says SHOULD", () => {
    const mismatched = all
      .filter((c) => !(c.id in KEYWORD_ELSEWHERE))
      .filter((c) => {
        const keyword = KEYWORD[c.level];
        return keyword !== null && !keyword.test(c.notes ?? '');
      })
      .map((c) => `${c.id} (${c.level})`);
    expect(mismatched).toEqual([]);
  });

  it('the allow-list names only cases that exist and need it', () => {
    for (const id of Object.keys(KEYWORD_ELSEWHERE)) {
      const c = all.find((candidate) => candidate.id === id);
      expect(c, id).toBeDefined();
      const keyword = c ? KEYWORD[c.level] : null;
      expect(keyword !== null && !keyword.test(c?.notes ?? ''), id).toBe(true);
    }
  });

  it('path traversal is a security case, as RFC 9110 §17.3 states it without a keyword', () => {
    const traversal = all.filter((c) => c.group === 'path-traversal' && c.level !== 'informational');
    expect(traversal.length).toBeGreaterThan(0);
    for (const c of traversal) expect(c.level, c.id).toBe('security');
  });

  it("docs/conformance.md's table of levels counts the cases there are", () => {
    const doc = readFileSync(join(PROJECT_ROOT, 'docs', 'conformance.md'), 'utf8');
    for (const level of LEVELS) {
      const row = new RegExp(`^\\| ${level} \\| .* \\| (\\d+) \\|$`, 'm').exec(doc);
      expect(row, `the row of ${level}`).not.toBeNull();
      expect(Number(row?.[1]), `${level} cases in docs/conformance.md`).toBe(
        all.filter((c) => c.level === level).length,
      );
    }
  });
});
