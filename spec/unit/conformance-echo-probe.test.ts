/**
 * The echo probe at the start of a server's check: a server that answers POST /echo with the
 * body it was sent is checked with echo though its manifest says nothing, and a manifest that
 * denies echo (`no-echo`) is taken at its word. The reference server python-async has echo.
 */
import { describe, expect, it } from 'vitest';
import { loadAllServers } from '../../lib/manifest.ts';
import { loadCases } from '../../lib/conformance/registry.ts';
import { runCheck } from '../../lib/conformance/check-run.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import type { ServerSpec } from '../../lib/types.ts';

const reference = (await loadAllServers()).find((s) => s.name === 'python-async');
const cases = (await loadCases()).filter((l) => ['methods-post-echo', 'chunked-basic'].includes(l.case.id));

async function checked(capabilities: string[] | undefined) {
  if (!reference) throw new Error('no python-async manifest');
  const spec: ServerSpec = { ...reference, capabilities };
  const run = await runCheck({ servers: [spec], cases, root: DEFAULT_DOC_ROOT, concurrency: 2 });
  return {
    capabilities: run.servers[0]?.capabilities,
    verdicts: Object.fromEntries(run.results.map((r) => [r.caseId, r.verdict])),
  };
}

describe('the echo probe', () => {
  it('finds echo on a server whose manifest does not declare it', async () => {
    expect(await checked(undefined)).toEqual({
      capabilities: ['echo'],
      verdicts: { 'chunked-basic': 'pass', 'methods-post-echo': 'pass' },
    });
  });

  it('takes a manifest that denies echo at its word', async () => {
    expect(await checked(['no-echo'])).toEqual({
      capabilities: ['no-echo'],
      verdicts: { 'chunked-basic': 'pass', 'methods-post-echo': 'skip' },
    });
  });
});
