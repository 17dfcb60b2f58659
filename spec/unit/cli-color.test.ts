/**
 * Colour is one decision (lib/cli/color.ts): NO_COLOR set and not empty turns it off even on a
 * terminal, and then no escape code at all reaches stdout or stderr (progress writes plain lines
 * instead of rewriting one); FORCE_COLOR turns it on even when piped (FORCE_COLOR=0 off); otherwise a terminal only.
 * bench, check and gate run in process against a tiny server, stdout and stderr made to look
 * like terminals (or not) for the run.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { rewritesLines, useColor } from '../../lib/cli/color.ts';
import { runInProcess, type InProcessRun } from './helpers/cli-in-process.ts';

const TINY = join(PROJECT_ROOT, 'fixtures', 'launch', 'tiny_server.py');
const SRV = `srv:threaded:python=python3 -u ${TINY} {port}`;
const ESC = '\u001b';

const dir = mkdtempSync(join(tmpdir(), 'gauntlet-color-'));
const gateConfig = join(dir, 'gate.json');
writeFileSync(gateConfig, JSON.stringify({ claims: ['failed == 0'], baseline: false }));

/** The three commands, each as small as it gets: one tiny server, one cell or one group. */
const COMMANDS: Record<'bench' | 'check' | 'gate', (out: string) => string[]> = {
  bench: (out) => ['bench', '--server', SRV, '--matrix', '20:1', '--rounds', '1', '--no-check', '--out', out],
  check: (out) => ['check', '--server', SRV, '--properties', 'none', '--group', 'host', '--out', out],
  gate: (out) => [
    'gate',
    ...['--config', gateConfig, '--server', SRV, '--matrix', '20:1', '--max-time', '1', '--warmup', '0'],
    ...['--no-pin', '--out', out],
  ],
};

/** Makes process.stdout and process.stderr terminals or not until the test ends. */
function terminals(isTTY: boolean): void {
  for (const stream of [process.stdout, process.stderr]) {
    const before = Object.getOwnPropertyDescriptor(stream, 'isTTY');
    Object.defineProperty(stream, 'isTTY', { value: isTTY, configurable: true, writable: true });
    restores.push(() => {
      if (before) Object.defineProperty(stream, 'isTTY', before);
      else delete (stream as { isTTY?: boolean }).isTTY;
    });
  }
}
const restores: Array<() => void> = [];

afterEach(() => {
  for (const restore of restores.splice(0)) restore();
  vi.unstubAllEnvs();
});

async function runCommand(command: keyof typeof COMMANDS): Promise<InProcessRun> {
  const run = await runInProcess(COMMANDS[command](join(dir, `${command}-${Math.random().toString(36).slice(2)}`)));
  // check's tiny server misses some requirements (exit 1); what matters here is that it ran.
  expect([0, 1], run.stderr).toContain(run.code);
  return run;
}

describe('the colour decision', () => {
  const rows: Array<[string, Record<string, string>, boolean, boolean, boolean]> = [
    // name, environment, isTTY, colour, line rewriting
    ['a terminal', {}, true, true, true],
    ['a pipe', {}, false, false, false],
    ['NO_COLOR on a terminal', { NO_COLOR: '1' }, true, false, false],
    ['an empty NO_COLOR', { NO_COLOR: '' }, true, true, true],
    ['FORCE_COLOR on a pipe', { FORCE_COLOR: '1' }, false, true, false],
    ['an empty FORCE_COLOR', { FORCE_COLOR: '' }, false, true, false],
    ['FORCE_COLOR=0 on a terminal', { FORCE_COLOR: '0' }, true, false, true],
    ['FORCE_COLOR=0 on a pipe', { FORCE_COLOR: '0' }, false, false, false],
    ['NO_COLOR and FORCE_COLOR', { NO_COLOR: '1', FORCE_COLOR: '1' }, true, false, false],
  ];
  it.each(rows)('%s', (_name, env, isTTY, color, rewrites) => {
    expect(useColor({ isTTY }, env)).toBe(color);
    expect(rewritesLines({ isTTY }, env)).toBe(rewrites);
  });
});

describe('NO_COLOR on a terminal: no escape code in stdout or stderr', () => {
  it.each(['bench', 'check', 'gate'] as const)('%s', async (command) => {
    vi.stubEnv('NO_COLOR', '1');
    vi.stubEnv('FORCE_COLOR', undefined);
    terminals(true);
    const run = await runCommand(command);
    expect(run.stdout.length).toBeGreaterThan(0);
    expect(run.stdout.includes(ESC), run.stdout).toBe(false);
    expect(run.stderr.includes(ESC), run.stderr).toBe(false);
  });

  it('the same bench on a terminal without NO_COLOR is coloured (the terminal is taken for one)', async () => {
    vi.stubEnv('NO_COLOR', undefined);
    vi.stubEnv('FORCE_COLOR', undefined);
    terminals(true);
    const run = await runCommand('bench');
    expect(run.stdout).toContain(ESC);
  });
});

describe('FORCE_COLOR on a pipe: coloured tables, progress in plain lines', () => {
  it.each(['bench', 'check', 'gate'] as const)('%s', async (command) => {
    vi.stubEnv('NO_COLOR', undefined);
    vi.stubEnv('FORCE_COLOR', '1');
    terminals(false);
    const run = await runCommand(command);
    expect(run.stdout).toContain(ESC);
    expect(run.stderr).not.toContain('\r');
  });
});
