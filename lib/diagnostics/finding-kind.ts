/**
 * What a kind of finding is to the registry (index.ts): its id, what it looks for and what it
 * reads, in words, and a diagnosis with one signature for all. A module of its own so that each
 * finding's module can declare its entry without importing the registry that lists it.
 */
import type { CellRecord, Finding, RunResults, ServerRecord } from '../types.ts';

/** Everything a diagnosis may read: the run, the server, and that server's cells with their signals and resources. */
export interface DiagnosisContext {
  run: Pick<RunResults, 'servers' | 'cells'>;
  server: ServerRecord;
  /** The server's cells in run order (the median run of each cell of a run measured in rounds). */
  cells: readonly CellRecord[];
}

export interface FindingKind {
  /** The finding's id, as results.json and the reports give it. */
  id: string;
  /** What is looked for, as the reports name it when nothing was found ("descriptor leaks"). */
  lookedFor: string;
  /** What the diagnosis reads, in words, for the documentation. */
  looksAt: string;
  /** The finding about the server, or null when its cells do not show it. */
  diagnose(context: DiagnosisContext): Finding | null;
}
