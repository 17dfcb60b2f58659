/**
 * The verdicts of perf claims in report.html: each claim, whether it held, its one-sentence
 * summary and, per cell, the ratio or the figure with its confidence interval.
 *
 * The input is what `gauntlet gate` writes (GateResults, lib/perf/types.ts), read from a
 * `gate.json` placed in the report folder. Only the fields below are used, all read
 * defensively, so that a gate.json from a slightly different version still renders.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cellLabel, escapeHtml } from '../format.ts';
import type { HtmlSection } from './page.ts';

export const GATE_FILE = 'gate.json';

export interface VerdictInterval {
  lo: number;
  hi: number;
  confidence: number;
}

/** The parts of a gate's results this section shows. */
export interface ClaimVerdicts {
  passed?: boolean;
  status?: string;
  settings?: { tolerance?: number; modes?: string[] };
  claims: Array<{
    claim: string;
    kind?: 'relative' | 'absolute';
    status: 'pass' | 'fail';
    summary?: string;
    cells?: Array<{
      mode?: string;
      requests: number;
      concurrency: number;
      server?: string;
      status: 'pass' | 'fail' | 'error';
      outcome?: string;
      verdicts?: Array<{ ratio: number; interval: VerdictInterval; p?: number; outcome?: string }>;
      bounds?: Array<{ median: number; interval: VerdictInterval; outcome?: string }>;
      count?: number;
      error?: string;
    }>;
  }>;
}

/** Reads `gate.json` from a report folder; null when there is none or it holds no claims. */
export async function readClaimVerdicts(dir: string): Promise<ClaimVerdicts | null> {
  const file = join(dir, GATE_FILE);
  if (!existsSync(file)) return null;
  const data = JSON.parse(await readFile(file, 'utf8')) as Partial<ClaimVerdicts>;
  return Array.isArray(data.claims) ? (data as ClaimVerdicts) : null;
}

function num(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function ratio(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a';
}

const STATUS_STYLE: Record<string, string> = {
  pass: 'background:#dff3e0;color:#05620a;font-weight:bold',
  fail: 'background:#fbd9dd;color:#b00020;font-weight:bold',
  error: 'background:#eadcf5;color:#5b2a86;font-weight:bold',
};
const CELL = 'border:1px solid #999;padding:3px 8px;';

export function claimsSection(gate: ClaimVerdicts): HtmlSection {
  const held = gate.claims.filter((c) => c.status === 'pass').length;
  const head =
    `<p class="verdict"><strong>${gate.passed === false ? 'FAILED' : gate.passed ? 'PASSED' : ''}</strong> ` +
    `${held} of ${gate.claims.length} claim${gate.claims.length === 1 ? '' : 's'} held` +
    `${gate.settings?.tolerance !== undefined ? `; differences under ${Math.round(gate.settings.tolerance * 1000) / 10}% count as noise` : ''}.</p>`;
  const blocks = gate.claims.map((c) => {
    const rows = (c.cells ?? []).map((cell) => {
      const v = cell.verdicts?.[cell.verdicts.length - 1];
      const b = cell.bounds?.[cell.bounds.length - 1];
      const figure = v
        ? ratio(v.ratio)
        : b
          ? num(b.median)
          : cell.count !== undefined
            ? `${cell.count} (total)`
            : 'n/a';
      const iv = v?.interval ?? b?.interval;
      const interval = iv
        ? `${v ? ratio(iv.lo) : num(iv.lo)} - ${v ? ratio(iv.hi) : num(iv.hi)} (${Math.round(iv.confidence * 100)}%)`
        : '';
      const p = v?.p === undefined ? '' : v.p < 0.001 ? '<0.001' : v.p.toFixed(3);
      const where = `${cell.server ? `${cell.server} ` : ''}${cellLabel(cell)}${cell.mode ? ` (${cell.mode})` : ''}`;
      return (
        `<tr><td style="${CELL}">${escapeHtml(where)}</td><td style="${CELL}text-align:right">${escapeHtml(figure)}</td>` +
        `<td style="${CELL}text-align:right">${escapeHtml(interval)}</td><td style="${CELL}text-align:right">${escapeHtml(p)}</td>` +
        `<td style="${CELL}">${escapeHtml(cell.error ?? cell.outcome ?? '')}</td>` +
        `<td style="${CELL}${STATUS_STYLE[cell.status] ?? ''}">${escapeHtml(cell.status.toUpperCase())}</td></tr>`
      );
    });
    const table = rows.length
      ? `<div class="table-wrap"><table style="border-collapse:collapse;margin:.4em 0 1em">\n<tr>${[
          'cell',
          c.kind === 'absolute' ? 'median' : 'ratio',
          'interval',
          'p',
          'outcome',
          'verdict',
        ]
          .map((h) => `<th style="${CELL}background:#f0f0f0">${h}</th>`)
          .join('')}</tr>\n${rows.join('\n')}\n</table></div>`
      : '';
    return (
      `<div class="claim" data-status="${escapeHtml(c.status)}">\n` +
      `<h3><span style="${STATUS_STYLE[c.status] ?? ''};padding:0 5px">${escapeHtml(c.status.toUpperCase())}</span> <code>${escapeHtml(c.claim)}</code></h3>\n` +
      `${c.summary ? `<p>${escapeHtml(c.summary)}</p>\n` : ''}${table}\n</div>`
    );
  });
  return { id: 'claims', title: 'Perf claims', body: [head, ...blocks].join('\n') };
}
