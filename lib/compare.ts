/**
 * Pairs of servers that differ only in concurrency model (same language, different
 * model), compared cell by cell on requests per second, and a conclusion computed from
 * those figures. The comparison is plain data (it goes into results.json and feeds perf
 * gates); the render functions turn it into terminal text, markdown or HTML fragments.
 */
import type { RunResults, ServerRecord } from './types.ts';
import { cellSlots, recordsByServer, runsPerCell, slotKey, type CellSlot } from './report/cells.ts';
import {
  cellLabel,
  escapeHtml,
  escapeMarkdown,
  fixed,
  inlineCodeSpans,
  integer,
  plural,
  sanitizeTerminal,
} from './report/format.ts';
import { renderTextTable, type Tone } from './report/text-table.ts';

/**
 * Two figures within this fraction of each other are a tie: the faster is at most 5%
 * faster than the slower (max / min <= 1.05). A single run of a few dozen requests
 * moves by more than that from one run to the next, so a smaller difference is no win.
 */
export const TIE_THRESHOLD = 0.05;

/** A cell shorter than this (seconds) is too short for a stable requests-per-second figure. */
export const SHORT_CELL_S = 0.1;

/** Models that say nothing about how a server handles concurrency: never paired. */
const UNKNOWN_MODELS = new Set(['', 'unknown', 'ad-hoc', 'adhoc', 'other', 'n/a', 'none', '?']);

export interface ServerRef {
  name: string;
  model: string;
  language: string;
}

export interface CellComparison extends CellSlot {
  rpsA: number;
  rpsB: number;
  /** rpsA / rpsB; null when one side completed no request, so no finite ratio exists. */
  ratio: number | null;
  /** The faster side, or 'tie' when the two are within the tie threshold. */
  winner: 'a' | 'b' | 'tie';
  failedA: number;
  failedB: number;
  non2xxA: number;
  non2xxB: number;
  timeTakenA: number;
  timeTakenB: number;
}

export interface LeftOutCell extends CellSlot {
  /** 'a', 'b' or 'both': who has no result; 'idle': both ran but neither completed a request. */
  missing: 'a' | 'b' | 'both' | 'idle';
}

export interface ProblemCount {
  requests: number;
  cells: number;
}

export interface PairSummary {
  /** Cells measured by both with at least one completed request. */
  compared: number;
  winsA: number;
  winsB: number;
  ties: number;
  /** The side that won more cells; null when both won as many. */
  leader: 'a' | 'b' | null;
  /**
   * Median of rpsA / rpsB over cells with a finite ratio. With an even count it is the
   * geometric mean of the middle two, so that the median of b / a is exactly its inverse.
   */
  medianRatio: number | null;
  minRatio: number | null;
  maxRatio: number | null;
  failedA: ProblemCount;
  failedB: ProblemCount;
  non2xxA: ProblemCount;
  non2xxB: ProblemCount;
}

export interface PairComparison {
  a: ServerRef;
  b: ServerRef;
  cells: CellComparison[];
  leftOut: LeftOutCell[];
  summary: PairSummary;
  /** One sentence (or two) computed from the figures above. */
  verdict: string;
}

export interface UnpairedServer extends ServerRef {
  reason: string;
}

export interface Comparison {
  tieThreshold: number;
  /** The most records any cell has; 1 for an ordinary run. */
  runsPerCell: number;
  pairs: PairComparison[];
  unpaired: UnpairedServer[];
  /** The verdicts, one per pair, or a sentence saying why there is nothing to compare. */
  conclusion: string[];
  /** What the verdicts cannot tell, computed from the run (runs per cell, cell length). */
  caveats: string[];
}

export interface CompareOptions {
  tieThreshold?: number;
}

function ref(server: ServerRecord): ServerRef {
  return { name: server.name, model: server.model, language: server.language };
}

function norm(text: string): string {
  return text.trim().toLowerCase();
}

export function isKnownModel(model: string): boolean {
  return !UNKNOWN_MODELS.has(norm(model));
}

/**
 * Every pair of servers with the same language and different known models, in the
 * order the run lists the servers (a before b).
 */
export function concurrencyPairs(servers: ServerRecord[]): [ServerRecord, ServerRecord][] {
  const pairs: [ServerRecord, ServerRecord][] = [];
  servers.forEach((a, i) => {
    for (const b of servers.slice(i + 1)) {
      if (!isKnownModel(a.model) || !isKnownModel(b.model) || !isKnownModel(a.language)) continue;
      if (norm(a.language) !== norm(b.language) || norm(a.model) === norm(b.model)) continue;
      pairs.push([a, b]);
    }
  });
  return pairs;
}

/** Median in log space: see PairSummary.medianRatio. */
export function medianRatio(ratios: number[]): number | null {
  if (ratios.length === 0) return null;
  const sorted = [...ratios].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid] ?? null;
  const lo = sorted[mid - 1];
  const hi = sorted[mid];
  return lo === undefined || hi === undefined ? null : Math.sqrt(lo * hi);
}

/** "1.83x", "30.5x", "405x", "0.0025x": about three significant figures. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio <= 0) return 'n/a';
  if (ratio < 0.01) return `${ratio.toPrecision(2)}x`;
  if (ratio >= 100) return `${ratio.toFixed(0)}x`;
  if (ratio >= 10) return `${ratio.toFixed(1)}x`;
  return `${ratio.toFixed(2)}x`;
}

function percent(threshold: number): string {
  return `${Number((threshold * 100).toFixed(2))}%`;
}

function problems(cells: CellComparison[], pick: (c: CellComparison) => number): ProblemCount {
  const hit = cells.filter((c) => pick(c) > 0);
  return { requests: hit.reduce((sum, c) => sum + pick(c), 0), cells: hit.length };
}

export function comparePair(
  run: RunResults,
  a: ServerRecord,
  b: ServerRecord,
  options: CompareOptions = {},
): PairComparison {
  const threshold = options.tieThreshold ?? TIE_THRESHOLD;
  const recordsA = recordsByServer(run, a.name);
  const recordsB = recordsByServer(run, b.name);
  const cells: CellComparison[] = [];
  const leftOut: LeftOutCell[] = [];

  for (const slot of cellSlots(run)) {
    const ra = recordsA.get(slotKey(slot))?.result;
    const rb = recordsB.get(slotKey(slot))?.result;
    if (!ra || !rb) {
      leftOut.push({ ...slot, missing: !ra && !rb ? 'both' : !ra ? 'a' : 'b' });
      continue;
    }
    // results.json turns a non-finite figure into null; treat it as no throughput.
    const rpsA = Number.isFinite(ra.requestsPerSecond) ? ra.requestsPerSecond : 0;
    const rpsB = Number.isFinite(rb.requestsPerSecond) ? rb.requestsPerSecond : 0;
    if (rpsA <= 0 && rpsB <= 0) {
      leftOut.push({ ...slot, missing: 'idle' });
      continue;
    }
    const ratio = rpsA > 0 && rpsB > 0 ? rpsA / rpsB : null;
    const faster = Math.max(rpsA, rpsB);
    const slower = Math.min(rpsA, rpsB);
    // The epsilon keeps a ratio of exactly 1 + threshold a tie despite floating-point error.
    const winner = slower > 0 && faster / slower <= 1 + threshold + 1e-9 ? 'tie' : rpsA > rpsB ? 'a' : 'b';
    cells.push({
      ...slot,
      rpsA,
      rpsB,
      ratio,
      winner,
      failedA: ra.failedRequests,
      failedB: rb.failedRequests,
      non2xxA: ra.non2xx,
      non2xxB: rb.non2xx,
      timeTakenA: ra.timeTakenS,
      timeTakenB: rb.timeTakenS,
    });
  }

  const ratios = cells.flatMap((c) => (c.ratio === null ? [] : [c.ratio]));
  const winsA = cells.filter((c) => c.winner === 'a').length;
  const winsB = cells.filter((c) => c.winner === 'b').length;
  const summary: PairSummary = {
    compared: cells.length,
    winsA,
    winsB,
    ties: cells.filter((c) => c.winner === 'tie').length,
    leader: winsA > winsB ? 'a' : winsB > winsA ? 'b' : null,
    medianRatio: medianRatio(ratios),
    minRatio: ratios.length ? Math.min(...ratios) : null,
    maxRatio: ratios.length ? Math.max(...ratios) : null,
    failedA: problems(cells, (c) => c.failedA),
    failedB: problems(cells, (c) => c.failedB),
    non2xxA: problems(cells, (c) => c.non2xxA),
    non2xxB: problems(cells, (c) => c.non2xxB),
  };
  const pair: PairComparison = { a: ref(a), b: ref(b), cells, leftOut, summary, verdict: '' };
  pair.verdict = verdict(pair, threshold, cellSlots(run).length);
  return pair;
}

function ratioRange(ratios: number[]): string {
  const median = medianRatio(ratios);
  if (median === null) return '';
  if (ratios.length === 1) return ` (ratio ${formatRatio(median)})`;
  return ` (median ratio ${formatRatio(median)}, from ${formatRatio(Math.min(...ratios))} to ${formatRatio(Math.max(...ratios))})`;
}

function listCells(cells: CellSlot[]): string {
  const labels = cells.map(cellLabel);
  if (labels.length <= 1) return labels.join('');
  return `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}`;
}

/** The verdict for one pair: who was faster, by how much, and what weakens the claim. */
function verdict(pair: PairComparison, threshold: number, matrixCells: number): string {
  const { a, b, cells, summary: s } = pair;
  const n = s.compared;
  const tie = `within ${percent(threshold)} (a tie)`;
  let main: string;

  if (n === 0) {
    main = `${a.name} and ${b.name} could not be compared: no cell has a completed request from both`;
  } else if (s.leader) {
    const [lead, other] = s.leader === 'a' ? [a, b] : [b, a];
    const leadWins = s.leader === 'a' ? s.winsA : s.winsB;
    const otherWins = s.leader === 'a' ? s.winsB : s.winsA;
    // Ratios from the leader's side, so the sentence reads "X was faster ... (median 1.8x)".
    const ratios = cells.flatMap((c) => (c.ratio === null ? [] : [s.leader === 'a' ? c.ratio : 1 / c.ratio]));
    const rest: string[] = [];
    if (otherWins > 0) rest.push(`slower in ${otherWins}`);
    if (s.ties > 0) rest.push(`${tie} in ${s.ties}`);
    main = `${lead.name} was faster than ${other.name} in ${leadWins} of ${plural(n, 'cell')}`;
    if (rest.length) main += `, ${rest.join(' and ')}`;
    main += ratioRange(ratios);
  } else if (s.ties === n) {
    const ratios = cells.flatMap((c) => (c.ratio === null ? [] : [c.ratio]));
    const where = n === 1 ? 'the only cell measured by both' : `all ${n} cells`;
    main = `${a.name} and ${b.name} were ${tie} in ${where}${ratioRange(ratios)}`;
  } else {
    const ratios = cells.flatMap((c) => (c.ratio === null ? [] : [c.ratio]));
    main =
      `Neither ${a.name} nor ${b.name} was consistently faster: ${a.name} was faster in ${s.winsA}, ` +
      `${b.name} in ${s.winsB}` +
      (s.ties > 0 ? ` and ${s.ties} ${s.ties === 1 ? 'was a tie' : 'were ties'} (within ${percent(threshold)})` : '') +
      ` of ${n} cells` +
      (ratios.length ? ` (${a.name}/${b.name}${ratioRange(ratios).replace(/^ \(/, ': ')}` : '');
  }

  const noRatio = cells.filter((c) => c.ratio === null);
  if (noRatio.length > 0) {
    const zeroA = noRatio.filter((c) => c.rpsA <= 0).length;
    const zeroB = noRatio.length - zeroA;
    const who = [zeroA ? `${a.name} in ${plural(zeroA, 'cell')}` : '', zeroB ? `${b.name} in ${plural(zeroB, 'cell')}` : '']
      .filter(Boolean)
      .join(' and ');
    main += `; no ratio where one side completed no request (${who})`;
  }

  const trouble: string[] = [];
  for (const [server, failed, non2xx] of [
    [a, s.failedA, s.non2xxA],
    [b, s.failedB, s.non2xxB],
  ] as const) {
    const what: string[] = [];
    if (failed.requests > 0) what.push(`failed ${plural(failed.requests, 'request')} in ${plural(failed.cells, 'cell')}`);
    // A fast error page is not a fast server: say when the figures include non-2xx answers.
    if (non2xx.requests > 0) {
      what.push(`answered ${plural(non2xx.requests, 'request')} in ${plural(non2xx.cells, 'cell')} with a non-2xx status`);
    }
    if (what.length) trouble.push(`${server.name} ${what.join(' and ')}`);
  }
  let sentence = main;
  if (trouble.length) sentence += `${n === 0 ? '; ' : ', but '}${trouble.join(' and ')}`;
  sentence += '.';

  if (pair.leftOut.length > 0) {
    const reasons: [LeftOutCell['missing'], string][] = [
      ['a', `not measured for ${a.name}`],
      ['b', `not measured for ${b.name}`],
      ['both', `not measured for either`],
      ['idle', `neither completed a request`],
    ];
    const parts = reasons.flatMap(([kind, why]) => {
      const hit = pair.leftOut.filter((c) => c.missing === kind);
      return hit.length ? [`${listCells(hit)} (${why})`] : [];
    });
    const total = Math.max(matrixCells, n + pair.leftOut.length);
    sentence += ` ${pair.leftOut.length} of ${plural(total, 'cell')} ${pair.leftOut.length === 1 ? 'was' : 'were'} left out: ${parts.join('; ')}.`;
  }
  return sentence;
}

/** Compares every pair of servers that differ only in concurrency model. */
export function compareRun(run: RunResults, options: CompareOptions = {}): Comparison {
  const threshold = options.tieThreshold ?? TIE_THRESHOLD;
  const pairs = concurrencyPairs(run.servers).map(([a, b]) => comparePair(run, a, b, { tieThreshold: threshold }));
  const paired = new Set(pairs.flatMap((p) => [p.a.name, p.b.name]));
  const unpaired = run.servers
    .filter((s) => !paired.has(s.name))
    .map((s): UnpairedServer => ({
      ...ref(s),
      reason: !isKnownModel(s.model)
        ? 'its concurrency model is unknown'
        : !isKnownModel(s.language)
          ? 'its language is unknown'
          : `no other ${s.language} server with a different model`,
    }));

  const conclusion =
    pairs.length > 0
      ? pairs.map((p) => p.verdict)
      : ['No two servers differ only in concurrency model (same language, different model), so none were compared.'];

  const caveats: string[] = [];
  const compared = pairs.flatMap((p) => p.cells);
  if (compared.length > 0) {
    const runs = runsPerCell(run);
    caveats.push(
      runs <= 1
        ? 'One run per cell: these ratios carry no uncertainty estimate; use `gauntlet gate` for a sound comparison.'
        : `Each cell's latest run is compared (some cells ran up to ${runs} times) with no uncertainty estimate; use \`gauntlet gate\` for a sound comparison.`,
    );
    const slots = new Map<string, CellComparison[]>();
    for (const c of compared) slots.set(slotKey(c), [...(slots.get(slotKey(c)) ?? []), c]);
    const short = [...slots.values()].filter((list) =>
      list.some((c) => c.timeTakenA < SHORT_CELL_S || c.timeTakenB < SHORT_CELL_S),
    ).length;
    if (short > 0) {
      caveats.push(
        `In ${short} of the ${plural(slots.size, 'compared cell')} a server finished in under ${SHORT_CELL_S * 1000} ms: ` +
          'over so short a time, timer resolution and scheduling weigh as much as the server.',
      );
    }
  }
  return { tieThreshold: threshold, runsPerCell: runsPerCell(run), pairs, unpaired, conclusion, caveats };
}

// ---------------------------------------------------------------------------------------
// Rendering

export type FragmentFormat = 'text' | 'markdown' | 'html';

interface CellRow {
  group: number;
  cells: string[];
  tones: Tone[];
}

function winnerName(pair: PairComparison, c: CellComparison): string {
  return c.winner === 'tie' ? 'tie' : c.winner === 'a' ? pair.a.name : pair.b.name;
}

/** The per-cell comparison of one pair as header + rows of plain (unescaped) text. */
function pairTable(pair: PairComparison): { headers: string[]; rows: CellRow[] } {
  const showFailed = pair.cells.some((c) => c.failedA > 0 || c.failedB > 0);
  const showNon2xx = pair.cells.some((c) => c.non2xxA > 0 || c.non2xxB > 0);
  const headers = ['Cell', `${pair.a.name} (#/sec)`, `${pair.b.name} (#/sec)`, 'Faster', 'By'];
  if (showFailed) headers.push(`Failed ${pair.a.name}`, `Failed ${pair.b.name}`);
  if (showNon2xx) headers.push(`Non-2xx ${pair.a.name}`, `Non-2xx ${pair.b.name}`);
  const rows = pair.cells.map((c): CellRow => {
    // "By" is faster over slower, so that it reads as a speed-up whichever side won;
    // the data keeps a / b.
    const by = c.ratio === null ? 'n/a' : formatRatio(Math.max(c.ratio, 1 / c.ratio));
    const cells = [cellLabel(c), fixed(c.rpsA, 2), fixed(c.rpsB, 2), winnerName(pair, c), by];
    const tones: Tone[] = ['plain', 'plain', 'plain', c.winner === 'tie' ? 'dim' : 'good', 'plain'];
    if (showFailed) {
      cells.push(integer(c.failedA), integer(c.failedB));
      tones.push(c.failedA > 0 ? 'bad' : 'plain', c.failedB > 0 ? 'bad' : 'plain');
    }
    if (showNon2xx) {
      cells.push(integer(c.non2xxA), integer(c.non2xxB));
      tones.push(c.non2xxA > 0 ? 'warn' : 'plain', c.non2xxB > 0 ? 'warn' : 'plain');
    }
    return { group: c.group, cells, tones };
  });
  return { headers, rows };
}

function pairTitle(pair: PairComparison): string {
  return `${pair.a.name} (${pair.a.model}) vs ${pair.b.name} (${pair.b.model}), ${pair.a.language}`;
}

function tieNote(comparison: Comparison): string {
  return `By = the faster's requests per second over the slower's; within ${percent(comparison.tieThreshold)} counts as a tie.`;
}

function unpairedLine(s: UnpairedServer): string {
  return `${s.name} (${s.model}, ${s.language}) is not compared: ${s.reason}.`;
}

function textTables(comparison: Comparison, color: boolean): string {
  const blocks: string[] = [];
  for (const pair of comparison.pairs) {
    const { headers, rows } = pairTable(pair);
    const groups: CellRow[][] = [];
    for (const row of rows) {
      const last = groups[groups.length - 1];
      if (last && last[0]?.group === row.group) last.push(row);
      else groups.push([row]);
    }
    const lines = [sanitizeTerminal(pairTitle(pair))];
    if (rows.length > 0) {
      lines.push(
        renderTextTable({
          headers: headers.map(sanitizeTerminal),
          align: headers.map((_, i) => (i === 0 || i === 3 ? 'left' : 'right')),
          groups: groups.map((g) => g.map((r) => r.cells.map(sanitizeTerminal))),
          color,
          headerWidth: 16,
          tone: (g, r, c) => groups[g]?.[r]?.tones[c] ?? 'plain',
        }),
      );
    }
    blocks.push(lines.join('\n'));
  }
  if (comparison.pairs.some((p) => p.cells.length > 0)) blocks.push(tieNote(comparison));
  for (const s of comparison.unpaired) blocks.push(sanitizeTerminal(unpairedLine(s)));
  return blocks.join('\n\n');
}

function markdownCell(text: string): string {
  return escapeMarkdown(text);
}

function markdownTables(comparison: Comparison): string {
  const blocks: string[] = [];
  for (const pair of comparison.pairs) {
    const { headers, rows } = pairTable(pair);
    const lines = [`**${escapeMarkdown(pairTitle(pair))}**`];
    if (rows.length > 0) {
      lines.push('');
      lines.push(`| ${headers.map(markdownCell).join(' | ')} |`);
      lines.push(`|${headers.map((_, i) => (i === 0 || i === 3 ? ' --- ' : ' ---: ')).join('|')}|`);
      for (const row of rows) lines.push(`| ${row.cells.map(markdownCell).join(' | ')} |`);
    }
    blocks.push(lines.join('\n'));
  }
  if (comparison.pairs.some((p) => p.cells.length > 0)) blocks.push(escapeMarkdown(tieNote(comparison)));
  if (comparison.unpaired.length > 0) {
    blocks.push(comparison.unpaired.map((s) => `- ${escapeMarkdown(unpairedLine(s), { lineStart: true })}`).join('\n'));
  }
  return blocks.join('\n\n');
}

function htmlTables(comparison: Comparison): string {
  const blocks: string[] = [];
  for (const pair of comparison.pairs) {
    const { headers, rows } = pairTable(pair);
    const lines = [`<h3>${escapeHtml(pairTitle(pair))}</h3>`];
    if (rows.length > 0) {
      lines.push('<table class="cmp">');
      lines.push(`  <tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`);
      for (const row of rows) {
        const tds = row.cells.map((text, i) => {
          const tone = row.tones[i] ?? 'plain';
          const cls = tone === 'plain' ? '' : ` class="${tone}"`;
          return `<td${cls}>${escapeHtml(text)}</td>`;
        });
        lines.push(`  <tr>${tds.join('')}</tr>`);
      }
      lines.push('</table>');
    }
    blocks.push(lines.join('\n'));
  }
  if (comparison.pairs.some((p) => p.cells.length > 0)) blocks.push(`<p class="note">${escapeHtml(tieNote(comparison))}</p>`);
  if (comparison.unpaired.length > 0) {
    blocks.push(`<ul class="unpaired">\n${comparison.unpaired.map((s) => `  <li>${escapeHtml(unpairedLine(s))}</li>`).join('\n')}\n</ul>`);
  }
  return blocks.join('\n');
}

export interface RenderOptions {
  /** ANSI colour in the text format (default off). */
  color?: boolean;
}

/** The per-cell tables of every pair (no heading). */
export function renderComparisonTables(comparison: Comparison, format: FragmentFormat, options: RenderOptions = {}): string {
  if (format === 'markdown') return markdownTables(comparison);
  if (format === 'html') return htmlTables(comparison);
  return textTables(comparison, options.color ?? false);
}

/** The verdicts and the caveats (no heading). */
export function renderConclusion(comparison: Comparison, format: FragmentFormat): string {
  if (format === 'html') {
    const verdicts = comparison.conclusion.map((v) => `<p class="verdict">${escapeHtml(v)}</p>`);
    const caveats = comparison.caveats.length
      ? [`<ul class="caveats">\n${comparison.caveats.map((c) => `  <li>${inlineCodeSpans(c, 'html')}</li>`).join('\n')}\n</ul>`]
      : [];
    return [...verdicts, ...caveats].join('\n');
  }
  if (format === 'markdown') {
    const verdicts = comparison.conclusion.map((v) => escapeMarkdown(v, { lineStart: true }));
    const caveats = comparison.caveats.length
      ? [`Caveats:\n\n${comparison.caveats.map((c) => `- ${inlineCodeSpans(c, 'markdown')}`).join('\n')}`]
      : [];
    return [...verdicts, ...caveats].join('\n\n');
  }
  const verdicts = comparison.conclusion.map(sanitizeTerminal);
  const caveats = comparison.caveats.length ? [`Caveats:\n${comparison.caveats.map((c) => `  - ${c}`).join('\n')}`] : [];
  return [...verdicts, ...caveats].join('\n\n');
}

/** Tables and conclusion together, with headings suited to the format. */
export function renderComparison(comparison: Comparison, format: FragmentFormat, options: RenderOptions = {}): string {
  const tables = renderComparisonTables(comparison, format, options);
  const conclusion = renderConclusion(comparison, format);
  if (format === 'html') {
    return `<h2>Comparison</h2>\n${tables}\n<h2>Conclusion</h2>\n${conclusion}`;
  }
  if (format === 'markdown') {
    return `## Comparison\n\n${tables}\n\n## Conclusion\n\n${conclusion}`;
  }
  const bold = (t: string): string => (options.color ? `\u001b[1m${t}\u001b[22m` : t);
  return [bold('Comparison'), tables, bold('Conclusion'), conclusion].filter((p) => p !== '').join('\n\n');
}
