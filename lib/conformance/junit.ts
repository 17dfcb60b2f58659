/**
 * check.junit.xml: one <testsuite> per server, one <testcase> per case, so that CI systems show
 * conformance like any test run. A MUST miss is a <failure>, a harness error an <error>, a skip
 * and a case not run (the server had stopped answering, or was down) <skipped> with its reason;
 * every result that did not pass carries its wire log in <system-out>. A server that did not
 * start is one failed testcase of its suite. Each property that ran is one more testcase, its
 * failure carrying the shrunk counterexample and the replay command.
 */
import type { CaseResult, CheckRun, CheckServerRecord } from './types.ts';
import { serverProperties, type PropertyRecord } from './properties/record.ts';
import { caseById, countVerdicts, resultDetail, serverResults } from './summary.ts';

/**
 * Text safe in XML 1.0 content and attribute values. Markup characters are escaped; characters
 * XML 1.0 cannot hold at all, even escaped ("Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] |
 * [#xE000-#xFFFD] | [#x10000-#x10FFFF]"), are written as visible \xHH or \uHHHH text.
 */
export function escapeXml(text: string, attribute = false): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"' && attribute) out += '&quot;';
    else if (ch === "'" && attribute) out += '&apos;';
    // In an attribute a raw tab or line break would be normalised to a space: keep them.
    else if (attribute && (cp === 0x9 || cp === 0xa || cp === 0xd)) out += `&#x${cp.toString(16).toUpperCase()};`;
    else if (cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)) out += ch;
    else if (cp <= 0xff) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += `\\u${cp.toString(16).padStart(4, '0')}`;
  }
  return out;
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v), true)}"`)
    .join('');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function testcase(run: CheckRun, r: CaseResult): string {
  const info = caseById(run, r.caseId);
  const name = info ? `${r.caseId}: ${info.name}` : r.caseId;
  const classname = `${r.server}.${info?.group ?? 'cases'}`;
  const open = `    <testcase${attrs({ classname, name, time: seconds(r.durationMs) })}`;
  if (r.verdict === 'pass') return `${open}/>`;
  const lines = [`${open}>`];
  const level = info ? `${info.level}, ${info.rfc}` : '';
  if (r.verdict === 'fail') lines.push(`      <failure${attrs({ message: r.reason, type: info?.level ?? 'fail' })}>${escapeXml(`${level}: ${r.reason}`)}</failure>`);
  else if (r.verdict === 'harness-error') lines.push(`      <error${attrs({ message: r.reason, type: 'harness-error' })}>${escapeXml(r.reason)}</error>`);
  else if (r.verdict === 'skip' || r.verdict === 'not-run') lines.push(`      <skipped${attrs({ message: r.reason })}/>`);
  if (r.verdict !== 'skip' && r.verdict !== 'not-run') {
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
  const open = `    <testcase${attrs({ classname: `${server}.properties`, name: `${r.id}: ${r.name}`, time: seconds(r.durationMs) })}`;
  if (r.verdict === 'pass') return `${open}/>`;
  const lines = [`${open}>`];
  const reason = r.reason ?? '';
  if (r.verdict === 'fail') lines.push(`      <failure${attrs({ message: reason, type: r.level })}>${escapeXml(`${r.level}, ${r.rfc}: ${reason}`)}</failure>`);
  if (r.verdict === 'skip') lines.push(`      <skipped${attrs({ message: reason })}/>`);
  else {
    const out = [`${r.verdict.toUpperCase()} (${r.level}, ${r.rfc}): ${reason}`, '', r.counterexample ?? '', '', `seed ${r.seed}, ${r.runs} runs`, `replay: ${r.replay}`].join('\n');
    lines.push(`      <system-out>${escapeXml(out)}</system-out>`);
  }
  lines.push('    </testcase>');
  return lines.join('\n');
}

/** Tests, failures and skips of a server's suite (or of the whole run): cases, properties and a server that did not start. */
function suiteCounts(results: readonly CaseResult[], properties: readonly PropertyRecord[], startFailures: number): Record<string, number> {
  const counts = countVerdicts(results);
  const of = (v: PropertyRecord['verdict']) => properties.filter((p) => p.verdict === v).length;
  return {
    tests: results.length + properties.length + startFailures,
    failures: counts.fail + of('fail') + startFailures,
    errors: counts['harness-error'],
    skipped: counts.skip + counts['not-run'] + of('skip'),
  };
}

function testsuite(run: CheckRun, server: CheckServerRecord): string {
  const results = serverResults(run, server.name);
  const properties = serverProperties(server);
  const counts = countVerdicts(results);
  const startFailed = server.error ? 1 : 0;
  const time = results.reduce((t, r) => t + r.durationMs, 0) + properties.reduce((t, p) => t + p.durationMs, 0);
  const head = `  <testsuite${attrs({
    name: server.name,
    ...suiteCounts(results, properties, startFailed),
    time: seconds(time),
    timestamp: run.startedAt.replace(/\.\d+Z$/, ''),
  })}>`;
  const lines = [head, '    <properties>'];
  lines.push(`      <property${attrs({ name: 'command', value: server.command })}/>`);
  lines.push(`      <property${attrs({ name: 'source', value: server.source })}/>`);
  lines.push(`      <property${attrs({ name: 'capabilities', value: server.capabilities.join(',') })}/>`);
  lines.push(`      <property${attrs({ name: 'warnings', value: counts.warn })}/>`);
  lines.push(`      <property${attrs({ name: 'informational', value: counts.info })}/>`);
  lines.push(`      <property${attrs({ name: 'not-run', value: counts['not-run'] })}/>`);
  for (const [i, d] of (server.deaths ?? []).entries()) {
    const what = `${d.exit}${d.caseId ? ` during ${d.caseId}` : ''}; ${d.restarted ? 'restarted' : `not restarted: ${d.notRestartedBecause ?? ''}`}`;
    lines.push(`      <property${attrs({ name: `exit-${i + 1}`, value: what })}/>`);
  }
  if (server.stoppedAnswering) lines.push(`      <property${attrs({ name: 'stopped-answering', value: server.stoppedAnswering })}/>`);
  lines.push('    </properties>');
  if (server.error) {
    lines.push(`    <testcase${attrs({ classname: `${server.name}.server`, name: 'the server runs for the whole check', time: '0.000' })}>`);
    lines.push(`      <failure${attrs({ message: server.error.split('\n')[0] ?? server.error, type: 'server' })}>${escapeXml(server.error)}</failure>`);
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
    `<testsuites${attrs({
      name: 'gauntlet check',
      ...suiteCounts(run.results, properties, startFailures),
      time: seconds(time),
    })}>`,
    ...run.servers.map((s) => testsuite(run, s)),
    '</testsuites>',
    '',
  ].join('\n');
}
