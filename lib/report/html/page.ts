/**
 * report.html's page: one self-contained document (inline CSS, no scripts, nothing fetched)
 * made of sections, each built by a small function, so that other sections (charts, a
 * conformance grid) can be added without touching these. Every string that comes from the data
 * is escaped; section bodies are trusted HTML. check.html is built on the same page.
 */
import { escapeHtml } from '../format.ts';
import { TG_CSS } from './tg-table.ts';

export interface HtmlSection {
  /** The element id, for links; letters, digits and hyphens. */
  id: string;
  /** Heading text (plain text: it is escaped). */
  title: string;
  /** The section's content, already HTML (trusted: build it with escapeHtml). */
  body: string;
}

export const REPORT_CSS = `${TG_CSS}
body{font-family:Arial, sans-serif;font-size:15px;line-height:1.45;color:#111;background:#fff;max-width:1200px;margin:2em auto;padding:0 1em;}
h1{font-size:1.6em;margin-bottom:.3em;}
h2{font-size:1.3em;margin-top:1.8em;border-bottom:1px solid #ccc;padding-bottom:.2em;}
h3{font-size:1.1em;margin-top:1.2em;}
code,pre{font-family:Menlo, Consolas, monospace;font-size:13px;}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.6em;overflow-x:auto;white-space:pre-wrap;}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.2em 1em;}
dl.facts dt{font-weight:bold;}
dl.facts dd{margin:0;}
.cmp{border-collapse:collapse;margin:.5em 0;}
.cmp th,.cmp td{border:1px solid #999;padding:4px 8px;text-align:right;}
.cmp th{background:#f0f0f0;text-align:center;}
.cmp td:first-child,.cmp td:nth-child(4){text-align:left;}
.cmp .good{color:#05620a;font-weight:bold;}
.cmp .dim{color:#777;}
.cmp .bad{color:#b00020;font-weight:bold;}
.cmp .warn{color:#8a5a00;font-weight:bold;}
.note{color:#444;}
.error{border-left:4px solid #b00020;padding-left:.8em;}
.verdict{font-size:1.05em;}
.caveats{color:#444;}
.table-wrap{overflow-x:auto;}`;

/** A section id from arbitrary text: lower case letters, digits and hyphens. */
export function sectionId(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug || 'section';
}

function renderSection(section: HtmlSection): string {
  return `<section id="${escapeHtml(section.id)}">\n<h2>${escapeHtml(section.title)}</h2>\n${section.body}\n</section>`;
}

/** A complete page from sections. */
export function htmlDocument(title: string, sections: HtmlSection[], intro = ''): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>\n${REPORT_CSS}\n</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    intro,
    ...sections.map(renderSection),
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
}
