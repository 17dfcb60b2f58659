/**
 * `gauntlet diff` against servers that disagree and servers that should not:
 *
 * - with one fixed seed and a budget of 2000 requests, python-threaded and each broken server of
 *   fixtures/broken/ whose defect is about framing disagree, each found within 60 s (the
 *   generated requests find every one of them within a few hundred requests; the rest of the
 *   60 s is shrinking);
 * - with the same seed and budget, the control of fixtures/broken/ (_base: the same server with
 *   no defect) agrees with python-threaded, so that each disagreement above is that server's one
 *   defect, and the four reference servers agree with each other, beyond gauntlet.quirks.json;
 * - the CLI exits 0 when the servers agree, 1 when they disagree, 2 on a usage error, and its
 *   diff.json follows schemas/diff.schema.json.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { resolveServers } from '../../lib/cli/args.ts';
import { loadQuirks, type Quirk } from '../../lib/diff/quirks.ts';
import { runDiff, SHRINK_TIME_MS } from '../../lib/diff/run.ts';
import type { DiffRun } from '../../lib/diff/record.ts';

const BIN = join(PROJECT_ROOT, 'bin', 'gauntlet.mjs');
const QUIRKS_FILE = join(PROJECT_ROOT, 'gauntlet.quirks.json');
const SEED = 7;
/** The issue's budget: at most 2000 requests per run. */
const BUDGET = 2000;
/** Each broken server's disagreement is found, and shrunk, within this. */
const PER_SERVER_MS = 60_000;
const REFERENCE = 'python-threaded';

/**
 * The broken servers whose defect is about framing: where a message ends and the next begins on
 * a connection. Named here, never globbed: fixtures/broken/ grows, and each entry says why it is
 * a framing defect.
 */
const FRAMING_DEFECTS: Array<[string, string]> = [
  [
    'cl-off-by-one',
    'its file responses announce one byte more than they carry: the next response loses its first byte',
  ],
  ['bare-lf-chunked', 'a bare LF ends its chunk lines: a chunked body ends elsewhere than a strict parser says'],
  ['cl-wins-over-te', 'with both framing fields it reads Content-Length: the rest of a chunked body becomes a request'],
  ['drops-pipelined', 'it drops the bytes after a request in the same read: the next request is lost'],
  ['one-read-per-request', 'it takes each read for a whole request: a request split across reads is cut in two'],
  ['shared-buffer', "one buffer for every connection: bytes one connection leaves start the next one's request"],
  ['head-with-body', 'it sends content after a HEAD response: the client reads it as the next response'],
  [
    'te-substring-chunked',
    'a coding that merely contains "chunked" ("xchunked") frames the body as chunked: the body ends elsewhere',
  ],
  [
    'cl-lenient-int',
    'Content-Length is read as a Python literal ("+5", "0x5" taken, "010" refused): the body ends elsewhere',
  ],
  ['head-body-unread', "a HEAD request's content is left unread: it is parsed as the next request"],
  [
    'expect-refusal-body-unread',
    'content sent without waiting after Expect: 100-continue is left unread when the head is refused',
  ],
  ['304-with-body', 'a 304 carries the file: the client reads its bytes as the next response'],
];
// Not framing, so not listed: crash-on-bad-request-line (liveness), echo-truncates (content, framed
// soundly), ignores-connection-close (persistence), no-head-timeout (timing), no-host-check,
// path-traversal and unknown-method-200 (what a request means, not where it ends);
// trailer-in-echo (the trailer taken as content, the next request read from the right place) and
// trailer-fields-merged (trailer fields applied as header fields: what they mean); range-416-no-
// content-range, range-amplification and range-end-exclusive (what a range response says or
// holds, each framed by its own Content-Length); ims-over-inm (which precondition wins: a 304 or a
// 200, each framed soundly); fragment-stripped (a target served instead of refused);
// upgrade-always-101 and connect-tunnels (a switch of protocol or a tunnel answered where none was
// asked: what the request means; each HTTP message is framed soundly, and the generated requests
// carry neither Upgrade nor CONNECT).

/** fixtures/broken/_base: the server every broken one derives from, with no defect. */
const CONTROL = '_base';
const POOL = 3;
/** Each run of the pool, by broken server (and the control). */
const found = new Map<string, { run: DiffRun; ms: number }>();

let quirks: Quirk[];

/**
 * The search's own time limit against a broken server: its disagreement must be found, shrunk and
 * the servers stopped within PER_SERVER_MS of wall time, and shrinking may take SHRINK_TIME_MS.
 */
const SEARCH_MS = PER_SERVER_MS - SHRINK_TIME_MS - 5_000;

async function diffOf(names: string[], timeLimitMs: number): Promise<{ run: DiffRun; ms: number }> {
  const servers = await resolveServers(names);
  const started = Date.now();
  const run = await runDiff({
    servers,
    seed: SEED,
    requests: BUDGET,
    timeLimitMs,
    quirks,
    quirksFile: QUIRKS_FILE,
  });
  return { run, ms: Date.now() - started };
}

/** Runs `work` over `items`, `size` at a time. */
async function pooled<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: size }, worker));
  return out;
}

function summary(run: DiffRun): string {
  return `${run.verdict} after ${run.requests} requests${run.error ? `: ${run.error}` : ''}${
    run.disagreement
      ? `\n${run.disagreement.differences.map((d) => `${d.field}: ${JSON.stringify(d.values)}`).join('\n')}\nreplay: ${run.disagreement.replay}`
      : ''
  }`;
}

beforeAll(async () => {
  quirks = await loadQuirks(QUIRKS_FILE);
});

describe('diff finds each framing defect of fixtures/broken against a reference server', () => {
  beforeAll(async () => {
    // The control runs in the same pool: it spends the whole budget while the others shrink.
    const names = [...FRAMING_DEFECTS.map(([name]) => name), CONTROL];
    const runs = await pooled(names, POOL, (name) =>
      // The control must spend the whole budget: its limit is only a bound on a hung run.
      diffOf([REFERENCE, `fixtures/broken/${name}`], name === CONTROL ? 4 * PER_SERVER_MS : SEARCH_MS),
    );
    names.forEach((name, i) => found.set(name, runs[i]!));
    console.info(
      names
        .map((name) => {
          const { run, ms } = found.get(name)!;
          return `${name}: ${run.verdict} after ${run.requests} requests, ${ms} ms`;
        })
        .join('\n'),
    );
  }, 10 * PER_SERVER_MS);

  it.each(FRAMING_DEFECTS)('%s: %s', (name) => {
    const { run, ms } = found.get(name)!;
    expect(run.verdict, summary(run)).toBe('disagree');
    // The acceptance: found (and shrunk, and the servers stopped) within 60 s of wall time.
    expect(ms, `${name} took ${ms} ms`).toBeLessThan(PER_SERVER_MS);
    expect(run.requests).toBeLessThanOrEqual(BUDGET);
    const d = run.disagreement!;
    expect(d.differences.length).toBeGreaterThan(0);
    expect(d.servers.map((s) => s.server)).toEqual([REFERENCE, `broken-${name}`]);
    for (const s of d.servers) expect(s.wireLog).toContain('then GET / on a fresh connection');
    expect(d.replay).toContain(`--seed ${SEED} --shrink-path ${d.path}`);
  });
});

describe('servers without a framing defect agree, beyond the quirks', () => {
  it("the control of fixtures/broken agrees with the reference: each disagreement above is its server's defect", () => {
    const { run } = found.get(CONTROL)!;
    expect(run.verdict, summary(run)).toBe('agree');
    expect(run.requests).toBe(BUDGET);
  });
});

/** The CLI, its exit code, and its diff.json (null when none was written). */
async function diffCli(args: string[]): Promise<{ code: number | null; stdout: string; json: DiffRun | null }> {
  const out = await mkdtemp(join(tmpdir(), 'gauntlet-diff-'));
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((done, reject) => {
    const child = spawn(process.execPath, [BIN, 'diff', ...args, '--out', out], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.once('error', reject);
    child.once('close', (c) => done({ code: c, stdout: text }));
  });
  const json = await readFile(join(out, 'diff.json'), 'utf8').then(
    (t) => JSON.parse(t) as DiffRun,
    () => null,
  );
  return { code, stdout, json };
}

describe('gauntlet diff, the command', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajvFormats.default(ajv);
  const schemaOk = async (json: unknown) => {
    const schema = JSON.parse(await readFile(join(PROJECT_ROOT, 'schemas', 'diff.schema.json'), 'utf8')) as object;
    const validate = ajv.getSchema('https://gauntlet.invalid/schemas/diff.schema.json') ?? ajv.compile(schema);
    const valid = validate(json) as boolean;
    return valid ? [] : validate.errors;
  };

  it('the four reference servers agree on the same seed and budget: exit 0, diff.json by its schema', async () => {
    const refs = ['node-async', 'node-threaded', 'python-async', 'python-threaded'];
    const { code, stdout, json } = await diffCli([
      ...refs.flatMap((r) => ['--server', r]),
      '--seed',
      String(SEED),
      '--requests',
      String(BUDGET),
    ]);
    expect(json, stdout).not.toBeNull();
    expect(json!.verdict, stdout).toBe('agree');
    expect(code).toBe(0);
    expect(json!.requests).toBe(BUDGET);
    expect(json!.quirksFile).toBe(QUIRKS_FILE);
    expect(await schemaOk(json)).toEqual([]);
  }, 150_000);

  it(
    'a disagreement is exit 1, printed with both wire logs and its replay, and kept in diff.json',
    async () => {
      const { code, stdout, json } = await diffCli([
        '--server',
        REFERENCE,
        '--server',
        'fixtures/broken/cl-off-by-one',
        '--seed',
        String(SEED),
        '--requests',
        '200',
      ]);
      expect(code, stdout).toBe(1);
      expect(stdout).toContain('DISAGREE');
      expect(stdout).toContain(`${REFERENCE}:`);
      expect(stdout).toContain('broken-cl-off-by-one:');
      expect(stdout).toMatch(/replay: npx gauntlet diff .*--shrink-path \d+/);
      expect(json!.verdict).toBe('disagree');
      expect(await schemaOk(json)).toEqual([]);
    },
    PER_SERVER_MS,
  );

  it('one server is a usage error: exit 2, nothing started or written', async () => {
    const { code, json } = await diffCli(['--server', REFERENCE]);
    expect(code).toBe(2);
    expect(json).toBeNull();
  });
});
