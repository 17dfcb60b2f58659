/**
 * token (RFC 9110 §5.6.2):
 *
 *     token          = 1*tchar
 *     tchar          = "!" / "#" / "$" / "%" / "&" / "'" / "*"
 *                    / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
 *                    / DIGIT / ALPHA
 *                    ; any VCHAR, except delimiters
 *
 * Methods, field names, transfer-coding names and chunk extension names are all tokens, so
 * this is the building block of most of the other arbitraries.
 */
import fc from 'fast-check';

/** Every tchar, in the order of the ABNF. */
export const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The tchars that are neither DIGIT nor ALPHA: the ones a hand-written parser forgets. */
export const TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~";

export interface TokenOptions {
  /** At least 1: the rule is 1*tchar. */
  minLength?: number;
  maxLength?: number;
}

const tchar = fc.constantFrom(...TCHARS);

/** A token: one or more tchars. */
export function token(opts: TokenOptions = {}): fc.Arbitrary<string> {
  const minLength = Math.max(1, opts.minLength ?? 1);
  const maxLength = Math.max(minLength, opts.maxLength ?? 16);
  return fc.string({ unit: tchar, minLength, maxLength });
}
