/**
 * `gauntlet bench` with a shaped request, in this process: 200 POSTs of a 4 KiB file to
 * node-async's /echo complete, and HTML transferred is exactly 200 x 4096 bytes, in keep-alive and
 * in close mode; results.json records the request. Then how the flags and the gate's
 * configuration become a shape, and how they are refused.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs } from '../../lib/cli/bench-args.ts';
import { UsageError } from '../../lib/cli/args.ts';
import { ConfigError, resolveConfig } from '../../lib/perf/config.ts';
import type { RunResults } from '../../lib/types.ts';
import type { GateResults } from '../../lib/perf/types.ts';
import { runInProcess } from './helpers/cli-in-process.ts';

const BODY = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));

async function bodyFile(): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'gauntlet-shaped-cli-'));
  const file = join(dir, 'body.bin');
  await writeFile(file, BODY);
  return { dir, file };
}

describe('gauntlet bench --method POST --header ... --body-file (4 KiB) against /echo', () => {
  for (const mode of ['keepalive', 'close'] as const) {
    it(`${mode} mode: 200 requests complete, HTML transferred 200 x 4096 bytes`, async () => {
      const { dir, file } = await bodyFile();
      const out = join(dir, 'report');
      const run = await runInProcess([
        'bench',
        '--server',
        'node-async',
        '--mode',
        mode,
        '--concurrency',
        '10',
        '--requests',
        '200',
        '--rounds',
        '1',
        '--no-check',
        '--method',
        'POST',
        '--header',
        'Content-Type: application/octet-stream',
        '--header',
        'X-Trace: shaped',
        '--body-file',
        file,
        '--path',
        '/echo',
        '--out',
        out,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
      expect(results.cells).toHaveLength(1);
      const { result } = results.cells[0]!;
      expect(result.completeRequests).toBe(200);
      expect(result.failedRequests).toBe(0);
      expect(result.statusCounts).toEqual({ '200': 200 });
      expect(result.htmlTransferred).toBe(200 * 4096);
      expect(result.documentLength).toBe(4096);
      expect(results.request).toEqual({
        method: 'POST',
        headers: [{ name: 'X-Trace', value: 'shaped' }],
        body: { bytes: 4096, framing: 'content-length', contentType: 'application/octet-stream' },
        paths: ['/echo'],
      });
    });
  }
});

describe('gauntlet gate with the request of its configuration', () => {
  it('sends the shaped request: every POST of the file to /echo answered 200, the request recorded', async () => {
    const { dir } = await bodyFile();
    const config = join(dir, 'gauntlet.config.json');
    await writeFile(
      config,
      JSON.stringify({
        servers: ['node-async'],
        matrix: '40:2',
        request: {
          method: 'POST',
          headers: ['Content-Type: application/octet-stream'],
          bodyFile: 'body.bin',
          paths: ['/echo'],
        },
        claims: ['failed == 0', 'non2xx == 0'],
        sampling: { minRounds: 2, maxRounds: 2, maxTimeS: 5, warmupS: 0.2 },
      }),
    );
    const out = join(dir, 'gate');
    const run = await runInProcess(['gate', '--config', config, '--no-pin', '--no-baseline', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as GateResults;
    expect(results.passed).toBe(true);
    expect(results.settings.request).toEqual({
      method: 'POST',
      headers: [],
      body: { bytes: 4096, framing: 'content-length', contentType: 'application/octet-stream' },
      paths: ['/echo'],
    });
    expect(results.measurements.length).toBeGreaterThan(0);
  });
});

describe('the flags become a shape', () => {
  it('none of them: no shape, ab request', async () => {
    const args = await parseBenchArgs(['--server', 'node-async']);
    expect(args.shape).toBeUndefined();
    expect(args.path).toBe('/');
  });

  it('all of them', async () => {
    const { file } = await bodyFile();
    const args = await parseBenchArgs([
      '--server',
      'node-async',
      '--method',
      'PUT',
      '--header',
      'X-A: 1',
      '--header',
      'X-B:two',
      '--body-file',
      file,
      '--chunked',
      '--path',
      '/a',
      '--path',
      '/b',
    ]);
    expect(args.path).toBe('/a');
    expect(args.pathGiven).toBe(true);
    expect(args.shape).toEqual({
      method: 'PUT',
      headers: [
        ['X-A', '1'],
        ['X-B', 'two'],
      ],
      body: BODY,
      chunked: true,
      paths: ['/a', '/b'],
    });
  });

  it('--body is sent as UTF-8 text, and POST is the default method with a body', async () => {
    const args = await parseBenchArgs(['--server', 'node-async', '--body', 'héllo']);
    expect(args.shape).toEqual({ body: Buffer.from('héllo', 'utf8') });
  });

  const refused: Array<[string[], string]> = [
    [['--header', 'NoColon'], '--header "NoColon": has no colon: write it as "Name: value"'],
    [
      ['--header', 'Content-Length: 3'],
      '--header "Content-Length: 3": cannot be set: the body sets it (--body, --body-file)',
    ],
    [['--body', 'x', '--body-file', 'f'], '--body and --body-file both give the request body: give one of them'],
    [['--chunked'], '--chunked sends the request body chunked, and there is none: give --body or --body-file'],
    [['--method', 'GET /x'], '--method "GET /x": is not a token'],
    [['--method', 'CONNECT'], '--method "CONNECT": is not supported: it opens a tunnel'],
    [['--path', '/a', '--path', 'b'], '--path "b": must start with /'],
    [['--body-file', '/no/such/body'], '--body-file "/no/such/body": cannot be read (ENOENT)'],
  ];
  for (const [flags, message] of refused) {
    it(`refuses ${flags.join(' ')}`, async () => {
      const parsing = parseBenchArgs(['--server', 'node-async', ...flags]);
      await expect(parsing).rejects.toThrow(UsageError);
      await expect(parsing).rejects.toThrow(message);
    });
  }
});

describe("the gate's configuration: request", () => {
  const base = { claims: ['failed == 0'] };

  it('becomes the same shape, a body file read from the configuration folder', async () => {
    const { dir } = await bodyFile();
    const config = resolveConfig(
      {
        ...base,
        request: {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-A': ' 1 ' },
          bodyFile: 'body.bin',
          paths: ['/echo', '/echo?2'],
        },
      },
      'c.ts',
      dir,
    );
    expect(config.path).toBe('/echo');
    expect(config.pathGiven).toBe(true);
    expect(config.shape).toEqual({
      method: 'POST',
      headers: [
        ['Content-Type', 'application/json'],
        ['X-A', '1'],
      ],
      body: BODY,
      paths: ['/echo', '/echo?2'],
    });
  });

  it('headers as "Name: value" lines, and no shape without request', () => {
    expect(resolveConfig({ ...base, request: { headers: ['X-A: 1'] } }, 'c.ts').shape).toEqual({
      headers: [['X-A', '1']],
    });
    const plain = resolveConfig({ ...base, path: '/x' }, 'c.ts');
    expect(plain.shape).toBeUndefined();
    expect(plain.path).toBe('/x');
  });

  const refused: Array<[Record<string, unknown>, string]> = [
    [{ request: 'POST' }, 'c.ts: request must be an object'],
    [{ request: { verb: 'POST' } }, 'c.ts: request.verb is not a known field'],
    [{ request: { method: 'A B' } }, 'c.ts: request.method is not a token'],
    [{ request: { headers: ['X-A'] } }, 'c.ts: request.headers[0] has no colon'],
    [{ request: { headers: { 'X-A': 1 } } }, 'c.ts: request.headers.X-A must be a string'],
    [{ request: { body: 'a', bodyFile: 'b' } }, 'c.ts: request.body and request.bodyFile: give one'],
    [{ request: { bodyFile: 'no-such-file' } }, 'c.ts: request.bodyFile cannot be read (ENOENT)'],
    [{ request: { chunked: true } }, 'c.ts: request.chunked needs a body'],
    [{ request: { paths: [] } }, 'c.ts: request.paths must be a list of one path or more'],
    [{ request: { paths: ['/a', 'b'] } }, 'c.ts: request.paths[1] must start with /'],
    [{ path: '/a', request: { paths: ['/b'] } }, 'c.ts: request.paths and path both name the path: give one'],
  ];
  for (const [raw, message] of refused) {
    it(`refuses ${JSON.stringify(raw)}`, () => {
      expect(() => resolveConfig({ ...base, ...raw }, 'c.ts', tmpdir())).toThrow(ConfigError);
      expect(() => resolveConfig({ ...base, ...raw }, 'c.ts', tmpdir())).toThrow(message);
    });
  }
});
