/**
 * Headless Chromium (Debian's `chromium` package) driven from its command line: the DOM as
 * the browser parsed it (--dump-dom) and a screenshot (--screenshot). Every run gets a fresh
 * profile folder and no network features, so a run depends only on the page it is given.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

const BASE_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
];

async function run(args: string[], timeoutMs: number): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'gauntlet-chromium-'));
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(
        CHROMIUM,
        [...BASE_FLAGS, `--user-data-dir=${profile}`, ...args],
        { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr.slice(-2000)}`));
          else resolve(stdout);
        },
      );
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** The page's DOM after Chromium has parsed and laid it out, serialised. */
export function dumpDom(file: string, timeoutMs = 60_000): Promise<string> {
  return run(['--dump-dom', pathToFileURL(file).href], timeoutMs);
}

/** A PNG of the page's first `height` pixels at the given width. */
export async function screenshot(
  file: string,
  png: string,
  width: number,
  height: number,
  timeoutMs = 60_000,
): Promise<void> {
  await run([`--screenshot=${png}`, `--window-size=${width},${height}`, pathToFileURL(file).href], timeoutMs);
}
