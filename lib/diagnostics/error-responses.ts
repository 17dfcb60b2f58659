/**
 * Benchmarking an error: responses that are not 2xx in a performance cell.
 *
 * ab counts non-2xx responses apart and not as failed requests, so a run against a wrong path
 * or a wrong document root prints healthy tables: 0 failed requests, a good rate. What was
 * measured is how fast the server sends its error page. Any non-2xx response is reported; it
 * is an error when they are half of the responses or more, a warning otherwise.
 */
import type { CellRecord, Finding } from '../types.ts';
import { findingCell, firstOf, joinList, percent, plural, where } from './common.ts';
import type { FindingKind } from './finding-kind.ts';

export const ERROR_RESPONSES_ID = 'error-responses';

const REASONS: Record<string, string> = {
  '301': 'Moved Permanently',
  '302': 'Found',
  '304': 'Not Modified',
  '400': 'Bad Request',
  '401': 'Unauthorized',
  '403': 'Forbidden',
  '404': 'Not Found',
  '405': 'Method Not Allowed',
  '408': 'Request Timeout',
  '429': 'Too Many Requests',
  '500': 'Internal Server Error',
  '502': 'Bad Gateway',
  '503': 'Service Unavailable',
  '504': 'Gateway Timeout',
};

function statusText(code: string): string {
  const reason = REASONS[code];
  return reason ? `${code} ${reason}` : code;
}

function isNon2xxKey(code: string): boolean {
  return !/^2\d\d$/.test(code);
}

export function diagnoseErrorResponses(server: string, cells: readonly CellRecord[]): Finding | null {
  const hit = cells.filter((c) => c.result.non2xx > 0);
  if (hit.length === 0) return null;
  const byStatus = new Map<string, number>();
  let non2xx = 0;
  let complete = 0;
  for (const c of hit) {
    non2xx += c.result.non2xx;
    complete += c.result.completeRequests;
    for (const [code, n] of Object.entries(c.result.statusCounts)) {
      if (isNon2xxKey(code)) byStatus.set(code, (byStatus.get(code) ?? 0) + n);
    }
  }
  const allComplete = cells.reduce((n, c) => n + c.result.completeRequests, 0);
  const statuses = [...byStatus.entries()].sort((a, b) => b[1] - a[1]);
  const topCode = statuses[0]?.[0] ?? '?';
  const share = complete > 0 ? non2xx / complete : 0;
  const mostly = share >= 0.5;
  const path = hit[0]!.result.path;

  const title =
    mostly && statuses.length === 1
      ? `You measured a ${topCode} page: ${non2xx} of ${complete} responses were ${statusText(topCode)}`
      : mostly
        ? `You measured error pages: ${non2xx} of ${complete} responses were not 2xx (${statuses.map(([c, n]) => `${n} x ${c}`).join(', ')})`
        : `${plural(non2xx, 'response')} of ${complete} ${non2xx === 1 ? 'was' : 'were'} not 2xx (${statuses.map(([c, n]) => `${n} x ${c}`).join(', ')}): part of what was measured is error pages`;

  const evidence: string[] = [];
  const perCell = hit.map((c) => `${where(c)}: ${c.result.non2xx} of ${c.result.completeRequests}`);
  evidence.push(
    `Non-2xx responses in ${plural(hit.length, 'cell')} of ${cells.length}: ${joinList(firstOf(perCell))}.`,
  );
  evidence.push(
    `Statuses: ${statuses.map(([c, n]) => `${statusText(c)}: ${n}`).join(', ')} (${percent(non2xx / Math.max(1, allComplete))} of all responses of the run).`,
  );
  const doc = hit[0]!.result.documentLength;
  if (doc !== null)
    evidence.push(
      `The document length ab reports (${doc} bytes) is then the error page's, and so are the transfer figures.`,
    );
  evidence.push('ab counts non-2xx responses apart, not as failed requests: the tables alone show 0 failed requests.');

  const cause =
    topCode === '404' || topCode === '403' || topCode === '400'
      ? `The request path (${path}) is not what the server serves: a wrong --path, a wrong document root ({root}), or a server ` +
        'that does not serve files from it. An error page is small and cheap, so the figures flatter the server. Fix the ' +
        'path or the root, check it with one request (curl -i), and measure again.'
      : /^5/.test(topCode)
        ? 'The server answered with server errors under load (overload, a full pool, exhausted descriptors or memory). ' +
          "Those answers are usually cheaper than real ones, so the throughput is flattered; look at the server's log."
        : `The server answered ${path} with ${statusText(topCode)} rather than the document: a redirect or a conditional ` +
          'answer is not what a benchmark of the page means to measure. Use the final URL.';

  return {
    id: ERROR_RESPONSES_ID,
    severity: mostly ? 'error' : 'warning',
    server,
    cells: hit.map(findingCell),
    title,
    evidence,
    cause,
  };
}

export const errorResponsesFinding: FindingKind = {
  id: ERROR_RESPONSES_ID,
  lookedFor: 'non-2xx responses',
  looksAt: "the status codes of each cell's responses",
  diagnose: ({ server, cells }) => diagnoseErrorResponses(server.name, cells),
};
