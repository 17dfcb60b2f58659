/**
 * The comparison of a run as data: pairs of servers that differ only in concurrency model
 * (same language, different model), compared cell by cell on requests per second, and a
 * conclusion computed from those figures. It goes into results.json and feeds perf gates; the
 * reports (lib/report/) render it and never compute it.
 *
 * pairing.ts says which servers are compared, judge.ts decides each cell and sums up a pair,
 * conclusion.ts puts the figures into sentences, types.ts holds the shapes results.json stores.
 */
import type { RunResults, ServerRecord } from '../types.ts';
import { cellSlots, runsPerCell } from '../report/cells.ts';
import { caveatsOf, serverTrouble, verdict } from './conclusion.ts';
import { decisionRule, judgeCells, resolveOptions, summarize } from './judge.ts';
import { concurrencyPairs, serverRef, unpairedServers } from './pairing.ts';
import type { CompareOptions, Comparison, PairComparison } from './types.ts';

export type * from './types.ts';
export { concurrencyPairs, isKnownModel } from './pairing.ts';
export {
  decisionRule,
  medianRatio,
  pairedRounds,
  MIN_ROUNDS_FOR_SIGNIFICANCE,
  SHORT_CELL_S,
  TIE_THRESHOLD,
} from './judge.ts';

export function comparePair(
  run: RunResults,
  a: ServerRecord,
  b: ServerRecord,
  options: CompareOptions = {},
): PairComparison {
  const settings = resolveOptions(options);
  const { cells, leftOut } = judgeCells(run, a, b, settings);
  const pair: PairComparison = {
    a: serverRef(a),
    b: serverRef(b),
    cells,
    leftOut,
    summary: summarize(cells),
    verdict: '',
  };
  pair.verdict = verdict(pair, decisionRule(run), settings, cellSlots(run).length);
  return pair;
}

/**
 * The shard each server of a merged bench was measured in (lib/shard/merge-bench.ts); empty for
 * a run of one machine.
 */
function shardOfServer(run: RunResults): Map<string, number> {
  return new Map((run.merged?.shards ?? []).flatMap((s) => s.servers.map((name) => [name, s.index] as const)));
}

/**
 * The pairs a run compares, and those it does not because their servers were measured in
 * different shards of a merged bench: on other machines, at other times, so that their figures
 * differ by more than the servers.
 */
function pairsOfOneMachine(run: RunResults): {
  pairs: Array<[ServerRecord, ServerRecord]>;
  apart: Array<[ServerRecord, ServerRecord]>;
} {
  const shardOf = shardOfServer(run);
  const all = concurrencyPairs(run.servers);
  const together = ([a, b]: [ServerRecord, ServerRecord]) => shardOf.get(a.name) === shardOf.get(b.name);
  return { pairs: all.filter(together), apart: all.filter((p) => !together(p)) };
}

/** Compares every pair of servers that differ only in concurrency model (in a merged bench, of one shard). */
export function compareRun(run: RunResults, options: CompareOptions = {}): Comparison {
  const settings = resolveOptions(options);
  const rule = decisionRule(run);
  const { pairs: ofOneMachine, apart } = pairsOfOneMachine(run);
  const pairs = ofOneMachine.map(([a, b]) => comparePair(run, a, b, settings));
  const paired = new Set(pairs.flatMap((p) => [p.a.name, p.b.name]));
  const notCompared = apart.map(
    ([a, b]) =>
      `${a.name} and ${b.name} differ only in concurrency model but were measured in different shards (on different machines), so they were not compared.`,
  );
  const conclusion = [
    ...(pairs.length > 0
      ? pairs.map((p) => p.verdict)
      : apart.length > 0
        ? []
        : ['No two servers differ only in concurrency model (same language, different model), so none were compared.']),
    ...notCompared,
    ...serverTrouble(run),
  ];
  const compared = pairs.flatMap((p) => p.cells);
  return {
    rule,
    tieThreshold: settings.tieThreshold,
    tolerance: settings.tolerance,
    alpha: settings.alpha,
    runsPerCell: runsPerCell(run),
    pairs,
    unpaired: unpairedServers(run.servers, paired).map((u) =>
      apart.some(([a, b]) => a.name === u.name || b.name === u.name)
        ? { ...u, reason: 'its counterpart was measured in another shard, on another machine' }
        : u,
    ),
    conclusion,
    caveats: compared.length > 0 ? caveatsOf(run, rule, settings, compared) : [],
  };
}
