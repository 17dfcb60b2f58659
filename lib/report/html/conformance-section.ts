/**
 * The conformance part of an HTML report: a colour-coded grid of cases by servers and, for
 * each result that did not pass, a <details> element with its reason, wire log and replay
 * commands, then the properties: a table of properties by servers and, for each failure, its
 * shrunk counterexample and replay command. Built as an HtmlSection so that it fits in
 * check.html (check-report.ts) and in bench's report.html (bench-report.ts). Styles are
 * inline: the page's shared stylesheet knows nothing of verdicts.
 */
import type { CaseResult, CheckRun, Verdict } from '../../conformance/types.ts';
import {
  caseById,
  countVerdicts,
  countsLine,
  resultDetail,
  serverNotes,
  serverResults,
} from '../../conformance/summary.ts';
import {
  allProperties,
  propertyCountsLine,
  serverProperties,
  type PropertyRecord,
} from '../../conformance/properties/record.ts';
import { escapeHtml } from '../format.ts';
import { sectionId, type HtmlSection } from './page.ts';

const STYLE: Record<Verdict, string> = {
  pass: 'background:#dff3e0;color:#05620a',
  warn: 'background:#fff1cc;color:#8a5a00;font-weight:bold',
  fail: 'background:#fbd9dd;color:#b00020;font-weight:bold',
  info: 'background:#dceefb;color:#0b4f7c',
  skip: 'background:#f0f0f0;color:#777',
  'n/a': 'background:#f0f0f0;color:#0b4f7c;font-style:italic',
  'not-run': 'background:#f0f0f0;color:#8a5a00;font-style:italic',
  'harness-error': 'background:#eadcf5;color:#5b2a86;font-weight:bold',
};

const LABEL: Record<Verdict, string> = {
  pass: 'pass',
  warn: 'warn',
  fail: 'FAIL',
  info: 'info',
  skip: 'skip',
  'n/a': 'n/a',
  'not-run': 'not run',
  'harness-error': 'harness error',
};

const CELL = 'border:1px solid #999;padding:3px 8px;';

function anchor(r: Pick<CaseResult, 'server' | 'caseId'>): string {
  return `r-${sectionId(r.server)}--${sectionId(r.caseId)}`;
}

function gridTable(run: CheckRun): string {
  const byKey = new Map(run.results.map((r) => [`${r.server}\u0000${r.caseId}`, r]));
  const head = [
    `<th style="${CELL}">case</th>`,
    `<th style="${CELL}">level</th>`,
    `<th style="${CELL}">RFC</th>`,
    ...run.servers.map((s) => `<th style="${CELL}">${escapeHtml(s.name)}</th>`),
  ];
  const rows: string[] = [`<tr>${head.join('')}</tr>`];
  let group = '';
  for (const c of run.cases) {
    if (c.group !== group) {
      group = c.group;
      rows.push(
        `<tr><th colspan="${3 + run.servers.length}" style="${CELL}text-align:left;background:#f6f6f6">${escapeHtml(group)}</th></tr>`,
      );
    }
    const cells = run.servers.map((s) => {
      const r = byKey.get(`${s.name}\u0000${c.id}`);
      if (!r) return `<td style="${CELL}color:#777">${s.error ? 'server down' : '&ndash;'}</td>`;
      const label = escapeHtml(LABEL[r.verdict]);
      // A case not run, or with nothing to test, has no entry below to link to: its title and the summary say why.
      const text =
        r.verdict === 'pass' || r.verdict === 'not-run' || r.verdict === 'n/a'
          ? label
          : `<a href="#${anchor(r)}" style="color:inherit">${label}</a>`;
      return `<td style="${CELL}${STYLE[r.verdict]}" title="${escapeHtml(r.reason)}">${text}</td>`;
    });
    rows.push(
      `<tr><td style="${CELL}" title="${escapeHtml(c.name)}"><code>${escapeHtml(c.id)}</code></td><td style="${CELL}">${escapeHtml(c.level)}</td><td style="${CELL}">${escapeHtml(c.rfc)}</td>${cells.join('')}</tr>`,
    );
  }
  return `<div class="table-wrap">\n<table style="border-collapse:collapse;margin:.5em 0">\n${rows.join('\n')}\n</table>\n</div>`;
}

function summaryList(run: CheckRun): string {
  const items = run.servers.map((s) => {
    const properties = serverProperties(s);
    const counts = [
      countsLine(countVerdicts(serverResults(run, s.name))),
      ...(properties.length > 0 ? [`properties ${propertyCountsLine(properties)}`] : []),
      ...serverNotes(s),
    ].join('; ');
    const error = s.error ? `<div class="error"><pre>${escapeHtml(s.error)}</pre></div>` : '';
    const exits = (s.deaths ?? [])
      .filter((d) => d.outputTail)
      .map(
        (d) =>
          `<div class="error">exited (${escapeHtml(d.exit)})${d.caseId ? ` during <code>${escapeHtml(d.caseId)}</code>` : ''}; its last output:<pre>${escapeHtml(d.outputTail)}</pre></div>`,
      )
      .join('');
    return `  <li><strong>${escapeHtml(s.name)}</strong>: ${escapeHtml(counts)}${error}${exits}</li>`;
  });
  return `<ul>\n${items.join('\n')}\n</ul>`;
}

function details(run: CheckRun, r: CaseResult): string {
  const info = caseById(run, r.caseId);
  const d = resultDetail(run, r);
  const title = `${LABEL[r.verdict]} ${r.server} ${r.caseId}: ${r.reason}`;
  const body = [
    info ? `<p>${escapeHtml(info.name)} (${escapeHtml(info.level)}, ${escapeHtml(info.rfc)})</p>` : '',
    info?.notes ? `<p class="note">${escapeHtml(info.notes)}</p>` : '',
    `<pre>${escapeHtml(d.log)}</pre>`,
    `<p>Replay: <code>${escapeHtml(d.replay)}</code></p>`,
    d.printf
      ? `<p>By hand, with the server listening on <code>$PORT</code>: <code>${escapeHtml(d.printf)}</code></p>`
      : '',
  ].filter(Boolean);
  return `<details id="${anchor(r)}">\n<summary><span style="${STYLE[r.verdict]};padding:0 4px">${escapeHtml(LABEL[r.verdict])}</span> ${escapeHtml(title.slice(LABEL[r.verdict].length + 1))}</summary>\n${body.join('\n')}\n</details>`;
}

function propertyAnchor(server: string, id: string): string {
  return `p-${sectionId(server)}--${sectionId(id)}`;
}

/** Properties by servers, or '' when none ran. */
function propertyTable(run: CheckRun): string {
  const ids = [...new Set(allProperties(run).map((p) => p.record.id))];
  if (ids.length === 0) return '';
  const head = [
    `<th style="${CELL}">property</th>`,
    `<th style="${CELL}">level</th>`,
    `<th style="${CELL}">RFC</th>`,
    ...run.servers.map((s) => `<th style="${CELL}">${escapeHtml(s.name)}</th>`),
  ];
  const rows = ids.map((id) => {
    const described = allProperties(run).find((p) => p.record.id === id)!.record;
    const cells = run.servers.map((s) => {
      const r = serverProperties(s).find((p) => p.id === id);
      if (!r) return `<td style="${CELL}color:#777">${s.error ? 'server down' : '&ndash;'}</td>`;
      const label = escapeHtml(LABEL[r.verdict]);
      const text =
        r.verdict === 'fail' || r.verdict === 'warn'
          ? `<a href="#${propertyAnchor(s.name, id)}" style="color:inherit">${label}</a>`
          : label;
      return `<td style="${CELL}${STYLE[r.verdict]}" title="${escapeHtml(r.reason ?? `${r.runs} runs, seed ${r.seed}`)}">${text}</td>`;
    });
    return `<tr><td style="${CELL}" title="${escapeHtml(described.name)}"><code>${escapeHtml(id)}</code></td><td style="${CELL}">${escapeHtml(described.level)}</td><td style="${CELL}">${escapeHtml(described.rfc)}</td>${cells.join('')}</tr>`;
  });
  return `<h3>Properties</h3>\n<div class="table-wrap">\n<table style="border-collapse:collapse;margin:.5em 0">\n<tr>${head.join('')}</tr>\n${rows.join('\n')}\n</table>\n</div>`;
}

function propertyDetails(server: string, r: PropertyRecord): string {
  const body = [
    `<p>${escapeHtml(r.name)} (${escapeHtml(r.level)}, ${escapeHtml(r.rfc)}); seed ${r.seed}, ${r.runs} runs${r.path ? `, path ${escapeHtml(r.path)}` : ''}</p>`,
    r.counterexample ? `<pre>${escapeHtml(r.counterexample)}</pre>` : '',
    `<p>Replay: <code>${escapeHtml(r.replay)}</code></p>`,
  ].filter(Boolean);
  return `<details id="${propertyAnchor(server, r.id)}">\n<summary><span style="${STYLE[r.verdict]};padding:0 4px">${escapeHtml(LABEL[r.verdict])}</span> ${escapeHtml(`${server} ${r.id}: ${r.reason ?? ''}`)}</summary>\n${body.join('\n')}\n</details>`;
}

/** The grid, the per-server summary and an expandable entry for every result that did not pass. */
export function conformanceSection(run: CheckRun, id = 'conformance'): HtmlSection {
  // Cases not run have no exchange to show; the summary and the grid say why.
  const order: Verdict[] = ['fail', 'harness-error', 'warn', 'info'];
  const notPassed = order.flatMap((v) => run.results.filter((r) => r.verdict === v));
  const body = [summaryList(run), gridTable(run)];
  const properties = propertyTable(run);
  if (properties) body.push(properties);
  const failedProperties = allProperties(run).filter((p) => p.record.verdict === 'fail' || p.record.verdict === 'warn');
  if (notPassed.length > 0 || failedProperties.length > 0) {
    body.push(
      `<h3>Results that did not pass</h3>`,
      ...notPassed.map((r) => details(run, r)),
      ...failedProperties.map((p) => propertyDetails(p.server, p.record)),
    );
  }
  return { id, title: 'Conformance', body: body.join('\n') };
}
