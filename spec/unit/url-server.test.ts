/**
 * Servers already running, given by URL: the URL read (http only), the ServerSpec a `--url`
 * value makes, a manifest's "url" instead of "command", which addresses are this machine's, and
 * attaching to a URL: the owner of the listening socket found, nothing stopped, a URL nobody
 * answers a LaunchError naming it and the connect error.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManifestError, parseManifest } from '../../lib/manifest.ts';
import { LaunchError } from '../../lib/running-server.ts';
import {
  attachUrlServer,
  isLocalAddress,
  observationNote,
  observationOf,
  parseServerUrl,
  urlRequestPath,
  urlServerSpec,
  UrlValueError,
} from '../../lib/url-server.ts';
import { launchServer } from '../../lib/runtime.ts';

const base = { name: 'prod', model: 'async', language: 'go' };

describe('the URL of a server already running', () => {
  it.each([
    ['http://127.0.0.1:8080/', { host: '127.0.0.1', port: 8080, path: '/', hostPort: '127.0.0.1:8080' }],
    [
      'http://localhost/index.html?a=1',
      { host: 'localhost', port: 80, path: '/index.html?a=1', hostPort: 'localhost:80' },
    ],
    ['http://[::1]:9000', { host: '::1', port: 9000, path: '/', hostPort: '[::1]:9000' }],
    ['https://127.0.0.1/', { host: '127.0.0.1', port: 443, path: '/', hostPort: '127.0.0.1:443' }],
  ])('%s', (text, url) => {
    expect(parseServerUrl(text)).toEqual(url);
  });

  it.each([
    ['ws://127.0.0.1/', 'has the scheme "ws:"'],
    ['127.0.0.1:80', 'has no scheme: write http://HOST:PORT/PATH'],
    ['localhost:8080/x', 'has no scheme'],
    ['http://u:p@127.0.0.1/', 'must not carry a user name or password'],
  ])('refuses %s', (text, why) => {
    expect(() => parseServerUrl(text)).toThrow(why);
  });

  it('makes a ServerSpec from a --url value, named after host:port unless named', () => {
    expect(urlServerSpec('http://127.0.0.1:8080/x')).toMatchObject({
      name: '127.0.0.1:8080',
      model: 'unknown',
      language: 'unknown',
      command: '',
      url: 'http://127.0.0.1:8080/x',
      source: '--url "http://127.0.0.1:8080/x"',
    });
    expect(urlServerSpec('web:threaded:c=http://10.0.0.5/')).toMatchObject({
      name: 'web',
      model: 'threaded',
      language: 'c',
      url: 'http://10.0.0.5/',
    });
    expect(urlRequestPath(urlServerSpec('http://127.0.0.1:1/a?b'))).toBe('/a?b');
    expect(urlRequestPath({})).toBeUndefined();
    expect(() => urlServerSpec('Web=http://x/')).toThrow(UrlValueError);
  });

  it("knows this machine's addresses", () => {
    for (const address of ['127.0.0.1', '127.5.6.7', '::1', '0.0.0.0', '::ffff:127.0.0.1']) {
      expect(isLocalAddress(address), address).toBe(true);
    }
    for (const address of ['192.0.2.1', '2001:db8::1']) expect(isLocalAddress(address), address).toBe(false);
  });
});

describe('a manifest with "url"', () => {
  it('takes "url" instead of "command"', () => {
    expect(parseManifest({ ...base, url: 'http://127.0.0.1:8080/' }, 'f.json')).toEqual({
      ...base,
      command: '',
      url: 'http://127.0.0.1:8080/',
    });
  });

  it.each([
    [{ ...base, url: 'http://127.0.0.1/', command: 'x {port}' }, 'f.json: field "url" and "command" are both given'],
    [{ ...base, url: 3 }, 'f.json: field "url" must be a string, got a number'],
    [{ ...base, url: '' }, 'f.json: field "url" must not be empty'],
    [{ ...base }, 'f.json: field "command" is missing'],
  ])('refuses %j', (manifest, message) => {
    expect(() => parseManifest(manifest, 'f.json')).toThrow(ManifestError);
    expect(() => parseManifest(manifest, 'f.json')).toThrow(message);
  });
});

describe('attaching to a URL', () => {
  let server: Server;
  let port = 0;
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('finds the process that owns the socket (this one), does not observe its own group, and leaves it running', async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
    const running = await launchServer(urlServerSpec(`web=http://127.0.0.1:${port}/health`), { runtime: 'process' });
    expect(running.url).toBe(`http://127.0.0.1:${port}`);
    // The server is this process: observing its group would count the load generator as the server.
    const seen = observationOf(running);
    expect(seen?.observed).toBe(false);
    expect(seen && !seen.observed && seen.reason).toMatch(
      new RegExp(`^the process holding the socket, pid ${process.pid} .*is in Gauntlet's own process group`),
    );
    expect(running.pid).toBe(0);
    expect(observationNote(running)).toContain('its resources are not observed');
    await running.stop();
    expect(running.exitInfo()).toBeNull();
    expect(server.listening).toBe(true);
  });

  it('is a LaunchError naming the URL and the connect error when nobody listens', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const free = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    const err = await attachUrlServer(urlServerSpec(`http://127.0.0.1:${free}/`)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as Error).message).toBe(
      `server "127.0.0.1:${free}" does not answer at http://127.0.0.1:${free}/: connect ECONNREFUSED 127.0.0.1:${free}`,
    );
  });
});
