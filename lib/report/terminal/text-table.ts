/**
 * A plain-text table with aligned columns, optional box drawing, row groups separated by
 * a rule, and optional ANSI colour. Widths are counted in UTF-16 code units, which is
 * right for the characters these tables hold (digits, ASCII, "—").
 */
import type { Tone } from '../format.ts';

export type { Tone } from '../format.ts';

export type Align = 'left' | 'right' | 'center';

export interface TextTableSpec {
  headers: string[];
  align: Align[];
  /** Row groups; a rule is drawn between groups. */
  groups: string[][][];
  /** 'box' draws with box-drawing characters, 'ascii' with + - | (for logs and old consoles). */
  style?: 'box' | 'ascii';
  color?: boolean;
  /**
   * Headers longer than this wrap onto several lines at spaces, so that the seed's long
   * column names do not make the table twice as wide as its numbers. A column is never
   * narrower than its widest value or its longest word.
   */
  headerWidth?: number;
  tone?: (groupIndex: number, rowIndex: number, column: number, text: string) => Tone;
}

const ANSI: Record<Tone | 'bold', [string, string]> = {
  plain: ['', ''],
  bold: ['\u001b[1m', '\u001b[22m'],
  dim: ['\u001b[2m', '\u001b[22m'],
  bad: ['\u001b[31m', '\u001b[39m'],
  warn: ['\u001b[33m', '\u001b[39m'],
  good: ['\u001b[32m', '\u001b[39m'],
};

function paint(text: string, tone: Tone | 'bold', color: boolean): string {
  if (!color || tone === 'plain') return text;
  const [open, close] = ANSI[tone];
  return `${open}${text}${close}`;
}

function pad(text: string, width: number, align: Align): string {
  const room = Math.max(0, width - text.length);
  if (align === 'right') return ' '.repeat(room) + text;
  if (align === 'left') return text + ' '.repeat(room);
  const left = Math.floor(room / 2);
  return ' '.repeat(left) + text + ' '.repeat(room - left);
}

/** Greedy word wrap; a word longer than the width gets a line of its own. */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  return lines;
}

export function renderTextTable(spec: TextTableSpec): string {
  const style = spec.style ?? 'box';
  const color = spec.color ?? false;
  const headerWidth = spec.headerWidth ?? 12;
  const columns = spec.headers.length;
  const rows = spec.groups.flat();

  const widths = spec.headers.map((header, c) => {
    const dataWidth = Math.max(0, ...rows.map((row) => (row[c] ?? '').length));
    const longestWord = Math.max(0, ...header.split(/\s+/).map((w) => w.length));
    return Math.max(dataWidth, longestWord, Math.min(header.length, headerWidth));
  });
  const headerLines = spec.headers.map((header, c) => wrapWords(header, widths[c] ?? 0));
  const headerHeight = Math.max(1, ...headerLines.map((lines) => lines.length));

  const glyphs =
    style === 'box'
      ? {
          h: '─',
          v: '│',
          hh: '═',
          top: ['┌', '┬', '┐'],
          head: ['╞', '╪', '╡'],
          mid: ['├', '┼', '┤'],
          bottom: ['└', '┴', '┘'],
        }
      : {
          h: '-',
          v: '|',
          hh: '=',
          top: ['+', '+', '+'],
          head: ['+', '+', '+'],
          mid: ['+', '+', '+'],
          bottom: ['+', '+', '+'],
        };

  const rule = ([left, cross, right]: string[], fill: string): string =>
    paint(`${left}${widths.map((w) => fill.repeat(w + 2)).join(cross)}${right}`, 'dim', color);
  const bar = paint(glyphs.v, 'dim', color);
  const line = (cells: string[]): string => `${bar}${cells.map((cell) => ` ${cell} `).join(bar)}${bar}`;

  const out: string[] = [rule(glyphs.top, glyphs.h)];
  for (let l = 0; l < headerHeight; l++) {
    // Headers sit at the bottom of their block, next to the figures they name.
    const cells = headerLines.map((lines, c) => {
      const text = lines[l - (headerHeight - lines.length)] ?? '';
      return paint(pad(text, widths[c] ?? 0, 'center'), 'bold', color);
    });
    out.push(line(cells));
  }
  out.push(rule(glyphs.head, glyphs.hh));
  spec.groups.forEach((group, g) => {
    if (g > 0) out.push(rule(glyphs.mid, glyphs.h));
    group.forEach((row, r) => {
      const cells: string[] = [];
      for (let c = 0; c < columns; c++) {
        const text = row[c] ?? '';
        const tone = spec.tone ? spec.tone(g, r, c, text) : 'plain';
        cells.push(paint(pad(text, widths[c] ?? 0, spec.align[c] ?? 'left'), tone, color));
      }
      out.push(line(cells));
    });
  });
  out.push(rule(glyphs.bottom, glyphs.h));
  return out.join('\n');
}
