/**
 * The seed's HTML table layout: `<table class="tg">`, every cell of class "tg-9wq8",
 * "No Test" spanning its group's rows, two-space indentation. It is kept byte for byte
 * as the seed writes it, so a report's table pastes into the same course page.
 */
import { escapeHtml } from '../format.ts';
import type { SeedTableModel } from '../seed-table.ts';

/** The class the seed's table generator put on every cell (centred, vertically middle). */
export const TG_CELL_CLASS = 'tg-9wq8';

export function renderTgTable(model: SeedTableModel): string {
  const cls = TG_CELL_CLASS;
  const lines: string[] = ['<table class="tg">', '  <tr>'];
  for (const column of model.columns) lines.push(`    <th class="${cls}">${escapeHtml(column.header)}</th>`);
  lines.push('  </tr>');
  for (const group of model.groups) {
    group.rows.forEach((row, index) => {
      lines.push('  <tr>');
      row.cells.forEach((text, c) => {
        if (model.columns[c]?.key === 'no') {
          // Later rows of a group have no "No Test" cell: the first row's rowspan covers them.
          if (index > 0) return;
          const span = group.rows.length > 1 ? ` rowspan="${group.rows.length}"` : '';
          lines.push(`    <td class="${cls}"${span}>${escapeHtml(text)}</td>`);
          return;
        }
        lines.push(`    <td class="${cls}">${escapeHtml(text)}</td>`);
      });
      lines.push('  </tr>');
    });
  }
  lines.push('</table>');
  return lines.join('\n');
}

/**
 * The classic "tg" stylesheet of the table generator the seed's table came from:
 * collapsed 1px black borders, Arial 14px, centred cells.
 */
export const TG_CSS = `.tg{border-collapse:collapse;border-spacing:0;}
.tg td{border-color:black;border-style:solid;border-width:1px;font-family:Arial, sans-serif;font-size:14px;overflow:hidden;padding:10px 5px;word-break:normal;}
.tg th{border-color:black;border-style:solid;border-width:1px;font-family:Arial, sans-serif;font-size:14px;font-weight:normal;overflow:hidden;padding:10px 5px;word-break:normal;}
.tg .tg-9wq8{border-color:inherit;text-align:center;vertical-align:middle}`;
