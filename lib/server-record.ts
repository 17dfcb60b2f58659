/**
 * The record of a server that every command keeps in its output (results.json, check.json, a
 * gate's results.json), built in one place so that the commands cannot drift apart on what
 * they say ran: in a container the manifest's container argv runs, not its process command;
 * a server given by URL runs nothing of Gauntlet's, and its record names the URL instead.
 */
import type { Runtime } from './runtime.ts';
import type { ServerRecord, ServerSpec } from './types.ts';
import type { RunningServer } from './running-server.ts';
import { observationOf } from './url-server.ts';

/** The command a server runs with in `runtime`, as the records name it. */
export function recordedCommand(spec: ServerSpec, runtime: Runtime | undefined): string {
  return runtime === 'container' && spec.container ? spec.container.command.join(' ') : spec.command;
}

/** A server's record before it starts: who it is, what runs, where it came from. */
export function serverRecord(spec: ServerSpec, runtime: Runtime | undefined): ServerRecord {
  return {
    name: spec.name,
    model: spec.model,
    language: spec.language,
    command: recordedCommand(spec, runtime),
    source: spec.source,
    ...(spec.url !== undefined && { url: spec.url }),
  };
}

/**
 * Notes on a URL server's record whether its process is observed (and whose it is) or why not;
 * a server Gauntlet started is left as it is.
 */
export function noteObservation(record: ServerRecord, server: RunningServer): void {
  const seen = observationOf(server);
  if (!seen) return;
  record.observed = seen.observed;
  if (seen.observed) record.ownerPid = seen.pid;
  else record.unobservedReason = seen.reason;
}
