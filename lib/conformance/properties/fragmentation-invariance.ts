/**
 * Where TCP happens to cut a request changes nothing (RFC 9112 §2.2).
 */
import { unreachable } from '../raw-client.ts';
import { request, type WellFormedRequest } from '../arbitraries/http-message.ts';
import { requestTarget } from '../arbitraries/request-target.ts';
import { messageBody } from '../arbitraries/message-body.ts';
import { splitPoints, type SplitBytes } from '../arbitraries/split-points.ts';
import type { PropertyDef } from './definition.ts';
import { outcomeKey, outcomeText, oneResponse } from './observe.ts';
import { showRequest, whole, showWellFormed } from './show.ts';
import { filesOf } from './targets.ts';

export const fragmentationInvariance: PropertyDef<SplitBytes<WellFormedRequest>> = {
  id: 'prop-fragmentation-invariance',
  name: 'A request split at arbitrary points, down to one byte per write with pauses, gets the same status and body as sent whole',
  rfc: 'RFC 9112 §2.2',
  level: 'MUST',
  notes:
    'TCP delivers a byte stream, and "A recipient MUST parse an HTTP message as a sequence of octets" (RFC 9112 §2.2): where the segments happen to end carries no meaning. Parsers that assume a whole line, a whole head or a whole chunk-size line per read break here.',
  arbitrary: (target) =>
    splitPoints(
      request({
        target: requestTarget({ files: filesOf(target), arbitraryShare: 0.3 }),
        content: messageBody({ maxLength: 4 * 1024 }),
      }),
      { bytesOf: (r) => r.bytes, maxDelayMs: 5, delayBudgetMs: 120, everyByteUpTo: 256 },
    ),
  show: (s) => `${showWellFormed(s.input, 'request sent whole')}\n${showRequest('the same request split', s.parts)}`,
  async check(s, probe) {
    const method = s.input.method;
    const [ex1, ex2] = await Promise.all([
      probe.send('sent whole', whole(s.bytes), oneResponse(method)),
      probe.send('sent split', s.parts, oneResponse(method)),
    ]);
    if (unreachable(ex1)) return `could not exchange: ${unreachable(ex1)}`;
    if (unreachable(ex2)) return `could not exchange: ${unreachable(ex2)}`;
    if (outcomeKey(ex1) !== outcomeKey(ex2)) {
      return `sent whole it got ${outcomeText(ex1)}; split into ${s.parts.length} writes it got ${outcomeText(ex2)}`;
    }
    return null;
  },
};
