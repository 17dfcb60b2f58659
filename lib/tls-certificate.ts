/**
 * The certificate of the servers Gauntlet starts with `--tls`: a self-signed P-256 certificate
 * for localhost and 127.0.0.1, valid one day, made with openssl when first needed. It is made
 * here rather than shipped, because a key in the package would be a key anyone can read.
 *
 * One certificate serves the whole run: a server started again (a check's restart, a gate's
 * second look) keeps the certificate its clients already trust. The folder holding its key is
 * removed when the process ends, whichever way it ends.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onProcessEnd } from './exit-hooks.ts';

const run = promisify(execFile);

/** A certificate for localhost and 127.0.0.1, its key, and the folder holding both. */
export interface SelfSignedCert {
  dir: string;
  certPath: string;
  keyPath: string;
  /** The certificate (PEM), which clients trust to verify the server. */
  certPem: string;
  /** Removes the folder. */
  remove(): Promise<void>;
}

/** Makes a P-256 self-signed certificate valid one day, for DNS:localhost and IP:127.0.0.1. */
export async function makeSelfSignedCert(): Promise<SelfSignedCert> {
  const dir = await mkdtemp(join(tmpdir(), 'gauntlet-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ]);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'openssl is not installed' : (err as Error).message;
    throw new Error(`could not make a TLS certificate for --tls: ${reason}`, { cause: err });
  }
  const certPem = await readFile(certPath, 'utf8');
  return { dir, certPath, keyPath, certPem, remove: () => rm(dir, { recursive: true, force: true }) };
}

let runCert: Promise<SelfSignedCert> | null = null;

/** The run's certificate, made on the first call; its folder goes when the process ends. */
export function runCertificate(): Promise<SelfSignedCert> {
  runCert ??= makeSelfSignedCert().then(
    (cert) => {
      onProcessEnd(() => rmSync(cert.dir, { recursive: true, force: true }));
      return cert;
    },
    (err: unknown) => {
      // A failure is not kept: a later start may find openssl working.
      runCert = null;
      throw err;
    },
  );
  return runCert;
}
