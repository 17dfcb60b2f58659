/**
 * A cell's place in a run: its matrix group and its N and C. A module of its own, importing
 * nothing, so that the record types (the comparison's, stored in results.json) can name a place
 * without reading the run's types they are part of.
 */

/** A cell's place in a run: its matrix group (0-based) and its N and C. */
export interface CellSlot {
  group: number;
  requests: number;
  concurrency: number;
}

/** The key that tells slots apart: two records of one cell share it. */
export function slotKey(slot: CellSlot): string {
  return `${slot.group}:${slot.requests}:${slot.concurrency}`;
}
