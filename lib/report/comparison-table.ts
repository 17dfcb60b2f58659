/**
 * The comparison's tables as plain text before any format: a title, headers and rows per pair,
 * each cell with the tone it should stand out in, the note that explains the columns, and a line
 * per unpaired server. The terminal, markdown and HTML renderers escape and lay these out, so
 * that the three show the same words.
 */
import type { CellComparison, Comparison, DecisionRule, PairComparison, UnpairedServer } from '../compare/types.ts';
import { cellLabel, fixed, formatPercent, formatRatio, integer, type Tone } from './format.ts';

export interface ComparisonRow {
  group: number;
  cells: string[];
  tones: Tone[];
}

export interface ComparisonTable {
  headers: string[];
  rows: ComparisonRow[];
}

/** The "Faster" column: a name, "tie" or "no clear difference", or who failed how much. */
function winnerText(pair: PairComparison, c: CellComparison, rule: DecisionRule): string {
  if (c.winner === 'a') return pair.a.name;
  if (c.winner === 'b') return pair.b.name;
  if (c.winner === 'tie') return rule === 'two-part' ? 'no clear difference' : 'tie';
  const who: string[] = [];
  if (c.failedA > 0 || c.stoppedA) who.push(`${pair.a.name} failed ${integer(c.failedA)} of ${integer(c.requestedA)}`);
  if (c.failedB > 0 || c.stoppedB) who.push(`${pair.b.name} failed ${integer(c.failedB)} of ${integer(c.requestedB)}`);
  return who.join(', ');
}

function intervalText(c: CellComparison): string {
  if (!c.decision || c.ratio === null || !(c.decision.lo > 0)) return 'n/a';
  return `${formatRatio(c.decision.lo)}-${formatRatio(c.decision.hi)}`;
}

function tableHeaders(pair: PairComparison, rule: DecisionRule, showFailed: boolean, showNon2xx: boolean): string[] {
  const median = rule === 'two-part' ? ', median run' : '';
  // With rounds, the ratio is the gate's paired one (the median of the per-round ratios), a over
  // b with its interval: it can differ from the ratio of the two median runs shown beside it.
  const ab = `${pair.a.name}/${pair.b.name}`;
  const by = rule === 'two-part' ? `${ab} (per round)` : 'By';
  const headers = ['Cell', `${pair.a.name} (#/sec${median})`, `${pair.b.name} (#/sec${median})`, 'Faster', by];
  if (rule === 'two-part') headers.push(`${ab} 95% interval`);
  if (showFailed) headers.push(`Failed ${pair.a.name}`, `Failed ${pair.b.name}`);
  if (showNon2xx) headers.push(`Non-2xx ${pair.a.name}`, `Non-2xx ${pair.b.name}`);
  return headers;
}

function tableRow(
  pair: PairComparison,
  c: CellComparison,
  rule: DecisionRule,
  showFailed: boolean,
  showNon2xx: boolean,
): ComparisonRow {
  // "By" is faster over slower, so that it reads as a speed-up whichever side won;
  // the data keeps a / b.
  const by = c.ratio === null ? 'n/a' : formatRatio(rule === 'two-part' ? c.ratio : Math.max(c.ratio, 1 / c.ratio));
  const cells = [cellLabel(c), fixed(c.rpsA, 2), fixed(c.rpsB, 2), winnerText(pair, c, rule), by];
  const tone: Tone = c.winner === 'failed' ? 'bad' : c.winner === 'tie' ? 'dim' : 'good';
  const tones: Tone[] = ['plain', 'plain', 'plain', tone, 'plain'];
  if (rule === 'two-part') {
    cells.push(intervalText(c));
    tones.push('plain');
  }
  if (showFailed) {
    cells.push(integer(c.failedA), integer(c.failedB));
    tones.push(c.failedA > 0 ? 'bad' : 'plain', c.failedB > 0 ? 'bad' : 'plain');
  }
  if (showNon2xx) {
    cells.push(integer(c.non2xxA), integer(c.non2xxB));
    tones.push(c.non2xxA > 0 ? 'warn' : 'plain', c.non2xxB > 0 ? 'warn' : 'plain');
  }
  return { group: c.group, cells, tones };
}

/** The per-cell comparison of one pair as header + rows of plain (unescaped) text. */
export function pairTable(pair: PairComparison, rule: DecisionRule): ComparisonTable {
  const showFailed = pair.cells.some((c) => c.failedA > 0 || c.failedB > 0);
  const showNon2xx = pair.cells.some((c) => c.non2xxA > 0 || c.non2xxB > 0);
  return {
    headers: tableHeaders(pair, rule, showFailed, showNon2xx),
    rows: pair.cells.map((c) => tableRow(pair, c, rule, showFailed, showNon2xx)),
  };
}

/** Columns 'Cell' and 'Faster' hold words, left-aligned; the others figures, right-aligned. */
export function isWordColumn(index: number): boolean {
  return index === 0 || index === 3;
}

export function pairTitle(pair: PairComparison): string {
  return `${pair.a.name} (${pair.a.model}) vs ${pair.b.name} (${pair.b.model}), ${pair.a.language}`;
}

/** Whether any pair has a table, and so whether the note that explains the columns is shown. */
export function hasTables(comparison: Comparison): boolean {
  return comparison.pairs.some((p) => p.cells.length > 0);
}

/** What the ratio columns mean and how a cell is called, under the comparison's rule. */
export function tableNote(comparison: Comparison): string {
  const by = "By = the faster's requests per second over the slower's";
  if (comparison.rule === 'two-part') {
    return (
      "a/b (per round) = the median over the rounds of a's requests per second over b's, with its 95% interval; " +
      `a cell is faster only when the signed-rank test (p < ${comparison.alpha}) and the whole interval put the difference ` +
      `beyond ${formatPercent(comparison.tolerance)}, "no clear difference" otherwise; a cell with failed requests is never ranked.`
    );
  }
  return `${by}; within ${formatPercent(comparison.tieThreshold)} counts as a tie; a cell with failed requests is never ranked.`;
}

export function unpairedLine(s: UnpairedServer): string {
  return `${s.name} (${s.model}, ${s.language}) is not compared: ${s.reason}.`;
}
