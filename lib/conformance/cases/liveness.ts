/**
 * The group liveness: the server still answers after hostile input, so one bad request cannot take it
 * down for everyone.
 */
import type { CaseDefinition } from '../types.ts';
import {
  CLIENT_ERROR,
  CLOSE,
  HTTP2_FRAME,
  SUCCESS,
  TIMEOUT,
  bodyEqualsFile,
  filler,
  get,
  noise,
  one,
  status,
  statusRange,
  whenStatus,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

const SURVIVE =
  'No RFC sentence says "do not crash", so the level is security, not MUST; but a server that stops answering fails every other requirement for every other client. RFC 9112 §2.2: on octets that do not match the grammar "the server SHOULD respond with a 400 (Bad Request) response and close the connection." Afterwards a fresh connection must still get 200 for GET /. RFC 9110 §17.5: "Because HTTP uses mostly textual, character-delimited fields, parsers are often vulnerable to attacks based on sending very long (or very slow) streams of data, particularly where an implementation is expecting a protocol element with no predefined length."';

/** Any refusal, a close, or waiting for more: what matters is what the next client gets. */
const ANY_REFUSAL = [statusRange(400, 599), CLOSE, TIMEOUT];

/** A TLS 1.2 ClientHello record, as a browser sends it first on an https:// URL pointed at an http port. */
function clientHello(): Uint8Array {
  const random = noise(32, 0x1234567);
  const ciphers = [0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0xff];
  const sni = Buffer.from('localhost', 'latin1');
  const sniExt = [0x00, 0x00, 0x00, sni.length + 5, 0x00, sni.length + 3, 0x00, 0x00, sni.length, ...sni];
  const body = [
    0x03,
    0x03,
    ...random,
    0x00,
    0x00,
    ciphers.length,
    ...ciphers,
    0x01,
    0x00,
    0x00,
    sniExt.length,
    ...sniExt,
  ];
  const handshake = [0x01, 0x00, (body.length >> 8) & 0xff, body.length & 0xff, ...body];
  return Uint8Array.from([0x16, 0x03, 0x01, (handshake.length >> 8) & 0xff, handshake.length & 0xff, ...handshake]);
}

function survives(
  id: string,
  name: string,
  data: string | Uint8Array,
  why: string,
  timeoutMs = 3000,
  accept = ANY_REFUSAL,
): CaseDefinition {
  return {
    id: `liveness-${id}`,
    name,
    rfc: 'RFC 9112 §2.2; RFC 9110 §17.5',
    level: 'security',
    request: one(data),
    accept,
    thenAlive: true,
    timeoutMs,
    notes: `${why} ${SURVIVE}`,
  };
}

export const cases: CaseDefinition[] = [
  survives(
    'random-bytes',
    '4 KiB of random bytes are refused (an error status, a close or no answer) and the server keeps serving',
    noise(4096),
    'Fixed-seed noise, so a crash replays exactly.',
  ),
  survives(
    'tls-client-hello',
    'A TLS ClientHello on the plain-HTTP port is refused (an error status, a close or no answer) and the server keeps serving',
    clientHello(),
    'What a browser sends when someone types https:// for an http:// port.',
  ),
  survives(
    'http2-preface',
    'The HTTP/2 connection preface is refused (an error status, a close or no answer) or answered with HTTP/2 frames, and the server keeps serving',
    'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00',
    'RFC 9113 §3.4 prior-knowledge clients open with this preface and a SETTINGS frame. An HTTP/1.1-only server answers 505 or 400 or closes; a server that also speaks HTTP/2 answers with its own SETTINGS (or a GOAWAY), as RFC 9113 §3.4 asks: "The server connection preface consists of a potentially empty SETTINGS frame (Section 6.5) that MUST be the first frame the server sends in the HTTP/2 connection."',
    3000,
    [...ANY_REFUSAL, HTTP2_FRAME],
  ),
  survives(
    'garbage-1mb',
    '1 MiB of printable garbage without a line end is refused (an error status, a close or no answer) and the server keeps serving',
    filler(1024 * 1024, 'X7#q'),
    'A server that buffers until CRLF grows without bound.',
  ),
  survives(
    'nul-bytes',
    '64 KiB of NUL bytes are refused (an error status, a close or no answer) and the server keeps serving',
    new Uint8Array(64 * 1024),
    'C string handling stops at the first byte.',
  ),
  survives(
    'empty-lines',
    '100 000 empty lines are refused (an error status, a close or no answer) and the server keeps serving',
    '\r\n'.repeat(100_000),
    'RFC 9112 §2.2 asks a server to skip "at least one" empty line before a request; skipping without bound is a loop a client controls.',
  ),
  survives(
    'high-bytes',
    '8 KiB of 0xFF are refused (an error status, a close or no answer) and the server keeps serving',
    new Uint8Array(8192).fill(0xff),
    'Sign-extension bugs in parsers that use signed chars.',
  ),
  {
    id: 'liveness-huge-header-count',
    name: '100 000 one-byte-named fields are processed or refused with a 4xx, and the server keeps serving',
    rfc: 'RFC 9110 §5.4',
    level: 'MUST',
    request: one(`GET / HTTP/1.1\r\nHost: localhost\r\n${'a: b\r\n'.repeat(100_000)}\r\n`),
    accept: [SUCCESS, CLIENT_ERROR],
    thenAlive: true,
    timeoutMs: 3000,
    notes:
      'Per-field allocations add up. RFC 9110 §5.4: "A server that receives a request header field line, field value, or set of fields larger than it wishes to process MUST respond with an appropriate 4xx (Client Error) status code." A close without a response, or a 5xx, is not that 4xx.',
  },
  {
    id: 'liveness-valid-then-garbage',
    name: 'A valid request followed by garbage in the same write is answered (200) or refused (400 or a close), and the server keeps serving',
    rfc: 'RFC 9112 §2.2; RFC 9110 §17.5',
    level: 'security',
    request: one(get('/hello.txt') + '\x00\xff\x01garbage\r\n\r\n'),
    accept: [status(200), status(400), CLOSE],
    check: whenStatus(200, 200, bodyEqualsFile('hello.txt')),
    thenAlive: true,
    notes: `Answering the valid request first is friendlier, but a server that refuses the whole stream with 400 once it sees the garbage is within RFC 9112 §2.2. ${SURVIVE}`,
  },
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'liveness-random-bytes': ['MAL-BINARY-GARBAGE'],
  'liveness-huge-header-count': ['MAL-MANY-HEADERS'],
  'liveness-http2-preface': ['MAL-H2-PREFACE'],
});
