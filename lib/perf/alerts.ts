/**
 * What in a gate's results calls for attention, as the alerts results.json stores: servers that
 * did not run, failed claims, warm-ups that failed requests or stopped, regressions beyond the
 * baseline's thresholds, an interrupted gate. Errors come before warnings. The alerts are part of
 * the gate's record, so that every place they are sent (lib/cli/gate-alerts.ts) and every report
 * shows the same words.
 */
import type { Alert, GateResults, RegressionResult } from './types.ts';
import { cellLabel, plural } from '../report/format.ts';
import { differenceWords, formatP, formatRatioInterval, pct } from './report-words.ts';

function regressionMessage(r: RegressionResult, fail: number, alert: number): string {
  const v = r.verdicts[r.verdicts.length - 1]!;
  const threshold = r.level === 'fail' ? `the ${pct(fail)} fail threshold` : `the ${pct(alert)} alert threshold`;
  return (
    `${r.server} at ${cellLabel(r)} (${r.mode}) is ${differenceWords(v.ratio)} than its baseline ` +
    `(${formatRatioInterval(v)}, ${formatP(v.p)}, ${plural(r.baselineRuns, 'baseline run')}), beyond ${threshold}` +
    (r.verdicts.length > 1 ? '; measured twice' : '')
  );
}

/** Sentences on the servers' warm-ups that had failed requests or stopped: reported, never dropped. */
export function warmupLines(results: GateResults): string[] {
  return (results.warmups ?? [])
    .filter((w) => w.failed > 0 || w.stopped)
    .map(
      (w) =>
        `${w.server} failed ${w.failed} of the ${w.complete + w.failed} requests that ended during its warm-up (${w.mode} mode, ${(w.ms / 1000).toFixed(1)} s)` +
        (w.stopped ? `, and the warm-up stopped: ${w.stopped.reason}` : ''),
    );
}

/** The alerts of a gate, errors first. */
export function buildAlerts(results: GateResults): Alert[] {
  const errors: Alert[] = [];
  const warnings: Alert[] = [];
  for (const s of results.servers) {
    if (s.error)
      errors.push({
        level: 'error',
        title: `server ${s.name} did not run`,
        message: s.error.split('\n')[0] ?? s.error,
      });
  }
  for (const c of results.claims) {
    if (c.status === 'fail') errors.push({ level: 'error', title: `claim failed: ${c.claim}`, message: c.summary });
  }
  for (const w of warmupLines(results)) {
    warnings.push({ level: 'warning', title: `failures during the warm-up: ${w.split(' ')[0]}`, message: w });
  }
  const b = results.settings.baseline;
  for (const r of results.regressions) {
    if (r.level !== 'fail' && r.level !== 'alert') continue;
    const alert: Alert = {
      level: r.level === 'fail' ? 'error' : 'warning',
      title: `${r.level === 'fail' ? 'regression' : 'possible regression'}: ${r.server} ${cellLabel(r)} (${r.mode})`,
      message: regressionMessage(r, b?.fail ?? 0, b?.alert ?? 0),
    };
    (alert.level === 'error' ? errors : warnings).push(alert);
  }
  if (results.status === 'interrupted') {
    warnings.push({
      level: 'warning',
      title: 'gate interrupted',
      message: 'The gate was stopped before it measured every cell.',
    });
  }
  return [...errors, ...warnings];
}
