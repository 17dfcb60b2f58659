/**
 * check.junit.xml, a format of check's report folder: one <testsuite> per server, one
 * <testcase> per case, so that CI systems show conformance like any test run. A MUST miss is a
 * <failure>, a harness error an <error>, a skip, a case not run (the server had stopped
 * answering, or was down) and a case with nothing to test (`n/a`) <skipped> with its reason;
 * every other result that did not pass carries its wire log in <system-out>. A server that did not start is one failed testcase of its suite.
 * Each property that ran is one more testcase, its failure carrying the shrunk counterexample
 * and the replay command.
 */
import type { CaseResult, CheckRun, CheckServerRecord, Verdict } from '../../conformance/types.ts';
import { serverProperties, type PropertyRecord } from '../../conformance/properties/record.ts';
import { caseById, countVerdicts, resultDetail, serverResults } from '../../conformance/summary.ts';
import type { ReportFormat } from '../report-format.ts';
import { escapeXml, xmlAttributes } from './xml.ts';

/** Verdicts JUnit shows as skipped, with the reason: nothing about the server was judged. */
const SKIPPED: ReadonlySet<Verdict> = new Set<Verdict>(['skip', 'not-run', 'n/a']);

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function testcase(run: CheckRun, r: CaseResult): string {
  const info = caseById(run, r.caseId);
  const name = info ? `${r.caseId}: ${info.name}` : r.caseId;
  const classname = `${r.server}.${info?.group ?? 'cases'}`;
  const open = `    <testcase${xmlAttributes({ classname, name, time: seconds(r.durationMs) })}`;
  if (r.verdict === 'pass') return `${open}/>`;
  const lines = [`${open}>`];
  const level = info ? `${info.level}, ${info.rfc}` : '';
  if (r.verdict === 'fail')
    lines.push(
      `      <failure${xmlAttributes({ message: r.reason, type: info?.level ?? 'fail' })}>${escapeXml(`${level}: ${r.reason}`)}</failure>`,
    );
  else if (r.verdict === 'harness-error')
    lines.push(
      `      <error${xmlAttributes({ message: r.reason, type: 'harness-error' })}>${escapeXml(r.reason)}</error>`,
    );
  else if (SKIPPED.has(r.verdict)) lines.push(`      <skipped${xmlAttributes({ message: r.reason })}/>`);
  if (!SKIPPED.has(r.verdict)) {
    const d = resultDetail(run, r);
    const out = [
      `${r.verdict.toUpperCase()} (${level}): ${r.reason}`,
      '',
      d.log,
      '',
      `replay: ${d.replay}`,
      ...(d.printf ? [`by hand, with the server listening on $PORT: ${d.printf}`] : []),
    ].join('\n');
    lines.push(`      <system-out>${escapeXml(out)}</system-out>`);
  }
  lines.push('    </testcase>');
  return lines.join('\n');
}

function propertyTestcase(server: string, r: PropertyRecord): string {
  const open = `    <testcase${xmlAttributes({ classname: `${server}.properties`, name: `${r.id}: ${r.name}`, time: seconds(r.durationMs) })}`;
  if (r.verdict === 'pass') return `${open}/>`;
  const lines = [`${open}>`];
  const reason = r.reason ?? '';
  if (r.verdict === 'fail')
    lines.push(
      `      <failure${xmlAttributes({ message: reason, type: r.level })}>${escapeXml(`${r.level}, ${r.rfc}: ${reason}`)}</failure>`,
    );
  if (r.verdict === 'skip') lines.push(`      <skipped${xmlAttributes({ message: reason })}/>`);
  else {
    const out = [
      `${r.verdict.toUpperCase()} (${r.level}, ${r.rfc}): ${reason}`,
      '',
      r.counterexample ?? '',
      '',
      `seed ${r.seed}, ${r.runs} runs`,
      `replay: ${r.replay}`,
    ].join('\n');
    lines.push(`      <system-out>${escapeXml(out)}</system-out>`);
  }
  lines.push('    </testcase>');
  return lines.join('\n');
}

/** Tests, failures and skips of a server's suite (or of the whole run): cases, properties and a server that did not start. */
function suiteCounts(
  results: readonly CaseResult[],
  properties: readonly PropertyRecord[],
  startFailures: number,
): Record<string, number> {
  const counts = countVerdicts(results);
  const of = (v: PropertyRecord['verdict']) => properties.filter((p) => p.verdict === v).length;
  return {
    tests: results.length + properties.length + startFailures,
    failures: counts.fail + of('fail') + startFailures,
    errors: counts['harness-error'],
    skipped: counts.skip + counts['not-run'] + counts['n/a'] + of('skip'),
  };
}

function testsuite(run: CheckRun, server: CheckServerRecord): string {
  const results = serverResults(run, server.name);
  const properties = serverProperties(server);
  const counts = countVerdicts(results);
  const startFailed = server.error ? 1 : 0;
  const time = results.reduce((t, r) => t + r.durationMs, 0) + properties.reduce((t, p) => t + p.durationMs, 0);
  const head = `  <testsuite${xmlAttributes({
    name: server.name,
    ...suiteCounts(results, properties, startFailed),
    time: seconds(time),
    timestamp: run.startedAt.replace(/\.\d+Z$/, ''),
  })}>`;
  const lines = [head, '    <properties>'];
  lines.push(`      <property${xmlAttributes({ name: 'command', value: server.command })}/>`);
  lines.push(`      <property${xmlAttributes({ name: 'source', value: server.source })}/>`);
  lines.push(`      <property${xmlAttributes({ name: 'capabilities', value: server.capabilities.join(',') })}/>`);
  lines.push(`      <property${xmlAttributes({ name: 'warnings', value: counts.warn })}/>`);
  lines.push(`      <property${xmlAttributes({ name: 'informational', value: counts.info })}/>`);
  lines.push(`      <property${xmlAttributes({ name: 'not-run', value: counts['not-run'] })}/>`);
  lines.push(`      <property${xmlAttributes({ name: 'not-applicable', value: counts['n/a'] })}/>`);
  for (const [i, d] of (server.deaths ?? []).entries()) {
    const what = `${d.exit}${d.caseId ? ` during ${d.caseId}` : ''}; ${d.restarted ? 'restarted' : `not restarted: ${d.notRestartedBecause ?? ''}`}`;
    lines.push(`      <property${xmlAttributes({ name: `exit-${i + 1}`, value: what })}/>`);
  }
  if (server.stoppedAnswering)
    lines.push(`      <property${xmlAttributes({ name: 'stopped-answering', value: server.stoppedAnswering })}/>`);
  lines.push('    </properties>');
  if (server.error) {
    lines.push(
      `    <testcase${xmlAttributes({ classname: `${server.name}.server`, name: 'the server runs for the whole check', time: '0.000' })}>`,
    );
    lines.push(
      `      <failure${xmlAttributes({ message: server.error.split('\n')[0] ?? server.error, type: 'server' })}>${escapeXml(server.error)}</failure>`,
    );
    lines.push('    </testcase>');
  }
  for (const r of results) lines.push(testcase(run, r));
  for (const p of properties) lines.push(propertyTestcase(server.name, p));
  lines.push('  </testsuite>');
  return lines.join('\n');
}

export function renderJunit(run: CheckRun): string {
  const startFailures = run.servers.filter((s) => s.error).length;
  const properties = run.servers.flatMap(serverProperties);
  const time = run.results.reduce((t, r) => t + r.durationMs, 0) + properties.reduce((t, p) => t + p.durationMs, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${xmlAttributes({
      name: 'gauntlet check',
      ...suiteCounts(run.results, properties, startFailures),
      time: seconds(time),
    })}>`,
    ...run.servers.map((s) => testsuite(run, s)),
    '</testsuites>',
    '',
  ].join('\n');
}

export const junitCheckReport: ReportFormat<'check'> = {
  id: 'junit',
  command: 'check',
  file: 'check.junit.xml',
  render: renderJunit,
};
