/**
 * Readiness under --runtime container checks who owns the port: with the host's network any
 * program of the host could answer on it, so the listening socket must be held by the
 * container's main process (a host pid) or one of its descendants. A container that does not
 * listen while another program holds its port fails to start, naming that program, and leaves
 * nothing of its own running, and the other program untouched.
 */
import { describe, it, expect, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadServer } from '../../lib/manifest.ts';
import { launchServer } from '../../lib/runtime.ts';
import { LaunchError } from '../../lib/launcher.ts';
import { containerClient } from '../../lib/container/engine.ts';
import { containerProcesses } from '../../lib/container/launch-container.ts';
import { getFreePort } from '../../lib/ports.ts';
import { checkPortOwnership } from '../../lib/process/port-ownership.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { engine, skippedTitle } from './engine.ts';

if (!engine.available) {
  it.skip(skippedTitle, () => {});
} else {
  describe('container readiness: whose socket answers', () => {
    it('takes a container whose own process listens', async () => {
      const server = await launchServer(await loadServer('python-async'), { runtime: 'container' });
      onTestFinished(() => server.stop().then(() => undefined));
      expect(containerProcesses(server.pid)).toContain(server.pid);
      const owner = checkPortOwnership(server.host, server.port, () => containerProcesses(server.pid));
      expect(owner).toMatchObject({ verdict: 'ours', escaped: [] });
      expect((await fetch(`${server.url}/`)).status).toBeLessThan(500);
    });

    it('fails a container that does not listen while another program answers on its port, naming that program', async () => {
      const port = await getFreePort();
      const tiny = join(PROJECT_ROOT, 'fixtures', 'launch', 'tiny_server.py');
      const other = spawn('python3', ['-u', tiny, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
      onTestFinished(() => void other.kill('SIGKILL'));
      await new Promise<void>((r) => other.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && r()));
      const base = await loadServer('python-async');
      const quiet = {
        ...base,
        name: 'quiet',
        container: { ...base.container!, command: ['python3', '-c', 'import time; time.sleep(60)'] },
      };
      const err = await launchServer(quiet, {
        runtime: 'container',
        port,
        readyTimeoutMs: 60_000,
        graceMs: 1_000,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LaunchError);
      expect((err as LaunchError).message).toMatch(
        new RegExp(
          `^server "quiet" did not start: port ${port} answers, but the listening socket belongs to pid ${other.pid} \\(\\S*python3\\S* -u \\S*tiny_server\\.py ${port}\\), ` +
            `not to server "quiet" \\(container [0-9a-f]{12}, pid \\d+\\): another program has the port`,
        ),
      );
      // Its container is gone; the other program is not the launcher's to stop.
      const d = (await containerClient()).container.dockerode;
      expect(await d.listContainers({ all: true, filters: { label: ['gauntlet.server=quiet'] } })).toEqual([]);
      expect(other.exitCode).toBeNull();
    });
  });
}
