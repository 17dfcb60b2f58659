/**
 * XML text for the JUnit file: content and attribute values escaped so that any bytes a server
 * sent, or any name a user gave, still make a well-formed document CI systems can read.
 */
/**
 * Text safe in XML 1.0 content and attribute values. Markup characters are escaped; characters
 * XML 1.0 cannot hold at all, even escaped ("Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] |
 * [#xE000-#xFFFD] | [#x10000-#x10FFFF]"), are written as visible \xHH or \uHHHH text.
 */
export function escapeXml(text: string, attribute = false): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"' && attribute) out += '&quot;';
    else if (ch === "'" && attribute) out += '&apos;';
    // In an attribute a raw tab or line break would be normalised to a space: keep them.
    else if (attribute && (cp === 0x9 || cp === 0xa || cp === 0xd)) out += `&#x${cp.toString(16).toUpperCase()};`;
    else if (
      cp === 0x9 ||
      cp === 0xa ||
      cp === 0xd ||
      (cp >= 0x20 && cp <= 0xd7ff) ||
      (cp >= 0xe000 && cp <= 0xfffd) ||
      (cp >= 0x10000 && cp <= 0x10ffff)
    )
      out += ch;
    else if (cp <= 0xff) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += `\\u${cp.toString(16).padStart(4, '0')}`;
  }
  return out;
}

/** Attributes as ` name="value"` pairs, each value escaped for an attribute. */
export function xmlAttributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v), true)}"`)
    .join('');
}
