/**
 * What a kind of claim is to the gate: how it is read, which servers it measures in a cell, what
 * precision it needs, how a first measurement is judged and when it is measured once more, how
 * the cell's verdict is reached, and how its results are worded. Every kind is one module that
 * provides these, listed once in registry.ts; the parser, the gate and the report know a claim
 * only through them.
 */
import type { ClaimBase, ClaimText } from '../claim-syntax.ts';
import type { PrecisionNeed } from '../measurement.ts';
import type { ClaimTable } from '../report-words.ts';
import type { ClaimCell, ClaimResult, GateMeasurement } from '../types.ts';

/** Where a cell is, as every record of it carries it. */
export type CellPlace = Pick<ClaimCell, 'mode' | 'group' | 'requests' | 'concurrency' | 'durationS'>;

/** One check of a claim in a cell: the servers it needs measured together, and the one it is on. */
export interface ClaimCheck<C extends ClaimBase = ClaimBase> {
  claim: C;
  servers: string[];
  /** The server a cell of a claim on each server is about (recorded with the cell). */
  server?: string;
}

export interface JudgeSettings {
  /** The gate's tolerance (a claim may carry its own). */
  tolerance: number;
  alpha: number;
  confidence: number;
}

/** A cell's measurements: the first, the second look when there was one, and the two together. */
export interface CellLooks {
  first: GateMeasurement;
  second: GateMeasurement | null;
  /** Every round of both measurements, as attempt 1: the second look decides on these. */
  both: GateMeasurement | null;
  /** The cell failed first, and its time cap left no time for a second look. */
  noTime: boolean;
}

/** The context of a judgement: where the cell is, in words and as a record. */
export interface CellContext {
  place: CellPlace;
  /** The cell as written in sentences: "c=10, n=1000". */
  at: string;
  settings: JudgeSettings;
}

/** A cell's verdict for one check; familyP is the p-value a family-wise correction uses. */
export interface CheckVerdict {
  cell: ClaimCell;
  familyP?: number;
}

export interface ParseOptions {
  tolerance?: number;
}

/** A kind of claim. FirstLook is what judging the first measurement yields. */
export interface ClaimKind<C extends ClaimBase, FirstLook> {
  kind: C['kind'];
  /** The claim read from its pieces, or null when it is not of this kind; throws ClaimSyntaxError when it is, wrongly. */
  parse(text: ClaimText, options: ParseOptions): C | null;
  /** The servers the claim names. */
  servers(claim: C): string[];
  /** Its checks in a cell it applies to, given the gate's servers. */
  checks(claim: C, gateServers: string[]): ClaimCheck<C>[];
  /** The precision its check asks of the measurement, if any. */
  need(check: ClaimCheck<C>, settings: JudgeSettings): PrecisionNeed | null;
  /** The cell of a check whose server is not running. */
  unchecked(check: ClaimCheck<C>, place: CellPlace, error: string): ClaimCell;
  /** The check judged on the first measurement alone. */
  firstLook(check: ClaimCheck<C>, first: GateMeasurement, context: CellContext): FirstLook;
  /** What to call the check when its first look fails in a way a second look may change; null when it does not. */
  failing(check: ClaimCheck<C>, look: FirstLook): string | null;
  /** The cell's verdict from every measurement taken. */
  judge(check: ClaimCheck<C>, look: FirstLook, looks: CellLooks, context: CellContext): CheckVerdict;
  /** Changes to the claim's cells once every cell is judged (a family-wise correction). */
  correct?(claim: C, cells: ClaimCell[], familyP: ReadonlyMap<ClaimCell, number>, alpha: number): void;
  /** One or two sentences on a claim that checked at least one cell. */
  summarize(claim: C, result: ClaimResult, tolerance: number): string;
  /** The claim's table. */
  table(result: ClaimResult, modes: number): ClaimTable;
}

/** A kind with its types erased, as the registry holds it: each call gets the claims the kind parsed. */
export interface RegisteredKind {
  kind: string;
  parse(text: ClaimText, options: ParseOptions): ClaimBase | null;
  servers(claim: ClaimBase): string[];
  checks(claim: ClaimBase, gateServers: string[]): ClaimCheck[];
  need(check: ClaimCheck, settings: JudgeSettings): PrecisionNeed | null;
  unchecked(check: ClaimCheck, place: CellPlace, error: string): ClaimCell;
  firstLook(check: ClaimCheck, first: GateMeasurement, context: CellContext): unknown;
  failing(check: ClaimCheck, look: unknown): string | null;
  judge(check: ClaimCheck, look: unknown, looks: CellLooks, context: CellContext): CheckVerdict;
  correct(claim: ClaimBase, cells: ClaimCell[], familyP: ReadonlyMap<ClaimCell, number>, alpha: number): void;
  summarize(claim: ClaimBase, result: ClaimResult, tolerance: number): string;
  table(result: ClaimResult, modes: number): ClaimTable;
}

/**
 * Registers a kind. The registry hands a kind only the claims it parsed itself (found by their
 * `kind`) and the first looks it made, which is what makes the narrowing below sound.
 */
export function registerKind<C extends ClaimBase, FirstLook>(k: ClaimKind<C, FirstLook>): RegisteredKind {
  const mine = (check: ClaimCheck) => check as ClaimCheck<C>;
  return {
    kind: k.kind,
    parse: (text, options) => k.parse(text, options),
    servers: (claim) => k.servers(claim as C),
    checks: (claim, gateServers) => k.checks(claim as C, gateServers),
    need: (check, settings) => k.need(mine(check), settings),
    unchecked: (check, place, error) => k.unchecked(mine(check), place, error),
    firstLook: (check, first, context) => k.firstLook(mine(check), first, context),
    failing: (check, look) => k.failing(mine(check), look as FirstLook),
    judge: (check, look, looks, context) => k.judge(mine(check), look as FirstLook, looks, context),
    correct: (claim, cells, familyP, alpha) => k.correct?.(claim as C, cells, familyP, alpha),
    summarize: (claim, result, tolerance) => k.summarize(claim as C, result, tolerance),
    table: (result, modes) => k.table(result, modes),
  };
}
