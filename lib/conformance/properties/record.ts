/**
 * Property results as the reports of `gauntlet check` keep them: one record per property and
 * server, with the verdict its level gives a failure (a SHOULD property warns), and the server
 * record that carries them. The case records (../types.ts) know nothing of properties, so a run
 * without properties reads as it always did.
 */
import type { CheckRun, CheckServerRecord, Verdict } from '../types.ts';
import type { PropertyResult } from './types.ts';

export interface PropertyRecord {
  id: string;
  name: string;
  rfc: string;
  level: PropertyResult['level'];
  /** pass, fail (a MUST property), warn (a SHOULD one), info (an informational one), skip. */
  verdict: Extract<Verdict, 'pass' | 'fail' | 'warn' | 'info' | 'skip'>;
  /** Values tried (for a failure: the run that found it, counted from 1). */
  runs: number;
  seed: number;
  /** fast-check's path to the shrunk counterexample: `--shrink-path` replays it. */
  path?: string;
  /** For a failure: the shrunk request with the wire log of its exchanges. */
  counterexample?: string;
  /** For a failure or a skip: one sentence saying why. */
  reason?: string;
  /** The command that runs this property against this server again. */
  replay: string;
  durationMs: number;
  /** The time box ended the search before all its runs. */
  interrupted?: boolean;
}

/** A server's record with its properties, when they ran. */
export interface PropertyServerRecord extends CheckServerRecord {
  properties?: PropertyRecord[];
}

/** A check run whose servers may carry properties; every CheckRun is one. */
export interface PropertyCheckRun extends CheckRun {
  servers: PropertyServerRecord[];
}

const FAILED_AS: Record<PropertyResult['level'], PropertyRecord['verdict']> = {
  MUST: 'fail',
  SHOULD: 'warn',
  security: 'fail',
  informational: 'info',
};

export function propertyRecord(r: PropertyResult): PropertyRecord {
  return {
    id: r.id,
    name: r.name,
    rfc: r.rfc,
    level: r.level,
    verdict: r.verdict === 'fail' ? FAILED_AS[r.level] : r.verdict,
    runs: r.numRuns,
    seed: r.seed,
    ...(r.path ? { path: r.path } : {}),
    ...(r.counterexample ? { counterexample: r.counterexample } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    replay: r.replay,
    durationMs: r.durationMs,
    ...(r.interrupted ? { interrupted: true } : {}),
  };
}

export function serverProperties(server: CheckServerRecord): PropertyRecord[] {
  return (server as PropertyServerRecord).properties ?? [];
}

/** Every property record of the run, with its server's name. */
export function allProperties(run: CheckRun): Array<{ server: string; record: PropertyRecord }> {
  return run.servers.flatMap((s) => serverProperties(s).map((record) => ({ server: s.name, record })));
}

/** Whether a property failed the run (a MUST property that failed). */
export function propertiesFailed(run: CheckRun): boolean {
  return allProperties(run).some((p) => p.record.verdict === 'fail');
}

/** "8 pass, 0 fail" and the warnings and skips when there are any. */
export function propertyCountsLine(records: readonly PropertyRecord[]): string {
  const count = (v: PropertyRecord['verdict']) => records.filter((r) => r.verdict === v).length;
  const extra = (['warn', 'info', 'skip'] as const).filter((v) => count(v) > 0).map((v) => `, ${count(v)} ${v}`);
  return `${count('pass')} pass, ${count('fail')} fail${extra.join('')}`;
}
