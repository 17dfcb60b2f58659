/**
 * The diagnostics' rules on cell data: each raises its finding on its pathology's signature and
 * stays silent on the near misses a healthy server produces (queueing that lands near 40 ms, a
 * CPU-bound server's flat throughput, another program's accept-queue drops, short cells whose
 * CPU cannot be measured). The same rules against real servers are in spec/perf/diagnostics.test.ts.
 */
import { describe, it, expect } from 'vitest';
import { diagnoseAcceptQueue, acceptDrops } from '../../lib/diagnostics/accept-queue.ts';
import { diagnoseDelayedAck } from '../../lib/diagnostics/delayed-ack.ts';
import { diagnoseSerialisation } from '../../lib/diagnostics/serialisation.ts';
import { diagnoseErrorResponses } from '../../lib/diagnostics/error-responses.ts';
import { diagnoseFailures } from '../../lib/diagnostics/failures.ts';
import { diagnoseFdLeak } from '../../lib/diagnostics/fd-leak.ts';
import { diagnoseOmission } from '../../lib/diagnostics/omission.ts';
import { cellSignals } from '../../lib/diagnostics/signals.ts';
import { diagnoseRun, diagnoseServer, FINDING_KINDS, LOOKED_FOR } from '../../lib/diagnostics/index.ts';
import { cell, cpuShare, serverRecord } from './helpers/diagnostic-cells.ts';

describe('cellSignals', () => {
  it('counts stalls by whole second, the delayed-ACK windows and the failures', () => {
    const ms = [0.3, 0.4, 39, 41, 44, 59.9, 61, 195, 1000, 1250, 1999, 2100, 3050, 7200, 125_000];
    const s = cellSignals(
      {
        latenciesUs: Float64Array.from(ms, (v) => v * 1000),
        failures: { connect: 1, reset: 2, timeout: 3, truncated: 0 },
      },
      { listenOverflows: 5, listenDrops: 6, synRetrans: 7, delayedAcks: 8 },
    );
    expect(s.timed).toBe(ms.length);
    expect(s.near40ms).toBe(4);
    expect(s.near40msMedianUs).toBe(42_500);
    expect(s.near200ms).toBe(1);
    expect(s.stallsBySecond.slice(0, 7)).toEqual([3, 1, 1, 0, 0, 0, 1]);
    expect(s.stallsBySecond).toHaveLength(60);
    expect(s.stallsBySecond[59]).toBe(1);
    expect(s.failures).toEqual({ connect: 1, reset: 2, timeout: 3, truncated: 0 });
    expect(s.kernel?.delayedAcks).toBe(8);
  });

  it('is empty-handed for a cell with no timed request', () => {
    const s = cellSignals(
      { latenciesUs: new Float64Array(0), failures: { connect: 10, reset: 0, timeout: 0, truncated: 0 } },
      null,
    );
    expect(s).toMatchObject({ timed: 0, stallsBySecond: [], near40ms: 0, near40msMedianUs: null, kernel: null });
  });
});

describe('accept-queue overflow', () => {
  const dropped = (c: number, drops: number, stalls: number[] = [5, 1]) =>
    cell({
      requests: 50,
      concurrency: c,
      seconds: 2,
      signals: { stallsBySecond: stalls, kernel: { listenOverflows: drops, listenDrops: drops, synRetrans: 4 } },
    });

  it('names the drops, the backlog and the stalls near whole seconds', () => {
    const f = diagnoseAcceptQueue(serverRecord('tiny', 1), [cell({ requests: 50, concurrency: 1 }), dropped(10, 23)])!;
    expect(f.id).toBe('accept-queue-overflow');
    expect(f.severity).toBe('error');
    expect(f.title).toBe('23 connection attempts were dropped at accept: the listen backlog is too small');
    expect(f.cells).toEqual([{ group: 0, requests: 50, concurrency: 10 }]);
    expect(f.evidence[0]).toContain('n=50 c=10: ListenOverflows +23, ListenDrops +23');
    expect(f.evidence[0]).toContain('system-wide');
    expect(f.evidence[1]).toBe(
      "The server's listening socket has a backlog of 1 (ss, Send-Q): its accept queue holds at most 2 connections, and these cells opened up to 10 at once.",
    );
    expect(f.evidence[2]).toMatch(
      /^6 of 50 requests in those cells took 1 s or more \(5 took 1\.x s and 1 took 2\.x s\)/,
    );
    expect(f.evidence[3]).toBe('Connecting sockets retransmitted 4 SYNs during those cells (TcpExt TCPSynRetrans).');
  });

  it("ignores drops a backlog this large cannot have had: they are another program's", () => {
    // At most C connections are open at a time: backlog + 1 >= C cannot overflow.
    expect(acceptDrops(dropped(10, 23), 9)).toBe(0);
    expect(acceptDrops(dropped(10, 23), 8)).toBe(23);
    expect(diagnoseAcceptQueue(serverRecord('big', 1024), [dropped(1000, 50)])).toBeNull();
  });

  it('without a known backlog, counts drops only when the cell stalled or failed', () => {
    expect(diagnoseAcceptQueue(serverRecord('x', null), [dropped(10, 3, [])])).toBeNull();
    expect(diagnoseAcceptQueue(serverRecord('x', null), [dropped(10, 3, [2])])?.title).toMatch(
      /^3 connection attempts/,
    );
  });

  it('says nothing when the counters did not move, or could not be read', () => {
    expect(diagnoseAcceptQueue(serverRecord('x', 1), [cell({ requests: 50, concurrency: 10 })])).toBeNull();
    expect(
      diagnoseAcceptQueue(serverRecord('x', 1), [cell({ requests: 50, concurrency: 10, signals: { kernel: null } })]),
    ).toBeNull();
  });
});

describe('delayed-ACK stalls', () => {
  const stalled = (c: number, over: Partial<Parameters<typeof cell>[0]> = {}) =>
    cell({
      requests: 50,
      concurrency: c,
      mode: 'keepalive',
      seconds: 2.2 / c,
      p50Ms: 44,
      signals: { near40ms: 49, near40msMedianUs: 43_900, kernel: { delayedAcks: 49 } },
      resources: cpuShare(0.01, 2.2 / c),
      ...over,
    });

  it('names a 40 ms cluster with delayed ACKs and an idle server', () => {
    const f = diagnoseDelayedAck('nagle', [stalled(1), stalled(10)])!;
    expect(f.id).toBe('delayed-ack-stall');
    expect(f.title).toBe(
      "Requests stall for about 40 ms each with the server idle: a delayed-ACK stall (Nagle's algorithm meets delayed ACKs)",
    );
    expect(f.evidence[0]).toBe(
      'Requests that took 38-60 ms: n=50 c=1 (keepalive): 49 of 50, median 43.9 ms and n=50 c=10 (keepalive): 49 of 50, median 43.9 ms.',
    );
    expect(f.evidence[1]).toContain('fired 98 times during those cells for 98 stalled requests');
    expect(f.evidence[2]).toMatch(/^The server used 24\.2 ms of CPU time in 2\.42 s \(1% of one core\)/);
    expect(f.cause).toContain('TCP_NODELAY');
  });

  it('stays silent on queueing that lands near 40 ms: no delayed ACKs', () => {
    // node-async at n=1000 c=1000 in close mode: 999 of 1000 requests within 38-60 ms.
    const queue = cell({
      requests: 1000,
      concurrency: 1000,
      seconds: 0.3,
      signals: { near40ms: 999 },
      resources: cpuShare(0.1, 0.3),
    });
    expect(diagnoseDelayedAck('srv', [queue])).toBeNull();
  });

  it('stays silent when the server was busy, or the cells were too short to tell', () => {
    expect(diagnoseDelayedAck('srv', [stalled(1, { resources: cpuShare(0.6, 2.2) })])).toBeNull();
    expect(diagnoseDelayedAck('srv', [stalled(1, { seconds: 0.1, resources: cpuShare(0, 0.1) })])).toBeNull();
  });

  it('stays silent for a server starved of CPU', () => {
    expect(
      diagnoseDelayedAck('srv', [stalled(1, { resources: { ...cpuShare(0.01, 2.2), runDelayUs: 1.1e6 } })]),
    ).toBeNull();
  });

  it('needs half of the requests, and ten, in the window', () => {
    expect(
      diagnoseDelayedAck('srv', [stalled(1, { signals: { near40ms: 24, kernel: { delayedAcks: 24 } } })]),
    ).toBeNull();
    expect(
      diagnoseDelayedAck('srv', [stalled(1, { requests: 12, signals: { near40ms: 9, kernel: { delayedAcks: 9 } } })]),
    ).toBeNull();
  });

  it('names the 200 ms variant', () => {
    const f = diagnoseDelayedAck('srv', [
      stalled(1, {
        seconds: 10,
        signals: { near200ms: 48, kernel: { delayedAcks: 48 } },
        resources: cpuShare(0.01, 10),
      }),
    ]);
    expect(f?.title).toContain('about 200 ms each');
    expect(f?.evidence[0]).toContain('190-240 ms');
  });
});

describe('serialisation', () => {
  const flat = (c: number, over: Partial<Parameters<typeof cell>[0]> = {}) =>
    cell({ requests: 20, concurrency: c, seconds: 0.42, resources: cpuShare(0.02, 0.42), ...over });

  it('names flat throughput with an idle CPU', () => {
    const f = diagnoseSerialisation(serverRecord('lock'), [flat(1), flat(5), flat(10)])!;
    expect(f.id).toBe('serialised');
    expect(f.cells.map((c) => c.concurrency)).toEqual([1, 5, 10]);
    expect(f.evidence[0]).toBe(
      'n=20: requests per second 47.6 at c=1, 47.6 at c=5 and 47.6 at c=10 (at most 1.00x the c=1 figure); the mean time per request grew with the queue: 21.0 ms at c=1, 105 ms at c=5 and 210 ms at c=10.',
    );
    expect(f.evidence[1]).toBe(
      'Above the lowest concurrency: the server used 16.8 ms of CPU time in 0.84 s (2% of one core): it was waiting, not working; the load client wanted 5% of one core, so it did not set the pace either.',
    );
    expect(f.evidence[2]).toBe(
      'Each request holds the server for about 21.0 ms (time taken / requests) that concurrency does not overlap.',
    );
  });

  it('stays silent when throughput rises with concurrency', () => {
    expect(
      diagnoseSerialisation(serverRecord(), [
        flat(1),
        flat(5, { seconds: 0.2, resources: cpuShare(0.02, 0.2) }),
        flat(10),
      ]),
    ).toBeNull();
  });

  it('stays silent for a CPU-bound server (flat but busy) and a fast one (under 1 ms per request)', () => {
    expect(diagnoseSerialisation(serverRecord(), [flat(1), flat(10, { resources: cpuShare(0.9, 0.42) })])).toBeNull();
    const fast = (c: number) => cell({ requests: 1000, concurrency: c, seconds: 0.4, resources: cpuShare(0.1, 0.4) });
    expect(diagnoseSerialisation(serverRecord(), [fast(1), fast(100)])).toBeNull();
  });

  it('stays silent for a server starved of CPU (its threads waiting on a run queue) rather than waiting', () => {
    const starvedCell = (c: number) => flat(c, { resources: { ...cpuShare(0.02, 0.42), runDelayUs: 0.3e6 } });
    expect(diagnoseSerialisation(serverRecord(), [starvedCell(1), starvedCell(5), starvedCell(10)])).toBeNull();
    const waiting = (c: number) => flat(c, { resources: { ...cpuShare(0.02, 0.42), runDelayUs: 1500 } });
    const f = diagnoseSerialisation(serverRecord(), [waiting(1), waiting(5), waiting(10)])!;
    expect(f.evidence[1]).toContain('(2% of one core) and waited 3.00 ms for a CPU: it was waiting, not working;');
  });

  it('stays silent when the load client was starved of CPU (it sent slowly, so the server idled)', () => {
    // It used 5% of a core and waited for one 71% of the time: it wanted three quarters of a core.
    const slowClient = (c: number) => flat(c, { signals: { clientCpuUs: 0.021e6, clientRunDelayUs: 0.3e6 } });
    expect(diagnoseSerialisation(serverRecord(), [slowClient(1), slowClient(5), slowClient(10)])).toBeNull();
  });

  it('stays silent when the load client set the pace, or the CPU could not be measured', () => {
    expect(diagnoseSerialisation(serverRecord(), [flat(1), flat(10, { signals: { clientCpuUs: 0.4e6 } })])).toBeNull();
    const short = (c: number) => cell({ requests: 10, concurrency: c, seconds: 0.05, resources: cpuShare(0, 0.05) });
    expect(diagnoseSerialisation(serverRecord(), [short(1), short(5), short(10)])).toBeNull();
    expect(
      diagnoseSerialisation(serverRecord(), [flat(1, { resources: null }), flat(10, { resources: null })]),
    ).toBeNull();
  });

  it('leaves out cells whose stalls accept-queue drops explain', () => {
    const drops = { kernel: { listenOverflows: 9, listenDrops: 9 }, stallsBySecond: [5] };
    expect(diagnoseSerialisation(serverRecord('tiny', 1), [flat(1), flat(10, { signals: drops })])).toBeNull();
  });
});

describe('error responses', () => {
  it('calls a run of 404s "a 404 page"', () => {
    const f = diagnoseErrorResponses('nf', [
      cell({ requests: 20, concurrency: 1, statusCounts: { '404': 20 } }),
      cell({ requests: 30, concurrency: 5, statusCounts: { '404': 30 } }),
    ])!;
    expect(f.id).toBe('error-responses');
    expect(f.severity).toBe('error');
    expect(f.title).toBe('You measured a 404 page: 50 of 50 responses were 404 Not Found');
    expect(f.evidence[1]).toBe('Statuses: 404 Not Found: 50 (100% of all responses of the run).');
    expect(f.cause).toContain('The request path (/) is not what the server serves');
  });

  it('warns about a minority of server errors', () => {
    const f = diagnoseErrorResponses('busy', [
      cell({ requests: 100, concurrency: 100, statusCounts: { '200': 90, '503': 10 } }),
    ])!;
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('10 responses of 100 were not 2xx (10 x 503): part of what was measured is error pages');
    expect(f.cause).toContain('server errors under load');
  });

  it('says nothing when every response is 2xx', () => {
    expect(diagnoseErrorResponses('ok', [cell({ requests: 10, concurrency: 1 })])).toBeNull();
  });
});

describe('resets and timeouts', () => {
  it('counts each request once, by how it ended, per cell', () => {
    const f = diagnoseFailures('flaky', [
      cell({
        requests: 100,
        concurrency: 10,
        signals: { failures: { connect: 0, reset: 3, timeout: 1, truncated: 0 } },
      }),
      cell({
        requests: 100,
        concurrency: 50,
        signals: { failures: { connect: 2, reset: 0, timeout: 0, truncated: 0 } },
      }),
      cell({ requests: 100, concurrency: 1 }),
    ])!;
    expect(f.id).toBe('resets-timeouts');
    expect(f.title).toBe('6 requests failed: 3 reset, 1 timed out and 2 could not connect');
    expect(f.evidence[0]).toBe(
      'Per cell: n=100 c=10: 3 reset and 1 timed out of 100 and n=100 c=50: 2 could not connect of 100.',
    );
    expect(f.cells.map((c) => c.concurrency)).toEqual([10, 50]);
    expect(f.cause).toMatch(/A reset means[\s\S]*A timeout means[\s\S]*A failed connect means/);
  });

  it('says nothing for a clean run', () => {
    expect(diagnoseFailures('ok', [cell({ requests: 10, concurrency: 1 })])).toBeNull();
  });
});

describe('descriptor leaks', () => {
  const fds = (before: number, after: number, requests = 50) =>
    cell({ requests, concurrency: 5, resources: { fdsBefore: before, fdsAfter: after } });

  it('names steady growth across cells', () => {
    const f = diagnoseFdLeak('leaky', [fds(6, 56), fds(56, 106), fds(106, 156)])!;
    expect(f.id).toBe('fd-leak');
    expect(f.severity).toBe('error');
    expect(f.title).toBe(
      'Open file descriptors grew from 6 to 156 over 3 cells: a descriptor leak (about 1.0 per request)',
    );
    expect(f.evidence[0]).toContain('n=50 c=5: 6 -> 56 (+50)');
  });

  it('allows a server a few descriptors opened on first use, and counts that settle', () => {
    expect(diagnoseFdLeak('cache', [fds(6, 20), fds(20, 22), fds(22, 22)])).toBeNull();
    // 40 more over 5000 requests: under 5% of the requests.
    expect(diagnoseFdLeak('slow', [fds(6, 26, 2500), fds(26, 46, 2500)])).toBeNull();
    // Grew in one cell only (connections still closing when it was counted), not in the others.
    expect(diagnoseFdLeak('linger', [fds(6, 6), fds(6, 6), fds(6, 6), fds(6, 60)])).toBeNull();
  });
});

describe('coordinated omission', () => {
  it("names the cells the engine flagged, with the engine's sentence", () => {
    const flagged = cell({ group: 1, requests: 0, concurrency: 10 });
    flagged.durationS = 6;
    const note = 'coordinated omission likely: 30 of 60030 requests (0.050%) took over 10.0 ms ...';
    flagged.result.omission = { thresholdUs: 10_000, stalled: 30, stalledShare: 0.0005, timeShare: 0.25, note };
    const f = diagnoseOmission('gc', [cell({ requests: 100, concurrency: 1 }), flagged])!;
    expect(f).toMatchObject({ id: 'coordinated-omission', severity: 'warning', server: 'gc' });
    expect(f.cells).toEqual([{ group: 1, requests: 0, concurrency: 10, durationS: 6 }]);
    expect(f.evidence).toEqual([`6s c=10: ${note}`]);
    expect(f.cause).toContain('--rate');
  });

  it('says nothing when no cell was flagged', () => {
    expect(diagnoseOmission('steady', [cell({ requests: 100, concurrency: 10 })])).toBeNull();
  });
});

describe('diagnoseRun', () => {
  it('diagnoses each server on its own cells, worst first within a server', () => {
    const run = {
      servers: [serverRecord('a'), serverRecord('b')],
      cells: [
        cell({
          server: 'a',
          requests: 20,
          concurrency: 1,
          statusCounts: { '404': 20 },
          resources: { fdsBefore: 6, fdsAfter: 60 },
        }),
        cell({
          server: 'a',
          requests: 20,
          concurrency: 5,
          statusCounts: { '404': 20 },
          resources: { fdsBefore: 60, fdsAfter: 100 },
        }),
        cell({ server: 'b', requests: 20, concurrency: 1 }),
      ],
    };
    const found = diagnoseRun(run);
    expect(found.map((f) => `${f.server} ${f.id} ${f.severity}`)).toEqual([
      'a error-responses error',
      'a fd-leak error',
    ]);
    expect(
      diagnoseServer(
        serverRecord('b'),
        run.cells.filter((c) => c.server === 'b'),
      ),
    ).toEqual([]);
  });
});

describe('the registry of findings', () => {
  it('lists every kind once, each saying what it looks for and what it reads', () => {
    const ids = FINDING_KINDS.map((kind) => kind.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([
      'accept-queue-overflow',
      'resets-timeouts',
      'error-responses',
      'delayed-ack-stall',
      'serialised',
      'coordinated-omission',
      'fd-leak',
    ]);
    for (const kind of FINDING_KINDS) {
      expect(kind.lookedFor).not.toBe('');
      expect(kind.looksAt.length).toBeGreaterThan(20);
    }
    expect([...LOOKED_FOR].sort()).toEqual(FINDING_KINDS.map((kind) => kind.lookedFor).sort());
  });

  it('runs every kind on a server, each on the same context', () => {
    const cells = [cell({ server: 'a', requests: 20, concurrency: 1, statusCounts: { '404': 20 } })];
    const byKind = FINDING_KINDS.flatMap(
      (kind) => kind.diagnose({ run: { servers: [serverRecord('a')], cells }, server: serverRecord('a'), cells }) ?? [],
    );
    expect(byKind.map((f) => f.id)).toEqual(['error-responses']);
    expect(diagnoseServer(serverRecord('a'), cells)).toEqual(byKind);
  });
});
