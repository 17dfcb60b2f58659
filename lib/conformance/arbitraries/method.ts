/**
 * method (RFC 9112 §3.1, RFC 9110 §9.1):
 *
 *     method = token
 *
 * "The method token is case-sensitive", and a server must answer any well-formed one: "An
 * origin server that receives a request method that is unrecognized or not implemented SHOULD
 * respond with the 501 (Not Implemented) status code." The standardized methods (RFC 9110
 * §9.3) come up most often; the rest are arbitrary tokens, i.e. extension methods.
 */
import fc from 'fast-check';
import { token } from './token.ts';

/** The methods RFC 9110 §9.3 defines, plus PATCH (RFC 5789). */
export const STANDARD_METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
] as const;

export interface MethodOptions {
  /** The standardized methods to draw from (default STANDARD_METHODS, less `avoid`). */
  standard?: readonly string[];
  /** Also generate extension methods: any token (default true). */
  extension?: boolean;
  /**
   * Methods an extension token must not turn out to be (default ["CONNECT"]: it takes the
   * authority-form: "The "authority-form" of request-target is only used for CONNECT requests",
   * RFC 9112 §3.2.3, so it cannot be paired with an origin-form target). A clash gets an "X-" prefix.
   */
  avoid?: readonly string[];
}

/** A request method: a standardized one or an extension token. */
export function method(opts: MethodOptions = {}): fc.Arbitrary<string> {
  const avoid = new Set(opts.avoid ?? ['CONNECT']);
  const standard = (opts.standard ?? STANDARD_METHODS).filter((m) => !avoid.has(m));
  const extension = token({ maxLength: 12 }).map((t) => (avoid.has(t) ? `X-${t}` : t));
  if (standard.length === 0) return extension;
  const known = fc.constantFrom(...standard);
  if (opts.extension === false) return known;
  return fc.oneof({ withCrossShrink: true }, { arbitrary: known, weight: 4 }, { arbitrary: extension, weight: 1 });
}
