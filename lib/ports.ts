/** Free ports for the servers under test: each run gets its own, so that runs never collide. */
import { createServer } from 'node:net';

/**
 * Asks the kernel for a free ephemeral port on `host` and releases it at once.
 * Another process could take it before the server binds it; the launcher retries on
 * "address in use" for that reason.
 */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolvePort(port) : reject(new Error('the kernel gave no port'))));
    });
  });
}
