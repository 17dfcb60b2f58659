/**
 * Every conformance case against a stock nginx (fixtures/nginx/ starts it): a server nobody here
 * wrote, so that the suite is checked against an independent, widely deployed implementation.
 * It is checked by its URL, as a server already running, with nothing declared about it.
 *
 * nginx is not conformant everywhere. Its MUST failures are declared below, each with the reason
 * it is a genuine deviation (docs/conformance.md, section "nginx", quotes the RFC sentence of
 * each). The file fails when a MUST failure appears that is not declared, and when a declared one
 * no longer fails, so that the list stays honest. nginx has no POST /echo: the cases about request
 * bodies judge it by what follows each body, and only the few about the echo resource itself are
 * skipped (at most MAX_SKIPPED). When nginx is not installed the whole file is skipped, saying so.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest, MANIFEST_FILE } from '../../lib/manifest.ts';
import { launch, type RunningServer } from '../../lib/launcher.ts';
import { DEFAULT_DOC_ROOT, PROJECT_ROOT } from '../../lib/paths.ts';
import { loadCases } from '../../lib/conformance/registry.ts';
import { CONFORMANCE_ENV } from '../../lib/conformance/runner.ts';
import { runCheck } from '../../lib/conformance/check-run.ts';
import { urlServerSpec } from '../../lib/url-server.ts';
import { gauntletReplay, renderWireLog, serverFlagFor } from '../../lib/conformance/wire-log.ts';
import type { CaseResult, ConformanceCase } from '../../lib/conformance/types.ts';

/** Case id -> why nginx fails it. Every entry must still fail; every other case must not. */
const KNOWN_NGINX_DEVIATIONS: Readonly<Record<string, string>> = {
  'conditional-requests-ius-invalid-ignored':
    'nginx answers 412 to an If-Unmodified-Since that is not a date; RFC 9110 §13.1.4: a recipient MUST ignore it',
  'conditional-requests-if-match-over-ius':
    'nginx evaluates If-Unmodified-Since beside a true If-Match: * and answers 412; RFC 9110 §13.1.4: a recipient MUST ignore it when If-Match is present',
  'ranges-head-ignored':
    'nginx applies Range to HEAD (206); RFC 9110 §14.2: a server MUST ignore Range on a method other than GET',
  'methods-post-to-file-405-allow':
    'nginx answers 405 without the Allow field that RFC 9110 §15.5.6 requires of every 405',
  'methods-trace-405-allow': 'nginx answers TRACE with 405 and no Allow field (RFC 9110 §15.5.6)',
  'host-userinfo':
    'nginx accepts "Host: user@localhost"; "@" is not allowed in uri-host, and an invalid Host MUST get 400 (RFC 9112 §3.2)',
  'host-bad-port':
    'nginx accepts "Host: localhost:80a"; port = *DIGIT, and an invalid Host MUST get 400 (RFC 9112 §3.2)',
  'host-unclosed-ipv6':
    'nginx accepts "Host: [::1" without the closing "]" of an IP-literal; an invalid Host MUST get 400 (RFC 9112 §3.2)',
  'header-fields-value-htab-trimmed':
    'nginx strips only SP around field values, not HTAB (RFC 9112 §5.1: OWS "is excluded by parsers"), so "Host:\\tlocalhost\\t" keeps its tabs and is refused 400',
  'te-cl-variants-cl-tabs':
    'nginx strips only SP around field values, not HTAB, so "Content-Length:\\t10\\t" is refused 400; RFC 9110 §5.5: "a field parsing implementation MUST exclude such whitespace prior to evaluating the field value"',
};

/**
 * The most cases nginx may skip for a capability it lacks: every case about a request body runs
 * without echo, so the skips are only the cases about the echo resource itself.
 */
const MAX_SKIPPED = 5;

const NGINX_DIR = join(PROJECT_ROOT, 'fixtures', 'nginx');
const NGINX_BIN = process.env.GAUNTLET_NGINX ?? '/usr/sbin/nginx';
const installed = existsSync(NGINX_BIN);
const NOT_INSTALLED = `nginx is not installed at ${NGINX_BIN} (apt-get install nginx-light, or set GAUNTLET_NGINX): the nginx conformance run is skipped, not passed`;

const spec = await readManifest(join(NGINX_DIR, MANIFEST_FILE));
const cases: ConformanceCase[] = (await loadCases()).map((l) => l.case);
const byId = new Map(cases.map((c) => [c.id, c] as const));

let server: RunningServer | undefined;
let startError: Error | undefined;
let results: Map<string, Promise<CaseResult>> | undefined;

beforeAll(async () => {
  if (!installed) return;
  try {
    server = await launch(spec, { env: { ...CONFORMANCE_ENV } });
    // Checked as a user checks a server already running: by its URL, nothing declared about it
    // (no manifest, so whether it echoes is found by check's own probe).
    const run = await runCheck({
      servers: [urlServerSpec(`nginx=http://127.0.0.1:${server.port}/`)],
      cases: await loadCases(),
      root: DEFAULT_DOC_ROOT,
      concurrency: 8,
    });
    results = new Map(run.results.map((r) => [r.caseId, Promise.resolve(r)]));
  } catch (err) {
    startError = err as Error;
  }
});

afterAll(async () => {
  await Promise.allSettled([...(results?.values() ?? [])]);
  await server?.stop();
});

function details(c: ConformanceCase, r: CaseResult): string {
  const parts = [`nginx ${c.id} (${c.level}, ${c.rfc}): ${c.name}`, `${r.verdict}${r.reason ? `: ${r.reason}` : ''}`];
  if (r.exchange) parts.push(renderWireLog(r.exchange, { timeoutMs: c.timeoutMs ?? 2_000 }));
  parts.push(`replay: ${gauntletReplay(serverFlagFor(spec), c.id)}`);
  return parts.join('\n');
}

async function resultOf(id: string): Promise<CaseResult> {
  if (startError) throw startError;
  const r = await results?.get(id);
  if (!r) throw new Error(`no result for ${id}`);
  return r;
}

it('nginx is installed', (ctx) => {
  if (!installed) ctx.skip(NOT_INSTALLED);
  expect(existsSync(NGINX_BIN)).toBe(true);
});

/** The levels whose miss fails a run: only a case of one of them can be a deviation to declare. */
const FAILING_LEVELS: readonly string[] = ['MUST', 'security'];

it('the declared deviations are cases that exist, of a level that fails', () => {
  const problems = Object.keys(KNOWN_NGINX_DEVIATIONS).flatMap((id) => {
    const c = byId.get(id);
    if (!c) return [`${id}: no such case (renamed or removed?)`];
    if (!FAILING_LEVELS.includes(c.level))
      return [`${id}: a ${c.level} case cannot fail, so it is not a deviation to declare`];
    return [];
  });
  expect(problems).toEqual([]);
});

describe.skipIf(!installed)('nginx', () => {
  it('starts', () => {
    if (startError) throw startError;
    expect(server).toBeDefined();
  });

  it(`skips at most ${MAX_SKIPPED} cases`, async () => {
    const all = await Promise.all(cases.map((c) => resultOf(c.id)));
    const skipped = all.filter((r) => r.verdict === 'skip').map((r) => `${r.caseId}: ${r.reason}`);
    expect(skipped.length, skipped.join('\n')).toBeLessThanOrEqual(MAX_SKIPPED);
  });

  it.concurrent.for(cases.map((c) => ({ id: c.id, c })))('$id', async ({ c }, ctx) => {
    const r = await resultOf(c.id);
    const known = KNOWN_NGINX_DEVIATIONS[c.id];
    if (r.verdict === 'skip') {
      // A declared deviation that can no longer run is not failing any more either.
      expect(known, `${c.id} is declared in KNOWN_NGINX_DEVIATIONS but was skipped: ${r.reason}`).toBeUndefined();
      ctx.skip(r.reason);
    }
    expect(r.verdict, `the harness, not nginx, failed: ${r.reason}`).not.toBe('harness-error');
    if (known !== undefined) {
      expect(
        r.verdict,
        `${c.id} is declared in KNOWN_NGINX_DEVIATIONS ("${known}") but no longer fails: remove it from the list\n${details(c, r)}`,
      ).toBe('fail');
      await ctx.annotate(`known nginx deviation: ${known}`, 'notice');
      return;
    }
    if (r.verdict === 'warn' || r.verdict === 'info')
      await ctx.annotate(`${r.verdict}: ${r.reason}`, r.verdict === 'warn' ? 'warning' : 'notice');
    expect(r.verdict, `a ${c.level} failure that KNOWN_NGINX_DEVIATIONS does not declare:\n${details(c, r)}`).not.toBe(
      'fail',
    );
  });
});
