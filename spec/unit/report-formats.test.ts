/**
 * The registry of report formats: bench's folder gets report.md and report.html, each file
 * written by its format from the same comparison that results.json stores; check's folder gets
 * check.junit.xml, check.json and check.html, rendered from the run as it ended; gate's folder
 * gets report.md, rendered from its results as they ended. Every format
 * of every command renders a file from a small run record, under a name no other format of its
 * command uses.
 */
import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMATS_BY_COMMAND, formatsFor, REPORT_FORMATS } from '../../lib/report/formats.ts';
import { writeFormatFiles, writeReportFiles } from '../../lib/report/files.ts';
import type { ReportCommand, ReportInputs } from '../../lib/report/report-format.ts';
import { compareRun } from '../../lib/compare/index.ts';
import { renderMarkdownReport } from '../../lib/report/markdown/report.ts';
import { renderJunit } from '../../lib/report/junit/check-junit.ts';
import { renderCheckJson } from '../../lib/report/json/check-json.ts';
import { renderCheckHtml } from '../../lib/report/html/check-report.ts';
import { renderGateMarkdown } from '../../lib/report/markdown/gate-report.ts';
import { writeCheckFiles } from '../../lib/conformance/check-run.ts';
import type { PropertyCheckRun } from '../../lib/conformance/properties/record.ts';
import { ResultsStore } from '../../lib/results-store.ts';
import type { RunResults } from '../../lib/types.ts';
import type { GateResults } from '../../lib/perf/types.ts';
import { emptyGate } from './helpers/perf-fixtures.ts';
import { seedResults } from './fixtures/seed-results.ts';
import { TEST_MACHINE } from '../helpers/test-machine.ts';

/** A check of one case against two servers: one passes it, the other fails it. */
function checkRun(): PropertyCheckRun {
  return {
    tool: 'gauntlet',
    command: 'check',
    schemaVersion: 1,
    machine: TEST_MACHINE,
    version: '0.1.0',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:05.000Z',
    status: 'complete',
    cases: [{ id: 'get-root', name: 'GET / is 200', rfc: 'RFC 9110 §9.3.1', level: 'MUST', group: 'methods' }],
    servers: [
      {
        name: 'good',
        command: 'good {port}',
        source: 'servers/good/server.json',
        capabilities: [],
        serverFlag: '--server good',
      },
      {
        name: 'bad',
        command: 'bad {port}',
        source: '--server "bad=bad {port}"',
        capabilities: [],
        serverFlag: "--server 'bad=bad {port}'",
      },
    ],
    results: [
      { caseId: 'get-root', server: 'good', verdict: 'pass', reason: '', exchange: null, durationMs: 3 },
      {
        caseId: 'get-root',
        server: 'bad',
        verdict: 'fail',
        reason: 'expected 200; got 500',
        exchange: null,
        durationMs: 4,
      },
    ],
  };
}

/** A gate of one claim that held on every cell it applies to, with nothing to alert on. */
function gateResults(): GateResults {
  return {
    ...emptyGate(),
    claims: [
      { claim: 'failed == 0', kind: 'absolute', status: 'pass', cells: [], summary: 'Holds on 2 servers in 1 cell.' },
    ],
  };
}

/** A small run record of each command that has formats. */
function runRecords(): ReportInputs {
  const results = seedResults();
  return {
    bench: { results, comparison: compareRun(results), check: checkRun(), gate: null },
    check: checkRun(),
    gate: gateResults(),
  };
}

/** What each format of `command` renders from `input`, by file name. */
async function renderAll<Command extends ReportCommand>(
  command: Command,
  input: ReportInputs[Command],
): Promise<Array<[string, string]>> {
  const files: Array<[string, string]> = [];
  for (const format of formatsFor(command)) files.push([format.file, await format.render(input)]);
  return files;
}

describe('report formats', () => {
  it('names each format once, with the command it serves and its file', () => {
    expect(REPORT_FORMATS.map((f) => `${f.command} ${f.id} ${f.file}`)).toEqual([
      'bench markdown report.md',
      'bench html report.html',
      'check junit check.junit.xml',
      'check json check.json',
      'check html check.html',
      'gate markdown report.md',
    ]);
    expect(new Set(REPORT_FORMATS.map((f) => `${f.command}/${f.file}`)).size).toBe(REPORT_FORMATS.length);
    expect(formatsFor('bench').map((f) => f.file)).toEqual(['report.md', 'report.html']);
    expect(formatsFor('check').map((f) => f.file)).toEqual(['check.junit.xml', 'check.json', 'check.html']);
    expect(formatsFor('gate').map((f) => f.file)).toEqual(['report.md']);
  });

  it('lists each format under the command it serves, with a file name no other format of that command uses', () => {
    for (const [command, formats] of Object.entries(FORMATS_BY_COMMAND)) {
      expect(formats.length).toBeGreaterThan(0);
      for (const format of formats) expect(format.command).toBe(command);
      expect(new Set(formats.map((f) => f.file)).size).toBe(formats.length);
      expect(new Set(formats.map((f) => f.id)).size).toBe(formats.length);
    }
  });

  it('renders a non-empty file for every format of every command from a small run record', async () => {
    const records = runRecords();
    for (const command of Object.keys(FORMATS_BY_COMMAND) as ReportCommand[]) {
      const files = await renderAll(command, records[command]);
      expect(files.map(([file]) => file)).toEqual(formatsFor(command).map((f) => f.file));
      for (const [file, text] of files) expect(text.trim(), `${command} ${file}`).not.toBe('');
    }
  });

  it("writes check's formats into the run's folder, in registry order", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-formats-'));
    const store = await ResultsStore.create(dir);
    const run = checkRun();
    const written = await writeCheckFiles(store, run);
    expect(written).toEqual([join(dir, 'check.junit.xml'), join(dir, 'check.json'), join(dir, 'check.html')]);
    expect(await readFile(join(dir, 'check.junit.xml'), 'utf8')).toBe(renderJunit(run));
    expect(await readFile(join(dir, 'check.json'), 'utf8')).toBe(renderCheckJson(run));
    expect(await readFile(join(dir, 'check.html'), 'utf8')).toBe(renderCheckHtml(run));
  });

  it("writes the gate's report.md into its folder, as the gate's markdown renders it", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gauntlet-formats-'));
    const store = await ResultsStore.create(dir);
    const gate = gateResults();
    const written = await writeFormatFiles(store, 'gate', gate);
    expect(written).toEqual([join(dir, 'report.md')]);
    const markdown = await readFile(join(dir, 'report.md'), 'utf8');
    expect(markdown).toBe(renderGateMarkdown(gate));
    expect(markdown).toMatch(/^## Gauntlet gate: PASSED: 1 of 1 claim held\.\n/);
    expect(markdown).toContain('| failed == 0 | PASS | Holds on 2 servers in 1 cell. |');
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
