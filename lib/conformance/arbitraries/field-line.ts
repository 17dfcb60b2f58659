/**
 * field-line (RFC 9112 §5, RFC 9110 §5.1, §5.6.3):
 *
 *     field-line   = field-name ":" OWS field-value OWS
 *     field-name   = token
 *     OWS          = *( SP / HTAB )
 *
 * "No whitespace is allowed between the field name and colon" (RFC 9112 §5.1), while OWS may
 * surround the value, which a recipient strips: "A field value does not include leading or
 * trailing whitespace" (RFC 9110 §5.5). The line is given without its CRLF.
 */
import fc from 'fast-check';
import { token } from './token.ts';
import { fieldValue } from './field-value.ts';

export interface HeaderField {
  name: string;
  /** The value without the surrounding OWS: what a recipient must see. */
  value: string;
  /** `name:OWS value OWS`, latin1, without CRLF. */
  line: string;
}

/**
 * Field names a generated extension field must not take, because they change how a server
 * frames, routes or answers the message; a generated name that matches one (in any case) is
 * prefixed with "X-" instead.
 */
export const SEMANTIC_FIELDS: readonly string[] = [
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'range',
  'if-range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'content-encoding',
  'authorization',
  'cookie',
  'max-forwards',
];

export interface HeaderFieldOptions {
  /** The field name (default: any token, renamed away from `avoid`). */
  name?: fc.Arbitrary<string>;
  value?: fc.Arbitrary<string>;
  /** Lower-case names that get an "X-" prefix (default SEMANTIC_FIELDS). */
  avoid?: readonly string[];
}

/** OWS as senders write it: mostly one SP, sometimes nothing, sometimes a run of SP and HTAB. */
export function ows(): fc.Arbitrary<string> {
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant(' '), weight: 4 },
    { arbitrary: fc.constant(''), weight: 2 },
    { arbitrary: fc.string({ unit: fc.constantFrom(' ', '\t'), minLength: 1, maxLength: 3 }), weight: 1 },
  );
}

/** A field line whose name is a token and whose value is a field-value, with OWS around it. */
export function headerField(opts: HeaderFieldOptions = {}): fc.Arbitrary<HeaderField> {
  const avoid = new Set(opts.avoid ?? SEMANTIC_FIELDS);
  return fc
    .record({
      name: opts.name ?? token({ maxLength: 20 }),
      value: opts.value ?? fieldValue(),
      before: ows(),
      after: ows(),
    })
    .map(({ name, value, before, after }) => {
      const safe = avoid.has(name.toLowerCase()) ? `X-${name}` : name;
      return { name: safe, value, line: `${safe}:${before}${value}${after}` };
    });
}
