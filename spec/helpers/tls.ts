/**
 * TLS for the tests: a self-signed certificate made at test time by lib/tls-certificate.ts (never
 * kept in the tree: a committed key would be a key anyone can read, and a one-day certificate
 * would expire), and the node-async reference server started with it, listening over TLS on a
 * free loopback port (or without it, in plain TCP, to compare the two).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { DEFAULT_DOC_ROOT } from '../../lib/paths.ts';
import type { SelfSignedCert } from '../../lib/tls-certificate.ts';

export { makeSelfSignedCert, type SelfSignedCert } from '../../lib/tls-certificate.ts';

/** node-async listening over TLS (or plain TCP). */
export interface TlsServer {
  host: string;
  port: number;
  root: string;
  /** The server's output so far. */
  output(): string;
  stop(): Promise<void>;
}

const NODE_ASYNC = new URL('../../servers/node-async/server.ts', import.meta.url).pathname;

/** How long the server may take to print its listening line, ms (it compiles its TypeScript first). */
const START_TIMEOUT_MS = 15_000;

/**
 * Starts servers/node-async with GAUNTLET_TLS_CERT and GAUNTLET_TLS_KEY on a port the system
 * picks, and resolves once it prints its listening line. With `cert` null it listens in plain
 * TCP. `env` adds to its environment.
 */
export async function startTlsNodeAsync(
  cert: SelfSignedCert | null,
  env: Readonly<Record<string, string>> = {},
): Promise<TlsServer> {
  const tlsEnv = cert ? { GAUNTLET_TLS_CERT: cert.certPath, GAUNTLET_TLS_KEY: cert.keyPath } : {};
  const child = spawn(process.execPath, ['--import', 'tsx', NODE_ASYNC, '0', DEFAULT_DOC_ROOT], {
    env: { ...process.env, GAUNTLET_TLS_CERT: '', GAUNTLET_TLS_KEY: '', ...env, ...tlsEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const port = await listeningPort(child, () => output);
  return {
    host: '127.0.0.1',
    port,
    root: DEFAULT_DOC_ROOT,
    output: () => output,
    stop: () => stopChild(child),
  };
}

function listeningPort(child: ChildProcess, output: () => string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`node-async did not start over TLS: ${output()}`)), START_TIMEOUT_MS);
    const onData = (): void => {
      const found = /listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(output());
      if (!found) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(Number(found[1]));
    };
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`node-async exited with ${code}: ${output()}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
