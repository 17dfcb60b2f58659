/**
 * POST /echo reads exactly the body the client framed (RFC 9112 §6.2, §7.1).
 */
import fc from 'fast-check';
import { statusText } from '../response-parser.ts';
import { request, type WellFormedRequest } from '../arbitraries/http-message.ts';
import { messageBody } from '../arbitraries/message-body.ts';
import type { PropertyDef } from './definition.ts';
import { sameBytes, bytesDiffer, framingProblem, oneResponse } from './observe.ts';
import { whole, showWellFormed } from './show.ts';
import { fixedTarget } from './targets.ts';

export const echoRoundtrip: PropertyDef<WellFormedRequest> = {
  id: 'prop-echo-roundtrip',
  name: 'POST /echo answers exactly the bytes sent, for any body (0-64 KiB, binary) and any chunking (extensions, trailers)',
  rfc: 'RFC 9112 §6.2, §7.1',
  needs: ['echo'],
  level: 'MUST',
  notes:
    'The body a server reads must be the octets the client framed: "The chunked transfer coding wraps content in order to transfer it as a series of chunks, each with its own size indicator, followed by an OPTIONAL trailer section" (RFC 9112 §7.1); "A recipient MUST ignore unrecognized chunk extensions" (§7.1.1). Bodies include CRLFs, chunk-size lines and request lines, which a server must never read as framing.',
  arbitrary: (target) =>
    request({
      method: fc.constant('POST'),
      target: fixedTarget('/echo'),
      host: fc.constant(`${target.host}:${target.port}`),
      body: 'always',
      content: messageBody({ maxLength: 64 * 1024 }),
      connection: false,
    }),
  show: (r) => showWellFormed(r),
  async check(r, probe) {
    const ex = await probe.send('POST /echo', whole(r.bytes), oneResponse('POST', 3_000));
    const problem = framingProblem(ex, 'POST', r.version);
    if (problem) return problem;
    const res = ex.responses[0]!;
    if (res.status !== 200) return `POST /echo got ${statusText(res)}, not 200`;
    if (!sameBytes(res.body, r.body)) return bytesDiffer('the echoed body differs from the one sent', res.body, r.body);
    return null;
  },
};
