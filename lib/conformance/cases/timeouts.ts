/**
 * The group timeouts: a request that never finishes arriving, or a connection left idle, is ended by
 * the server in time (408 or a close) rather than held forever.
 */
import type { CaseDefinition } from '../types.ts';
import {
  ANY_STATUS,
  CLOSE,
  OK,
  bodyCase,
  bodyEqualsFile,
  closesConnection,
  all,
  get,
  one,
  parts,
  status,
} from './helpers.ts';
import { attachPeers } from '../peers/attach.ts';

/**
 * Conformance starts every server with GAUNTLET_HEADER_TIMEOUT_MS=1000 and
 * GAUNTLET_IDLE_TIMEOUT_MS=1000, so a server honouring its configuration acts within about a
 * second; the cases wait three.
 */
const WAIT_MS = 3000;

const SLOWLORIS =
  'No RFC sentence obliges a server to time out a slow client, but one that never does can be held by a few hundred idle connections (slowloris). RFC 9110 §15.5.9: "The 408 (Request Timeout) status code indicates that the server did not receive a complete request message within the time that it was prepared to wait." RFC 9112 §9.5: "A client, server, or proxy MAY close the transport connection at any time." and "A client or server that wishes to time out SHOULD issue a graceful close on the connection." RFC 9110 §17.5 names the attack: "parsers are often vulnerable to attacks based on sending very long (or very slow) streams of data". The SHOULD quoted is the one these cases rest on: a server that times out does it with a close the client can see; one that never does only warns, since timing out at all is its choice. The servers under test are started with a 1 s header timeout.';

export const cases: CaseDefinition[] = [
  {
    id: 'timeouts-partial-request-line',
    name: 'A connection that sends part of a request line and then nothing is closed (408 allowed)',
    rfc: 'RFC 9110 §15.5.9; RFC 9112 §9.5',
    level: 'SHOULD',
    request: one('GET /hello.txt HTT'),
    accept: [status(408), status(400), CLOSE],
    timeoutMs: WAIT_MS,
    notes: SLOWLORIS,
  },
  {
    id: 'timeouts-partial-head',
    name: 'A connection that sends a request line and some fields and then nothing is closed (408 allowed)',
    rfc: 'RFC 9110 §15.5.9; RFC 9112 §9.5',
    level: 'SHOULD',
    request: one('GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nX-Gauntlet: 1\r\n'),
    accept: [status(408), status(400), CLOSE],
    timeoutMs: WAIT_MS,
    notes: SLOWLORIS,
  },
  {
    id: 'timeouts-408-after-request-line',
    name: 'A request whose head stalls after the request line is answered 408 before the close',
    rfc: 'RFC 9110 §15.5.9',
    level: 'informational',
    request: one('GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n'),
    accept: [status(408)],
    timeoutMs: WAIT_MS,
    notes:
      'RFC 9110 §15.5.9: "The 408 (Request Timeout) status code indicates that the server did not receive a complete request message within the time that it was prepared to wait."' +
      ' ' +
      'Sending 408 tells a client that its request was not processed and may be retried; closing silently is also allowed, so this is reported only.',
  },
  bodyCase(
    {
      id: 'timeouts-stalled-body',
      name: 'A request whose body stops arriving is closed (408 allowed), never answered as complete',
      rfc: 'RFC 9112 §6.3; RFC 9110 §15.5.9',
      level: 'SHOULD',
      request: one('POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nonly twenty-five bytes..'),
      accept: [status(408), status(400), status(413), CLOSE],
      timeoutMs: WAIT_MS,
      notes: `RFC 9112 §6.3: "If the sender closes the connection or the recipient times out before the indicated number of octets are received, the recipient MUST consider the message to be incomplete and close the connection." ${SLOWLORIS}`,
    },
    { accept: [ANY_STATUS, CLOSE], check: closesConnection },
  ),
  {
    id: 'timeouts-dripped-head',
    name: 'A head dripped one byte every 150 ms is cut off by a deadline for the whole head, not one per read',
    rfc: 'RFC 9112 §9.5',
    level: 'informational',
    request: parts([...'GET /hello.txt HTTP/1.1\r\nHost:'], 150),
    accept: [status(408), status(400), CLOSE],
    timeoutMs: WAIT_MS,
    check: ({ exchange }) => {
      const at = exchange.closeAfterMs;
      return at !== null && at < 3000
        ? null
        : `the server kept the connection for ${at === null ? 'the whole drip' : `${Math.round(at)} ms`}: each byte restarted its timer`;
    },
    notes:
      'RFC 9112 §9.5: "A client or server that wishes to time out SHOULD issue a graceful close on the connection." Whether a server times out at all is its choice, so this is reported only.' +
      ' ' +
      'A per-read timer never fires on a client that sends one byte just before it would; a deadline for the whole head does. The 30 bytes take 4.5 s to drip; a server with a 1 s header deadline closes long before.',
  },
  {
    id: 'timeouts-idle-keepalive-closed',
    name: 'An idle keep-alive connection is closed by the server after its idle timeout',
    rfc: 'RFC 9112 §9.5',
    level: 'informational',
    request: one(get('/hello.txt')),
    accept: OK,
    check: all(bodyEqualsFile('hello.txt'), closesConnection),
    timeoutMs: WAIT_MS,
    notes:
      'RFC 9112 §9.5: "Servers will usually have some timeout value beyond which they will no longer maintain an inactive connection." and "The use of persistent connections places no requirements on the length (or existence) of this timeout for either the client or the server." Hence informational.',
  },
  {
    id: 'timeouts-idle-before-first-request',
    name: 'A connection that sends only an empty line and then nothing is closed',
    rfc: 'RFC 9112 §9.5',
    level: 'informational',
    request: one('\r\n'),
    accept: [CLOSE, status(408), status(400)],
    timeoutMs: WAIT_MS,
    notes:
      'RFC 9112 §9.5: "A client or server that wishes to time out SHOULD issue a graceful close on the connection." Whether a server times out at all is its choice, so this is reported only.' +
      ' ' +
      'An empty line before a request is ignored (RFC 9112 §2.2), so this is an idle connection that never starts a request.',
  },
];

/** Http11Probe tests of the same requirements, with equivalent bytes (docs/conformance.md, coverage). */
attachPeers(cases, {
  'timeouts-partial-head': ['MAL-INCOMPLETE-REQUEST'],
});
