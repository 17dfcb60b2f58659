/**
 * The facts about this machine and this checkout that a run records (lib/envelope.ts): figures
 * measured elsewhere, or by another version, are not comparable without them.
 */
import { cpus, hostname, platform, release, arch, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo } from './types.ts';
import { PROJECT_ROOT } from './paths.ts';

function pythonVersion(): string | null {
  try {
    return execFileSync('python3', ['--version'], { encoding: 'utf8', timeout: 5_000 })
      .trim()
      .replace(/^Python /, '');
  } catch {
    return null;
  }
}

export function gauntletVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** What the figures of a run were measured on: they mean little without it. */
export function machineInfo(): MachineInfo {
  const cpu = cpus();
  return {
    hostname: hostname(),
    platform: platform(),
    release: release(),
    arch: arch(),
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryBytes: totalmem(),
    node: process.version,
    python: pythonVersion(),
    gauntlet: gauntletVersion(),
  };
}
