/**
 * What a gate measures in each cell, and with what: the servers its claims name, and the groups
 * of servers measured together. Servers a check links (a relative claim's two sides) are measured
 * together, interleaved; a server that only has checks of its own is measured alone; the
 * yardstick joins every group holding a server compared with the baseline.
 */
import type { CellSpec } from '../types.ts';
import { cellMatches } from './claim-syntax.ts';
import { CLAIM_KINDS, claimServers, kindOf, type Claim } from './claim-kinds/registry.ts';
import type { ClaimCheck } from './claim-kinds/kind.ts';

/** Checks that every server a claim names is one the gate starts. */
export function checkClaimServers(claims: Claim[], servers: string[]): void {
  const known = new Set(servers);
  for (const claim of claims) {
    for (const name of claimServers(claim)) {
      if (!known.has(name)) {
        throw new Error(
          `claim ${JSON.stringify(claim.text)} names "${name}", which is not among the gate's servers (${servers.join(', ') || 'none'})`,
        );
      }
    }
  }
}

/** The server names the claims name, in order of first mention; all of servers/ when none. */
export function serversNamedByClaims(claims: Claim[]): string[] {
  const names: string[] = [];
  for (const c of claims) for (const n of claimServers(c)) if (!names.includes(n)) names.push(n);
  return names;
}

/** Servers measured together in a cell, and what is checked on them. */
export interface Group {
  servers: string[];
  yardstick: boolean;
  /** The claims' checks, kind by kind in the registry's order, claim by claim within a kind. */
  checks: Array<ClaimCheck<Claim>>;
  /** Servers compared with the baseline in this cell. */
  regression: string[];
}

/** Sets of servers, joined as checks link them (union-find). */
class Linked {
  private readonly parent = new Map<string, string>();

  add(name: string): void {
    this.parent.set(name, name);
  }

  root(name: string): string {
    let r = name;
    while (this.parent.get(r) !== r) r = this.parent.get(r)!;
    this.parent.set(name, r);
    return r;
  }

  join(names: string[]): void {
    for (const other of names.slice(1)) this.parent.set(this.root(names[0]!), this.root(other));
  }
}

/** The checks of the claims that apply to a cell, kind by kind. */
function checksIn(claims: Claim[], servers: string[], cell: CellSpec): Array<ClaimCheck<Claim>> {
  const applying = claims.filter((claim) => cellMatches(claim.where, cell));
  return CLAIM_KINDS.flatMap((kind) =>
    applying
      .filter((claim) => claim.kind === kind.kind)
      .flatMap((claim) => kindOf(claim).checks(claim, servers) as Array<ClaimCheck<Claim>>),
  );
}

/** Splits a cell's work into groups measured separately. */
export function planGroups(
  claims: Claim[],
  servers: string[],
  cell: CellSpec,
  regressionServers: Set<string>,
  yardstickFor: (server: string) => boolean,
): Group[] {
  const checks = checksIn(claims, servers, cell);
  const involved = new Set<string>();
  for (const check of checks) for (const s of check.servers) involved.add(s);
  for (const s of servers) if (regressionServers.has(s) || yardstickFor(s)) involved.add(s);
  const linked = new Linked();
  for (const s of involved) linked.add(s);
  for (const check of checks) linked.join(check.servers);
  const groups = new Map<string, Group>();
  for (const s of servers) {
    if (!involved.has(s)) continue;
    const root = linked.root(s);
    let g = groups.get(root);
    if (!g) {
      g = { servers: [], yardstick: false, checks: [], regression: [] };
      groups.set(root, g);
    }
    g.servers.push(s);
    if (yardstickFor(s) || regressionServers.has(s)) g.yardstick = true;
    if (regressionServers.has(s)) g.regression.push(s);
  }
  for (const check of checks) groups.get(linked.root(check.servers[0]!))!.checks.push(check);
  return [...groups.values()];
}
