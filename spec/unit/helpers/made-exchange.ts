/**
 * Exchanges made up from the bytes a server would have sent, parsed as the raw client parses them:
 * for judging a case's outcomes and check without a server.
 */
import { parseResponses } from '../../../lib/conformance/response-parser.ts';
import type { Exchange } from '../../../lib/conformance/types.ts';

/** Latin-1 bytes of a string (one byte per character); bytes as they are. */
export function latin1Bytes(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? Uint8Array.from(Buffer.from(s, 'latin1')) : s;
}

/**
 * An exchange as the raw client would have recorded it from `received`, the connection ended by
 * `closedBy`; `methods` are the requests answered, for responses to HEAD (default: read as GETs).
 */
export function exchangeFrom(
  received: string | Uint8Array,
  opts: { closedBy?: Exchange['closedBy']; methods?: string[] } = {},
): Exchange {
  const closedBy = opts.closedBy ?? 'server';
  const bytes = latin1Bytes(received);
  const parsed = parseResponses(bytes, { ended: true, ...(opts.methods && { methods: opts.methods }) });
  return {
    sent: new Uint8Array(0),
    received: bytes,
    responses: parsed.responses,
    interim: parsed.interim,
    trailingGarbage: parsed.trailingGarbage,
    closedBy,
    reset: false,
    closeAfterMs: closedBy === 'server' ? 2 : null,
  };
}
