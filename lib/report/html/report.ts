/**
 * report.html for a whole run: the run's facts, the lead sections (findings, plots), the seed's
 * table layout per server, the comparison, the conclusion, the extra sections (resources, perf
 * claims, conformance) and the notes, on the page of page.ts.
 */
import type { Comparison } from '../../compare/types.ts';
import { compareRun } from '../../compare/index.ts';
import type { RunResults } from '../../types.ts';
import { escapeHtml } from '../format.ts';
import { reportTitle, runFacts, runNotes, type RunNote } from '../run-info.ts';
import { seedTableModel, serverTitle, type SeedTableOptions } from '../seed-table.ts';
import { conclusionHtml, comparisonTablesHtml } from './comparison.ts';
import { htmlDocument, sectionId, type HtmlSection } from './page.ts';
import { renderTgTable } from './tg-table.ts';

export interface HtmlReportOptions extends SeedTableOptions {
  /** A comparison already computed; computed from the run otherwise. */
  comparison?: Comparison;
  /** Sections placed after the comparison and conclusion, before the notes. */
  extraSections?: HtmlSection[];
  /** Sections placed right after the run's facts, before the servers' tables (findings, plots). */
  leadSections?: HtmlSection[];
}

export function machineSection(run: RunResults): HtmlSection {
  const rows = runFacts(run).map(
    (f) =>
      `  <dt>${escapeHtml(f.label)}</dt><dd>${f.code ? `<code>${escapeHtml(f.value)}</code>` : escapeHtml(f.value)}</dd>`,
  );
  return { id: 'run', title: 'Run and machine', body: `<dl class="facts">\n${rows.join('\n')}\n</dl>` };
}

function errorNote(name: string, error: string): string {
  return `<div class="error">\n<p>${escapeHtml(name)} failed:</p>\n<pre>${escapeHtml(error)}</pre>\n</div>`;
}

export function serverSection(run: RunResults, name: string, options: SeedTableOptions = {}): HtmlSection {
  const model = seedTableModel(run, name, options);
  const body: string[] = [];
  if (model.server.command) body.push(`<p>Command: <code>${escapeHtml(model.server.command)}</code></p>`);
  body.push(`<div class="table-wrap">\n${renderTgTable(model)}\n</div>`);
  for (const note of model.notes) body.push(`<p class="note">${escapeHtml(note)}</p>`);
  if (model.server.error) body.push(errorNote(model.server.name, model.server.error));
  return { id: `server-${sectionId(name)}`, title: serverTitle(model.server), body: body.join('\n') };
}

export function comparisonSection(comparison: Comparison): HtmlSection {
  return { id: 'comparison', title: 'Comparison', body: comparisonTablesHtml(comparison) };
}

export function conclusionSection(comparison: Comparison): HtmlSection {
  return { id: 'conclusion', title: 'Conclusion', body: conclusionHtml(comparison) };
}

/** Status and missing cells; server errors are shown in their server's section. */
export function notesSection(run: RunResults): HtmlSection | null {
  const notes = runNotes(run).filter((n: RunNote) => !n.detail);
  if (notes.length === 0) return null;
  const items = notes.map((n) => `  <li>${escapeHtml(n.text)}</li>`);
  return { id: 'notes', title: 'Notes', body: `<ul>\n${items.join('\n')}\n</ul>` };
}

export function renderHtmlReport(run: RunResults, options: HtmlReportOptions = {}): string {
  const comparison = options.comparison ?? compareRun(run);
  const names = [...new Set([...run.servers.map((s) => s.name), ...run.cells.map((c) => c.server)])];
  const sections: HtmlSection[] = [machineSection(run), ...(options.leadSections ?? [])];
  // Two servers whose names slug alike would share an id; number the later ones.
  const used = new Set<string>();
  for (const name of names) {
    const section = serverSection(run, name, options);
    let id = section.id;
    for (let i = 2; used.has(id); i++) id = `${section.id}-${i}`;
    used.add(id);
    sections.push({ ...section, id });
  }
  sections.push(comparisonSection(comparison), conclusionSection(comparison));
  sections.push(...(options.extraSections ?? []));
  const notes = notesSection(run);
  if (notes) sections.push(notes);
  return htmlDocument(reportTitle(run), sections);
}
