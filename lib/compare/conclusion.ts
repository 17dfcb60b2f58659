/**
 * The conclusion of a comparison in sentences: a verdict per pair (who was faster, by how much,
 * and what weakens the claim), a line per server that stopped answering, and the caveats the run
 * itself calls for. The sentences are data: results.json stores them and every report shows them
 * as they are, escaped for its format.
 */
import type { RunResults } from '../types.ts';
import { firstLine, runsPerCell, slotKey, type CellSlot } from '../report/cells.ts';
import { cellLabel, formatPercent, formatRatio, integer, plural } from '../report/format.ts';
import { medianRatio, MIN_ROUNDS_FOR_SIGNIFICANCE, SHORT_CELL_S, type ResolvedCompareOptions } from './judge.ts';
import type { CellComparison, DecisionRule, LeftOutCell, PairComparison } from './types.ts';

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

/** The words for a cell where neither side is called faster, under each rule. */
function tieWords(rule: DecisionRule, threshold: number): string {
  return rule === 'two-part' ? 'no clear difference' : `within ${formatPercent(threshold)} (a tie)`;
}

interface SideFailure {
  failed: number;
  requested: number;
  stopped?: string;
}

/** "x failed 200 of 200 requests in 1 cell (stopped early: connection refused)". */
function failureClause(name: string, cells: CellComparison[], pick: (c: CellComparison) => SideFailure): string | null {
  const hit = cells.map(pick).filter((x) => x.failed > 0 || x.stopped !== undefined);
  if (hit.length === 0) return null;
  const failed = hit.reduce((n, x) => n + x.failed, 0);
  const of = hit.reduce((n, x) => n + x.requested, 0);
  const stopped = hit.filter((x) => x.stopped !== undefined);
  let text = `${name} failed ${integer(failed)} of ${plural(of, 'request')} in ${plural(hit.length, 'cell')}`;
  if (stopped.length > 0) text += ` (stopped early in ${stopped.length}: ${stopped[0]!.stopped})`;
  return text;
}

/** The verdict's first clause when one side won more cells: "X was faster than Y in 3 of 4 cells, ...". */
function leaderClause(pair: PairComparison, tie: string, rankedCells: CellComparison[]): string {
  const { a, b, summary } = pair;
  const ranked = summary.compared - summary.failed;
  const [lead, other] = summary.leader === 'a' ? [a, b] : [b, a];
  const leadWins = summary.leader === 'a' ? summary.winsA : summary.winsB;
  const otherWins = summary.leader === 'a' ? summary.winsB : summary.winsA;
  // Ratios from the leader's side, so the sentence reads "X was faster ... (median 1.8x)".
  const ratios = rankedCells.flatMap((c) => (c.ratio === null ? [] : [summary.leader === 'a' ? c.ratio : 1 / c.ratio]));
  const rest: string[] = [];
  if (otherWins > 0) rest.push(`slower in ${otherWins}`);
  if (summary.ties > 0) rest.push(`${tie} in ${summary.ties}`);
  let main = `${lead.name} was faster than ${other.name} in ${leadWins} of ${plural(ranked, 'cell')}`;
  if (rest.length) main += `, ${rest.join(' and ')}`;
  return main + ratioRange(ratios);
}

/** The verdict's first clause when no side won more cells: all ties, or wins each way. */
function evenClause(
  pair: PairComparison,
  rule: DecisionRule,
  settings: ResolvedCompareOptions,
  rankedCells: CellComparison[],
): string {
  const { a, b, summary } = pair;
  const ranked = summary.compared - summary.failed;
  const ratios = rankedCells.flatMap((c) => (c.ratio === null ? [] : [c.ratio]));
  if (summary.ties === ranked) {
    const where = ranked === 1 ? 'the only cell ranked' : `all ${ranked} cells`;
    return rule === 'two-part'
      ? `${a.name} and ${b.name} showed no clear difference in ${where}${ratioRange(ratios)}`
      : `${a.name} and ${b.name} were ${tieWords(rule, settings.tieThreshold)} in ${where}${ratioRange(ratios)}`;
  }
  const ties =
    summary.ties === 0
      ? ''
      : rule === 'two-part'
        ? ` and ${summary.ties} showed no clear difference`
        : ` and ${summary.ties} ${summary.ties === 1 ? 'was a tie' : 'were ties'} (within ${formatPercent(settings.tieThreshold)})`;
  return (
    `Neither ${a.name} nor ${b.name} was consistently faster: ${a.name} was faster in ${summary.winsA}, ` +
    `${b.name} in ${summary.winsB}${ties} of ${ranked} cells` +
    (ratios.length ? ` (${a.name}/${b.name}${ratioRange(ratios).replace(/^ \(/, ': ')}` : '')
  );
}

/** Who was faster and by how much, or why the pair could not be ranked. */
function mainClause(pair: PairComparison, rule: DecisionRule, settings: ResolvedCompareOptions): string {
  const { a, b, cells, summary } = pair;
  const ranked = summary.compared - summary.failed;
  const rankedCells = cells.filter((c) => c.winner !== 'failed');
  if (summary.compared === 0)
    return `${a.name} and ${b.name} could not be compared: no cell has a completed request from both`;
  if (ranked === 0)
    return `${a.name} and ${b.name} could not be ranked: every cell measured by both had failed requests`;
  if (summary.leader) return leaderClause(pair, tieWords(rule, settings.tieThreshold), rankedCells);
  return evenClause(pair, rule, settings, rankedCells);
}

/** "; no ratio where one side completed no request (x in 2 cells)", or ''. */
function noRatioClause(pair: PairComparison): string {
  const noRatio = pair.cells.filter((c) => c.winner !== 'failed' && c.ratio === null);
  if (noRatio.length === 0) return '';
  const zeroA = noRatio.filter((c) => c.rpsA <= 0).length;
  const zeroB = noRatio.length - zeroA;
  const who = [
    zeroA ? `${pair.a.name} in ${plural(zeroA, 'cell')}` : '',
    zeroB ? `${pair.b.name} in ${plural(zeroB, 'cell')}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  return `; no ratio where one side completed no request (${who})`;
}

/** A fast error page is not a fast server: say when the figures include non-2xx answers. */
function non2xxClause(pair: PairComparison): string {
  const { a, b, summary } = pair;
  const non2xx: string[] = [];
  for (const [server, count] of [
    [a, summary.non2xxA],
    [b, summary.non2xxB],
  ] as const) {
    if (count.requests > 0)
      non2xx.push(
        `${server.name} answered ${plural(count.requests, 'request')} in ${plural(count.cells, 'cell')} with a non-2xx status`,
      );
  }
  if (non2xx.length === 0) return '';
  return `${summary.compared - summary.failed === 0 ? '; ' : ', but '}${non2xx.join(' and ')}`;
}

/** " Not ranked because of failed requests: ... (who failed how much).", or ''. */
function failedSentence(pair: PairComparison): string {
  const { a, b, summary } = pair;
  const failedCells = pair.cells.filter((c) => c.winner === 'failed');
  if (failedCells.length === 0) return '';
  const who = [
    failureClause(a.name, failedCells, (c) => ({
      failed: c.failedA,
      requested: c.requestedA,
      ...(c.stoppedA ? { stopped: c.stoppedA } : {}),
    })),
    failureClause(b.name, failedCells, (c) => ({
      failed: c.failedB,
      requested: c.requestedB,
      ...(c.stoppedB ? { stopped: c.stoppedB } : {}),
    })),
  ].filter((x): x is string => x !== null);
  const where =
    failedCells.length > 1 && failedCells.length === summary.compared
      ? `all ${summary.compared} cells`
      : listCells(failedCells);
  return ` Not ranked because of failed requests: ${where} (${who.join('; ')}).`;
}

/** " 3 of 11 cells were left out: ... (why).", or ''. */
function leftOutSentence(pair: PairComparison, matrixCells: number): string {
  const { a, b, summary } = pair;
  if (pair.leftOut.length === 0) return '';
  const reasons: [LeftOutCell['missing'], string][] = [
    ['a', `not measured for ${a.name}`],
    ['b', `not measured for ${b.name}`],
    ['both', `not measured for either`],
    ['idle', `neither completed a request`],
  ];
  const parts = reasons.flatMap(([kind, why]) => {
    const hit = pair.leftOut.filter((c) => c.missing === kind);
    if (hit.length === 0) return [];
    // A skip names its reason ("x stopped answering in n=10 c=1"), the same for every cell it hit.
    const skipped = [...new Set(hit.flatMap((c) => (c.reason ? [c.reason] : [])))];
    return [`${listCells(hit)} (${skipped.length ? skipped.join('; ') : why})`];
  });
  const total = Math.max(matrixCells, summary.compared + pair.leftOut.length);
  return ` ${pair.leftOut.length} of ${plural(total, 'cell')} ${pair.leftOut.length === 1 ? 'was' : 'were'} left out: ${parts.join('; ')}.`;
}

/** The verdict for one pair: who was faster, by how much, and what weakens the claim. */
export function verdict(
  pair: PairComparison,
  rule: DecisionRule,
  settings: ResolvedCompareOptions,
  matrixCells: number,
): string {
  const sentence = `${mainClause(pair, rule, settings)}${noRatioClause(pair)}${non2xxClause(pair)}.`;
  return sentence + failedSentence(pair) + leftOutSentence(pair, matrixCells);
}

/** A line for each server that stopped answering or crashed: the conclusion names them. */
export function serverTrouble(run: RunResults): string[] {
  return run.servers.flatMap((server) => {
    const skipped = server.skippedCells?.length ?? 0;
    const rest =
      skipped > 0 ? `; its ${plural(skipped, 'remaining cell')} ${skipped === 1 ? 'was' : 'were'} skipped` : '';
    if (server.stoppedAnswering) return [`${server.stoppedAnswering}${rest}.`];
    if (server.error && skipped > 0) return [`${server.name} ${firstLine(server.error)}${rest}.`];
    return [];
  });
}

/** What the decision rule cannot tell: one run's noise, or too few rounds for significance. */
function ruleCaveats(run: RunResults, rule: DecisionRule, settings: ResolvedCompareOptions): string[] {
  const runs = runsPerCell(run);
  if (rule === 'one-run') {
    return [
      `One run per cell cannot tell noise from a difference: cells within ${formatPercent(settings.tieThreshold)} are called ties and the ` +
        'other ratios carry no uncertainty estimate; run several rounds (`--rounds`) or use `gauntlet gate` for a sound comparison.',
    ];
  }
  const caveats = [
    `Each cell ran up to ${runs} times per server, the servers interleaved round by round; the tables show each cell's median run. ` +
      `A cell is called faster only when the signed-rank test over the rounds (p < ${settings.alpha}) and the 95% interval of the ratio ` +
      `both put the difference beyond ${formatPercent(settings.tolerance)} (the rule of \`gauntlet gate\`); otherwise "no clear difference".`,
  ];
  if (runs < MIN_ROUNDS_FOR_SIGNIFICANCE) {
    caveats.push(
      `With ${runs} runs per cell the signed-rank test cannot reach p < ${settings.alpha} (it needs ${MIN_ROUNDS_FOR_SIGNIFICANCE} at least): ` +
        'no cell can be called faster.',
    );
  }
  return caveats;
}

/** What the verdicts cannot tell, from the run: the rule used, its limits, short cells. */
export function caveatsOf(
  run: RunResults,
  rule: DecisionRule,
  settings: ResolvedCompareOptions,
  compared: CellComparison[],
): string[] {
  const caveats = ruleCaveats(run, rule, settings);
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
  return caveats;
}
