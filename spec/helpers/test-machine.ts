/** A machine description for run records built by hand in tests (the values are never read). */
import type { MachineInfo } from '../../lib/envelope.ts';

export const TEST_MACHINE: MachineInfo = {
  hostname: 'test',
  platform: 'linux',
  release: '6.1.0',
  arch: 'x64',
  cpuModel: 'test cpu',
  cores: 2,
  memoryBytes: 24 * 1024 ** 3,
  node: 'v20.0.0',
  python: null,
  gauntlet: '0.0.0',
};
