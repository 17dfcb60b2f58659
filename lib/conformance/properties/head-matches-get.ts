/**
 * HEAD is GET without the content (RFC 9110 §9.3.2).
 */
import fc from 'fast-check';
import { unreachable } from '../raw-client.ts';
import { statusText } from '../response-parser.ts';
import type { ParsedResponse } from '../types.ts';
import { request, serializeRequest, type WellFormedRequest } from '../arbitraries/http-message.ts';
import { requestTarget } from '../arbitraries/request-target.ts';
import type { PropertyDef } from './definition.ts';
import { observed, oneResponse } from './observe.ts';
import { whole, showWellFormed } from './show.ts';
import { filesOf } from './targets.ts';

/** Fields compared between HEAD and GET: all but Date, which may tick between the two. */
function comparableFields(r: ParsedResponse): string[] {
  return r.headers
    .filter(([n]) => n.toLowerCase() !== 'date')
    .map(([n, v]) => `${n.toLowerCase()}: ${v}`)
    .sort();
}

export const headMatchesGet: PropertyDef<WellFormedRequest> = {
  id: 'prop-head-matches-get',
  name: "HEAD gets GET's status and header fields (Content-Length and Content-Type included, Date aside) and no body",
  rfc: 'RFC 9110 §9.3.2',
  level: 'MUST',
  notes:
    '"The HEAD method is identical to GET except that the server MUST NOT send content in the response." and "The server SHOULD send the same header fields in response to a HEAD request as it would have sent if the request method had been GET." (RFC 9110 §9.3.2). A HEAD response that carries a body desynchronises every later response on the connection.',
  arbitrary: (target) =>
    request({
      method: fc.constant('GET'),
      target: requestTarget({ files: filesOf(target), arbitraryShare: 0.3 }),
      host: fc.constant(`${target.host}:${target.port}`),
      body: 'never',
      connection: false,
    }),
  show: (r) => `${showWellFormed(r, 'GET request')}\n  the HEAD request is the same with HEAD for GET`,
  async check(r, probe) {
    const headLines = [`HEAD${r.lines[0]!.slice(r.method.length)}`, ...r.lines.slice(1)];
    const head = serializeRequest(headLines, new Uint8Array(0));
    const [get, hd] = await Promise.all([
      probe.send('GET', whole(r.bytes), oneResponse('GET')),
      probe.send('HEAD', whole(head), oneResponse('HEAD')),
    ]);
    if (unreachable(get)) return `could not exchange: ${unreachable(get)}`;
    if (unreachable(hd)) return `could not exchange: ${unreachable(hd)}`;
    const g = get.responses[0];
    const h = hd.responses[0];
    if (!g) return `GET got ${observed(get)}`;
    if (!h) return `HEAD got ${observed(hd)} where GET got ${statusText(g)}`;
    if (hd.responses.length > 1 || hd.trailingGarbage > 0) {
      return `the HEAD response was followed by ${hd.trailingGarbage > 0 ? `${hd.trailingGarbage} more bytes` : 'another response'}: a body was sent`;
    }
    if (h.status !== g.status) return `HEAD got ${statusText(h)} where GET got ${statusText(g)}`;
    const gf = comparableFields(g);
    const hf = comparableFields(h);
    const missing = gf.filter((f) => !hf.includes(f));
    const extra = hf.filter((f) => !gf.includes(f));
    if (missing.length > 0 || extra.length > 0) {
      return `HEAD's header fields differ from GET's: ${[
        missing.length ? `GET has ${missing.map((f) => JSON.stringify(f)).join(', ')} that HEAD lacks` : '',
        extra.length ? `HEAD has ${extra.map((f) => JSON.stringify(f)).join(', ')} that GET lacks` : '',
      ]
        .filter(Boolean)
        .join('; ')}`;
    }
    return null;
  },
};
