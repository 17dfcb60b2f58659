/**
 * The servers of a gate, from their start to their stop: which are running, which failed to
 * start, crashed or stopped answering (their remaining cells are skipped with that reason), and
 * the warm-up each gets before its first cell in a mode. Every server's fate is written into the
 * results' server records as it happens. A server given by URL is attached to, not started: it
 * is not pinned (its cores are its owner's business), and it is sent its URL's own path unless
 * the configuration names one. With `tls` the servers are started talking TLS and measured over
 * it, as is a server given by an https:// URL; the yardstick, which stands for the machine's
 * own speed, stays plain.
 */
import { noteObservation, serverRecord } from '../server-record.ts';
import { observationOf, urlRequestPath } from '../url-server.ts';
import type { LoadMode, ServerSpec } from '../types.ts';
import type { CellTarget } from '../load/index.ts';
import { describeExit, type RunningServer } from '../launcher.ts';
import { launchServer } from '../runtime.ts';
import { isAbort } from '../abort.ts';
import { lastLines } from '../output-tail.ts';
import type { ResolvedConfig } from './config.ts';
import { allTotalsOf, warmUpServer } from './sampler.ts';
import { pinGroup, type CorePlan } from './pinning.ts';
import { yardstickSpec } from './yardstick.ts';
import { YARDSTICK, type GateMeasurement, type GateResults } from './types.ts';
import { GateInterrupted, stopIfAborted, type GateEvents, type GateRunOptions } from './gate-context.ts';

/** TLS for a gate's servers (--tls, --insecure), on top of the run's options. */
export interface GateTlsOptions {
  /** Start the servers (not the yardstick) talking TLS, and measure them over it. */
  tls?: boolean;
  /** Over TLS, accept a certificate that cannot be verified (an https:// server too). */
  insecure?: boolean;
}

export class GateServers {
  private readonly running = new Map<string, RunningServer>();
  /** Why a server is out of the gate: it did not start, crashed or stopped answering. */
  private readonly errors = new Map<string, string>();

  constructor(
    private readonly config: ResolvedConfig,
    private readonly results: GateResults,
    private readonly events: GateEvents,
  ) {}

  /** Starts the servers in order (the yardstick last); a server that fails to start is recorded, not thrown. */
  async start(options: GateRunOptions & GateTlsOptions, useYardstick: boolean, cores: CorePlan | null): Promise<void> {
    const toStart: ServerSpec[] = [...options.servers, ...(useYardstick ? [yardstickSpec()] : [])];
    for (const spec of toStart) {
      stopIfAborted(options.signal);
      await this.startOne(spec, options, cores);
    }
  }

  private async startOne(
    spec: ServerSpec,
    options: GateRunOptions & GateTlsOptions,
    cores: CorePlan | null,
  ): Promise<void> {
    const isYardstick = spec.name === yardstickSpec().name && spec.source === yardstickSpec().source;
    const label = isYardstick ? YARDSTICK : spec.name;
    // The yardstick stands for the machine's own speed and has no Dockerfile: it always runs as
    // a process, next to servers in containers as next to processes.
    const inContainer = !isYardstick && this.config.runtime === 'container';
    if (!isYardstick) {
      this.results.servers.push(serverRecord(spec, inContainer ? 'container' : 'process'));
    }
    this.events.serverStarting?.(label);
    try {
      const server = await launchServer(spec, {
        root: options.root,
        env: options.env?.[spec.name] ?? {},
        runtime: inContainer ? 'container' : 'process',
        ...(inContainer && this.config.cpus !== null ? { cpus: this.config.cpus } : {}),
        ...(inContainer && this.config.memoryMb !== null ? { memoryMb: this.config.memoryMb } : {}),
        ...(options.tls && !isYardstick && { tls: true }),
        ...(options.insecure && { insecure: true }),
      });
      const attached = observationOf(server) !== undefined;
      if (cores && !attached) pinGroup(server.pid, cores.servers);
      const record = this.results.servers.find((s) => s.name === label);
      if (record && server.runtime) record.runtime = server.runtime;
      if (record) noteObservation(record, server);
      if (record && this.pathOf(server) !== this.config.path) record.path = this.pathOf(server);
      this.running.set(label, server);
      this.events.serverReady?.(server);
    } catch (err) {
      const message = (err as Error).message;
      this.errors.set(label, message);
      if (isYardstick) {
        // Without the yardstick no server can be compared with its baseline: a failure of the gate.
        this.results.servers.push({
          name: YARDSTICK,
          model: spec.model,
          language: spec.language,
          command: spec.command,
          source: spec.source,
          error: message,
        });
      }
      const record = this.results.servers.find((s) => s.name === label);
      if (record) record.error = message;
      this.events.serverFailed?.(label, message);
    }
  }

  /** Whether a server is running and still answering. */
  isLive(name: string): boolean {
    return this.running.has(name) && !this.errors.has(name);
  }

  /** Why a server is out of the gate. */
  whyOut(name: string): string {
    return this.errors.get(name) ?? `${name} is not running`;
  }

  target(name: string, mode: LoadMode): CellTarget {
    const s = this.running.get(name)!;
    const target: CellTarget = {
      host: s.host,
      port: s.port,
      path: this.pathOf(s),
      mode,
      timeoutMs: this.config.timeoutMs,
      ...(this.config.shape && { shape: this.config.shape }),
    };
    return s.tls ? { ...target, tls: s.tls } : target;
  }

  /** The request path of a server: its URL's own for a URL server, unless the configuration names one. */
  private pathOf(server: RunningServer): string {
    return (this.config.pathGiven ? undefined : urlRequestPath(server.spec)) ?? this.config.path;
  }

  /** Warms every running server up in a mode; one that answers nothing is out of the gate. */
  async warmUp(mode: LoadMode, signal: AbortSignal | undefined): Promise<void> {
    for (const name of this.running.keys()) {
      stopIfAborted(signal);
      if (this.errors.has(name)) continue;
      try {
        const report = await warmUpServer(this.target(name, mode), this.config.sampling.warmupMs, signal);
        this.results.warmups!.push({ server: name, mode, ...report });
        if (report.complete === 0) {
          this.stoppedAnswering(
            name,
            `${name} stopped answering during its warm-up (${mode} mode): ${report.stopped?.reason ?? 'no request completed'}; its cells are skipped`,
          );
        }
      } catch (err) {
        if (isAbort(err, signal)) throw new GateInterrupted();
        // A server that cannot take the warm-up shows it in its first cell, where it is reported.
      }
    }
  }

  /** A server that died, or answered nothing in the whole cell, is done: its other cells are skipped. */
  noteStops(m: GateMeasurement, sides: string[], at: string, mode: LoadMode): void {
    for (const s of sides) {
      const why = this.crashed(s);
      if (why) {
        this.stoppedAnswering(s, why);
        continue;
      }
      const measured = m.sides.find((x) => x.name === s);
      if (measured?.stopped && allTotalsOf(measured).complete === 0) {
        this.stoppedAnswering(
          s,
          `${s} stopped answering at ${at} (${mode} mode): ${measured.stopped.reason}; its remaining cells are skipped`,
        );
      }
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((s) => s.stop()));
  }

  private crashed(name: string): string | null {
    const s = this.running.get(name);
    const exit = s?.exitInfo();
    if (!s || !exit) return null;
    const tail = lastLines(s, 6);
    return `${name} exited during the gate (${describeExit(exit)})${tail ? `:\n${tail}` : ''}`;
  }

  /** Marks a server as no longer answering: its remaining cells are skipped with this verdict. */
  private stoppedAnswering(name: string, why: string): void {
    if (this.errors.has(name)) return;
    this.errors.set(name, why);
    const record = this.results.servers.find((r) => r.name === name);
    if (record) record.error = why;
    this.events.serverFailed?.(name, why);
  }
}
