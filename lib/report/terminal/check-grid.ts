/**
 * What `gauntlet check` prints at the end: a grid of cases by servers, a summary line per
 * server, and for each result that needs attention its reason and the command that replays it.
 * Properties follow the cases: a line each in the grid, and for a failure its shrunk
 * counterexample and the command that replays it. Words, not only colours, carry the verdicts,
 * so the grid reads the same in a CI log.
 */
import type { Verdict } from '../../conformance/types.ts';
import {
  allProperties,
  propertyCountsLine,
  serverProperties,
  type PropertyCheckRun,
} from '../../conformance/properties/record.ts';
import {
  caseById,
  countVerdicts,
  countsLine,
  resultDetail,
  serverNotes,
  serverResults,
} from '../../conformance/summary.ts';
import { sanitizeTerminal } from '../format.ts';

export interface GridOptions {
  color?: boolean;
}

const LABEL: Record<Verdict, string> = {
  pass: 'pass',
  warn: 'warn',
  fail: 'FAIL',
  info: 'info',
  skip: 'skip',
  'n/a': 'n/a',
  'not-run': 'not-run',
  'harness-error': 'ERROR',
};

const COLOR: Record<Verdict, [string, string]> = {
  pass: ['\u001b[32m', '\u001b[39m'],
  warn: ['\u001b[33m', '\u001b[39m'],
  fail: ['\u001b[1;31m', '\u001b[22;39m'],
  info: ['\u001b[36m', '\u001b[39m'],
  skip: ['\u001b[2m', '\u001b[22m'],
  'n/a': ['\u001b[2;36m', '\u001b[22;39m'],
  'not-run': ['\u001b[2;33m', '\u001b[22;39m'],
  'harness-error': ['\u001b[35m', '\u001b[39m'],
};

function paint(verdict: Verdict, text: string, color: boolean): string {
  if (!color) return text;
  const [on, off] = COLOR[verdict];
  return `${on}${text}${off}`;
}

/** The widths of the grid's columns: case ids, levels, then one per server. */
interface GridWidths {
  id: number;
  level: number;
  columns: number[];
}

/** The property ids of the run, in the order they ran. */
function propertyIds(run: PropertyCheckRun): string[] {
  return [...new Set(allProperties(run).map((p) => p.record.id))];
}

/** One line per property, after the cases, in the cases' columns. */
function propertyRows(run: PropertyCheckRun, widths: GridWidths, color: boolean): string[] {
  const ids = propertyIds(run);
  if (ids.length === 0) return [];
  const out = [color ? '\u001b[1mproperties\u001b[22m' : '[properties]'];
  for (const id of ids) {
    const level = allProperties(run).find((p) => p.record.id === id)?.record.level ?? 'MUST';
    const cells = run.servers.map((s, i) => {
      const width = widths.columns[i] ?? 5;
      const r = serverProperties(s).find((p) => p.id === id);
      if (!r) return (s.error ? 'down' : '-').padEnd(width);
      return paint(r.verdict, LABEL[r.verdict].padEnd(width), color);
    });
    out.push(
      [id.padEnd(widths.id), (level === 'informational' ? 'info' : level).padEnd(widths.level), ...cells]
        .join('  ')
        .trimEnd(),
    );
  }
  return out;
}

/** Each property that failed or warned: its reason, replay command and shrunk counterexample. */
function propertyAttention(run: PropertyCheckRun, color: boolean): string[] {
  const out: string[] = [];
  for (const { server, record: r } of allProperties(run)) {
    if (r.verdict !== 'fail' && r.verdict !== 'warn') continue;
    out.push(
      '',
      `${paint(r.verdict, LABEL[r.verdict], color)} ${sanitizeTerminal(server)} ${r.id} (${r.level}, ${r.rfc}): ${sanitizeTerminal(r.reason ?? '')}`,
    );
    out.push(`     replay: ${sanitizeTerminal(r.replay)}`);
    if (r.counterexample && r.counterexample !== r.reason)
      out.push(
        ...sanitizeTerminal(r.counterexample)
          .split('\n')
          .map((l) => `     ${l}`),
      );
  }
  return out;
}

/** A server's summary line: its case counts, then its property counts when properties ran. */
function summaryLine(run: PropertyCheckRun, s: PropertyCheckRun['servers'][number], color: boolean): string {
  const counts = countVerdicts(serverResults(run, s.name));
  const properties = serverProperties(s);
  // A run of properties alone has no case counts to give.
  const caseCounts = run.cases.length > 0 || properties.length === 0 ? [countsLine(counts)] : [];
  const parts = [
    ...caseCounts,
    ...(properties.length > 0 ? [`properties ${propertyCountsLine(properties)}`] : []),
    ...serverNotes(s).map(sanitizeTerminal),
  ];
  let line = `${sanitizeTerminal(s.name)}: ${parts.join('; ')}`;
  if (s.error) line += `; ${paint('fail', 'FAILED', color)}: ${sanitizeTerminal(s.error.split('\n')[0] ?? s.error)}`;
  return line;
}

/** The header line and one line per case, under a line naming each group as it starts. */
function caseRows(run: PropertyCheckRun, widths: GridWidths, color: boolean): string[] {
  const servers = run.servers;
  const header = [
    'case'.padEnd(widths.id),
    'level'.padEnd(widths.level),
    ...servers.map((s, i) => sanitizeTerminal(s.name).padEnd(widths.columns[i] ?? 5)),
  ];
  const out = [header.join('  ').trimEnd()];
  const byKey = new Map(run.results.map((r) => [`${r.server}\u0000${r.caseId}`, r]));
  let group = '';
  for (const c of run.cases) {
    if (c.group !== group) {
      group = c.group;
      out.push(color ? `\u001b[1m${group}\u001b[22m` : `[${group}]`);
    }
    const level = c.level === 'informational' ? 'info' : c.level;
    const cells = servers.map((s, i) => {
      const width = widths.columns[i] ?? 5;
      const r = byKey.get(`${s.name}\u0000${c.id}`);
      if (!r) return (s.error ? 'down' : '-').padEnd(width);
      return paint(r.verdict, LABEL[r.verdict].padEnd(width), color);
    });
    out.push([c.id.padEnd(widths.id), level.padEnd(widths.level), ...cells].join('  ').trimEnd());
  }
  return out;
}

/** Each case result that failed, warned or could not be judged: its reason and replay command. */
function caseAttention(run: PropertyCheckRun, color: boolean): string[] {
  const attention = run.results.filter(
    (r) => r.verdict === 'fail' || r.verdict === 'warn' || r.verdict === 'harness-error',
  );
  if (attention.length === 0) return [];
  const out = [''];
  for (const r of attention) {
    const info = caseById(run, r.caseId);
    const where = info ? ` (${info.level}, ${info.rfc})` : '';
    out.push(
      `${paint(r.verdict, LABEL[r.verdict], color)} ${sanitizeTerminal(r.server)} ${r.caseId}${where}: ${sanitizeTerminal(r.reason)}`,
    );
    out.push(`     replay: ${sanitizeTerminal(resultDetail(run, r).replay)}`);
  }
  return out;
}

/** Cases not run share one reason per server: one line each, not one per case. */
function notRunLines(run: PropertyCheckRun, color: boolean): string[] {
  const out: string[] = [];
  for (const s of run.servers) {
    const skipped = serverResults(run, s.name).filter((r) => r.verdict === 'not-run');
    if (skipped.length === 0) continue;
    const reasons = [...new Set(skipped.map((r) => r.reason))];
    out.push(
      '',
      `${paint('not-run', `${skipped.length} case${skipped.length === 1 ? '' : 's'} not run`, color)} on ${sanitizeTerminal(s.name)}: ${reasons.map(sanitizeTerminal).join('; ')}`,
    );
  }
  return out;
}

/** What each server wrote before it exited: each distinct output once, with the cases it followed, so a server dying the same way five times says it once. */
function exitOutputs(run: PropertyCheckRun): string[] {
  const out: string[] = [];
  for (const s of run.servers) {
    const tails = new Map<string, { exit: string; cases: Set<string> }>();
    for (const d of s.deaths ?? []) {
      if (!d.outputTail) continue;
      const seen = tails.get(d.outputTail) ?? { exit: d.exit, cases: new Set<string>() };
      if (d.caseId) seen.cases.add(d.caseId);
      tails.set(d.outputTail, seen);
    }
    for (const [tail, { exit, cases }] of tails) {
      out.push(
        '',
        `${sanitizeTerminal(s.name)} exited (${exit})${cases.size > 0 ? ` during ${[...cases].join(', ')}` : ''}; its last output:`,
        sanitizeTerminal(tail),
      );
    }
  }
  return out;
}

export function renderGrid(run: PropertyCheckRun, options: GridOptions = {}): string {
  const color = options.color ?? false;
  const servers = run.servers;
  const widths: GridWidths = {
    id: Math.max(4, ...run.cases.map((c) => c.id.length), ...propertyIds(run).map((id) => id.length)),
    level: Math.max(6, ...run.cases.map((c) => c.level.length)),
    columns: servers.map((s) => Math.max(LABEL['not-run'].length, s.name.length)),
  };
  const out = [...caseRows(run, widths, color), ...propertyRows(run, widths, color)];
  out.push('');
  for (const s of servers) out.push(summaryLine(run, s, color));
  out.push(
    ...caseAttention(run, color),
    ...propertyAttention(run, color),
    ...notRunLines(run, color),
    ...exitOutputs(run),
  );
  const infos = run.results.filter((r) => r.verdict === 'info').length;
  if (infos > 0) out.push('', `${infos} informational finding${infos === 1 ? '' : 's'}: see check.html or check.json`);
  const notApplicable = run.results.filter((r) => r.verdict === 'n/a').length;
  if (notApplicable > 0)
    out.push(
      '',
      `${notApplicable} case${notApplicable === 1 ? '' : 's'} n/a (the situation tested never arose; not passes): see check.html or check.json`,
    );
  for (const s of servers) {
    if (s.error && s.error.includes('\n'))
      out.push('', `${sanitizeTerminal(s.name)} failed:`, sanitizeTerminal(s.error));
  }
  return out.join('\n');
}
