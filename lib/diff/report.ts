/**
 * The terminal report of a differential run: the verdict, and for a disagreement the shrunk
 * request, each differing field with every server's value, each server's wire log and the
 * command that replays it. Pure: a DiffRun in, text out.
 */
import { describeDifferences } from './compare.ts';
import { FIELD_MEANINGS } from './understood.ts';
import type { DiffRun, Disagreement } from './record.ts';

function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n');
}

function requestLines(d: Disagreement): string[] {
  const r = d.request;
  const lines = [
    `request (${r.length} bytes${r.writes.length > 1 ? `, in ${r.writes.length} writes` : ''}), shrunk in ${d.numShrinks} step(s):`,
    // The escaped form the record keeps, cut after each line end so that the head reads as lines.
    indent(r.escaped.replaceAll('\\n', '\\n\n').replace(/\n$/, '')),
  ];
  lines.push(
    `  started as ${r.original.method} ${r.original.target} with a ${r.original.bodyLength}-byte body framed by ${r.original.framing}`,
  );
  if (r.applied.length > 0) lines.push(`  changed: ${r.applied.join('; ')}`);
  if (r.writes.length > 1)
    lines.push(
      `  writes start at offsets (pause before): ${r.writes.map((w) => `${w.offset}${w.delayMs ? `(+${w.delayMs}ms)` : ''}`).join(' ')}`,
    );
  if (r.printf) lines.push(`  send it by hand (with the probe): ${r.printf}`);
  return lines;
}

/** The disagreement in words: the request, the fields, the wire logs, the replay. */
export function renderDisagreement(d: Disagreement): string {
  const out = [...requestLines(d), '', 'they understood it differently:'];
  for (const [i, line] of describeDifferences(d.differences).entries())
    out.push(`  ${line}`, `    (${FIELD_MEANINGS[d.differences[i]!.field]})`);
  for (const s of d.servers) out.push('', `${s.server}:`, indent(s.wireLog, '  '));
  out.push('', `replay: ${d.replay}`);
  return out.join('\n');
}

/** The whole terminal report of a run. */
export function renderDiffReport(run: DiffRun): string {
  const names = run.servers.map((s) => s.name).join(', ');
  const out: string[] = [];
  const sent = `${run.requests} request${run.requests === 1 ? '' : 's'}`;
  for (const s of run.servers) if (s.error) out.push(`${s.name}: ${s.error}`);
  if (run.disagreement) {
    out.push(`DISAGREE: ${names} understood a request differently (after ${sent}; seed ${run.seed})`, '');
    out.push(renderDisagreement(run.disagreement));
  }
  if (run.verdict === 'error') out.push(`ERROR: ${run.error ?? 'the servers could not be compared'}`);
  else if (run.verdict === 'agree') {
    const why = run.status === 'interrupted' ? ', interrupted' : '';
    out.push(`AGREE: ${names} understood all ${sent} the same (seed ${run.seed}${why})`);
    // A partial search is an honest result (exit 0), but it must not read as the whole budget.
    if (run.timedOut && run.status !== 'interrupted')
      out.push(`stopped at the time limit after ${run.requests} of ${run.budget} requests: no disagreement in those`);
  }
  if (run.accepted.length > 0) {
    out.push('', 'differences accepted by the quirks file:');
    for (const a of run.accepted) out.push(`  ${a.requests} request(s), ${a.fields.join(', ')}: ${a.why}`);
  }
  return out.join('\n');
}
