/**
 * Pipelined requests are answered in order, each as if sent alone (RFC 9112 §9.3.2).
 */
import fc from 'fast-check';
import { unreachable } from '../raw-client.ts';
import { escapedLines } from '../wire-log.ts';
import type { Exchange } from '../types.ts';
import { request, type WellFormedRequest } from '../arbitraries/http-message.ts';
import { requestTarget } from '../arbitraries/request-target.ts';
import type { PropertyDef } from './definition.ts';
import { observed, connectionOptions, outcomeKey, outcomeText, oneResponse } from './observe.ts';
import { showRequest, whole } from './show.ts';
import { filesOf } from './targets.ts';

export const pipeliningOrder: PropertyDef<WellFormedRequest[]> = {
  id: 'prop-pipelining-order',
  name: 'N pipelined GET/HEAD requests in one write get N responses, in order, equal to sending them one at a time',
  rfc: 'RFC 9112 §9.3.2',
  level: 'MUST',
  notes:
    '"A server MAY process a sequence of pipelined requests in parallel if they all have safe methods, but it MUST send the corresponding responses in the same order that the requests were received." (RFC 9112 §9.3.2). Only a response announcing "Connection: close" may end the sequence early: "A server that sends a "close" connection option MUST initiate closure of the connection ... after it sends the response containing "close"" (RFC 9112 §9.6).',
  arbitrary: (target) =>
    fc.array(
      request({
        method: fc.constantFrom('GET', 'GET', 'HEAD'),
        target: requestTarget({ files: filesOf(target), arbitraryShare: 0.15 }),
        host: fc.constant(`${target.host}:${target.port}`),
        body: 'never',
        connection: false,
        maxExtraFields: 2,
      }),
      { minLength: 2, maxLength: 6 },
    ),
  show: (rs) =>
    `${rs.length} requests, pipelined in one write:\n${rs.map((r, i) => `  ${i + 1}. ${escapedLines(r.bytes).join('')}`).join('\n')}\n${showRequest('the pipelined write', whole(Buffer.concat(rs.map((r) => r.bytes))))}`,
  async check(rs, probe) {
    // One at a time: each on its own connection, all at once.
    const single = await Promise.all(
      rs.map((r, i) => probe.send(`request ${i + 1} alone`, whole(r.bytes), oneResponse(r.method))),
    );
    const broken = single.find((ex) => unreachable(ex));
    if (broken) return `could not exchange: ${unreachable(broken)}`;
    // One at a time, a response that says close (or has none) ends what a pipeline can expect.
    let expected = rs.length;
    for (const [i, ex] of single.entries()) {
      const r = ex.responses[0];
      if (!r || connectionOptions(r).includes('close')) {
        expected = r ? i + 1 : i;
        break;
      }
    }
    const all = Buffer.concat(rs.map((r) => r.bytes));
    const piped = await probe.send('all pipelined', whole(all), {
      timeoutMs: 1_500,
      methods: rs.map((r) => r.method),
      expectResponses: expected,
      settleMs: 30,
    });
    if (unreachable(piped)) return `could not exchange: ${unreachable(piped)}`;
    for (let i = 0; i < Math.min(expected, piped.responses.length); i++) {
      const want = single[i]!;
      const got: Exchange = { ...piped, responses: [piped.responses[i]!] };
      if (outcomeKey(want) !== outcomeKey(got)) {
        return `response ${i + 1} of the pipeline is ${outcomeText(got)}, but request ${i + 1} alone got ${outcomeText(want)}${i > 0 ? ' (responses out of order or mixed up)' : ''}`;
      }
    }
    if (piped.responses.length !== expected) {
      return `${rs.length} pipelined requests got ${piped.responses.length} responses where ${expected} were expected (${observed(piped)})`;
    }
    if (piped.trailingGarbage > 0)
      return `${piped.trailingGarbage} bytes after the last pipelined response belong to no response`;
    return null;
  },
};
