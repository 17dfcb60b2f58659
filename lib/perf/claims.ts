/**
 * Claims a gate checks, written as text that reads like the claim:
 *
 *   python-async >= python-threaded at every c        relative: rps(a) >= rps(b), within the tolerance
 *   node-async >= 0.9 * node-threaded at c=1           relative with a factor
 *   node-async > node-threaded at c>=100               strictly faster: by more than the tolerance
 *   failed == 0                                        absolute, on every server of the gate
 *   node-async: p(99) < 20ms at c=1                    absolute, on one server (k6-like)
 *   every server: rps > 500 at n=1000                  absolute, on every server
 *   a >= b at c>=30 allowing failures                  relative, even when requests fail
 *
 * Relative claims compare requests per second. `a <= b` and `a < b` are read as `b >= a` and
 * `b > a`. Absolute metrics: rps; latency p(50), p(90), p(99), p(99.9), med, avg, min, max (units us, ms
 * (default), s); counts failed and non2xx (totals over every measured run). Where: `at every c`
 * (the default), `at c=1,10`, `at c>=100`, `at n=100`, `at 100x10, 1000x1` (cells of a duration
 * as the matrix writes them: `at 10sx10`), or several of these joined by `and` (all must hold).
 *
 * A relative claim holds only when neither server fails a request in the cell (a server whose
 * connections are refused is quick to refuse them); `allowing failures` at the end lifts that,
 * for servers expected to shed load.
 *
 * This module is where claims are read from: the syntax every claim shares is in claim-syntax.ts,
 * each kind of claim (its parse, judge, second look and wording) in claim-kinds/, and the list of
 * kinds in claim-kinds/registry.ts.
 */
export { ClaimSyntaxError, cellMatches, metricLabel, parseWhere } from './claim-syntax.ts';
export type { RelativeClaim } from './claim-kinds/relative.ts';
export type { AbsoluteClaim } from './claim-kinds/absolute.ts';
export { parseClaim, type Claim } from './claim-kinds/registry.ts';
