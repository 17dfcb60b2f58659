/**
 * Runs one property against one server with fast-check: searches for a value that breaks it,
 * shrinks that value, and turns what fast-check found into a result. A property never throws:
 * a property that cannot run is a failure that says why.
 *
 * Searching and shrinking are time-boxed, and every run has its own deadline, so that a hanging
 * server costs seconds, not the whole check.
 */
import fc from 'fast-check';
import type { PropertyDef } from './definition.ts';
import { Probe, wireLogs } from './probe.ts';
import { propertyReplay } from './replay.ts';
import { timeBox } from './time-box.ts';
import { RUN_LIMIT_MS, propertySettings } from './settings.ts';
import type { GauntletProperty, PropertyResult, PropertySettings, PropertyTarget } from './types.ts';

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What a failing run leaves behind: the value as shown, what went wrong, and the wire logs. */
interface Evidence {
  shown: string;
  problem: string;
  logs: string;
}

/** One search of one property against one server: fast-check calls `tryValue` for each value. */
class Search<T> {
  /** The evidence of the latest failing run: the shrunk counterexample is the last one to fail. */
  evidence: Evidence | null = null;
  finished = false;
  /**
   * Once the server is gone, no later value tells anything about itself: such runs count as
   * passing, so that shrinking keeps the value that took the server down instead of replacing
   * it with whatever comes next.
   */
  gone: string | null = null;
  /** Some run reached the server. */
  reached = false;

  constructor(
    private readonly def: PropertyDef<T>,
    private readonly target: PropertyTarget,
    private readonly signal?: AbortSignal,
  ) {}

  async tryValue(value: T): Promise<boolean> {
    const probe = new Probe(this.target, this.signal);
    let problem: string | null;
    try {
      problem = await withDeadline(this.def.check(value, probe), RUN_LIMIT_MS, 'one run of the property');
    } catch (err) {
      problem = errorText(err);
    } finally {
      probe.callOff();
    }
    // A run cut short by Ctrl-C says nothing about the server: neither a failure nor a pass.
    if (this.signal?.aborted) return true;
    if (probe.goneAtStart) {
      this.gone ??= problem ?? 'unreachable';
      return true;
    }
    this.reached = true;
    if (problem !== null && !this.finished)
      this.evidence = { shown: this.show(value), problem, logs: wireLogs(probe.logged) };
    return problem === null;
  }

  private show(value: T): string {
    try {
      return this.def.show(value);
    } catch (err) {
      return `(the value could not be shown: ${errorText(err)})`;
    }
  }
}

type Base = Pick<PropertyResult, 'id' | 'name' | 'rfc' | 'level' | 'seed'>;

/** The result of a search fast-check finished, failed or not. */
function resultOf<T>(
  search: Search<T>,
  details: fc.RunDetails<unknown>,
  base: Base,
  replay: (path?: string) => string,
  durationMs: number,
): PropertyResult {
  if (!details.failed && search.gone !== null) {
    const reason = search.reached
      ? `the server stopped answering during the property, after a run that passed (${search.gone}); the request that took it down was not identified`
      : `the server could not be reached at all (${search.gone})`;
    return {
      ...base,
      verdict: 'fail',
      numRuns: details.numRuns,
      reason,
      counterexample: reason,
      replay: replay(),
      durationMs,
    };
  }
  if (!details.failed) {
    return {
      ...base,
      verdict: 'pass',
      numRuns: details.numRuns,
      replay: replay(),
      ...(details.interrupted ? { interrupted: true } : {}),
      durationMs,
    };
  }
  const path = details.counterexamplePath ?? undefined;
  const shrunk = search.evidence;
  const problem =
    shrunk?.problem ??
    (details.errorInstance ? errorText(details.errorInstance) : 'no run completed within the time box');
  const counterexample = shrunk
    ? [
        shrunk.shown,
        'wire log:',
        shrunk.logs,
        `(fast-check: seed ${base.seed}, path ${path ?? '-'}, failed at run ${details.numRuns}, ${details.numShrinks} shrinks)`,
      ].join('\n')
    : problem;
  return {
    ...base,
    verdict: 'fail',
    numRuns: details.numRuns,
    reason: problem,
    counterexample,
    replay: replay(path),
    ...(path ? { path } : {}),
    numShrinks: details.numShrinks,
    ...(details.interrupted ? { interrupted: true } : {}),
    durationMs,
  };
}

async function runDefinition<T>(
  def: PropertyDef<T>,
  target: PropertyTarget,
  given?: PropertySettings,
): Promise<PropertyResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const identity = { id: def.id, name: def.name, rfc: def.rfc, level: def.level };
  let settings: PropertySettings;
  try {
    settings = given ?? propertySettings();
  } catch (err) {
    return {
      ...identity,
      verdict: 'fail',
      seed: 0,
      numRuns: 0,
      reason: errorText(err),
      replay: '',
      durationMs: elapsed(),
    };
  }
  const base: Base = { ...identity, seed: settings.seed };
  const replay = (path?: string) => propertyReplay(target, def.id, settings, path);
  const missing = (def.needs ?? []).filter((c) => !(target.capabilities as readonly string[]).includes(c));
  if (missing.length > 0) {
    const serverName = target.name ?? `${target.host}:${target.port}`;
    return {
      ...base,
      verdict: 'skip',
      numRuns: 0,
      reason: `needs ${missing.join(', ')}, which ${serverName} does not declare`,
      replay: replay(),
      durationMs: elapsed(),
    };
  }
  const search = new Search(def, target, settings.signal);
  try {
    const details = await fc.check(
      fc.asyncProperty(def.arbitrary(target), (value) => search.tryValue(value)),
      {
        seed: settings.seed,
        numRuns: settings.numRuns,
        ...(settings.path ? { path: settings.path, endOnFailure: true } : {}),
        plugins: [
          timeBox(settings.timeMs, settings.shrinkTimeMs, settings.signal),
          // A backstop for the whole call, should a run outlast its own deadline.
          fc.interruptAfterTimeLimit(settings.timeMs + settings.shrinkTimeMs + RUN_LIMIT_MS + 5_000),
        ],
      },
    );
    search.finished = true;
    if (settings.signal?.aborted && !details.failed) {
      // Stopped by Ctrl-C before a failure was found: too few runs to call it a pass.
      return {
        ...base,
        verdict: 'skip',
        numRuns: details.numRuns,
        reason: `interrupted after ${details.numRuns} run${details.numRuns === 1 ? '' : 's'}: not judged`,
        replay: replay(),
        durationMs: elapsed(),
      };
    }
    return resultOf(search, details, base, replay, elapsed());
  } catch (err) {
    search.finished = true;
    return {
      ...base,
      verdict: 'fail',
      numRuns: 0,
      reason: `the property could not run: ${errorText(err)}`,
      replay: replay(),
      durationMs: elapsed(),
    };
  }
}

/** A definition made runnable. */
export function defineProperty<T>(def: PropertyDef<T>): GauntletProperty {
  return {
    id: def.id,
    name: def.name,
    rfc: def.rfc,
    level: def.level,
    needs: def.needs ?? [],
    notes: def.notes,
    run: (target, settings) => runDefinition(def, target, settings),
  };
}
