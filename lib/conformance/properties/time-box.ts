/**
 * A time box for fast-check, shared by the properties and by `gauntlet diff`: both send real
 * requests, so a run must end whole and the search must end in bounded time.
 */
import fc from 'fast-check';

/**
 * Time-boxes fast-check: no new value is tried once `searchMs` have passed without a failure,
 * and shrinking stops `shrinkMs` after the first failure. The check happens before each run,
 * never during one, so a run's exchanges always finish and its wire log is whole.
 */
export function timeBox(searchMs: number, shrinkMs: number, signal?: AbortSignal): fc.UniversalPlugin {
  return <Ts>() => {
    const started = performance.now();
    let failedAt: number | null = null;
    const plugin: fc.PluginInstance<Ts> = {
      decorateRun: (nestedRun) => (value) => {
        const now = performance.now();
        if (
          signal?.aborted ||
          (failedAt === null && now - started >= searchMs) ||
          (failedAt !== null && now - failedAt >= shrinkMs)
        ) {
          return new fc.PreconditionFailure(true);
        }
        const out = nestedRun(value);
        const note = (o: Awaited<typeof out>) => {
          if (o !== null && !fc.PreconditionFailure.isFailure(o)) failedAt ??= performance.now();
          return o;
        };
        return out !== null && typeof (out as Promise<unknown>).then === 'function'
          ? (out as Promise<Awaited<typeof out>>).then(note)
          : note(out as Awaited<typeof out>);
      },
    };
    return plugin;
  };
}
