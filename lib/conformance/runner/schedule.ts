/**
 * A pool that runs cases a few at a time, one promise per case: test files assert on each case
 * in its own test while the cases run in parallel. It knows nothing of server exits or of a
 * server that stops answering; a check run uses runCasesDetailed for that.
 */
import type { CaseDefinition, CaseResult } from '../types.ts';
import { runCase, type CaseTarget } from './case.ts';
import { SharedExchanges } from './shared-exchanges.ts';

/** At most `size` holders at once; the others wait in order. */
class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  acquire(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.active < this.size) {
        this.active += 1;
        resolve();
      } else this.waiting.push(() => resolve());
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }
}

/**
 * Starts every case at once, each waiting its turn in a pool of `concurrency`, and returns one
 * promise per case id. Cases that send the same bytes are judged on one exchange.
 */
export function scheduleCases(
  cases: readonly CaseDefinition[],
  target: CaseTarget,
  concurrency = 8,
): Map<string, Promise<CaseResult>> {
  const slots = new Slots(concurrency);
  const map = new Map<string, Promise<CaseResult>>();
  const shared = new SharedExchanges(cases);
  for (const c of cases) {
    map.set(
      c.id,
      slots.acquire().then(async () => {
        try {
          return await runCase(c, target, (sc, perform) => shared.exchangeFor(sc, perform));
        } finally {
          slots.release();
        }
      }),
    );
  }
  return map;
}
