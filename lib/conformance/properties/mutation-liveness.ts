/**
 * No malformed request takes the server down or stalls it (RFC 9112 §2.2).
 */
import fc from 'fast-check';
import { unreachable, type ExchangeOptions } from '../raw-client.ts';
import { request, hostValue } from '../arbitraries/http-message.ts';
import { requestTarget } from '../arbitraries/request-target.ts';
import { messageBody } from '../arbitraries/message-body.ts';
import { mutation, type MutatedRequest } from '../arbitraries/mutation.ts';
import type { PropertyDef } from './definition.ts';
import { observed } from './observe.ts';
import { showRequest, whole, showWellFormed } from './show.ts';
import { filesOf } from './targets.ts';

/** How long the client waits on a mutated request before giving up on it, ms of silence. */
const MUTATED_SILENCE_MS = 500;
/** How long a fresh connection waits for its 200, ms. */
const ALIVE_TIMEOUT_MS = 3_000;

export const mutationLiveness: PropertyDef<MutatedRequest> = {
  id: 'prop-mutation-liveness',
  name: 'Mutated requests never crash or hang the server: afterwards a fresh connection still gets 200 for GET /',
  rfc: 'RFC 9112 §2.2',
  level: 'MUST',
  notes:
    'A request with a stray CR, LF, NUL, SP or HTAB, a duplicated or missing line, or a body chunked against its framing is at worst an error: "the server SHOULD respond with a 400 (Bad Request) response and close the connection" (RFC 9112 §2.2). It must never take down the server or stall it for other clients.',
  arbitrary: (target) =>
    mutation(
      request({
        target: requestTarget({ files: filesOf(target), arbitraryShare: 0.3 }),
        host: fc.oneof({ withCrossShrink: true }, fc.constant(`${target.host}:${target.port}`), hostValue()),
        content: messageBody({ maxLength: 256 }),
      }),
      { maxMutations: 3 },
    ),
  show: (m) =>
    `${showWellFormed(m.original, 'original request')}\n  mutations: ${m.applied.join('; ')}\n${showRequest('mutated request', whole(m.bytes))}`,
  async check(m, probe) {
    const alive = Buffer.from(`GET / HTTP/1.1\r\nHost: ${probe.authority}\r\nConnection: close\r\n\r\n`, 'latin1');
    const aliveOpts: ExchangeOptions = {
      timeoutMs: ALIVE_TIMEOUT_MS,
      methods: ['GET'],
      expectResponses: 1,
      settleMs: 0,
    };
    // A server already down or stalled says nothing about this request (an earlier one did it).
    const before = await probe.send('GET / first, to see the server well', whole(alive), aliveOpts);
    if (before.responses[0]?.status !== 200) {
      probe.goneAtStart = true;
      return `before the mutated request, GET / got ${observed(before)}`;
    }
    // Whatever the answer to the mutated request is, it is not judged: only that the server lives on.
    const mutated = await probe.send('mutated request', whole(m.bytes), {
      timeoutMs: MUTATED_SILENCE_MS,
      methods: [m.original.method],
      expectResponses: 1,
      settleMs: 20,
    });
    if (unreachable(mutated)) return `could not reach the server for the mutated request: ${unreachable(mutated)}`;
    const ex = await probe.send('then GET / on a fresh connection', whole(alive), aliveOpts);
    if (unreachable(ex))
      return `after the mutated request the server stopped accepting connections: ${unreachable(ex)}`;
    const r = ex.responses[0];
    if (r?.status !== 200)
      return `after the mutated request, GET / on a fresh connection got ${observed(ex)} instead of 200`;
    return null;
  },
};
