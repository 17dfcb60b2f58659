/**
 * The registry of report formats: bench's folder gets report.md and report.html, each file
 * written by its format from the same comparison that results.json stores.
 */
import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatsFor, REPORT_FORMATS } from '../../lib/report/formats.ts';
import { writeReportFiles } from '../../lib/report/files.ts';
import { compareRun } from '../../lib/compare/index.ts';
import { renderMarkdownReport } from '../../lib/report/markdown/report.ts';
import { ResultsStore } from '../../lib/results-store.ts';
import type { RunResults } from '../../lib/types.ts';
import { seedResults } from './fixtures/seed-results.ts';

describe('report formats', () => {
  it('names each format once, with the command it serves and its file', () => {
    expect(REPORT_FORMATS.map((f) => `${f.command} ${f.id} ${f.file}`)).toEqual(['bench markdown report.md', 'bench html report.html']);
    expect(new Set(REPORT_FORMATS.map((f) => `${f.command}/${f.file}`)).size).toBe(REPORT_FORMATS.length);
    expect(formatsFor('bench').map((f) => f.file)).toEqual(['report.md', 'report.html']);
  });

  it("writes every bench format into the run's folder, after storing the comparison", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-formats-'));
    const store = await ResultsStore.create(dir);
    const run = seedResults();
    const written = await writeReportFiles(store, run);
    expect(written).toEqual([join(dir, 'report.md'), join(dir, 'report.html')]);
    const stored = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as RunResults;
    expect(stored.comparison).toEqual(JSON.parse(JSON.stringify(compareRun(run))));
    const markdown = await readFile(join(dir, 'report.md'), 'utf8');
    expect(markdown).toBe(renderMarkdownReport(run, { afterTables: [''], beforeNotes: [''] }));
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>[\s\S]*<h2>Conclusion<\/h2>/);
  });
});
