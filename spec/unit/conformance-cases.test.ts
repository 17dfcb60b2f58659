/**
 * The conformance case set itself: every group has a file of cases, ids are stable and unique,
 * every case says what it requires and where, and every request part has bytes to send.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaseGroup, ConformanceCase, Outcome } from '../../lib/conformance/types.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import { CASES_DIR, CASE_GROUPS as GROUPS } from '../../lib/conformance/registry.ts';
import { partBytes, requestBytes } from '../../lib/conformance/raw-client.ts';

const files = readdirSync(CASES_DIR)
  .filter((f) => f.endsWith('.ts') && f !== 'helpers.ts')
  .sort();

const loaded: Array<{ file: string; cases: ConformanceCase[] }> = await Promise.all(
  files.map(async (file) => {
    const mod = (await import(join(CASES_DIR, file))) as { cases?: ConformanceCase[] };
    return { file, cases: mod.cases ?? [] };
  }),
);
const all = loaded.flatMap((l) => l.cases);

function validOutcome(o: Outcome): boolean {
  if (o.kind === 'status') return Number.isInteger(o.min) && Number.isInteger(o.max) && o.min >= 100 && o.max <= 599 && o.min <= o.max;
  return o.kind === 'close' || o.kind === 'timeout';
}

describe('conformance cases', () => {
  it('has one file per group, each exporting its cases', () => {
    expect(files.map((f) => basename(f, '.ts'))).toEqual([...GROUPS].sort());
    for (const l of loaded) expect(l.cases.length, l.file).toBeGreaterThan(0);
  });

  it('holds at least 150 cases', () => {
    expect(all.length).toBeGreaterThanOrEqual(150);
  });

  it('gives every case a unique kebab-case id prefixed by its group', () => {
    const seen = new Set<string>();
    for (const c of all) {
      expect(c.id, c.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(c.id.startsWith(`${c.group}-`) || (c.group === 'expect-continue' && c.id.startsWith('expect-')), c.id).toBe(true);
      expect(seen.has(c.id), `duplicate id ${c.id}`).toBe(false);
      seen.add(c.id);
    }
  });

  it('files every case under the group its file is named after', () => {
    for (const l of loaded) for (const c of l.cases) expect(c.group, c.id).toBe(basename(l.file, '.ts'));
  });

  it('states requirement, reference, level and accepted outcomes for every case', () => {
    for (const c of all) {
      expect(c.name.trim().length, c.id).toBeGreaterThan(10);
      expect(c.rfc, c.id).toMatch(/^RFC \d{4} §[\d.A-Z]+/);
      expect(['MUST', 'SHOULD', 'informational'], c.id).toContain(c.level);
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
        if (typeof part.data === 'string') expect(/[^\x00-\xff]/.test(part.data), c.id).toBe(false);
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
      const expectsEcho = c.accept.every((o) => o.kind === 'status' && o.min >= 200 && o.max <= 299) && /^POST \/echo /m.test(body);
      if (expectsEcho) expect(c.needs ?? [], c.id).toContain('echo');
    }
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
    }
  });
});
