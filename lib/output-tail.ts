/**
 * Keeps the last `limit` bytes of a stream (a server's stdout or stderr): enough to explain
 * why it failed, without letting a chatty server grow the harness's memory.
 */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = 64 * 1024) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  /** The kept text, cut to the last `limit` bytes. */
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

/** What a running server has written, as its launcher keeps it. */
export interface ServerOutput {
  stderr(): string;
  stdout(): string;
}

/**
 * The last `lines` lines a server wrote (stderr, else stdout), trimmed; '' when it wrote nothing.
 * Error messages put it after a newline: `${message}${tail ? `\n${tail}` : ''}`.
 */
export function lastLines(server: ServerOutput, lines = 8): string {
  return (server.stderr().trim() || server.stdout().trim()).split('\n').slice(-lines).join('\n');
}
