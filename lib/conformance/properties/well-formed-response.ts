/**
 * Every well-formed request gets exactly one well-formed response, framed consistently (RFC 9112 §6.3, §9.6).
 */
import fc from 'fast-check';
import type { ExchangeOptions } from '../raw-client.ts';
import { request, type WellFormedRequest } from '../arbitraries/http-message.ts';
import { requestTarget } from '../arbitraries/request-target.ts';
import { messageBody } from '../arbitraries/message-body.ts';
import { method as methodArb } from '../arbitraries/method.ts';
import type { PropertyDef } from './definition.ts';
import { framingProblem, oneResponse } from './observe.ts';
import { whole, showWellFormed } from './show.ts';
import { filesOf } from './targets.ts';

export const wellFormedResponse: PropertyDef<WellFormedRequest> = {
  id: 'prop-well-formed-response',
  name: 'Every well-formed request gets exactly one well-formed response whose framing is self-consistent',
  rfc: 'RFC 9112 §6.3, §9.6; RFC 9110 §8.6',
  level: 'MUST',
  notes:
    'Content-Length equals the body length, never both Content-Length and Transfer-Encoding ("A sender MUST NOT send a Content-Length header field in any message that contains a Transfer-Encoding header field", RFC 9112 §6.2), no bytes after the response, and a request saying close gets the connection closed ("A server that receives a "close" connection option MUST initiate closure of the connection ... after it sends the final response to the request that contained the "close" connection option", RFC 9112 §9.6).',
  arbitrary: (target) =>
    request({
      // GET and HEAD reach the files, where most of the framing is; other methods get errors.
      method: fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constantFrom('GET', 'HEAD'), weight: 3 },
        { arbitrary: methodArb(), weight: 2 },
      ),
      target: requestTarget({ files: filesOf(target), arbitraryShare: 0.3 }),
      versions: ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'],
      content: messageBody({ maxLength: 8 * 1024 }),
    }),
  show: (r) => showWellFormed(r),
  async check(r, probe) {
    // A request that keeps the connection open is answered and then the client waits a moment
    // for anything more; one that closes it is watched until the server closes.
    const opts: ExchangeOptions = r.keepAlive ? oneResponse(r.method) : { timeoutMs: 2_000, methods: [r.method] };
    const ex = await probe.send('the request', whole(r.bytes), opts);
    const problem = framingProblem(ex, r.method, r.version);
    if (problem) return problem;
    if (!r.keepAlive && ex.closedBy !== 'server') {
      return `the request ${r.version === 'HTTP/1.0' ? 'is HTTP/1.0 without keep-alive' : 'said Connection: close'} but the server kept the connection open ${opts.timeoutMs} ms after the response`;
    }
    return null;
  },
};
