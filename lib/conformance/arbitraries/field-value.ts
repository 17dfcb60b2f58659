/**
 * field-value (RFC 9110 §5.5):
 *
 *     field-value    = *field-content
 *     field-content  = field-vchar
 *                      [ 1*( SP / HTAB / field-vchar ) field-vchar ]
 *     field-vchar    = VCHAR / obs-text
 *     obs-text       = %x80-FF
 *
 * So a value is empty, or starts and ends with a visible character (or an obs-text octet)
 * with any mix of visible characters, SP and HTAB in between; CR, LF, NUL and the other
 * controls never occur. The value is a latin1 string: one char per octet, as the raw client
 * sends strings.
 *
 * obs-text is part of the grammar ("a recipient SHOULD treat other allowed octets in field
 * content (i.e., obs-text) as opaque data"), so a server must accept it in values it does not
 * interpret.
 */
import fc from 'fast-check';

/** VCHAR = %x21-7E (RFC 5234 Appendix B.1). */
const VCHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));
/** obs-text = %x80-FF. */
const OBS_TEXT = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i));

export interface FieldValueOptions {
  /** Include obs-text octets (default true). */
  obsText?: boolean;
  /** Longest value, in octets (default 40). */
  maxLength?: number;
}

/** A field-vchar: mostly VCHAR, obs-text now and then. */
export function fieldVchar(obsText = true): fc.Arbitrary<string> {
  const vchar = fc.constantFrom(...VCHARS);
  return obsText
    ? fc.oneof(
        { withCrossShrink: true },
        { arbitrary: vchar, weight: 6 },
        { arbitrary: fc.constantFrom(...OBS_TEXT), weight: 1 },
      )
    : vchar;
}

/** A field value (latin1): empty, one field-vchar, or field-vchar *( SP / HTAB / field-vchar ) field-vchar. */
export function fieldValue(opts: FieldValueOptions = {}): fc.Arbitrary<string> {
  const vchar = fieldVchar(opts.obsText ?? true);
  const maxLength = Math.max(2, opts.maxLength ?? 40);
  const inner = fc.string({
    unit: fc.oneof(
      { withCrossShrink: true },
      { arbitrary: vchar, weight: 5 },
      { arbitrary: fc.constantFrom(' ', '\t'), weight: 1 },
    ),
    maxLength: maxLength - 2,
  });
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant(''), weight: 1 },
    { arbitrary: vchar, weight: 2 },
    { arbitrary: fc.tuple(vchar, inner, vchar).map(([first, middle, last]) => first + middle + last), weight: 7 },
  );
}
