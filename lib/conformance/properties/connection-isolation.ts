/**
 * One connection's incomplete request does not leak into another's (RFC 9110 §3.3).
 */
import fc from 'fast-check';
import { unreachable } from '../raw-client.ts';
import type { RequestPart } from '../types.ts';
import { request, type WellFormedRequest } from '../arbitraries/http-message.ts';
import { requestTarget } from '../arbitraries/request-target.ts';
import type { PropertyDef } from './definition.ts';
import { outcomeKey, outcomeText, oneResponse } from './observe.ts';
import { showRequest, whole } from './show.ts';
import { filesOf } from './targets.ts';

/** Two requests, the first to be held incomplete at `cut` (an offset inside its head) while the second is sent. */
interface IsolatedPair {
  held: WellFormedRequest;
  other: WellFormedRequest;
  /** Bytes of `held` sent before the pause: 1 up to the end of its request line or further, never its whole head. */
  cut: number;
}

/** The offset of the end of the head (after CRLF CRLF), or the length when none. */
function headLength(bytes: Uint8Array): number {
  const i = Buffer.from(bytes).indexOf('\r\n\r\n');
  return i < 0 ? bytes.length : i + 4;
}

/** How long the first connection holds its incomplete head, and when the second starts in it. */
const HOLD_MS = 250;
const OTHER_START_MS = 40;

export const connectionIsolation: PropertyDef<IsolatedPair> = {
  id: 'prop-connection-isolation',
  name: 'A request is answered as if alone while another connection holds an incomplete request',
  rfc: 'RFC 9110 §3.3; RFC 9112 §2.2',
  level: 'MUST',
  notes:
    'Each connection carries its own byte stream: "HTTP is defined as a stateless protocol, meaning that each request message\'s semantics can be understood in isolation, and that the relationship between connections and messages on them has no impact on the interpretation of those messages" (RFC 9110 §3.3). A server that keeps one receive buffer, one parser or one "current request" for all its connections answers one client at a time correctly and mixes them up as soon as two overlap: here the first connection sends part of its head and pauses, the second sends a whole request, then the first finishes. Both must get what each gets alone. The overlap is made on purpose, so it does not depend on how busy the machine is.',
  arbitrary: (target) => {
    const one = request({
      method: fc.constantFrom('GET', 'GET', 'HEAD'),
      target: requestTarget({ files: filesOf(target), arbitraryShare: 0.1 }),
      host: fc.constant(`${target.host}:${target.port}`),
      body: 'never',
      connection: false,
      maxExtraFields: 2,
    });
    return fc
      .record({ held: one, other: one, at: fc.double({ min: 0, max: 1, noNaN: true }) })
      .map(({ held, other, at }) => ({ held, other, cut: 1 + Math.floor(at * (headLength(held.bytes) - 2)) }));
  },
  show: (v) =>
    `${showRequest(`connection 1: ${v.cut} bytes, then ${HOLD_MS} ms later the rest`, [
      { data: v.held.bytes.subarray(0, v.cut) },
      { data: v.held.bytes.subarray(v.cut), delayMs: HOLD_MS },
    ])}\n${showRequest(`connection 2, ${OTHER_START_MS} ms after connection 1 began`, whole(v.other.bytes))}`,
  async check(v, probe) {
    const heldParts: RequestPart[] = [
      { data: v.held.bytes.subarray(0, v.cut) },
      { data: v.held.bytes.subarray(v.cut), delayMs: HOLD_MS },
    ];
    const first = probe.send('connection 1 (held incomplete)', heldParts, oneResponse(v.held.method, 2_000 + HOLD_MS));
    await new Promise((r) => setTimeout(r, OTHER_START_MS));
    const second = probe.send(
      'connection 2 (while 1 is incomplete)',
      whole(v.other.bytes),
      oneResponse(v.other.method),
    );
    const [exHeld, exOther] = await Promise.all([first, second]);
    const [aloneHeld, aloneOther] = await Promise.all([
      probe.send('request 1 alone', whole(v.held.bytes), oneResponse(v.held.method)),
      probe.send('request 2 alone', whole(v.other.bytes), oneResponse(v.other.method)),
    ]);
    for (const ex of [exHeld, exOther, aloneHeld, aloneOther])
      if (unreachable(ex)) return `could not exchange: ${unreachable(ex)}`;
    if (outcomeKey(exOther) !== outcomeKey(aloneOther)) {
      return `request 2, sent while connection 1 held an incomplete head, got ${outcomeText(exOther)}; alone it gets ${outcomeText(aloneOther)}`;
    }
    if (outcomeKey(exHeld) !== outcomeKey(aloneHeld)) {
      return `request 1, completed after request 2 was answered on another connection, got ${outcomeText(exHeld)}; alone it gets ${outcomeText(aloneHeld)}`;
    }
    return null;
  },
};
