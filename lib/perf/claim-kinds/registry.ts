/**
 * The kinds of claim a gate knows, in the order a claim's text is tried against them. A new kind
 * is its module and one line here (and its claim type in the Claim union).
 */
import { ClaimSyntaxError, cutClaim, type ClaimBase } from '../claim-syntax.ts';
import { absoluteKind, type AbsoluteClaim } from './absolute.ts';
import { registerKind, type ParseOptions, type RegisteredKind } from './kind.ts';
import { relativeKind, type RelativeClaim } from './relative.ts';

export type Claim = RelativeClaim | AbsoluteClaim;

export const CLAIM_KINDS: readonly RegisteredKind[] = [registerKind(relativeKind), registerKind(absoluteKind)];

/** The kind a claim was parsed by. */
export function kindOf(claim: Pick<ClaimBase, 'kind'>): RegisteredKind {
  const kind = CLAIM_KINDS.find((k) => k.kind === claim.kind);
  if (!kind) throw new Error(`no kind of claim is called ${JSON.stringify(claim.kind)}`);
  return kind;
}

/** Parses one claim: the first kind that reads its comparison decides. */
export function parseClaim(text: string, options: ParseOptions = {}): Claim {
  const pieces = cutClaim(text);
  for (const kind of CLAIM_KINDS) {
    const claim = kind.parse(pieces, options);
    // Each kind parses only its own claim type, all of which the Claim union lists.
    if (claim) return claim as Claim;
  }
  throw new ClaimSyntaxError(
    text,
    'expected a comparison of two servers ("a >= b", "a >= 0.9 * b") or a threshold ("p(99) < 20ms", "rps > 500", "failed == 0")',
  );
}

/** The servers a claim names (an absolute claim without a scope names none). */
export function claimServers(claim: Claim): string[] {
  return kindOf(claim).servers(claim);
}
