/**
 * The record a gate keeps (GateResults): opened with the settings and the claims before anything
 * runs, filled in cell by cell by the other steps, and closed when the gate ends, however it
 * ends: the family-wise corrections, each claim's verdict and summary, the alerts, and whether
 * the gate passed.
 */
import { machineInfo, gauntletVersion } from '../machine.ts';
import { runEnvelope } from '../envelope.ts';
import type { ServerRecord } from '../types.ts';
import type { ResolvedConfig } from './config.ts';
import { kindOf } from './claim-kinds/registry.ts';
import { buildAlerts } from './alerts.ts';
import { summarizeClaim } from './claim-summary.ts';
import type { FamilyP } from './gate-context.ts';
import type { GateResults, GateSettings } from './types.ts';
import { shapeRecord } from '../load/ab-request.ts';
import { engineRecord } from './gate-engine.ts';

function settingsOf(config: ResolvedConfig): GateSettings {
  return {
    configFile: config.file,
    modes: config.modes,
    matrix: config.matrix,
    path: config.path,
    // Only a shaped request is recorded: without it, the gate sent ab's GET of `path`.
    ...(config.shape && { request: shapeRecord(config.shape, config.path) }),
    tolerance: config.tolerance,
    alpha: config.alpha,
    confidence: config.confidence,
    sampling: { ...config.sampling },
    remeasure: config.remeasure,
    pinning: 'not pinned',
    baseline: config.baseline,
    engine: engineRecord(config.engine),
  };
}

/** The results of a gate about to start: every claim listed, nothing measured. */
export function openResults(config: ResolvedConfig): GateResults {
  return {
    ...runEnvelope<ServerRecord, 'gate'>('gate', { version: gauntletVersion(), machine: machineInfo() }),
    settings: settingsOf(config),
    measurements: [],
    warmups: [],
    claims: config.claims.map((c) => ({ claim: c.text, kind: c.kind, status: 'pass', cells: [], summary: '' })),
    regressions: [],
    alerts: [],
    passed: false,
  };
}

/** Closes the results: corrections over each claim's cells, verdicts, summaries, alerts. */
export function closeResults(results: GateResults, config: ResolvedConfig, familyP: FamilyP): void {
  results.finishedAt = new Date().toISOString();
  for (const [i, claim] of config.claims.entries())
    kindOf(claim).correct(claim, results.claims[i]!.cells, familyP, config.alpha);
  for (const [i, claim] of config.claims.entries()) {
    const r = results.claims[i]!;
    // A claim that checked nothing (no cell of the matrix matches it) cannot be said to hold.
    r.status = r.cells.length === 0 || r.cells.some((c) => c.status !== 'pass') ? 'fail' : 'pass';
    r.summary = summarizeClaim(claim, r, config.tolerance);
  }
  results.alerts = buildAlerts(results);
  results.passed =
    results.status === 'complete' &&
    results.claims.every((c) => c.status === 'pass') &&
    !results.regressions.some((r) => r.level === 'fail') &&
    !results.servers.some((s) => s.error);
}
