/**
 * How a failure shows the requests it sent: the bytes escaped line by line, how they were split
 * into writes, and a shell line that sends them by hand.
 */
import { partBytes } from '../raw-client.ts';
import { escapedLines, printfReplay } from '../wire-log.ts';
import type { RequestPart } from '../types.ts';
import type { WellFormedRequest } from '../arbitraries/http-message.ts';

/** Bytes as escaped lines, indented, shortened in the middle when long. */
export function showBytes(bytes: Uint8Array, indent = '    ', max = 4096): string {
  const shown =
    bytes.length <= max
      ? bytes
      : Buffer.concat([bytes.subarray(0, (max * 3) / 4), bytes.subarray(bytes.length - max / 4)]);
  const lines = escapedLines(shown).map((l) => `${indent}${l}`);
  if (bytes.length > max)
    lines.splice(Math.ceil(lines.length * 0.75), 0, `${indent}... ${bytes.length - max} bytes not shown ...`);
  return lines.join('\n');
}

/** A request as a failure shows it: its bytes, how they were written, and a shell line sending them. */
export function showRequest(title: string, parts: readonly RequestPart[]): string {
  const bytes = Buffer.concat(parts.map(partBytes));
  const out = [
    `${title} (${bytes.length} bytes${parts.length > 1 ? `, in ${parts.length} writes` : ''}):`,
    showBytes(bytes),
  ];
  if (parts.length > 1) {
    let offset = 0;
    const writes = parts.map((p) => {
      const start = offset;
      offset += partBytes(p).length;
      return `${start}${p.delayMs ? `(+${p.delayMs}ms)` : ''}`;
    });
    out.push(`  writes start at offsets (pause before): ${writes.join(' ')}`);
  }
  const printf = printfReplay(parts);
  if (printf) out.push(`  send it by hand: ${printf}`);
  return out.join('\n');
}

export function whole(bytes: Uint8Array): RequestPart[] {
  return [{ data: bytes }];
}

/** A generated request and what it was generated to mean. */
export function showWellFormed(r: WellFormedRequest, title = 'request'): string {
  return `${showRequest(title, whole(r.bytes))}\n  expected: ${r.method} ${r.path}${r.query === null ? '' : ` (query ${JSON.stringify(r.query)})`}, ${r.body.length}-byte body framed by ${r.framing}${r.keepAlive ? '' : ', connection to close after the response'}`;
}
