/**
 * No request reaches a file outside the document root (RFC 9110 §17.3).
 */
import { unreachable } from '../raw-client.ts';
import { pathAttack, OUTSIDE_MARKER, type PathAttack } from '../arbitraries/path-attack.ts';
import type { PropertyDef } from './definition.ts';
import { whole } from './show.ts';

export const noTraversal: PropertyDef<PathAttack> = {
  id: 'prop-no-traversal',
  name: 'No generated path reaches a file outside the document root',
  rfc: 'RFC 9110 §17.3; RFC 3986 §5.2.4',
  level: 'MUST',
  notes:
    '"an origin server needs to avoid accessing names that have a special significance to the system when mapping the target resource to files, folders, or directories" (RFC 9110 §17.3). Each target resolves to <root>/../outside-root.txt for a server that decodes too much or too often; the response must never be 200 and never contain that file.',
  arbitrary: (target) => pathAttack({ root: target.root }),
  show: (a) => `target ${JSON.stringify(a.target)} (tricks: ${a.techniques.join(', ')})`,
  async check(a, probe) {
    const bytes = Buffer.from(
      `GET ${a.target} HTTP/1.1\r\nHost: ${probe.authority}\r\nConnection: close\r\n\r\n`,
      'latin1',
    );
    const ex = await probe.send('GET', whole(bytes), { timeoutMs: 2_000, methods: ['GET'] });
    if (unreachable(ex)) return `could not exchange: ${unreachable(ex)}`;
    if (Buffer.from(ex.received).toString('latin1').includes(OUTSIDE_MARKER)) {
      return `the response contains ${OUTSIDE_MARKER}: the file outside the root was served`;
    }
    const r = ex.responses[0];
    if (r?.status === 200) return `a path that resolves outside the root got 200 (a ${r.body.length}-byte body)`;
    return null;
  },
};
