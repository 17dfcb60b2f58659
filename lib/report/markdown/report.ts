/**
 * report.md for a whole run: the run's facts, each server's table, the findings, the comparison
 * and conclusion, the server resources and the notes. Each server's figures are the seed's own HTML table
 * (`<table class="tg">` with rowspans), which markdown renders as embedded HTML and which
 * pastes unchanged into the course page the seed came from.
 */
import type { Comparison } from '../../compare/types.ts';
import { compareRun } from '../../compare/index.ts';
import type { RunResults } from '../../types.ts';
import { escapeMarkdown, markdownCode, markdownCodeBlock } from '../format.ts';
import { reportTitle, runFacts, runNotes } from '../run-info.ts';
import { seedTableModel, serverTitle, type SeedTableOptions } from '../seed-table.ts';
import { renderTgTable } from '../html/tg-table.ts';
import { comparisonTablesMarkdown, conclusionMarkdown } from './comparison.ts';

export interface MarkdownReportOptions extends SeedTableOptions {
  /** A comparison already computed (for example the one stored in results.json); computed from the run otherwise. */
  comparison?: Comparison;
  /** Markdown blocks placed after the servers' tables (the findings). */
  afterTables?: string[];
  /** Markdown blocks placed before the notes (server resources). */
  beforeNotes?: string[];
}

function factsBlock(run: RunResults): string {
  return runFacts(run)
    .map((f) => `- ${f.label}: ${f.code ? markdownCode(f.value) : escapeMarkdown(f.value)}`)
    .join('\n');
}

function serverBlock(run: RunResults, name: string, options: SeedTableOptions): string {
  const model = seedTableModel(run, name, options);
  const parts = [`## ${escapeMarkdown(serverTitle(model.server))}`];
  if (model.server.command) parts.push(`Command: ${markdownCode(model.server.command)}`);
  // An HTML block must stand alone between blank lines for markdown to pass it through.
  parts.push(renderTgTable(model));
  if (model.notes.length > 0) parts.push(model.notes.map((n) => escapeMarkdown(n, { lineStart: true })).join('\n\n'));
  return parts.join('\n\n');
}

function notesBlock(run: RunResults): string | null {
  const notes = runNotes(run);
  if (notes.length === 0) return null;
  const items = notes.map((note) => {
    const line = `- ${escapeMarkdown(note.text, { lineStart: true })}`;
    if (!note.detail) return line;
    // Indented under its list item so the code block belongs to it.
    const block = markdownCodeBlock(note.detail)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n');
    return `${line}\n\n${block}`;
  });
  return `## Notes\n\n${items.join('\n')}`;
}

export function renderMarkdownReport(run: RunResults, options: MarkdownReportOptions = {}): string {
  const comparison = options.comparison ?? compareRun(run);
  const sections = [`# ${escapeMarkdown(reportTitle(run))}`, factsBlock(run)];
  const names = [...new Set([...run.servers.map((s) => s.name), ...run.cells.map((c) => c.server)])];
  for (const name of names) sections.push(serverBlock(run, name, options));
  sections.push(...(options.afterTables ?? []).filter(Boolean));
  const tables = comparisonTablesMarkdown(comparison);
  sections.push(`## Comparison${tables ? `\n\n${tables}` : ''}`);
  sections.push(`## Conclusion\n\n${conclusionMarkdown(comparison)}`);
  sections.push(...(options.beforeNotes ?? []).filter(Boolean));
  const notes = notesBlock(run);
  if (notes) sections.push(notes);
  return `${sections.join('\n\n')}\n`;
}
