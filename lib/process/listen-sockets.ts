/**
 * The listening TCP sockets of this machine's network namespace, from /proc/net/tcp and
 * /proc/net/tcp6, and which of them answers a connection to a given address and port.
 *
 * An answer on a port says that some program listens there, not which one. The socket's inode
 * (last-but-one column of /proc/net/tcp) is what ties it to a process: every process holding it
 * has a /proc/<pid>/fd entry that links to `socket:[INODE]` (lib/process/socket-holders.ts).
 *
 * Format: one line per socket; local_address is the address in hex, as the kernel stores it
 * (IPv4: one 32-bit word in host byte order; IPv6: four such words), a colon, and the port in
 * hex; st 0A is LISTEN.
 *
 * The kernel lists the listening sockets first (its listening hash, then the established one),
 * and a machine that has just run load tests has tens of thousands of TIME_WAIT lines after
 * them: reading the whole file took over a second here. So only the head of the file is read,
 * up to the first line of another state (SYN_RECV, 03, is skipped: kernels before 4.4 listed
 * it among its listener).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';

export interface ListeningSocket {
  family: 4 | 6;
  /** The bound address, "127.0.0.1", "0.0.0.0", "::", "::ffff:127.0.0.1", ... */
  address: string;
  port: number;
  inode: number;
  /** The user the socket was created by. */
  uid: number;
}

const LISTEN = '0A';

/** One 32-bit word of /proc/net/tcp's address, as its four bytes in network order. */
function wordBytes(hex: string, littleEndian: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return littleEndian ? bytes.reverse() : bytes;
}

/** The textual address of a /proc/net/tcp hex address (8 hex digits for IPv4, 32 for IPv6). */
export function decodeAddress(hex: string, littleEndian = endianness() === 'LE'): string {
  if (hex.length === 8) return wordBytes(hex, littleEndian).join('.');
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8), littleEndian));
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  const full = groups.join(':');
  // Shorten the longest run of zero groups, enough for "::" and "::1".
  const m = /(^|:)0(:0)+(:|$)/.exec(full);
  return m ? `${full.slice(0, m.index)}::${full.slice(m.index + m[0].length)}` : full;
}

/** The listening sockets of one /proc/net/tcp or /proc/net/tcp6 text. */
export function parseProcNetTcp(text: string, family: 4 | 6, littleEndian = endianness() === 'LE'): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== LISTEN) continue;
    const [addrHex, portHex] = (f[1] ?? '').split(':');
    if (!addrHex || !portHex) continue;
    out.push({
      family,
      address: decodeAddress(addrHex, littleEndian),
      port: parseInt(portHex, 16),
      uid: Number(f[7]),
      inode: Number(f[9]),
    });
  }
  return out;
}

const SYN_RECV = '03';

/**
 * The listening part of a /proc/net/tcp file: its header and the lines up to the first socket
 * in another state, read in chunks so that the rest of the file is never generated.
 */
export function readListeningHead(file: string, chunkBytes = 8 * 1024): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(chunkBytes);
    let text = '';
    let checked = 0; // lines of `text` already known to be listeners (or the header)
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) return text;
      text += buf.toString('latin1', 0, n);
      const lines = text.split('\n');
      // The last piece may be a partial line: only whole lines are judged.
      for (let i = checked; i < lines.length - 1; i++) {
        const state = lines[i]!.trim().split(/\s+/)[3];
        if (i > 0 && state !== LISTEN && state !== SYN_RECV) return lines.slice(0, i).join('\n');
        checked = i + 1;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Every listening TCP socket of this machine, or null where /proc/net/tcp cannot be read (not Linux). */
export function listeningSockets(): ListeningSocket[] | null {
  const out: ListeningSocket[] = [];
  let readAny = false;
  for (const [file, family] of [
    ['/proc/net/tcp', 4],
    ['/proc/net/tcp6', 6],
  ] as const) {
    try {
      out.push(...parseProcNetTcp(readListeningHead(file), family));
      readAny = true;
    } catch {
      /* no IPv6, or no /proc */
    }
  }
  return readAny ? out : null;
}

/** Every listening TCP socket on `port`, or null where /proc/net/tcp cannot be read (not Linux). */
export function listeningSocketsOn(port: number): ListeningSocket[] | null {
  return listeningSockets()?.filter((s) => s.port === port) ?? null;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Whether a connection to `host` reaches a socket bound to `address`: that very address, or a wildcard. */
export function reachableAt(socket: ListeningSocket, host: string): boolean {
  if (socket.address === host || socket.address === `::ffff:${host}`) return true;
  // An IPv6 wildcard takes IPv4 connections too unless IPV6_V6ONLY is set, which /proc does not show.
  return WILDCARDS.has(socket.address) && (socket.family === 6 || !host.includes(':'));
}

/**
 * The sockets that take a connection to host:port: those bound to that very address (an IPv4
 * address also as IPv4-mapped IPv6) if any, otherwise those bound to a wildcard address. The
 * kernel prefers the more specific binding, so a wildcard listener behind an exact one never
 * sees the connection. Several sockets share the work (SO_REUSEPORT) when several are returned.
 */
export function socketsServing(sockets: readonly ListeningSocket[], host: string, port: number): ListeningSocket[] {
  const onPort = sockets.filter((s) => s.port === port);
  const exact = onPort.filter((s) => s.address === host || s.address === `::ffff:${host}`);
  if (exact.length > 0) return exact;
  return onPort.filter((s) => reachableAt(s, host));
}
