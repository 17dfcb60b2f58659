/**
 * How today's outputs may differ from the ones recorded in fixtures/golden/before (commit
 * e6e13f9, scripts/golden-shapes.ts), each difference with its reason. Anything else that
 * differs fails spec/golden/outputs.test.ts, and so does an entry here that no longer occurs:
 * a change to what bench, check or gate write is always written down here first.
 *
 * An entry may be marked `pending` (with the reason): decided but not yet made, so that until it
 * lands it must not occur.
 */
import type { ExpectedDifference, RunDependentField } from './shape-diff.ts';

export const EXPECTED_DIFFERENCES: ExpectedDifference[] = [
  {
    output: 'bench',
    kind: 'added',
    path: 'schemaVersion',
    reason: 'every output says which schema version it follows (lib/envelope.ts)',
  },
  {
    output: 'bench',
    kind: 'added',
    path: 'command',
    reason: 'every output names the command that wrote it; bench had neither command nor kind',
  },
  {
    output: 'check',
    kind: 'added',
    path: 'schemaVersion',
    reason: 'every output says which schema version it follows',
  },
  {
    output: 'check',
    kind: 'added',
    path: 'machine',
    reason: 'check records the machine it ran on, as bench and gate do',
  },
  {
    output: 'check',
    kind: 'added',
    path: 'servers[].properties',
    reason:
      'check also tries HTTP properties with generated requests against each server, and records them with the server',
  },
  {
    output: 'bench',
    kind: 'added',
    path: 'cells[].result.percentilesUs',
    reason: 'every cell keeps its latency spectrum from an HDR histogram, p50 to p99.999 and the maximum',
  },
  {
    output: 'bench',
    kind: 'added',
    path: 'request',
    reason:
      'the run records the request its cells sent (method, headers, body size and framing, paths), which --method, --header, --body, --chunked and several --path can shape',
  },
  { output: 'gate', kind: 'added', path: 'schemaVersion', reason: 'every output says which schema version it follows' },
  { output: 'gate', kind: 'added', path: 'command', reason: "the envelope's command replaces gate's own kind" },
  { output: 'gate', kind: 'removed', path: 'kind', reason: "replaced by command: 'gate' (readers still accept kind)" },
  {
    output: 'gate',
    kind: 'added',
    path: 'settings.engine',
    reason:
      "the gate takes --engine as bench does: the results say which engine sent the load (Locust's figures are not ab's)",
  },
  {
    output: 'gate',
    kind: 'added',
    path: 'settings.engine.name',
    reason: "the engine's name: gauntlet (the built-in one) or locust",
  },
  {
    output: 'gate',
    kind: 'value',
    path: 'settings.engine',
    reason: "the settings are recorded as values: the recorded gate had no engine, today's names the built-in one",
  },
  {
    output: 'check',
    kind: 'value',
    path: 'cases.methods-case-sensitive.level',
    reason:
      'a method is case-sensitive by RFC 9110 §9.1 without a keyword, so "get" is an unknown method, and the sentence the case rests on is the SHOULD that answers those 501',
  },
  {
    output: 'check',
    kind: 'value',
    path: 'cases.host-with-port.level',
    reason:
      'a Host with a port matches the grammar of RFC 9110 §7.2, so the request is a valid GET, and RFC 9110 §9.1 says all general-purpose servers MUST support GET',
  },
  {
    output: 'check',
    kind: 'value',
    path: 'cases.host-ipv6-literal.level',
    reason:
      'an IPv6 literal Host matches the grammar of RFC 9110 §7.2, so the request is a valid GET, and RFC 9110 §9.1 says all general-purpose servers MUST support GET',
  },
  {
    output: 'check',
    kind: 'value',
    path: 'cases.methods-get-missing-404.level',
    reason:
      'RFC 9110 §15.5.5 defines 404 without a keyword and no sentence obliges it for a missing file, so a miss is reported only',
  },
];

/** Fields that come and go with what the servers and the machine did in a run, whatever the code. */
export const RUN_DEPENDENT: RunDependentField[] = [
  { output: 'bench', path: 'findings[]', reason: 'what the diagnostics find depends on the run' },
  {
    output: 'bench',
    path: 'cells[].result.stopped',
    reason: 'set only when a cell stopped at a refused connect or a timeout',
  },
  { output: 'bench', path: 'cells[].signals.stallsBySecond[]', reason: 'requests over 1 s happen or not' },
  {
    output: 'bench',
    path: 'cells[].result.omission',
    reason: 'set only when a closed-loop cell stalled in the way coordinated omission hides',
  },
  { output: 'bench', path: 'cells[].signals.near40msMedianUs', reason: 'null when no request took 38-60 ms' },
  // Added with --engine locust (schemas/results.schema.json, docs/outputs.md): absent from every
  // cell of the built-in engine, which the recorded bench uses, so never an "added" difference here.
  {
    output: 'bench',
    path: 'cells[].result.engine',
    reason: "set only on a cell sent by Locust (--engine locust): 'locust'",
  },
  { output: 'bench', path: 'cells[].result.workers', reason: 'set only on a Locust cell: its workers' },
  {
    output: 'bench',
    path: 'cells[].result.engineNotes[]',
    reason: "set only on a Locust cell: where its figures differ from ab's definitions",
  },
  { output: 'bench', path: 'cells[].resources.cpuUsPerRequest', reason: 'null when nothing completed' },
  { output: 'bench', path: 'comparison.caveats[]', reason: 'the caveats depend on the cells measured' },
  {
    output: 'gate',
    path: 'claims[].cells[].notes[]',
    reason: 'notes on batching, caps and second measurements depend on the run',
  },
  {
    output: 'gate',
    path: 'claims[].cells[].verdicts[]',
    reason: 'a second verdict is added when a failing cell is measured once more',
  },
  { output: 'gate', path: 'claims[].cells[].reason', reason: 'set only when a server failed requests' },
  { output: 'gate', path: 'measurements[].sides[].stopped', reason: 'set only when a server stopped answering' },
  // Set only by a gate of a duration matrix (10s:1,10) or on Locust: the recorded gate has neither.
  {
    output: 'gate',
    path: 'measurements[].cell.durationS',
    reason: 'set only on a cell of a duration (10s:1,10)',
  },
  { output: 'gate', path: 'claims[].cells[].durationS', reason: 'set only on a cell of a duration' },
  { output: 'gate', path: 'regressions[].durationS', reason: 'set only on a cell of a duration' },
  { output: 'gate', path: 'settings.engine.workers', reason: 'set only with --engine locust: its workers' },
  { output: 'gate', path: 'settings.engine.master', reason: 'set only with --locust-master' },
  {
    output: 'gate',
    path: 'measurements[].sides[].samples[].latencyMs',
    reason: 'its figures are null when a sample completed nothing',
  },
  {
    output: 'check',
    path: 'results[].exchange.closeAfterMs',
    reason: 'null when the client closed first, which timing decides for some cases',
  },
  {
    output: 'check',
    path: 'results[].exchange.unsent',
    reason: 'set when the server closed before the whole request was written',
  },
  {
    output: 'check',
    path: 'results[].exchange.limit',
    reason: "set when the client stopped at the exchange's deadline",
  },
  {
    output: 'check',
    path: 'servers[].properties[].interrupted',
    reason: 'set when the time box ended a property search early',
  },
  { output: 'check', path: 'servers[].properties[].path', reason: 'set only for a property that failed' },
  { output: 'check', path: 'servers[].properties[].counterexample', reason: 'set only for a property that failed' },
  // The golden check runs unsharded: these never appear in it, so they are not "added" differences
  // (an entry that does not occur fails); spec/acceptance/shards.test.ts validates both against the schema.
  { output: 'check', path: 'shard', reason: 'set only in a run of check --shard i/n (lib/shard/record.ts)' },
  { output: 'check', path: 'merged', reason: 'set only in a record written by gauntlet merge' },
  { output: 'bench', path: 'shard', reason: 'set only in a run of bench --shard i/n (lib/shard/record.ts)' },
  { output: 'bench', path: 'merged', reason: 'set only in a record written by gauntlet merge' },
];
