/**
 * Servers already running, given by URL (`--url`, a manifest's "url", a configuration's
 * `{ url }`): Gauntlet neither starts nor stops them, it attaches to them. This module owns what
 * is particular to them: reading the URL (http://, or https:// for a server that talks TLS), the
 * ServerSpec it makes, the one readiness probe (after the TLS handshake, whose failure names the
 * certificate problem), and which process owns the listening socket when the URL is on this machine, so that
 * the diagnostics observe that process as they observe a server Gauntlet started. A server
 * elsewhere (or whose owner cannot be read) is measured and checked all the same; only its
 * resources go unobserved, and the record says why.
 */
import { connect } from 'node:net';
import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import type { ServerSpec } from './types.ts';
import {
  CapturedOutput,
  ExitState,
  LaunchError,
  dialProbeTls,
  probeHttp,
  runningServer,
  type ExitInfo,
  type RunningServer,
  type ServerTls,
} from './running-server.ts';
import { handshakeWords, tlsErrorCode } from './load/tls.ts';
import { listeningSocketsOn, socketsServing } from './process/listen-sockets.ts';
import { holdersOf } from './process/socket-holders.ts';
import { describeProcess, readProc } from './process/proc-table.ts';

/** A URL value that names no usable server; `detail` says why, without the value. */
export class UrlValueError extends Error {
  constructor(
    readonly value: string,
    readonly detail: string,
  ) {
    super(`--url ${JSON.stringify(value)}: ${detail}`);
    this.name = 'UrlValueError';
  }
}

/** Where an http:// or https:// URL points: host as written (brackets removed), port, and the request path. */
export interface ServerUrl {
  host: string;
  port: number;
  /** The path and query of the URL, "/" when it has none. */
  path: string;
  /** "host:port" as the URL writes it (an IPv6 host keeps its brackets): the default name. */
  hostPort: string;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;

/** Reads an http:// or https:// URL; any other scheme, or one that is not a URL, throws the reason. */
export function parseServerUrl(text: string): ServerUrl {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new Error('has no scheme: write http://HOST:PORT/PATH');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('is not a URL such as http://127.0.0.1:8080/');
  }
  const tls = url.protocol === 'https:';
  if (!tls && url.protocol !== 'http:')
    throw new Error(`has the scheme "${url.protocol}": only http:// and https:// URLs are supported`);
  if (url.username || url.password) throw new Error('must not carry a user name or password');
  if (url.hash) throw new Error('must not have a #fragment: it is never sent to a server');
  const port = url.port !== '' ? Number(url.port) : tls ? 443 : 80;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, path: `${url.pathname}${url.search}`, hostPort: `${url.hostname}:${port}` };
}

/** Whether a server's URL is https://: the server talks TLS. */
export function isHttpsUrl(text: string): boolean {
  return /^https:\/\//i.test(text.trim());
}

/**
 * A `[NAME[:MODEL:LANGUAGE]=]URL` value as a ServerSpec. NAME defaults to the URL's host:port;
 * `source` says where the value was written (`--url "..."` for the flag).
 */
export function urlServerSpec(value: string, source = `--url ${JSON.stringify(value)}`): ServerSpec {
  const trimmed = value.trim();
  const eq = /^https?:\/\//i.test(trimmed) ? -1 : trimmed.indexOf('=');
  const head = eq < 0 ? '' : trimmed.slice(0, eq).trim();
  const urlText = eq < 0 ? trimmed : trimmed.slice(eq + 1).trim();
  if (urlText === '') throw new UrlValueError(value, 'the URL is empty: write [NAME=]http://HOST:PORT/PATH');
  let url: ServerUrl;
  try {
    url = parseServerUrl(urlText);
  } catch (err) {
    throw new UrlValueError(value, `the URL ${(err as Error).message}`);
  }
  const [name = '', model = 'unknown', language = 'unknown', ...rest] = head === '' ? [url.hostPort] : head.split(':');
  if (rest.length > 0) throw new UrlValueError(value, 'takes at most NAME:MODEL:LANGUAGE before "="');
  if (head !== '' && !NAME_RE.test(name)) {
    throw new UrlValueError(
      value,
      `the name must be lower-case letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`,
    );
  }
  return { name, model, language, command: '', url: urlText, cwd: process.cwd(), source };
}

/** The request path a URL server's URL names, or undefined for a server Gauntlet starts. */
export function urlRequestPath(spec: Pick<ServerSpec, 'url'>): string | undefined {
  return spec.url === undefined ? undefined : parseServerUrl(spec.url).path;
}

/** Whether the diagnostics can watch a URL server's process, and if not, why. */
export type Observation = { observed: true; pid: number } | { observed: false; reason: string };

const observations = new WeakMap<RunningServer, Observation>();

/** How a URL server is observed; undefined for a server Gauntlet started (always observed). */
export function observationOf(server: RunningServer): Observation | undefined {
  return observations.get(server);
}

/** The one line a command prints about a URL server once it answers. */
export function observationNote(server: RunningServer): string | null {
  const seen = observationOf(server);
  if (!seen) return null;
  return seen.observed
    ? `${server.name} is already running (not started by Gauntlet); its process, pid ${seen.pid}, is observed`
    : `${server.name} is already running (not started by Gauntlet); its resources are not observed: ${seen.reason}`;
}

/** Whether an address is one of this machine's: loopback, a wildcard, or an interface's address. */
export function isLocalAddress(address: string): boolean {
  if (/^127\./.test(address) || address === '::1' || address === '0.0.0.0' || address === '::') return true;
  if (address.startsWith('::ffff:')) return isLocalAddress(address.slice(7));
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === address));
}

/** The connect error of host:port ("connect ECONNREFUSED 127.0.0.1:9"), or null when it connects. */
export function connectError(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((done) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      done(`no connection within ${timeoutMs} ms`);
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      done(null);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      done(err.message);
    });
  });
}

/** The process holding the socket that listens on address:port, read from /proc. */
function socketOwner(address: string, port: number): Observation {
  const sockets = listeningSocketsOn(port);
  if (sockets === null) return { observed: false, reason: '/proc/net/tcp cannot be read on this machine' };
  const serving = socketsServing(sockets, address, port);
  if (serving.length === 0) return { observed: false, reason: `no listening socket on port ${port} is in sight` };
  const holders = [...holdersOf(new Set(serving.map((s) => s.inode))).keys()];
  if (holders.length === 0)
    return {
      observed: false,
      reason: `the process holding port ${port} cannot be read (another user's, or in another namespace)`,
    };
  return groupOwnedBy(Math.min(...holders));
}

/**
 * The diagnostics observe a server's whole process group. The owner of a URL's socket is not
 * observed when that group is the harness's own: a server started with `&` by the script that
 * then runs Gauntlet, without job control, shares the script's group, and the load generator
 * would be counted as the server.
 */
function groupOwnedBy(pid: number): Observation {
  const owner = readProc(pid);
  if (!owner) return { observed: false, reason: `the process holding the socket (pid ${pid}) cannot be read` };
  const harness = readProc(process.pid);
  if (harness?.pgid === owner.pgid) {
    return {
      observed: false,
      reason:
        `the process holding the socket, ${describeProcess(pid)}, is in Gauntlet's own process group ` +
        `(${owner.pgid}), whose load generator would be counted as the server: start it apart (setsid)`,
    };
  }
  return { observed: true, pid };
}

/** Who to observe for a URL: its owner when the address is this machine's, else why not. */
async function observe(host: string, port: number): Promise<Observation> {
  let address: string;
  try {
    address = (await lookup(host)).address;
  } catch (err) {
    return { observed: false, reason: `${host} does not resolve here (${(err as Error).message})` };
  }
  if (!isLocalAddress(address)) return { observed: false, reason: `${host} is not on this machine` };
  return socketOwner(address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address, port);
}

/** A URL that does not answer: a LaunchError, without the output tail a started server would have. */
export class UrlLaunchError extends LaunchError {
  constructor(serverName: string, reason: string) {
    super(serverName, reason, null, '', '');
    this.message = `server "${serverName}" ${reason}`;
    this.name = 'LaunchError';
  }
}

export interface AttachOptions {
  /** How long the one probe may take, ms (default the manifest's readyTimeoutMs, else 15000). */
  readyTimeoutMs?: number;
  /** An https:// server: accept a certificate that cannot be verified (--insecure). */
  insecure?: boolean;
}

/** The words for a TLS handshake with host:port that fails, or null when it succeeds. */
export function handshakeError(host: string, port: number, tls: ServerTls, timeoutMs: number): Promise<string | null> {
  return new Promise((done) => {
    const sock = dialProbeTls(host, port, tls);
    const finish = (problem: string | null): void => {
      clearTimeout(timer);
      sock.destroy();
      done(problem);
    };
    const timer = setTimeout(() => finish(`no TLS handshake within ${timeoutMs} ms`), timeoutMs);
    sock.once('secureConnect', () => finish(null));
    sock.once('error', (err: Error) => {
      const code = tlsErrorCode(err);
      const words = handshakeWords(code);
      finish(words === undefined ? err.message : `${words}: ${err.message} (${code})`);
    });
  });
}

/**
 * Attaches to a server already running at `spec.url`: one connection and one HTTP probe of the
 * URL's path; a URL that does not answer is a LaunchError naming it and the connect error. The
 * RunningServer's `stop` leaves the server running and `exited` never settles: Gauntlet sees a
 * URL server stop only as a server that stops answering.
 */
export async function attachUrlServer(spec: ServerSpec, opts: AttachOptions = {}): Promise<RunningServer> {
  const urlText = spec.url;
  if (urlText === undefined) throw new Error(`server "${spec.name}" has no URL`);
  const url = parseServerUrl(urlText);
  const overTls = isHttpsUrl(urlText);
  const timeoutMs = opts.readyTimeoutMs ?? spec.readyTimeoutMs ?? 15_000;
  const refused = await connectError(url.host, url.port, timeoutMs);
  if (refused !== null) throw new UrlLaunchError(spec.name, `does not answer at ${urlText}: ${refused}`);
  const tls: ServerTls | undefined = overTls ? { insecure: opts.insecure ?? false } : undefined;
  const refusedTls = tls ? await handshakeError(url.host, url.port, tls, timeoutMs) : null;
  if (refusedTls !== null) throw new UrlLaunchError(spec.name, `does not talk TLS at ${urlText}: ${refusedTls}`);
  if (!(await probeHttp(url.host, url.port, url.path, timeoutMs, tls)))
    throw new UrlLaunchError(
      spec.name,
      `does not answer HTTP at ${urlText}: a connection opens, but no status line came back within ${timeoutMs} ms`,
    );
  const observation = await observe(url.host, url.port);
  const left: ExitInfo = { code: null, signal: null };
  const server = runningServer(spec, url.host, url.port, {
    pid: observation.observed ? observation.pid : 0,
    command: '',
    runtime: { kind: 'process' },
    exit: new ExitState(),
    output: new CapturedOutput(),
    stop: () => Promise.resolve(left),
    ...(tls && { tls }),
  });
  const shown = { ...server, url: `${overTls ? 'https' : 'http'}://${url.hostPort}` };
  observations.set(shown, observation);
  return shown;
}
