/**
 * One exchange for the cases that send the same bytes. Several requirements are often about the
 * same request: a plain GET of a file is where a Date, a status line, a Server field and a
 * correct Content-Length are all due. Each requirement stays its own case, with its own level,
 * outcomes and verdict, but the request is sent once per run and every case of the set is judged
 * on that one exchange: the suite does not count one observation as several, and a run sends
 * no request twice to learn the same thing.
 *
 * Cases share an exchange when everything the exchange depends on is equal: the bytes of each
 * part, each part's delay, the time limit and the methods the response parser is told. A case run
 * again alone (a refused connection tried again, a suspect of a server exit) makes its own
 * exchange, which is the point of running it again.
 */
import { createHash } from 'node:crypto';
import type { CaseDefinition, Exchange } from '../types.ts';
import { requestBytes } from '../raw-client.ts';
import { DEFAULT_CASE_TIMEOUT_MS } from './case.ts';
import { requestMethods } from './request-methods.ts';

/**
 * What an exchange depends on, as a short string: equal keys, equal exchanges (up to the server).
 * A digest, not the bytes: some cases send megabytes, and a key is made for every case of a run.
 */
export function exchangeKey(c: Pick<CaseDefinition, 'request' | 'timeoutMs' | 'methods'>): string {
  const hash = createHash('sha256');
  for (const p of c.request) {
    const bytes = requestBytes([p]);
    // Each part's length and pause before its bytes, so that parts cannot run into each other.
    hash.update(`${bytes.length}:${p.delayMs ?? 0}:`);
    hash.update(bytes);
  }
  const methods = c.methods ?? requestMethods(requestBytes(c.request));
  hash.update(JSON.stringify([c.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS, methods]));
  return hash.digest('base64');
}

/** The sets of cases that send the same exchange, by id, each in the order given: sets of one are left out. */
export function sharedSets(cases: readonly CaseDefinition[]): string[][] {
  const byKey = new Map<string, string[]>();
  for (const c of cases) {
    const key = exchangeKey(c);
    byKey.set(key, [...(byKey.get(key) ?? []), c.id]);
  }
  return [...byKey.values()].filter((ids) => ids.length > 1);
}

/**
 * The exchanges of one run: the first case of a set to ask performs the exchange, the others of
 * the set are handed the same one (waiting for it while it is under way). An exchange is let go
 * once every case of its set has had it, so a run holds at most the sets in progress.
 */
export class SharedExchanges {
  /** Per key of a set of two or more: how many of its cases have not had the exchange yet. */
  private readonly remaining = new Map<string, number>();
  private readonly made = new Map<string, Promise<Exchange>>();

  constructor(cases: readonly CaseDefinition[]) {
    const counts = new Map<string, number>();
    for (const c of cases) {
      const key = exchangeKey(c);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, n] of counts) if (n > 1) this.remaining.set(key, n);
  }

  /** The exchange for `c`: made by `perform` for the first case of its set, shared with the rest. */
  exchangeFor(c: CaseDefinition, perform: () => Promise<Exchange>): Promise<Exchange> {
    const key = exchangeKey(c);
    const left = this.remaining.get(key);
    if (left === undefined) return perform();
    let made = this.made.get(key);
    if (!made) {
      made = perform();
      this.made.set(key, made);
    }
    if (left > 1) this.remaining.set(key, left - 1);
    else {
      this.remaining.delete(key);
      this.made.delete(key);
    }
    return made;
  }
}
