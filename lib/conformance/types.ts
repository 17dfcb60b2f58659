/**
 * Conformance cases as data, in the manner of http-tests/cache-tests: a stable id, a name that
 * states the requirement, the RFC section, a level, the raw request, and the accepted outcomes.
 */
import type { RunEnvelope } from '../envelope.ts';
import type { RuntimeInfo } from '../types.ts';
import type { CheckShardRecord, MergedRecord } from '../shard/record.ts';

/**
 * MUST misses fail, SHOULD misses warn, informational cases never fail a server. `security` is
 * for a requirement the RFC states without a keyword (RFC 9110 §17, security considerations):
 * missing it fails a run as a MUST does, without claiming the RFC says MUST.
 */
export type Level = 'MUST' | 'SHOULD' | 'security' | 'informational';

/**
 * The group a case is filed under: the name of its case file, kebab-case (`framing.ts` holds the
 * group `framing`). The loader derives it and checks it, so a new group is one new file.
 */
export type CaseGroup = string;

/** One section a case cites, parsed from its `rfc`: "RFC 9112 §6.1" is { rfc: 9112, section: '6.1' }. */
export interface RfcSection {
  rfc: number;
  /** "6.1", or an appendix such as "C.2.2". */
  section: string;
}

/**
 * One write on the wire. A string is sent as latin1, so every char is one byte (use \x00-\xff).
 * `delayMs` is waited before this part is written: fragmentation is part of a case.
 */
export interface RequestPart {
  data: string | Uint8Array;
  delayMs?: number;
}

/** One accepted outcome for a response slot. */
export type Outcome =
  /** A response whose status is in [min, max]. */
  | { kind: 'status'; min: number; max: number }
  /** The server closed (or reset) the connection without a response in this slot. */
  | { kind: 'close' }
  /** Nothing arrived and the connection stayed open until the case's time limit. */
  | { kind: 'timeout' }
  /**
   * The answer began with an HTTP/2 SETTINGS or GOAWAY frame: what a server that also speaks
   * HTTP/2 with prior knowledge (RFC 9113 §3.3) sends after the HTTP/2 connection preface.
   */
  | { kind: 'http2-frame' };

/**
 * Features a server may not offer. A case that `needs` one is skipped for servers without it; a
 * case that `wants` one runs everywhere and is held to more with it (its check reads
 * `CheckContext.capabilities`).
 */
export type Capability =
  /** POST /echo answers the request body. */
  'echo';

/** A response as the raw client parsed it from the bytes received. */
export interface ParsedResponse {
  version: string;
  status: number;
  reason: string;
  /** Header fields in order, names as sent. */
  headers: Array<[string, string]>;
  body: Uint8Array;
  /** How the body was delimited. */
  framing: 'content-length' | 'chunked' | 'close' | 'none';
  /** Offsets of this response in the received bytes. */
  start: number;
  end: number;
  /**
   * The bytes stopped before this response did: its head arrived, but the connection ended
   * (or the client stopped waiting) before the last body byte, or the chunked body broke
   * off at a line that is not chunked syntax. `body` holds what arrived.
   */
  incomplete?: boolean;
  /**
   * The client kept only the start of this response (the server sent more than the client
   * keeps): `body` is what was kept, and the response is `incomplete` as far as the bytes go.
   */
  truncated?: boolean;
}

/** One write or one read, for the timings of a wire log. */
export interface WireEvent {
  /** ms since the first write (negative never; 0 for the first write). */
  atMs: number;
  direction: 'sent' | 'received';
  /** Where these bytes are in `Exchange.sent` or `Exchange.received`. */
  offset: number;
  length: number;
}

/** Everything observed in one exchange: what the wire log of a non-pass shows. */
export interface Exchange {
  sent: Uint8Array;
  received: Uint8Array;
  /** Final responses in order (1xx interim responses are in `interim`). */
  responses: ParsedResponse[];
  interim: ParsedResponse[];
  /** Bytes received after the last complete response that do not parse as one. */
  trailingGarbage: number;
  /**
   * Who ended the connection: the server (FIN or reset), the client after its silence limit,
   * the client after the expected responses, or the client at one of its limits (`limit` says
   * which: the exchange's deadline, or a response head too large).
   */
  closedBy: 'server' | 'client-timeout' | 'client' | 'client-limit';
  /** The server reset the connection (ECONNRESET / EPIPE). Counts as closed. */
  reset: boolean;
  /** ms from the first write to the server's close, or null when the client closed. */
  closeAfterMs: number | null;
  /** A problem of the harness itself (no local port or file descriptor left, ...): never the server's fault. */
  harnessError?: string;
  /**
   * The connection could not be made, for a reason on the server's side: refused (nobody
   * listening, or a full accept queue), reset, or not accepted within the time limit. Nothing
   * was sent. A verdict about the server, not a harness error.
   */
  connectFailure?: string;
  /** The client stopped at one of its limits (`closedBy: 'client-limit'`): which, and a sentence saying so. */
  limit?: ExchangeLimit;
  /**
   * The server sent more than the client keeps: `received` holds the first `keptBytes`, and
   * `receivedBytes` counts every byte that arrived.
   */
  truncated?: { keptBytes: number; receivedBytes: number };
  /** Every write and read in order, with its time: the timings of the wire log. */
  timeline?: WireEvent[];
  /** Request bytes never written because the server had closed the connection first. */
  unsent?: number;
  /** Host and port the exchange was with (for a replay command). */
  peer?: { host: string; port: number };
}

/** A limit of the client that ended an exchange before the server did. */
export interface ExchangeLimit {
  kind: 'deadline' | 'head-size';
  /** "the response had not ended after 5000 ms, the exchange's deadline" */
  message: string;
}

/** What a case's own check sees. */
export interface CheckContext {
  exchange: Exchange;
  /** The document root the server was started with (to compare served bytes with files). */
  root: string;
  /**
   * What the server offers, declared by its manifest or found by the check's probe: a case that
   * `wants` echo compares the echoed bytes only when `echo` is here. Absent: none.
   */
  capabilities?: readonly string[];
}

/** A case as its case file writes it: the file it is in gives its group. */
export interface CaseDefinition {
  /** Stable kebab-case id: reports and the broken-server tests refer to cases by it. */
  id: string;
  /** The requirement, stated as one sentence ("A request with two different Content-Length values is rejected"). */
  name: string;
  /**
   * Where the requirement is written, as shown: "RFC 9112 §6.3", several joined by "; ", or an
   * appendix ("RFC 9112 Appendix C.2.2"). The loader parses it into sections.
   */
  rfc: string;
  level: Level;
  /** The request bytes; several parts are written separately (with their delays). */
  request: RequestPart[];
  /**
   * Accepted outcomes of the first response slot. "close" is accepted only if listed; a case
   * rejecting bad input usually lists { status 400 } and { close }.
   */
  accept: Outcome[];
  /**
   * Further requirements, on top of `accept`: returns null when satisfied, a sentence saying
   * what the server did wrong, or `NotApplicable` when the situation the requirement is about
   * never arose (a 304 rule on a server that answered 200). Reads only the exchange.
   */
  check?: (ctx: CheckContext) => string | null | NotApplicable;
  /** After the exchange, a fresh connection must still get 200 for GET / (liveness). */
  thenAlive?: boolean;
  /** How long to wait for the server, ms (default 2000). A timeout outcome needs this long. */
  timeoutMs?: number;
  /** Capabilities without which the case cannot say anything: it is skipped for servers without them. */
  needs?: Capability[];
  /**
   * Capabilities that make the case stricter: it runs on every server, and its check holds a
   * server with them to more (a request body's framing is proved everywhere by what follows it,
   * and with echo the body's bytes are compared too).
   */
  wants?: Capability[];
  /**
   * The method of each request the server is expected to answer, in order. The response
   * parser needs it to know which responses answer HEAD and so carry no body. When absent it
   * is read from the request bytes, which is right unless the bytes are ambiguous on purpose.
   */
  methods?: string[];
  /** Why this case matters: the bug class it catches, quoted RFC sentence. */
  notes?: string;
  /**
   * The ids of Http11Probe tests that test the same requirement with equivalent bytes
   * (fixtures/peers/http11probe.json lists them): data for the coverage comparison of
   * docs/conformance.md, never shown in reports.
   */
  peer?: string[];
}

/**
 * What a case's check returns when the response its requirement is about never came: the case
 * ran and the server answered, but nothing was tested, so it is neither a pass nor a miss.
 */
export interface NotApplicable {
  /** "the server answered 200, not 304: nothing to check" */
  notApplicable: string;
}

/** A case as loaded: its definition, filed under the group of its file. */
export interface ConformanceCase extends CaseDefinition {
  group: CaseGroup;
}

/**
 * `not-run`: the case was never tried because the server had stopped answering or was down;
 * counted apart, never as a pass and never as a harness error. `n/a`: the case ran and the server
 * answered, but the situation its requirement is about did not arise (no 304 was sent to a case
 * about 304s); counted apart, never as a pass and never failing a run.
 */
export type Verdict = 'pass' | 'warn' | 'fail' | 'info' | 'skip' | 'n/a' | 'not-run' | 'harness-error';

export interface CaseResult {
  caseId: string;
  server: string;
  verdict: Verdict;
  /** Why it did not pass (empty for a pass; for `n/a`, what happened instead). */
  reason: string;
  exchange: Exchange | null;
  durationMs: number;
  /** The fresh connection of a `thenAlive` case, when one was made. */
  aliveExchange?: Exchange | null;
  /** A result read back from a shard's check.json by `gauntlet merge` (its exchanges are null then). */
  recorded?: RecordedResult;
}

/**
 * What a check.json kept of a result, read back by `gauntlet merge`: the file keeps each exchange
 * as a summary, and the wire log and replays only of a result that did not pass, so the merged
 * reports write again what the shard's file said rather than the bytes it no longer holds.
 */
export interface RecordedResult {
  /** The shard's folder, where its check.junit.xml holds every exchange's wire log. */
  from: string;
  /** check.json's summaries of the exchange and of the liveness probe (lib/report/json/check-json.ts). */
  exchange: object | null;
  aliveExchange?: object | null;
  wireLog?: string;
  replay?: string;
  printfReplay?: string | null;
}

/** A case as reports show it: its data without the request and the check function. */
export interface CaseInfo {
  id: string;
  name: string;
  rfc: string;
  level: Level;
  group: CaseGroup;
  notes?: string;
  /** The file the case was loaded from, relative to the project. */
  file?: string;
  /** A shell line sending the case's request with printf and nc, or null when too big for one. */
  printfReplay?: string | null;
  /** The case's time limit, ms. */
  timeoutMs?: number;
}

/** One server's part in a conformance run. */
export interface CheckServerRecord {
  name: string;
  command: string;
  /** The manifest file or the `--server` flag it came from. */
  source: string;
  /**
   * What the server was checked with: the capabilities its manifest declares, plus `echo` when
   * the probe at the start of its check found POST /echo answering the body it was sent.
   */
  capabilities: string[];
  /** The flag that selects this server again, e.g. `--server python-async` (for replay commands). */
  serverFlag: string;
  /** Set when the server did not start, or exited during the run: it counts as a failure. */
  error?: string;
  /** Where it ran: a process, or a container with its image and limits. */
  runtime?: RuntimeInfo;
  /** Each time the server exited during the check, and what was done about it. */
  deaths?: ServerDeath[];
  /**
   * Set when the check stopped early because the server stopped answering: the sentence
   * that gave the remaining cases their `not-run` verdict.
   */
  stoppedAnswering?: string;
}

/** A server that exited during a check. */
export interface ServerDeath {
  /** "exit code 1", "killed by SIGSEGV" */
  exit: string;
  /** The last lines the server wrote (stderr, else stdout). */
  outputTail: string;
  /** The case found to make it exit, when one was. */
  caseId?: string;
  /** The cases in flight when it exited (the candidates). */
  inFlight: string[];
  /** Whether it was started again (false: it would not start, or too many restarts). */
  restarted: boolean;
  /** Why it was not restarted, when it was not. */
  notRestartedBecause?: string;
}

/** Everything `gauntlet check` observed: the data of check.json, check.junit.xml and check.html. */
export interface CheckRun extends RunEnvelope<CheckServerRecord> {
  command: 'check';
  status: 'complete' | 'interrupted';
  cases: CaseInfo[];
  /** One per (server, case) that ran, servers in order, cases in order within each. */
  results: CaseResult[];
  /** A run of `--shard i/n`: which part of which work (`cases` then lists the whole work's cases). */
  shard?: CheckShardRecord;
  /** A run made by `gauntlet merge` of the shards' records: which shards, where and when they ran. */
  merged?: MergedRecord;
}
