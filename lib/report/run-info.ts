/**
 * The facts about a run that every report states (when, where, how) and the notes that
 * qualify its figures (errors, interruption, cells missing), as plain text pairs that
 * each reporter escapes for its own format.
 */
import type { RequestShapeRecord } from '../load/ab-request.ts';
import type { LoadMode, RunResults, RuntimeInfo, ServerRecord } from '../types.ts';
import { cellSlots, recordsByServer, runsPerCell, skippedReason, slotKey } from './cells.ts';
import { cellLabel, describeMatrix, plural } from './format.ts';

export interface Fact {
  label: string;
  value: string;
  /** The value is code-like (a path, a command) and is shown as code. */
  code?: boolean;
}

export interface RunNote {
  /** The server concerned, if any. */
  server?: string;
  text: string;
  /** Verbatim multi-line detail, such as an error message with stderr. */
  detail?: string;
}

export function reportTitle(run: RunResults): string {
  return `Gauntlet results: ${run.matrix.name} matrix`;
}

export function describeMode(mode: LoadMode): string {
  return mode === 'close'
    ? 'close: a new TCP connection per request, as ab does without -k'
    : 'keepalive: persistent connections, each sending its requests back to back';
}

function duration(startIso: string, endIso: string | null): string | null {
  if (!endIso) return null;
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (!Number.isFinite(ms) || ms < 0) return null;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h} h ${m} min ${rest} s` : m > 0 ? `${m} min ${rest} s` : `${rest} s`;
}

export function describeWhen(run: RunResults): string {
  const took = duration(run.startedAt, run.finishedAt);
  const end = run.finishedAt ? ` to ${run.finishedAt}` : ', not finished';
  return `${run.startedAt}${end}${took ? ` (${took})` : ''}, ${run.status}`;
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** A CPU limit: "1 CPU", "0.5 CPU", "2 CPUs". */
export function describeCpus(cpus: number): string {
  return `${cpus} ${cpus > 1 ? 'CPUs' : 'CPU'}`;
}

/** A memory limit in MiB: "512 MiB", "1 GiB". */
export function describeMemory(memoryMb: number): string {
  return memoryMb >= 1024 && memoryMb % 1024 === 0 ? `${memoryMb / 1024} GiB` : `${memoryMb} MiB`;
}

/**
 * Where a server ran, in one line: "process", or for a container its limits and the image's base,
 * "container, 1 CPU, 512 MiB, base gauntlet-base/python:local, built in 3.2 s". A server recorded
 * without a runtime ran as a process (results written before containers existed).
 */
export function describeRuntime(runtime: RuntimeInfo | undefined): string {
  if (!runtime || runtime.kind === 'process') return 'process';
  return [
    'container',
    runtime.cpus !== null ? describeCpus(runtime.cpus) : 'no CPU limit',
    runtime.memoryMb !== null ? describeMemory(runtime.memoryMb) : 'no memory limit',
    `base ${runtime.baseImage ?? "the Dockerfile's default"}`,
    `built in ${runtime.buildS.toFixed(1)} s`,
  ].join(', ');
}

/** The runtime of a server whose runtime is known: it started, or it is from before runtimes were recorded. */
function knownRuntime(server: ServerRecord): RuntimeInfo | null {
  if (server.runtime) return server.runtime;
  // A server that failed to start has no runtime; it says nothing about where the others ran.
  return server.error ? null : { kind: 'process' };
}

/**
 * The run's runtime, tersely: "process" when every server ran as one; with containers, each
 * server's limits and base image (they differ by server), and the engine.
 */
export function runtimeFacts(run: RunResults): Fact[] {
  const known = run.servers.flatMap((s) => {
    const runtime = knownRuntime(s);
    return runtime ? [{ name: s.name, runtime }] : [];
  });
  if (known.length === 0) return [];
  const engines = [...new Set(known.flatMap((k) => (k.runtime.kind === 'container' ? [k.runtime.engine] : [])))];
  if (engines.length === 0) return [{ label: 'Runtime', value: 'process' }];
  return [
    { label: 'Runtime', value: known.map((k) => `${k.name}: ${describeRuntime(k.runtime)}`).join('; ') },
    { label: 'Container engine', value: engines.join(', ') },
  ];
}

export function runFacts(run: RunResults): Fact[] {
  const m = run.machine;
  return [
    { label: 'When', value: describeWhen(run) },
    { label: 'CPU', value: `${m.cpuModel}, ${plural(m.cores, 'core')}` },
    { label: 'Memory', value: gib(m.memoryBytes) },
    { label: 'System', value: `${m.platform} ${m.release} ${m.arch} (${m.hostname})` },
    { label: 'Node', value: m.node },
    { label: 'Python', value: m.python ?? 'not found' },
    {
      label: 'Gauntlet',
      value: `${run.version}${m.gauntlet && m.gauntlet !== run.version ? ` (machine: ${m.gauntlet})` : ''}`,
    },
    ...runtimeFacts(run),
    { label: 'Mode', value: `${describeMode(run.mode)}${describeTls(run)}` },
    run.request
      ? { label: 'Request', value: describeRequest(run.request) }
      : { label: 'Path', value: run.path, code: true },
    { label: 'Matrix', value: describeMatrix(run.matrix) },
    { label: 'Rounds', value: describeRounds(run) },
  ];
}

/**
 * The request every cell sent, as one line: the method and paths, then what a shaped request
 * added (headers, a body with its size, framing and type). A plain GET reads "GET /". Pure.
 */
export function describeRequest(r: RequestShapeRecord): string {
  const paths = r.paths.length > 1 ? `${r.paths.join(', ')} (in turn)` : (r.paths[0] ?? '/');
  const parts = [`${r.method} ${paths}`];
  if (r.headers.length > 0) parts.push(`headers ${r.headers.map((h) => `${h.name}: ${h.value}`).join('; ')}`);
  if (r.body) {
    const framing = r.body.framing === 'chunked' ? 'sent chunked' : 'Content-Length';
    parts.push(`a ${r.body.bytes}-byte body (${framing}, ${r.body.contentType})`);
  }
  return parts.join('; ');
}

/**
 * "; over TLS (https), ..." when servers were measured over TLS, read from their cells' handshakes;
 * "" for a run in plain TCP. Servers are named when only some of them talked TLS.
 */
export function describeTls(run: RunResults): string {
  const overTls = [...new Set(run.cells.filter((c) => c.result.tls !== undefined).map((c) => c.server))];
  if (overTls.length === 0) return '';
  const measured = new Set(run.cells.map((c) => c.server));
  const who = overTls.length === measured.size ? '' : ` for ${overTls.join(', ')}`;
  return `; over TLS (https)${who}, a full handshake on every new connection`;
}

/** How many runs each cell had and how they were ordered, from the recorded runs. */
export function describeRounds(run: RunResults): string {
  const runs = Math.max(run.rounds ?? 1, runsPerCell(run));
  const stop = run.keepGoing
    ? 'cells go on past refused connects and timeouts (ab -r)'
    : 'a cell stops at its first refused connect or timeout, as ab does';
  if (runs <= 1) return `1 run per cell, as the seed did (one run cannot tell noise from a difference); ${stop}`;
  return `${runs} runs per cell, the servers interleaved round by round (A B B A ...); tables show the median run; ${stop}`;
}

export function runNotes(run: RunResults): RunNote[] {
  const notes: RunNote[] = [];
  if (run.status === 'interrupted')
    notes.push({ text: 'The run was interrupted before it finished: the figures below are partial.' });
  if (run.status === 'failed')
    notes.push({ text: 'The run ended with an error before it finished: the figures below are partial.' });
  if (run.status === 'running') notes.push({ text: 'The run is still in progress: the figures below are partial.' });
  const slots = cellSlots(run);
  for (const server of run.servers) {
    if (server.error) notes.push({ server: server.name, text: `${server.name} failed:`, detail: server.error });
    if (server.stoppedAnswering) notes.push({ server: server.name, text: `${server.stoppedAnswering}.` });
    const warm = server.warmup;
    if (warm && (warm.failed > 0 || warm.stopped)) {
      notes.push({
        server: server.name,
        text:
          `${server.name}'s warm-up: ${warm.complete} of ${plural(warm.requested, 'request')} complete, ${warm.failed} failed` +
          `${warm.stopped ? ` (stopped early: ${warm.stopped})` : ''}.`,
      });
    }
    const records = recordsByServer(run, server.name);
    const missing = slots.filter((slot) => !records.has(slotKey(slot)));
    const skipped = missing.filter((slot) => skippedReason(server, slot));
    if (skipped.length > 0) {
      notes.push({
        server: server.name,
        text: `${server.name}: ${skipped.length} of ${plural(slots.length, 'cell')} skipped (${skipped.map(cellLabel).join(', ')}): ${skippedReason(server, skipped[0]!)}.`,
      });
    }
    if (missing.length > skipped.length) {
      notes.push({
        server: server.name,
        text: `${server.name}: ${missing.length - skipped.length} of ${plural(slots.length, 'cell')} not measured (${missing
          .filter((slot) => !skippedReason(server, slot))
          .map(cellLabel)
          .join(', ')}).`,
      });
    }
  }
  return notes;
}
