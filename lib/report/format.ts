/**
 * The formatting and escaping every output shares: numbers as ab prints them, ratios and
 * percentages as the comparison words them, cell labels, and the escaping of data for a
 * terminal, markdown and HTML. Everything here is pure: data in, string out.
 */
import type { CellSpec, Matrix } from '../types.ts';

/** How a cell should stand out: a colour on a terminal, a class in HTML. */
export type Tone = 'plain' | 'dim' | 'bad' | 'warn' | 'good';

/**
 * Formats a number with a fixed number of decimals, as ab's printf("%.Nf") does.
 * results.json cannot hold Infinity or NaN (JSON writes them as null), so anything
 * that is not a finite number prints as "n/a" instead of "null" or "Infinity".
 */
export function fixed(value: number | null | undefined, decimals: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'n/a';
  return value.toFixed(decimals);
}

/** An integer count (requests, bytes), without thousands separators, as ab prints it. */
export function integer(value: number | null | undefined): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'n/a';
  return String(Math.round(value));
}

/** "1 cell", "2 cells". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** "1.83x", "30.5x", "405x", "0.0025x": about three significant figures. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio <= 0) return 'n/a';
  if (ratio < 0.01) return `${ratio.toPrecision(2)}x`;
  if (ratio >= 100) return `${ratio.toFixed(0)}x`;
  if (ratio >= 10) return `${ratio.toFixed(1)}x`;
  return `${ratio.toFixed(2)}x`;
}

/** A threshold given as a fraction, in percent with at most two decimals: 0.05 -> "5%", 0.025 -> "2.5%". */
export function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

/** A cell as a short label: "n=100 c=50" (ab's -n and -c), "10s c=50" for a duration, " @1000/s" with a rate. */
export function cellLabel(cell: CellSpec): string {
  const size = cell.durationS !== undefined ? `${cell.durationS}s` : `n=${cell.requests}`;
  return `${size} c=${cell.concurrency}${cell.rate !== undefined ? ` @${cell.rate}/s` : ''}`;
}

/** "seed: 10 x {1, 5, 10}; 50 x {1, 10, 30, 50}; 100 x {1, 10, 50, 100}" */
export function describeMatrix(matrix: Matrix): string {
  const groups = matrix.groups.map(
    (g) => `${g.durationS !== undefined ? `${g.durationS}s` : g.requests} x {${g.concurrencies.join(', ')}}`,
  );
  return `${matrix.name}: ${groups.join('; ')}`;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and for quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * Escapes text for inline markdown. Markdown renders raw HTML, so `<` and `&` must be
 * neutralised as well as the emphasis, link, code and table characters. CommonMark lets
 * any ASCII punctuation be backslash-escaped, so over-escaping is harmless.
 * Line breaks are folded to spaces: inline text must stay on its line (headings, table cells).
 * With `lineStart`, the text begins a line or a list item, where `#`, `-`, `+`, `=` and
 * "1." would start a heading or a list; elsewhere they are left alone to keep the
 * source readable ("257.08", not "257\.08").
 */
export function escapeMarkdown(text: string, options: { lineStart?: boolean } = {}): string {
  const inline = text.replace(/\r?\n|\r/g, ' ').replace(/[\\`*_[\]<>|~&]/g, (ch) => `\\${ch}`);
  if (!options.lineStart) return inline;
  return inline.replace(/^(\s*)([#+\-=]|\d+(?=[.)]))/, (_, space: string, lead: string) =>
    /^\d/.test(lead) ? `${space}${lead}\\` : `${space}\\${lead}`,
  );
}

/** An inline markdown code span that survives backticks inside the text. */
export function markdownCode(text: string): string {
  const flat = text.replace(/\r?\n|\r/g, ' ');
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // A space on each side keeps a leading or trailing backtick from merging with the fence.
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced markdown code block for multi-line text such as an error's stderr. */
export function markdownCodeBlock(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}text\n${text.replace(/\s+$/, '')}\n${fence}`;
}

/**
 * Makes data safe to print on a terminal: a server name or an error message could carry
 * escape sequences that move the cursor or recolour the screen. Control characters
 * other than newline and tab become U+FFFD.
 */
export function sanitizeTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\uFFFD');
}

/**
 * Renders the few backtick-quoted code spans of a fixed sentence (never data) for each
 * output format. Text outside the spans is escaped for the format.
 */
export function inlineCodeSpans(text: string, format: 'text' | 'markdown' | 'html'): string {
  const parts = text.split('`');
  return parts
    .map((part, i) => {
      const isCode = i % 2 === 1;
      if (format === 'text') return isCode ? `\`${part}\`` : part;
      if (format === 'markdown') return isCode ? markdownCode(part) : escapeMarkdown(part);
      return isCode ? `<code>${escapeHtml(part)}</code>` : escapeHtml(part);
    })
    .join('');
}
