/**
 * Regressions against the baseline: a server's requests per second, normalised by the yardstick
 * measured next to it, against the runs the baseline keeps for the same server, mode and cell.
 * A level that would fail the gate is measured once more, and the less severe of the two looks
 * stands; on other hardware, or in another runtime, a regression is an alert at most.
 */
import { compareToRuns, type RatioVerdict } from './decide.ts';
import {
  baselineMedianRps,
  machineDifferences,
  normalisedRps,
  sameHardware,
  type BaselineMachine,
  type BaselineRun,
} from './baseline.ts';
import { measuredSide, side } from './measurement.ts';
import { rpsOf, type SideSamples } from './sampler.ts';
import { median } from '../stats.ts';
import { cellNotes, measurementInfo, noTimeNotes } from './report-words.ts';
import { YARDSTICK, type GateMeasurement, type RegressionLevel, type RegressionResult } from './types.ts';
import type { CellLooks, CellPlace } from './claim-kinds/kind.ts';

/**
 * Baseline runs needed before a regression can fail a gate. Runs measured at different times
 * differ by more than the samples within one run do (the machine's other work changes), and only
 * several runs show by how much.
 */
export const MIN_RUNS_TO_FAIL = 3;

export interface RegressionCheck {
  verdict: RatioVerdict;
  level: RegressionLevel;
}

export interface RegressionSettings {
  alert: number;
  fail: number;
  alpha: number;
  confidence: number;
}

/**
 * A server's normalised figure against the baseline's runs. Alert: significant and the whole
 * interval beyond the alert threshold (the two-part rule). Fail: an alert whose estimate is
 * also beyond the fail threshold. Each measurement is decided by its own full verdict; a second
 * look lowers the level when it disagrees (the gate keeps the less severe of the two).
 */
export function checkRegression(
  s: SideSamples,
  yardstick: SideSamples,
  runs: BaselineRun[],
  settings: RegressionSettings,
): RegressionCheck {
  const current = normalisedRps(s, yardstick);
  const verdict = compareToRuns(
    current,
    runs.map((r) => r.normalised),
    { tolerance: settings.alert, alpha: settings.alpha, confidence: settings.confidence },
  );
  let level: RegressionLevel;
  switch (verdict.outcome) {
    case 'slower':
      // Fewer runs than MIN_RUNS_TO_FAIL cannot show how much runs on different days differ:
      // an alert, never a failure.
      level = verdict.ratio < 1 - settings.fail && runs.length >= MIN_RUNS_TO_FAIL ? 'fail' : 'alert';
      break;
    case 'faster':
      level = 'improved';
      break;
    case 'within':
      level = 'within';
      break;
    default:
      level = 'undecided';
  }
  return { verdict, level };
}

/** A server of a cell against its baseline: the runs kept for it and the machine it runs on now. */
export interface RegressionSubject {
  server: string;
  runs: BaselineRun[];
  /** The machine facts a baseline compares, with the runtime the server runs in now. */
  machine: BaselineMachine;
  settings: RegressionSettings;
}

/** A regression on one measurement; null when the server or the yardstick took no sample. */
export function regressionLook(subject: RegressionSubject, m: GateMeasurement): RegressionCheck | null {
  const { server, runs } = subject;
  if (!measuredSide(m, server) || !measuredSide(m, YARDSTICK)) return null;
  const check = checkRegression(side(m, server), side(m, YARDSTICK), runs, subject.settings);
  // Other hardware, or another runtime, cannot fail the gate: its figures differ for that alone.
  return { ...check, level: check.level === 'fail' && !sameHardware(subject.machine, runs) ? 'alert' : check.level };
}

const SEVERITY: Record<RegressionLevel, number> = {
  'no-baseline': 0,
  improved: 0,
  ok: 0,
  within: 0,
  undecided: 0,
  alert: 1,
  fail: 2,
};

/** Sentences on what limits the verdict: too few baseline runs, another machine. */
function baselineNotes(subject: RegressionSubject): string[] {
  const { runs, machine } = subject;
  const notes: string[] = [];
  if (runs.length < MIN_RUNS_TO_FAIL) {
    notes.push(
      `the baseline has ${runs.length} of the ${MIN_RUNS_TO_FAIL} runs a regression needs to fail the gate: alerts only`,
    );
  }
  const diffs = machineDifferences(machine, runs);
  if (diffs.length) {
    notes.push(
      `the baseline was measured with ${diffs.join('; ')}; figures are normalised by the yardstick` +
        (sameHardware(machine, runs)
          ? ''
          : ', and on other hardware or in another runtime a regression is an alert at most, never a failure'),
    );
  }
  return notes;
}

/**
 * A server's cell against the baseline from every measurement taken; null when the first
 * measurement could not be compared (the server or the yardstick stopped answering, which is
 * reported as such). A failing level is looked at again on every round of both measurements,
 * and must be confirmed there to stand.
 */
export function judgeRegression(
  subject: RegressionSubject,
  looks: CellLooks,
  place: CellPlace,
  first: RegressionCheck | null = regressionLook(subject, looks.first),
): RegressionResult | null {
  if (!first) return null;
  const { server, runs } = subject;
  const verdicts = [first.verdict];
  let level = first.level;
  let m = looks.first;
  const again = level === 'fail' && looks.both ? regressionLook(subject, looks.both) : null;
  if (again) {
    verdicts.push(again.verdict);
    // The first measurement and all the rounds together must agree for the worse level to stand.
    if (SEVERITY[again.level] < SEVERITY[level]) level = again.level;
    m = looks.both!;
  }
  const notes = [
    ...cellNotes(verdicts.length > 1),
    ...(level === 'fail' ? noTimeNotes(looks.noTime) : []),
    ...baselineNotes(subject),
  ];
  return {
    server,
    ...place,
    level,
    verdicts,
    baselineRuns: runs.length,
    rpsNow: median(rpsOf(side(m, server))),
    rpsBaseline: baselineMedianRps(runs),
    measured: measurementInfo(m, [server, YARDSTICK]),
    notes,
  };
}
