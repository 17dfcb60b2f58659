/**
 * The yardstick: the most trivial HTTP/1.x server worth the name, measured next to the servers
 * under test so that their figures can be expressed relative to it. A machine twice as slow
 * makes both twice as slow, and the ratio stays put; a server that got slower moves the ratio.
 *
 * It answers every request with the same few bytes from memory, never touches the disk, and
 * keeps a connection open when the request asks for it (HTTP/1.1, or HTTP/1.0 with
 * "Connection: keep-alive"), so that it serves both load modes.
 *
 * Usage: node --import tsx yardstick-server.ts <port>
 */
import net from 'node:net';

const BODY = 'yardstick\n';

function response(keepAlive: boolean): Buffer {
  return Buffer.from(
    'HTTP/1.1 200 OK\r\nServer: gauntlet-yardstick\r\nContent-Type: text/plain\r\n' +
      `Content-Length: ${BODY.length}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n${BODY}`,
    'latin1',
  );
}

const KEEP = response(true);
const CLOSE = response(false);
const HEADER_END = '\r\n\r\n';
const MAX_HEADER = 16 * 1024;

function wantsKeepAlive(head: string): boolean {
  const requestLine = head.split('\r\n', 1)[0] ?? '';
  const http11 = / HTTP\/1\.1$/.test(requestLine);
  const connection = /\r\nconnection:[ \t]*([^\r\n]*)/i.exec(head)?.[1]?.toLowerCase() ?? '';
  if (connection.includes('close')) return false;
  return http11 || connection.includes('keep-alive');
}

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write('usage: yardstick-server.ts <port>\n');
  process.exit(2);
}

const server = net.createServer({ noDelay: true }, (socket) => {
  let buffered = '';
  let closing = false;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    if (closing) return;
    buffered += chunk;
    for (;;) {
      const end = buffered.indexOf(HEADER_END);
      if (end < 0) break;
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + HEADER_END.length);
      if (wantsKeepAlive(head)) {
        socket.write(KEEP);
      } else {
        closing = true;
        socket.end(CLOSE);
        return;
      }
    }
    if (buffered.length > MAX_HEADER) socket.destroy();
  });
  socket.on('error', () => {
    // A reset by the client is its business.
  });
});

server.listen({ port, host: process.env.GAUNTLET_HOST || '127.0.0.1', backlog: 1024 }, () => {
  process.stdout.write(`yardstick listening on port ${(server.address() as net.AddressInfo).port}\n`);
});

const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
