/**
 * The contract every reference server keeps, as readable examples on an ordinary HTTP client
 * (supertest): what a browser or curl would see. The byte-level requirements are the cases of
 * lib/conformance/cases/; these are the few things everything else relies on.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import request from 'supertest';
import { Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllServers } from '../../lib/manifest.ts';
import { launch, type RunningServer } from '../../lib/launcher.ts';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import { exchange } from '../../lib/conformance/raw-client.ts';

const specs = await loadAllServers();
const INDEX = readFileSync(join(DEFAULT_DOC_ROOT, 'index.html'));

const running = new Map<string, RunningServer | Error>();

beforeAll(async () => {
  await Promise.all(
    specs.map(async (spec) => {
      running.set(spec.name, await launch(spec).catch((err: Error) => err));
    }),
  );
});

afterAll(async () => {
  await Promise.all([...running.values()].flatMap((s) => (s instanceof Error ? [] : [s.stop()])));
});

function server(name: string): RunningServer {
  const s = running.get(name);
  if (!s) throw new Error(`${name} was not started`);
  if (s instanceof Error) throw s;
  return s;
}

/** supertest's `.parse()` callback form: (response stream, done). */
type BodyParser = Extract<Parameters<request.Test['parse']>[0], (res: never, cb: never) => void>;

/** Reads any body as bytes, whatever its Content-Type. */
const bytes: BodyParser = (raw, done) => {
  const res = raw as unknown as IncomingMessage;
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
  res.on('error', (err) => done(err, Buffer.alloc(0)));
};

describe.concurrent.each(specs.map((s) => s.name))('%s', (name) => {
  it('answers GET / with 200, text/html and exactly the bytes of index.html', async () => {
    const res = await request(server(name).url).get('/').buffer(true).parse(bytes);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-length']).toBe(String(INDEX.length));
    expect(Buffer.compare(res.body as Buffer, INDEX)).toBe(0);
  });

  it('answers HEAD / with the same fields as GET / and no body', async () => {
    const url = server(name).url;
    const get = await request(url).get('/').buffer(true).parse(bytes);
    const head = await request(url).head('/');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers['content-length']).toBe(String(INDEX.length));
    // On the wire: the head, then nothing, then the close.
    const s = server(name);
    const ex = await exchange(
      s.host,
      s.port,
      [{ data: 'HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' }],
      { timeoutMs: 2000, methods: ['HEAD'] },
    );
    expect(ex.responses).toHaveLength(1);
    expect(ex.responses[0]?.end).toBe(ex.received.length);
    expect(ex.closedBy).toBe('server');
  });

  it('answers 404 for a file that does not exist', async () => {
    const res = await request(server(name).url).get('/no-such-file.html');
    expect(res.status).toBe(404);
  });

  it('answers POST /echo with the request body', async () => {
    const body = Buffer.from('hello gauntlet \u00e9\u0000\u00ff', 'latin1');
    const res = await request(server(name).url)
      .post('/echo')
      .set('Content-Type', 'application/octet-stream')
      .send(body)
      .buffer(true)
      .parse(bytes);
    expect(res.status).toBe(200);
    expect(Buffer.compare(res.body as Buffer, body)).toBe(0);
  });

  it('serves two requests on one keep-alive connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const url = server(name).url;
      const first = await request(url).get('/hello.txt').agent(agent);
      const second = await request(url).get('/style.css').agent(agent);
      expect([first.status, second.status]).toEqual([200, 200]);
      const reqOf = (res: unknown) => (res as { req: ClientRequest }).req;
      expect(reqOf(first).reusedSocket).toBe(false);
      expect(reqOf(second).reusedSocket).toBe(true);
    } finally {
      agent.destroy();
    }
  });
});
